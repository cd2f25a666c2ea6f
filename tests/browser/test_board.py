"""The board page in a real browser against the real server: data, updates, reconnects, looks."""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    CONN,
    ROW,
    event_ids,
    marker,
    pushed_event,
    row,
    wait_live,
    wait_map,
)

if TYPE_CHECKING:
    from tests.process import ServerProcess as BoardServer

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
STALE_AFTER_MS = 21_000  # past connection.js's STALE_AFTER_MS (20 s), short of its DEAD_AFTER_MS


def test_demo_events_appear_live(demo_server: BoardServer, open_board: Callable[..., Any]) -> None:
    page = open_board(demo_server)
    wait_live(page)
    expect(page.locator(CONN)).to_have_attribute("data-state", "live")
    expect(page.locator(ROW).first).to_be_visible(timeout=15_000)
    count = int(page.locator('[data-testid="event-count"]').inner_text())
    assert count > 0
    assert page.locator(ROW).count() == count

    # demo data is labelled as such: a banner in the header and a badge on demo rows
    expect(page.locator('[data-testid="demo-banner"]')).to_be_visible()
    expect(page.locator('[data-testid="demo-badge"]').first).to_be_visible()
    expect(page.locator('[data-testid="demo-badge"]').first).to_have_text("DEMO")

    # the demo feed is listed with its state, from the snapshot or the next `feeds` message
    expect(page.locator('[data-testid="feed-row"][data-feed="demo"]')).to_be_visible(timeout=8_000)

    # every row carries a severity word (colour is never the only signal)
    words = page.eval_on_selector_all(
        f'{ROW} [data-testid="severity"]', "els => els.map(e => e.textContent)"
    )
    assert all(w.strip() for w in words), words

    # the clock shows the city's time (the browser itself runs in UTC here)
    shown = page.locator('[data-testid="clock"]').inner_text()
    seoul = datetime.now(ZoneInfo("Asia/Seoul"))
    candidates = {(seoul + timedelta(seconds=d)).strftime("%H:%M:%S") for d in range(-3, 2)}
    assert shown in candidates, (shown, candidates)


def test_push_update_and_cancel(quiet_server: BoardServer, open_board: Callable[..., Any]) -> None:
    page = open_board(quiet_server)
    wait_live(page)
    wait_map(page)
    expect(page.locator(ROW)).to_have_count(0)
    expect(page.locator('[data-testid="demo-banner"]')).to_be_hidden()

    quiet_server.push(pushed_event("e1"))
    first = row(page, "test:e1")
    pin = marker(page, "test:e1")
    expect(first).to_have_count(1, timeout=1_000)  # within a second of the push: in the list
    expect(pin).to_have_count(1, timeout=1_000)  # ... and on the map
    expect(pin).to_have_attribute("data-severity", "severe")
    expect(first).to_have_attribute("data-version", "1")
    expect(first.locator('[data-testid="workflow-state"]')).to_have_text("신규")
    expect(page.locator('[data-testid="event-count"]')).to_have_text("1")
    expect(first.locator('[data-testid="severity"]')).to_have_text("경계")
    expect(first.locator('[data-testid="event-title"]')).to_have_text("시청 앞 교통사고 e1")
    district = first.locator(".district")
    expect(district).not_to_have_text(re.compile(r"^\d{5}$"), timeout=5_000)  # a name, not a code
    expect(district).to_have_text("중구")
    expect(first.locator('[data-testid="demo-badge"]')).to_be_hidden()
    node = first.element_handle()

    quiet_server.push(pushed_event("e1", version=2, severity="extreme", title="시청 앞 다중 추돌"))
    expect(first).to_have_attribute("data-version", "2", timeout=1_000)
    expect(page.locator(ROW)).to_have_count(1)
    assert node.evaluate("el => el.isConnected && el.dataset.version") == "2", (
        "row was replaced, not updated"
    )
    expect(first.locator('[data-testid="severity"]')).to_have_text("심각")
    expect(first.locator('[data-testid="event-title"]')).to_have_text("시청 앞 다중 추돌")
    expect(pin).to_have_attribute("data-severity", "extreme")  # the map follows the update
    expect(pin).to_have_count(1)
    pin.hover()  # the markers' one shared tooltip: the event as it is now
    tip = page.locator(".leaflet-tooltip:not(.district-label)")
    expect(tip).to_have_text("심각 시청 앞 다중 추돌")
    page.mouse.move(0, 0)
    expect(tip).to_have_count(0)

    # English: labels and the source's English title
    page.locator('[data-testid="lang-toggle"]').click()
    expect(first.locator('[data-testid="severity"]')).to_have_text("Extreme")
    expect(first.locator('[data-testid="event-title"]')).to_have_text("Crash outside City Hall e1")
    expect(first.locator(".district")).to_have_text("Jung-gu")

    quiet_server.push(pushed_event("e1", version=3, status="cancelled"))
    expect(page.locator(ROW)).to_have_count(0, timeout=1_000)
    expect(pin).to_have_count(0, timeout=1_000)
    assert page.evaluate("window.cityboard.map.has('test:e1')") is False
    expect(page.locator('[data-testid="event-count"]')).to_have_text("0")
    expect(page.locator('[data-testid="last-seq"]')).to_have_text(str(quiet_server.head()))


