"""The printable briefing page in Debian's Chromium: every section shows, the map is drawn, the
board's CSP holds (no inline style or script), and it prints on A4 with a page per section."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BoardServer
from tests.browser.helpers import act, pushed_event, wait_live
from tests.officers.helpers import OPERATOR_TOKEN
from tests.process import REPO

pytestmark = pytest.mark.browser

SECTIONS_KO = [
    "요약",
    "종합 상황",
    "기간 지도",
    "기간 중 발생 상황",
    "기간 종료 시점 미결 상황",
    "접수 소요 시간",
    "통화",
    "단계 호출",
    "피드 장애",
]
SECTIONS_EN = [
    "Summary",
    "Situations",
    "Map of the period",
    "Events in the period",
    "Still open at the end of the period",
    "Time to acknowledge",
    "Calls",
    "Escalations",
    "Feed outages",
]
JUNGNANG = [127.0928, 37.5977]


def flood_night(server: BoardServer) -> None:
    """A flood over half an hour: the warning, closures, complaints about water, and elsewhere a
    fire and a hostile title."""
    now = datetime.now(UTC)
    events = [
        pushed_event(
            "cap-1",
            kind="disaster",
            category="disaster.flood",
            severity="extreme",
            title="중랑천 홍수경보",
            translations={"en": {"title": "Flood warning, Jungnangcheon"}},
            at=now - timedelta(minutes=35),
            geometry={
                "type": "Polygon",
                "coordinates": [
                    [
                        [127.080, 37.585],
                        [127.105, 37.585],
                        [127.105, 37.610],
                        [127.080, 37.610],
                        [127.080, 37.585],
                    ]
                ],
            },
        ),
        *[
            pushed_event(
                f"closure-{n}",
                category="traffic.closure",
                severity="severe",
                title=f"동부간선도로 통제 {n}",
                translations={"en": {"title": f"Dongbu expressway closed {n}"}},
                at=now - timedelta(minutes=30 - n),
                geometry={"type": "Point", "coordinates": [JUNGNANG[0] - 0.002 * n, JUNGNANG[1]]},
            )
            for n in range(3)
        ],
        *[
            pushed_event(
                f"water-{n}",
                kind="complaint",
                category="complaint.water",
                severity="minor",
                title=f"지하 침수 민원 {n}",
                translations={"en": {"title": f"Water in a basement {n}"}},
                at=now - timedelta(minutes=25 - n),
                geometry={
                    "type": "Point",
                    "coordinates": [JUNGNANG[0] + 0.001 * (n % 4), JUNGNANG[1] - 0.001 * (n // 4)],
                },
            )
            for n in range(12)
        ],
        pushed_event(
            "fire-1",
            kind="disaster",
            category="disaster.fire",
            severity="severe",
            title="<script>alert(1)</script> 마포구 화재",
            translations={},
            at=now - timedelta(minutes=10),
            geometry={"type": "Point", "coordinates": [126.9084, 37.5593]},
        ),
    ]
    server.push(events, source="citizen")
    act(server, "ack", "citizen:cap-1")
    act(server, "assign", "citizen:fire-1")


def test_the_briefing_page_shows_every_section_and_prints_on_a4(
    quiet_server: BoardServer, open_board: Callable[..., Any], artifacts: Path
) -> None:
    flood_night(quiet_server)
    for lang, sections in [("en", SECTIONS_EN), ("ko", SECTIONS_KO)]:
        page = open_board(
            quiet_server, width=1200, height=1600, query=f"brief?since=2h&lang={lang}"
        )
        headings = page.locator("h2")
        expect(headings).to_have_text(sections)
        for n in range(len(sections)):
            expect(headings.nth(n)).to_be_visible()
        assert page.locator("svg.map path").count() >= 25  # the districts, and the flood's area
        assert page.locator("svg.map circle").count() == 17
        expect(page.locator("#open")).to_contain_text("<script>alert(1)</script>")
        assert page.locator("script").count() == 0
        assert (
            page.evaluate("() => getComputedStyle(document.querySelector('.tiles')).display")
            == "grid"
        ), "the stylesheet loaded under the board's CSP"
        shot = artifacts / f"brief-{lang}.png"
        page.screenshot(path=str(shot), full_page=True, animations="disabled")
        if lang == "ko" and os.environ.get("CITYBOARD_UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(shot, REPO / "docs" / "screenshot-brief.png")
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=True)
        pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
        assert pages >= len(sections) - 1, "a page per section after the first two"
        (artifacts / f"brief-{lang}.pdf").write_bytes(pdf)
    assert (REPO / "docs" / "screenshot-brief.png").stat().st_size > 50_000


def test_the_boards_briefing_button_opens_the_briefing_for_an_operator_only(
    board_server_factory: Any, monkeypatch: pytest.MonkeyPatch, open_board: Callable[..., Any]
) -> None:
    """Once a token is set a link cannot carry it: the button fetches a ticket and opens
    /brief with it in a new tab; a viewer's board has no button."""
    monkeypatch.setenv("CITYBOARD_OPERATOR_TOKEN", OPERATOR_TOKEN)
    server = board_server_factory(demo=False)
    server.push(
        pushed_event(
            "cap-1",
            kind="disaster",
            category="disaster.flood",
            title="중랑천 홍수경보",
            translations={"en": {"title": "Flood warning, Jungnangcheon"}},
        )
    )
    operator = open_board(server, query=f"?lang=en&token={OPERATOR_TOKEN}")
    wait_live(operator)
    button = operator.locator('[data-testid="brief-open"]')
    expect(button).to_be_visible()
    expect(button).to_have_text("Briefing")
    with operator.context.expect_page() as opened:
        button.click()
    page = opened.value
    page.wait_for_url("**/brief?**")  # the tab opens blank in the click, then gets its address
    assert "/brief?" in page.url and "ticket=" in page.url and "lang=en" in page.url
    assert OPERATOR_TOKEN not in page.url
    expect(page.locator("h1")).to_contain_text("Shift briefing")
    expect(page.locator("body")).to_contain_text("Flood warning, Jungnangcheon")

    viewer = open_board(server, query="?lang=en")
    wait_live(viewer)
    expect(viewer.locator('[data-testid="brief-open"]')).to_be_hidden()
