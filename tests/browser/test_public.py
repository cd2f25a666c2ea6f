"""The citizens' board in a real Chromium, on its own port: the PII corpus never reaches the
page's DOM while the rest of the texts do, and no operator part is on it (one server, one test)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import CITY_HALL, GANGNAM, ROW, pushed_event, wait_live, wait_map
from tests.conftest import event_dict
from tests.process import REPO, ServerProcess, free_port
from tests.public.corpus import CASES, KEEP, leaks

pytestmark = pytest.mark.browser

CONFIG = """
[public]
delay_seconds = {}  # the test shows complaints at once; the default waits 30 minutes
"""


def test_the_public_board_shows_the_city_and_no_person(
    tmp_path: Path, open_board: Callable[..., Any], artifacts: Path
) -> None:
    config = tmp_path / "public.toml"
    config.write_text(CONFIG, encoding="utf-8")
    public_port = free_port()
    server = ServerProcess(
        tmp_path / "board.db",
        args=["--config", str(config), "--public-port", str(public_port)],
        log_path=tmp_path / "server.log",
    )
    server.start()
    try:
        server.push([{**event_dict(0), **case["event"]} for case in CASES], source="minwon")
        server.push(
            [
                pushed_event(
                    "fire",
                    kind="disaster",
                    category="disaster.fire",
                    severity="severe",
                    title="시청 인근 화재",
                    geometry={"type": "Point", "coordinates": CITY_HALL},
                ),
                pushed_event(
                    "closure",
                    category="traffic.closure",
                    severity="moderate",
                    title="테헤란로 일부 통제",
                    geometry={"type": "Point", "coordinates": GANGNAM},
                ),
            ],
            source="city",
        )
        public = ServerProcess(server.db, port=public_port)  # its URL, for open_board
        page = open_board(public, width=1920, height=1080)
        wait_live(page)
        wait_map(page)
        page.wait_for_function(
            f"() => document.querySelectorAll('{ROW}').length >= {len(CASES) + 2}", timeout=30_000
        )
        expect(page.locator('[data-testid="public-mark"]')).to_be_visible()
        # its rules in words, from the server's welcome (this config: no delay, the 250 m grid)
        expect(page.locator('[data-testid="public-note"]')).to_have_text(
            "민원 위치는 250 m 격자로 표시"
        )
        for hidden in ("directory-toggle", "brief-open", "stream-select", "actions", "officers"):
            expect(page.locator(f'[data-testid="{hidden}"]')).to_be_hidden()
        page.locator(ROW, has_text="소음").first.click()
        expect(page.locator('[data-testid="detail"]')).to_be_visible()
        expect(page.locator('[data-testid="action-ack"]')).to_be_hidden()
        assert page.evaluate("() => window.cityboard.role") == "viewer"
        dom = page.content()
        shown = page.evaluate("() => document.body.innerText")
        assert leaks(dom) == [], "PII in the public page's DOM"
        titles = " ".join(c["event"]["title"] for c in CASES)
        visible_keep = [k for k in KEEP if k in titles]
        assert visible_keep and [k for k in visible_keep if k not in shown] == []
        page.locator('[data-testid="detail-close"]').click()
        picture = artifacts / "board-public-1920x1080.png"
        page.screenshot(path=str(picture), animations="disabled")
        if os.environ.get("CITYBOARD_UPDATE_SCREENSHOT") == "1":  # docs/public.md's picture
            shutil.copyfile(picture, REPO / "docs" / "screenshot-public.png")
    finally:
        server.stop()