def test_reconnect_resumes_without_gaps_or_duplicates(
    quiet_server: BoardServer, open_board: Callable[..., Any]
) -> None:
    page = open_board(quiet_server)
    wait_live(page)
    base = datetime.now(UTC) - timedelta(minutes=5)
    quiet_server.push([pushed_event(f"e{i}", at=base + timedelta(seconds=i)) for i in range(1, 6)])
    expect(page.locator(ROW)).to_have_count(5, timeout=2_000)

    quiet_server.stop()
    expect(page.locator(CONN)).to_have_attribute("data-state", "reconnecting", timeout=10_000)
    expect(page.locator(CONN)).to_contain_text(re.compile(r"\d"))  # the countdown
    expect(page.locator(ROW)).to_have_count(5)  # the last known state stays on the wall

    quiet_server.start()
    for i in range(6, 11):
        quiet_server.push(pushed_event(f"e{i}", at=base + timedelta(seconds=i)))

    wait_live(page, timeout_ms=45_000)
    expect(page.locator(ROW)).to_have_count(10, timeout=5_000)
    ids = event_ids(page)
    assert len(ids) == len(set(ids)) == 10, ids
    assert ids == [f"test:e{i}" for i in range(10, 0, -1)], "newest first"
    expect(page.locator('[data-testid="last-seq"]')).to_have_text(
        str(quiet_server.head()), timeout=5_000
    )
    states = [s for s, _ in page.evaluate("window.cityboard.conn.history")]
    assert "reconnecting" in states and "resumed" in states, states
    assert page.evaluate("window.cityboard.store.mode") == "resume"


def test_silent_server_is_shown_stale(
    quiet_server: BoardServer, open_board: Callable[..., Any]
) -> None:
    page = open_board(quiet_server, clock=True)
    wait_live(page)
    assert quiet_server.proc is not None
    pid = quiet_server.proc.pid
    os.kill(pid, signal.SIGSTOP)  # socket open, nothing sent: the half-dead case
    try:
        expect(page.locator(CONN)).not_to_have_attribute("data-state", "stale")
        page.clock.fast_forward(STALE_AFTER_MS)  # the board's 20 s of silence, without waiting
        expect(page.locator(CONN)).to_have_attribute("data-state", "stale", timeout=10_000)
        expect(page.locator(CONN)).to_contain_text(re.compile(r"\d+"))
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_live(page, timeout_ms=15_000)


def test_screenshots(
    demo_server: BoardServer, open_board: Callable[..., Any], artifacts: Path
) -> None:
    # a few pushed events of other kinds and severities so the wall shows more than the demo's
    now = datetime.now(UTC)
    demo_server.push(
        [
            pushed_event(
                "s1",
                kind="disaster",
                category="disaster.heavy_rain",
                severity="severe",
                title="강남구 일대 호우경보",
                at=now - timedelta(minutes=14),
                translations={"en": {"title": "Heavy rain warning around Gangnam"}},
                geometry={"type": "Point", "coordinates": [127.047, 37.517]},
            ),
            pushed_event(
                "s2",
                kind="complaint",
                category="complaint.noise",
                severity="minor",
                title="심야 공사 소음 민원",
                at=now - timedelta(minutes=3),
                translations={"en": {"title": "Night-time construction noise"}},
                geometry={"type": "Point", "coordinates": [126.924, 37.556]},
            ),
            pushed_event(
                "s3",
                kind="traffic",
                category="traffic.closure",
                severity="moderate",
                title="세종대로 광화문~시청 구간 전면 통제 (집회)",
                at=now - timedelta(minutes=22),
                translations={
                    "en": {"title": "Sejong-daero closed, Gwanghwamun to City Hall (rally)"}
                },
                geometry={
                    "type": "LineString",
                    "coordinates": [[126.9769, 37.5759], [126.9772, 37.5710], [126.9779, 37.5663]],
                },
            ),
        ],
        source="citizen",
    )

    wall = open_board(demo_server, width=1920, height=1080)
    wait_live(wall)
    wait_map(wall)
    # the demo loop adds an event every second or two: wait for a representative wall
    wall.wait_for_function(f"() => document.querySelectorAll('{ROW}').length >= 20", timeout=60_000)
    expect(wall.locator('[data-testid="feed-row"]').first).to_be_visible(timeout=8_000)
    time.sleep(2)  # ages, KPI tiles and the feed strip settle; highlights end with `animations`
    wall_png = artifacts / "board-wall-1920x1080.png"
    wall.screenshot(path=str(wall_png), animations="disabled")
    if os.environ.get("CITYBOARD_UPDATE_SCREENSHOT") == "1":  # the README's picture, on request
        shutil.copyfile(wall_png, REPO / "docs" / "screenshot.png")

    laptop = open_board(demo_server, width=1366, height=768, query="?lang=en")
    wait_live(laptop)
    wait_map(laptop)
    expect(laptop.locator(ROW).first).to_be_visible(timeout=15_000)
    time.sleep(2)
    laptop.screenshot(path=str(artifacts / "board-laptop-1366x768.png"), animations="disabled")

    # the detail panel, as an operator sees it on a laptop
    laptop.locator(ROW).first.click()
    expect(laptop.locator('[data-testid="history-item"]').first).to_be_visible(timeout=5_000)
    time.sleep(0.5)
    laptop.screenshot(
        path=str(artifacts / "board-laptop-detail-1366x768.png"), animations="disabled"
    )

    # a 4K wall renders the same layout at twice the scale
    big = open_board(demo_server, width=3840, height=2160, query="?kiosk=1")
    wait_live(big)
    wait_map(big)
    expect(big.locator(ROW).first).to_be_visible(timeout=15_000)
    time.sleep(2)
    big.screenshot(path=str(artifacts / "board-wall-3840x2160-kiosk.png"), animations="disabled")

    for png in (wall_png, artifacts / "board-laptop-1366x768.png"):
        assert png.stat().st_size > 10_000, png
