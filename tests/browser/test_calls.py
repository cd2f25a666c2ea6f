"""Click-to-call from the board, end to end (issue 5's acceptance): the server runs the `sip` dialer
driving a real baresip office phone over ctrl_tcp, the officer is a second, auto-answering baresip;
an operator selects an event, calls its officer on duty, and every board — here a second browser
context opened without the operator token, so a viewer — follows the call on the event's history
and on the officer's row. And when the office phone is down, the board says the call failed and why.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import pushed_event, row, wait_live
from tests.browser.test_board_replay import recording
from tests.officers.helpers import (
    ADMIN_TOKEN,
    OPERATOR_TOKEN,
    UserAgent,
    officer,
    port_block,
    require_baresip,
    spawn_agent,
    wait_ready_blocking,
)

if TYPE_CHECKING:
    from tests.browser.conftest import StartBoard
    from tests.process import ServerProcess as BoardServer

pytestmark = pytest.mark.browser

Open = Callable[..., Any]
EVENT = "test:flood"
OPERATOR_NAME = "상황실 박주무관"
CALL_TIMEOUT_MS = 15_000  # dial, ring and auto-answer on loopback take well under this


@pytest.fixture
def phones(tmp_path: Path) -> Iterator[Callable[..., UserAgent]]:
    """Start baresip agents (blocking: the browser tests have no event loop); stopped after."""
    require_baresip()
    agents: list[UserAgent] = []

    def start(name: str, *, auto_answer: bool = False, control: bool = False) -> UserAgent:
        agent = spawn_agent(tmp_path, name, auto_answer=auto_answer, control=control)
        agents.append(agent)
        wait_ready_blocking(agent)
        return agent

    yield start
    for agent in agents:
        agent.stop()


def sip_board(
    board_server_factory: StartBoard,
    monkeypatch: pytest.MonkeyPatch,
    control_port: int,
    **env: str,
) -> BoardServer:
    """A server (no demo) whose dialer is the office phone at `control_port`, with one flood in
    종로구 (11110) and the admin token for putting officers in the directory."""
    settings = {
        "CITYBOARD_DIALER": "sip",
        "CITYBOARD_SIP_CONTROL_PORT": str(control_port),
        "CITYBOARD_SIP_CONTROL_TIMEOUT_SECONDS": "3",
        "CITYBOARD_CALL_NO_ANSWER_SECONDS": "10",
        "CITYBOARD_ADMIN_TOKEN": ADMIN_TOKEN,
        **env,
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)  # the server subprocess inherits the environment
    server = board_server_factory(demo=False)
    server.push(
        pushed_event(
            "flood",
            kind="disaster",
            category="disaster.flood",
            severity="severe",
            title="청계천 수위 상승, 산책로 통제",
            district="11110",
            at=datetime.now(UTC) - timedelta(minutes=3),
        )
    )
    return server


def put_officer(server: BoardServer, officer_id: str, sip_uri: str, **fields: Any) -> None:
    """An officer (of 종로구's disasters unless `fields` say otherwise), on duty around the
    clock, in the directory (admin API)."""
    data = officer(
        officer_id,
        name_ko="김민지",
        name_en="Kim Min-ji",
        level="primary",
        sip_uri=sip_uri,
        shifts=["daily 00:00-24:00"],
        **fields,
    )
    request = urllib.request.Request(
        f"{server.url}/api/officers/{officer_id}",
        data=json.dumps(data).encode(),
        method="PUT",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status in (200, 201)


def play(
    server: BoardServer, data: bytes, name: str, *, exercise: bool, real_calls: bool = False
) -> None:
    """Play a recording as stream replay:`name`, as fast as it goes."""
    request = urllib.request.Request(
        f"{server.url}/api/replays?name={name}&speed=0&exercise={str(exercise).lower()}"
        f"&real_calls={str(real_calls).lower()}",
        data=data,
        method="POST",
        headers={"Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 201


def history_of(server: BoardServer) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{server.url}/api/events/{EVENT}/history", timeout=10) as resp:
        return [e["body"] for e in json.loads(resp.read())["entries"] if e["type"] == "action"]


def open_event(page: Any, event_id: str = EVENT) -> Any:
    """Open an event's detail panel; the officer row of kim, once the roster has answered."""
    row(page, event_id).click()
    expect(page.locator('[data-testid="detail"]')).to_have_attribute("data-event-id", event_id)
    kim = page.locator('[data-group="now"] [data-testid="officer"][data-officer-id="kim"]')
    expect(kim).to_be_visible()
    return kim


def test_a_call_from_the_board_rings_the_officer_and_every_board_follows_it(
    board_server_factory: StartBoard,
    monkeypatch: pytest.MonkeyPatch,
    phones: Callable[..., UserAgent],
    open_board: Open,
    artifacts: Path,
) -> None:
    office = phones("office", control=True)
    kim_phone = phones("kim", auto_answer=True)
    assert office.control_port is not None
    server = sip_board(
        board_server_factory,
        monkeypatch,
        office.control_port,
        CITYBOARD_OPERATOR_TOKEN=OPERATOR_TOKEN,
    )
    put_officer(server, "kim", kim_phone.uri)

    # the operator opens the operator link; the token leaves the address bar at once
    operator = open_board(server, query=f"?lang=ko&token={OPERATOR_TOKEN}")
    wait_live(operator)
    assert "token" not in operator.url and "lang=ko" in operator.url, operator.url
    assert operator.evaluate("sessionStorage.getItem('cityboard.token')") == OPERATOR_TOKEN
    assert operator.evaluate("window.cityboard.role") == "operator"
    # a second board (another browser context) without the token: the server makes it a viewer
    wall = open_board(server)
    wait_live(wall)
    assert wall.evaluate("window.cityboard.role") == "viewer"

    kim = open_event(operator)
    expect(kim).to_contain_text("김민지")
    expect(operator.locator('[data-testid="view-only"]')).to_be_hidden()
    operator.locator('[data-testid="actor-name"]').fill(OPERATOR_NAME)
    wall_kim = open_event(wall)

    # the viewer sees everything and can do nothing, and is told why
    expect(wall.locator('[data-testid="view-only"]')).to_be_visible()
    expect(wall.locator('[data-testid="view-only"]')).to_have_text(
        "보기 전용 — 운영자 링크로 상황판을 여세요"
    )
    for action in ("ack", "resolve", "assign", "note"):
        expect(wall.locator(f'[data-testid="action-{action}"]')).to_be_disabled()
    expect(wall_kim.locator('[data-testid="call-button"]')).to_be_disabled()
    expect(wall_kim.locator('[data-testid="call-button"]')).to_have_attribute(
        "title", re.compile("보기 전용")
    )

    status = kim.locator('[data-testid="call-status"]')
    kim.locator('[data-testid="call-button"]').click()
    # calling… → ringing → answered, with the talk time counting
    expect(status).to_have_attribute("data-phase", "answered", timeout=CALL_TIMEOUT_MS)
    expect(status).to_have_text(re.compile(r"^통화 연결 0:0[1-9]$"), timeout=5_000)
    expect(kim.locator('[data-testid="call-button"]')).to_be_disabled()
    hangup = kim.locator('[data-testid="hangup-button"]')
    expect(hangup).to_have_text("끊기")

    # the other board: the call on the event's history and on kim's row, live from the stream
    wall_items = wall.locator('[data-testid="history-item"]')
    started = wall_items.and_(wall.locator('[data-action="call_started"]'))
    expect(started).to_have_text(re.compile(f"{OPERATOR_NAME} 통화 시작 → 김민지"))
    expect(wall_items.and_(wall.locator('[data-action="call_answered"]'))).to_have_text(
        re.compile("통화 연결 → 김민지")
    )
    expect(wall_kim.locator('[data-testid="call-status"]')).to_have_attribute(
        "data-phase", "answered"
    )
    operator.screenshot(path=str(artifacts / "board-call-answered-1920x1080.png"))

    hangup.click()
    expect(status).to_have_attribute("data-phase", "ended")
    expect(status).to_have_attribute("data-outcome", "answered")
    expect(status).to_have_text(re.compile(r"^통화 종료: 통화함 · 0:0[1-9]"))
    expect(hangup).to_be_hidden()
    expect(kim.locator('[data-testid="call-button"]')).to_be_enabled()
    ended = wall_items.and_(wall.locator('[data-action="call_ended"]'))
    expect(ended).to_have_attribute("data-outcome", "answered")
    expect(ended).to_have_text(re.compile(r"통화 종료 → 김민지 — 통화함 · 0:0[1-9]"))
    expect(wall_kim.locator('[data-testid="call-status"]')).to_have_attribute("data-phase", "ended")
    operator.screenshot(path=str(artifacts / "board-call-ended-1920x1080.png"))
    ended.scroll_into_view_if_needed()
    wall.screenshot(path=str(artifacts / "board-call-history-viewer-1920x1080.png"))

    # on the record: the operator's name on the start, the whole life of one call
    actions = history_of(server)
    names = [a["action"] for a in actions]
    assert names[0] == "call_started" and names[-1] == "call_ended", names
    assert "call_answered" in names
    assert actions[0]["actor"] == OPERATOR_NAME
    assert actions[0]["data"]["officer_id"] == "kim" and "number" not in actions[0]["data"]

    # an action the viewer tries anyway is refused by the server, in its words
    refused = wall.evaluate(
        """() => window.cityboard.conn.sendAction('ack', 'test:flood', {})
               .then(() => 'accepted', (err) => err.message)"""
    )
    assert "forbidden" in refused


def test_a_call_the_office_phone_cannot_place_is_shown_failed_with_the_reason(
    board_server_factory: StartBoard, monkeypatch: pytest.MonkeyPatch, open_board: Open
) -> None:
    nobody = port_block()  # no office phone listens here
    server = sip_board(board_server_factory, monkeypatch, nobody)
    put_officer(server, "kim", "sip:kim@127.0.0.1:5070")
    page = open_board(server)
    wait_live(page)
    assert page.evaluate("window.cityboard.role") == "operator"  # this machine, no operator token
    kim = open_event(page)

    kim.locator('[data-testid="call-button"]').click()
    status = kim.locator('[data-testid="call-status"]')
    expect(status).to_have_attribute("data-phase", "ended")
    expect(status).to_have_attribute("data-outcome", "failed")
    expect(status).to_have_text("전화 실패: 사무실 전화에 연결할 수 없음")  # said in Korean
    expect(status).to_have_attribute(  # and the server's own words for whoever fixes it
        "title",
        re.compile(
            r"^cannot reach the office phone's control socket \(baresip ctrl_tcp\)"
            f" at 127.0.0.1:{nobody}"
        ),
    )
    expect(status).to_have_class(re.compile(r"\berror\b"))
    assert status.evaluate("s => getComputedStyle(s).borderLeftColor") == "rgb(255, 90, 90)"
    expect(kim.locator('[data-testid="call-button"]')).to_be_enabled()  # try again

    failed = page.locator('[data-testid="history-item"][data-action="call_ended"]')
    expect(failed).to_have_attribute("data-outcome", "failed")
    expect(failed).to_have_class(re.compile(r"\bh-failed\b"))
    expect(failed).to_contain_text("실패 · 사무실 전화에 연결할 수 없음")
    expect(failed).to_have_attribute("title", re.compile(f"127.0.0.1:{nobody}"))


def test_on_a_replay_history_and_calls_go_to_the_replay_stream(
    board_server_factory: StartBoard, monkeypatch: pytest.MonkeyPatch, open_board: Open
) -> None:
    """A drill logs a simulated call on its own stream (no phone rings, nothing on the live log);
    a review of the past places none, and the board says so."""
    monkeypatch.setenv("CITYBOARD_ADMIN_TOKEN", ADMIN_TOKEN)
    server = board_server_factory(demo=False)
    put_officer(server, "kim", "sip:kim@127.0.0.1:5070", districts=["*"], kinds=["traffic"])
    drill = recording(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))
    play(server, drill, "drill1", exercise=True)
    review = drill.replace(b'"exercise": true', b'"exercise": false')
    play(server, review, "review1", exercise=False)

    page = open_board(server, query="?stream=replay:drill1")
    wait_live(page)
    # the banner says the drill's calls are simulated; so does the call button
    calls = page.locator('[data-testid="replay-calls"]')
    expect(calls).to_have_attribute("data-calls", "simulated")
    expect(calls).to_have_text("전화는 모의 통화 — 실제 전화는 울리지 않습니다")
    kim = open_event(page, "drill:e1")
    expect(kim.locator('[data-testid="call-button"]')).to_have_text("전화")
    expect(kim.locator('[data-testid="call-button"]')).to_have_attribute(
        "title", re.compile("모의 통화")
    )
    # the history comes from the replay's stream (the live log has never heard of this event)
    items = page.locator('[data-testid="history-item"]')
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("훈련 사고 1")
    kim.locator('[data-testid="call-button"]').click()
    status = kim.locator('[data-testid="call-status"]')
    expect(status).to_have_attribute("data-outcome", "simulated")
    expect(status).to_have_text(re.compile(r"^통화 종료: 훈련 — 실제 전화 없음"))
    expect(
        page.locator('[data-testid="history-item"][data-action="call_started"]')
    ).to_contain_text("훈련")
    expect(page.locator('[data-testid="history-item"][data-action="call_ended"]')).to_have_count(1)
    with pytest.raises(urllib.error.HTTPError) as live:
        urllib.request.urlopen(f"{server.url}/api/events/drill:e1/history", timeout=10)
    assert live.value.code == 404
    live.value.close()

    page = open_board(server, query="?stream=replay:review1")
    wait_live(page)
    expect(page.locator('[data-testid="replay-calls"]')).to_be_hidden()  # no drill: no calls
    kim = open_event(page, "drill:e1")
    kim.locator('[data-testid="call-button"]').click()
    status = kim.locator('[data-testid="call-status"]')
    expect(status).to_have_attribute("data-phase", "error")
    expect(status).to_have_text(re.compile(r"^전화할 수 없음: .*\(not_an_exercise\)$"))
    expect(status).to_have_class(re.compile(r"\berror\b"))


