"""Replays on the board: pick a replay stream, EXERCISE banner, scrubber, seek, back to live."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import CONN, ROW, event_ids, iso, pushed_event, wait_live

if TYPE_CHECKING:
    from pathlib import Path

    from tests.process import ServerProcess as BoardServer

pytestmark = pytest.mark.browser

BAR = '[data-testid="replay-bar"]'
TRACK = '[data-testid="scrubber-track"]'
STEP = timedelta(minutes=10)
COUNT = 5


def recording(start: datetime) -> bytes:
    """A drill of COUNT events, one every STEP (docs/recording-format.md)."""
    entries = []
    for i in range(1, COUNT + 1):
        at = start + STEP * (i - 1)
        body = pushed_event(f"e{i}", at=at, title=f"훈련 사고 {i}")
        body.update(event_id=f"drill:e{i}", source="drill", received_at=iso(at))
        entries.append(
            {"seq": i, "epoch": "drill0000epoch01", "at": iso(at), "type": "event", "body": body}
        )
    header = {
        "format": "cityboard-recording",
        "format_version": 1,
        "city": "Seoul",
        "timezone": "Asia/Seoul",
        "stream": "live",
        "epoch": "drill0000epoch01",
        "start": entries[0]["at"],
        "end": entries[-1]["at"],
        "entries": len(entries),
        "exercise": True,
        "synthetic": True,
        "description": "browser test drill",
    }
    return "".join(
        json.dumps(line, ensure_ascii=False) + "\n" for line in [header, *entries]
    ).encode()


def start_replay(server: BoardServer, data: bytes, name: str = "drill1") -> dict[str, Any]:
    req = urllib.request.Request(
        f"{server.http}/api/replays?name={name}&speed=0&exercise=true",
        data=data,
        method="POST",
        headers={"Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201
        return dict(json.loads(resp.read()))


def test_replay_banner_scrubber_seek_and_back_to_live(
    quiet_server: BoardServer, open_board: Callable[..., Any], artifacts: Path
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    start_replay(quiet_server, recording(start))

    page = open_board(quiet_server, query="?stream=replay:drill1")
    wait_live(page)
    bar = page.locator(BAR)
    expect(bar).to_be_visible()
    expect(page.locator('[data-testid="replay-word"]')).to_contain_text("EXERCISE")
    expect(page.locator('[data-testid="demo-banner"]')).to_be_hidden()
    expect(page.locator(TRACK)).to_be_visible()
    # every entry of the recording (played as fast as possible) is on the board, once
    expect(page.locator(ROW)).to_have_count(COUNT, timeout=10_000)
    assert sorted(event_ids(page)) == [f"drill:e{i}" for i in range(1, COUNT + 1)]
    # the scrubber: density bars from GET /api/replays/drill1, the position at the end, the state
    expect(page.locator('[data-testid="scrubber-density"] .density-bar').first).to_be_attached()
    expect(page.locator('[data-testid="replay-state"]')).to_have_text("끝남")
    expect(page.locator('[data-testid="replay-position"]')).not_to_have_text("")
    left = page.locator('[data-testid="scrubber-marker"]').evaluate("m => parseFloat(m.style.left)")
    assert left == 100, left
    # the stream menu lists live and the replay
    values = page.locator('[data-testid="stream-select"] option').evaluate_all(
        "os => os.map(o => o.value)"
    )
    assert values[0] == "live" and "replay:drill1" in values, values
    page.screenshot(path=str(artifacts / "board-replay-1920x1080.png"))

    # a refused control is shown, not swallowed (e.g. 403 away from the server's machine)
    page.route(
        "**/api/replays/drill1/control",
        lambda route: route.fulfill(
            status=403,
            content_type="application/json",
            body=json.dumps({"code": "forbidden", "message": "only from this machine"}),
        ),
    )
    page.locator('[data-testid="replay-toggle"]').click()
    error = page.locator('[data-testid="replay-error"]')
    expect(error).to_be_visible()
    expect(error).to_contain_text("403")
    page.unroute("**/api/replays/drill1/control")

    # speed 1 so the seek does not race to the end again; then seek to 30 % (between e2 and e3)
    page.locator('[data-testid="replay-speed-button"][data-speed="1"]').click()
    expect(page.locator('[data-testid="replay-speed"]')).to_have_text("1\u00d7")
    expect(error).to_be_hidden()
    epoch = page.evaluate("window.cityboard.store.epoch")
    box = page.locator(TRACK).bounding_box()
    assert box
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
    # the server closed the socket with 4009; the board reconnected to a new epoch: e1, e2 only
    page.wait_for_function(
        f"() => window.cityboard.store.epoch"
        f" && window.cityboard.store.epoch !== {json.dumps(epoch)}",
        timeout=10_000,
    )
    expect(page.locator(ROW)).to_have_count(2, timeout=10_000)
    assert sorted(event_ids(page)) == ["drill:e1", "drill:e2"]
    wait_live(page)
    marker_left = float(
        page.locator('[data-testid="scrubber-marker"]').evaluate("m => parseFloat(m.style.left)")
    )
    assert 20 <= marker_left <= 30, marker_left  # the position: e2, at 25 %
    page.wait_for_timeout(500)
    ids = event_ids(page)
    assert len(ids) == len(set(ids)) == 2, ids

    # back to live: the live view (nothing pushed there; a replay never writes into it)
    page.locator('[data-testid="back-to-live"]').click()
    page.wait_for_url(f"{quiet_server.url}/")
    wait_live(page)
    expect(page.locator(BAR)).to_be_hidden()
    expect(page.locator(ROW)).to_have_count(0)
    assert page.evaluate("window.cityboard.store.stream") == "live"
    expect(page.locator('[data-testid="stream-select"]')).to_have_value("live")


def test_unknown_stream_says_so(quiet_server: BoardServer, open_board: Callable[..., Any]) -> None:
    page = open_board(quiet_server, query="?stream=replay:nope")
    missing = page.locator('[data-testid="stream-missing"]')
    expect(missing).to_be_visible(timeout=10_000)
    expect(missing).to_contain_text("replay:nope")
    expect(page.locator(BAR)).to_be_hidden()
    page.locator('[data-testid="stream-missing-live"]').click()
    wait_live(page)
    expect(missing).to_be_hidden()


def test_stream_menu_switches_to_a_replay(
    quiet_server: BoardServer, open_board: Callable[..., Any]
) -> None:
    quiet_server.push(pushed_event("live1"))
    start_replay(quiet_server, recording(datetime.now(UTC) - timedelta(hours=1)), name="drill2")
    page = open_board(quiet_server, query="?lang=en")
    wait_live(page)
    expect(page.locator(ROW)).to_have_count(1)
    select = page.locator('[data-testid="stream-select"]')
    expect(select.locator('option[value="replay:drill2"]')).to_be_attached()
    select.select_option("replay:drill2")
    page.wait_for_url("**/?lang=en&stream=replay%3Adrill2")
    wait_live(page)
    expect(page.locator('[data-testid="replay-word"]')).to_have_text("EXERCISE")
    expect(page.locator(ROW)).to_have_count(COUNT, timeout=10_000)
    assert "test:live1" not in event_ids(page)


def replay_status(server: BoardServer, name: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{server.http}/api/replays/{name}", timeout=10) as resp:
        return dict(json.loads(resp.read()))


def stop_replay(server: BoardServer, name: str) -> None:
    req = urllib.request.Request(f"{server.http}/api/replays/{name}", method="DELETE")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 204


def test_drag_seek_then_step_while_paused_then_speed_up(
    quiet_server: BoardServer, open_board: Callable[..., Any]
) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    start_replay(quiet_server, recording(start))
    page = open_board(quiet_server, query="?stream=replay:drill1")
    wait_live(page)
    expect(page.locator(ROW)).to_have_count(COUNT, timeout=10_000)
    seeks: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: (
            seeks.append(r.post_data_json)
            if r.method == "POST"
            and r.url.endswith("/control")
            and r.post_data_json["op"] == "seek"
            else None
        ),
    )
    page.locator('[data-testid="replay-speed-button"][data-speed="1"]').click()
    expect(page.locator('[data-testid="replay-speed"]')).to_have_text("1\u00d7")

    # drag: press at 90 %, move through 60 %, release at 30 % (between e2 and e3): one seek
    epoch = page.evaluate("window.cityboard.store.epoch")
    box = page.locator(TRACK).bounding_box()
    assert box
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.9, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=4)
    preview = page.locator('[data-testid="scrubber-preview"]')
    expect(preview).to_be_visible()
    assert 55 <= preview.evaluate("p => parseFloat(p.style.left)") <= 65
    page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=4)
    assert seeks == [], "nothing is sought while dragging"
    page.mouse.up()
    expect(preview).to_be_hidden()
    page.wait_for_function(
        f"() => window.cityboard.store.epoch"
        f" && window.cityboard.store.epoch !== {json.dumps(epoch)}",
        timeout=10_000,
    )
    expect(page.locator(ROW)).to_have_count(2, timeout=10_000)
    wait_live(page)
    assert len(seeks) == 1, seeks
    sought = datetime.fromisoformat(seeks[0]["at"].replace("Z", "+00:00"))
    assert start + STEP < sought < start + 2 * STEP, sought
    ids = event_ids(page)
    assert sorted(ids) == ["drill:e1", "drill:e2"] and len(ids) == len(set(ids)), ids

    # pause, then step: exactly the next entry (e3) plays and the replay stays paused
    state = page.locator('[data-testid="replay-state"]')
    page.locator('[data-testid="replay-toggle"]').click()
    expect(state).to_have_text("일시정지")
    page.locator('[data-testid="replay-step"]').click()
    expect(page.locator(ROW)).to_have_count(3, timeout=10_000)
    status = replay_status(quiet_server, "drill1")
    assert (status["state"], status["played"]) == ("paused", 3), status
    assert sorted(event_ids(page)) == ["drill:e1", "drill:e2", "drill:e3"]

    # 600x: the last two entries, 10 recorded minutes apart, come a second apart once resumed
    page.locator('[data-testid="replay-speed-button"][data-speed="600"]').click()
    expect(page.locator('[data-testid="replay-speed"]')).to_have_text("600\u00d7")
    pressed = page.locator('[data-testid="replay-speed-button"][aria-pressed="true"]')
    expect(pressed).to_have_attribute("data-speed", "600")
    page.locator('[data-testid="replay-toggle"]').click()
    expect(page.locator(ROW)).to_have_count(COUNT, timeout=10_000)
    expect(state).to_have_text("끝남")
    assert replay_status(quiet_server, "drill1")["speed"] == 600


def test_a_stopped_replay_says_so_and_offers_live(
    quiet_server: BoardServer, open_board: Callable[..., Any], artifacts: Path
) -> None:
    start_replay(quiet_server, recording(datetime.now(UTC) - timedelta(hours=1)))
    page = open_board(quiet_server, query="?stream=replay:drill1&lang=en")
    wait_live(page)
    expect(page.locator(ROW)).to_have_count(COUNT, timeout=10_000)
    stop_replay(quiet_server, "drill1")
    # not frozen on the last picture, and not a wrong address: the board says the drill was stopped
    bar = page.locator(BAR)
    stopped = page.locator('[data-testid="replay-stopped"]')
    expect(stopped).to_be_visible(timeout=10_000)
    expect(stopped).to_contain_text("This replay was stopped")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("data-state", "stopped")
    expect(page.locator('[data-testid="replay-word"]')).to_have_text("EXERCISE")
    expect(page.locator('[data-testid="replay-state"]')).to_have_text("STOPPED")
    expect(page.locator('[data-testid="stream-missing"]')).to_be_hidden()
    expect(page.locator(CONN)).to_have_attribute("data-state", "stopped")
    expect(page.locator(CONN)).to_have_text("Replay stopped")
    # every control is dead; the one way on is back to live
    expect(page.locator('[data-testid="replay-toggle"]')).to_be_disabled()
    expect(page.locator('[data-testid="replay-step"]')).to_be_disabled()
    for speed in page.locator('[data-testid="replay-speed-button"]').all():
        expect(speed).to_be_disabled()
    expect(page.locator(TRACK)).to_have_attribute("aria-disabled", "true")
    seeks: list[str] = []
    page.on("request", lambda r: seeks.append(r.url) if r.url.endswith("/control") else None)
    box = page.locator(TRACK).bounding_box()
    assert box
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    # the drill's rows stay where the replay left them, visibly stale
    expect(page.locator(ROW)).to_have_count(COUNT)
    opacity = page.locator('[data-testid="event-list"]').first.evaluate(
        "l => Number(getComputedStyle(l).opacity)"
    )
    assert opacity <= 0.5, opacity
    assert seeks == [], "a stopped replay takes no commands"
    page.screenshot(path=str(artifacts / "board-replay-stopped-1920x1080.png"))
    # the language follows, the state stays
    page.locator('[data-testid="lang-toggle"]').click()
    expect(stopped).to_contain_text("이 재생은 중지되었습니다")
    expect(page.locator('[data-testid="replay-word"]')).to_have_text("훈련 EXERCISE")
    expect(page.locator('[data-testid="stream-missing"]')).to_be_hidden()
    assert page.evaluate("window.cityboard.missingTranslations()") == []

    back = page.locator('[data-testid="stopped-back-to-live"]')
    expect(back).to_be_visible()
    expect(page.locator('[data-testid="back-to-live"]')).to_be_hidden()  # one, prominent
    back.click()
    page.wait_for_url(f"{quiet_server.url}/?lang=ko")
    wait_live(page)
    expect(bar).to_be_hidden()
    expect(page.locator(ROW)).to_have_count(0)
    assert page.evaluate("window.cityboard.store.stream") == "live"