def test_a_drill_with_real_calls_says_so_on_the_banner_and_on_every_call_button(
    board_server_factory: StartBoard,
    monkeypatch: pytest.MonkeyPatch,
    open_board: Open,
    artifacts: Path,
) -> None:
    """`cityboard replay … --exercise --real-calls`: the drill's calls ring real phones, and the
    board cannot be read otherwise."""
    monkeypatch.setenv("CITYBOARD_ADMIN_TOKEN", ADMIN_TOKEN)
    server = board_server_factory(demo=False)
    put_officer(server, "kim", "sip:kim@127.0.0.1:5070", districts=["*"], kinds=["traffic"])
    drill = recording(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))
    play(server, drill, "phones", exercise=True, real_calls=True)

    page = open_board(server, query="?stream=replay:phones&lang=en")
    wait_live(page)
    expect(page.locator('[data-testid="replay-word"]')).to_have_text("EXERCISE")
    calls = page.locator('[data-testid="replay-calls"]')
    expect(calls).to_have_attribute("data-calls", "real")
    expect(calls).to_have_text("☎ REAL CALLS — calls from this drill ring real phones")
    expect(calls).to_be_in_viewport()
    assert calls.evaluate("c => getComputedStyle(c).backgroundColor") == "rgb(200, 16, 46)"

    kim = open_event(page, "drill:e1")
    button = kim.locator('[data-testid="call-button"]')
    expect(button).to_have_text("Call · real phone")
    expect(button).to_have_attribute("title", re.compile("rings the officer's real phone"))
    expect(button).to_have_class(re.compile(r"\breal\b"))
    page.locator('[data-testid="directory-toggle"]').click()
    in_directory = page.locator(
        '[data-testid="directory-officer"][data-officer-id="kim"] [data-testid="call-button"]'
    )
    expect(in_directory).to_have_text("Call about this event · real phone")
    page.screenshot(path=str(artifacts / "board-drill-real-calls-1920x1080.png"))

    page.locator('[data-testid="lang-toggle"]').click()
    expect(calls).to_have_text("☎ 실제 전화 — 이 훈련의 전화는 실제 전화기를 울립니다")
    expect(button).to_have_text("전화 · 실제 전화")
    assert page.evaluate("window.cityboard.missingTranslations()") == []
