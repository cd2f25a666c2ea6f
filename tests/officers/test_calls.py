"""Calls through the `tel` dialer: the API, who may call, and the record on the event."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from server.errors import ConfigError
from server.http.app import create_app
from server.http.board import OFFICERS
from server.settings import Settings
from server.stream.log import EventFilter
from tests.conftest import StartServer, event_dict
from tests.officers.helpers import (
    ADMIN_TOKEN,
    OPERATOR_TOKEN,
    call_actions,
    officer,
    put_officer,
    wait_for_action,
)
from tests.situations.test_server import SITUATION, push_flood
from tests.wsclient import BoardClient

EVENT = "test:e1"


async def tel_server(start_server: StartServer, **settings: object):
    running = await start_server(admin_token=ADMIN_TOKEN, **settings)
    await running.push([event_dict(1, kind="disaster")])
    await put_officer(running, officer("kim", demo=True))
    return running


async def test_a_tel_call_is_handed_to_the_board_and_recorded_on_the_event(
    start_server: StartServer,
) -> None:
    running = await tel_server(start_server)
    board = await BoardClient.connect(running.session, running.ws_url)
    await board.next_of("snapshot")

    async with running.session.post(
        f"{running.http}/api/calls",
        json={"event_id": EVENT, "officer_id": "kim", "actor": "상황실 operator 1"},
    ) as r:
        started = await r.json()
        assert r.status == 202, started
    assert started["dialer"] == "tel" and started["status"] == "handed_off"
    assert started["tel_uri"] == "tel:+82200000101" and started["number"] == "+82200000101"
    call_id = started["call_id"]

    batch = await board.next_of("batch")
    (entry,) = batch["entries"]
    assert entry["type"] == "action" and entry["body"]["action"] == "call_started"
    data = entry["body"]["data"]
    assert entry["body"]["actor"] == "상황실 operator 1"
    assert data == {
        "call_id": call_id,
        "officer_id": "kim",
        "officer_name": "담당자 kim",
        "officer_name_en": "Officer kim",
        "role": "duty officer",
        "department": "재난안전과 Disaster Safety",
        "level": "primary",
        "dialer": "tel",
        "demo": True,
    }, "who called whom, never the number: the log and its recordings hold no contacts"

    await asyncio.sleep(0.2)
    async with running.session.post(
        f"{running.http}/api/calls/{call_id}/hangup", json={"outcome": "answered"}
    ) as r:
        ended = await r.json()
        assert r.status == 200, ended
    assert ended["status"] == "ended" and ended["outcome"] == "answered"
    assert ended["duration_s"] >= 0.2

    actions = await call_actions(running, EVENT)
    assert [a["action"] for a in actions] == ["call_started", "call_ended"]
    assert actions[1]["actor"] == "dialer:tel"
    assert actions[1]["data"] == {
        "call_id": call_id,
        "outcome": "answered",
        "duration_s": ended["duration_s"],
        "reason": "marked ended by the operator",
        "reason_code": "operator_marked",
    }
    snapshot = await running.board.log.snapshot(EventFilter(), 10)
    assert snapshot.workflows[EVENT]["calls"] == 1

    async with running.session.get(f"{running.http}/api/calls/{call_id}") as r:
        assert (await r.json())["outcome"] == "answered"
    async with running.session.post(f"{running.http}/api/calls/{call_id}/hangup") as r:
        assert r.status == 200, "hanging up an ended call is harmless"
    assert len(await call_actions(running, EVENT)) == 2
    await board.close()


async def test_an_unmarked_tel_call_is_closed_as_handed_off(start_server: StartServer) -> None:
    running = await tel_server(start_server, call_max_seconds=0.3)
    async with running.session.post(
        f"{running.http}/api/calls", json={"event_id": EVENT, "officer_id": "kim"}
    ) as r:
        assert r.status == 202
    actions = await wait_for_action(running, EVENT, "call_ended")
    assert actions[-1]["data"]["outcome"] == "handed_off"
    assert actions[-1]["data"]["duration_s"] == 0, "nobody said how long: no length is made up"
    assert "not marked ended" in actions[-1]["data"]["reason"]
    assert actions[-1]["data"]["reason_code"] == "not_marked"


async def test_a_tel_call_marked_over_lasts_from_hand_off_to_the_mark(
    start_server: StartServer,
) -> None:
    running = await tel_server(start_server)
    async with running.session.post(
        f"{running.http}/api/calls", json={"event_id": EVENT, "officer_id": "kim"}
    ) as r:
        call_id = (await r.json())["call_id"]
    await asyncio.sleep(0.3)
    async with running.session.post(f"{running.http}/api/calls/{call_id}/hangup") as r:
        ended = await r.json()
    assert ended["outcome"] == "handed_off" and ended["duration_s"] >= 0.3


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"event_id": "test:nope", "officer_id": "kim"}, 404, "unknown_event"),
        ({"event_id": EVENT, "officer_id": "nobody"}, 404, "unknown_officer"),
        ({"event_id": EVENT}, 400, "bad_call"),
        ({"event_id": EVENT, "officer_id": 7}, 400, "bad_call"),
    ],
)
async def test_bad_call_requests_say_what_is_wrong(
    start_server: StartServer, body: dict[str, object], status: int, code: str
) -> None:
    running = await tel_server(start_server)
    async with running.session.post(f"{running.http}/api/calls", json=body) as r:
        answer = await r.json()
        assert r.status == status, answer
    assert answer["error"]["code"] == code
    assert await call_actions(running, EVENT) == []


async def test_a_call_body_must_be_json(start_server: StartServer) -> None:
    running = await tel_server(start_server)
    async with running.session.post(
        f"{running.http}/api/calls",
        data=b'{"event_id": "test:e1", "officer_id": "kim"}',
        headers={"Content-Type": "text/plain"},
    ) as r:
        assert r.status == 415, "a cross-site form cannot start a call"
    async with running.session.post(
        f"{running.http}/api/calls",
        json={"event_id": EVENT, "officer_id": "kim"},
        headers={"Origin": "https://evil.example.org"},
    ) as r:
        assert r.status == 403
        assert (await r.json())["error"]["code"] == "origin_not_allowed"
    async with running.session.post(
        f"{running.http}/api/calls",
        json={"event_id": EVENT, "officer_id": "kim"},
        headers={"Origin": running.http},
    ) as r:
        assert r.status == 202, "the board's own origin may"


async def test_without_an_operator_token_only_this_machine_may_call(
    start_server: StartServer,
) -> None:
    running = await tel_server(start_server)
    body = {"event_id": EVENT, "officer_id": "kim"}
    async with running.session.post(
        f"{running.http}/api/calls", json=body, headers={"X-Forwarded-For": "203.0.113.9"}
    ) as r:
        answer = await r.json()
        assert r.status == 403
    assert answer["error"]["code"] == "operator_token_required"
    assert "CITYBOARD_OPERATOR_TOKEN" in answer["error"]["message"]
    async with running.session.post(
        f"{running.http}/api/calls",
        json=body,
        headers={"X-Forwarded-For": "203.0.113.9", "Authorization": f"Bearer {ADMIN_TOKEN}"},
    ) as r:
        assert r.status == 202, "the admin token works from anywhere"


async def test_with_an_operator_token_every_call_needs_it(start_server: StartServer) -> None:
    running = await tel_server(start_server, operator_token=OPERATOR_TOKEN)
    url, body = f"{running.http}/api/calls", {"event_id": EVENT, "officer_id": "kim"}
    async with running.session.post(url, json=body) as r:
        assert r.status == 401, "even from loopback"
    async with running.session.post(url, json=body, headers={"Authorization": "Bearer x"}) as r:
        assert r.status == 403
    async with running.session.post(
        url, json=body, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    ) as r:
        call = await r.json()
        assert r.status == 202
    async with running.session.post(f"{url}/{call['call_id']}/hangup") as r:
        assert r.status == 401
    async with running.session.post(
        f"{url}/{call['call_id']}/hangup", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    ) as r:
        assert (await r.json())["outcome"] == "handed_off"


async def test_calls_open_at_shutdown_or_crash_are_closed_on_the_record(
    start_server: StartServer,
) -> None:
    running = await tel_server(start_server)
    async with running.session.post(
        f"{running.http}/api/calls", json={"event_id": EVENT, "officer_id": "kim"}
    ) as r:
        open_call = (await r.json())["call_id"]
    # a call a crashed run left open (its end was never seen)
    store = running.server.app[OFFICERS].store
    await store.remember_call(
        "call-crashed", {"call_id": "call-crashed", "event_id": EVENT, "dialer": "sip"}
    )
    db = running.board.log.path
    await running.session.close()
    await running.server.close()

    again = await start_server(db=db)
    actions = await call_actions(again, EVENT)
    ended = {a["data"]["call_id"]: a["data"] for a in actions if a["action"] == "call_ended"}
    assert ended[open_call]["outcome"] == "handed_off"
    assert "shut down" in ended[open_call]["reason"]
    assert ended["call-crashed"]["outcome"] == "failed"
    assert "stopped during the call" in ended["call-crashed"]["reason"]
    assert await again.server.app[OFFICERS].store.open_calls() == []


def test_an_unknown_dialer_stops_the_server_before_it_serves(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown dialer 'pbx'; installed: .*sip, tel"):
        create_app(Settings(db_path=tmp_path / "log.db", demo=False, dialer="pbx"))


async def test_viewers_see_who_is_on_duty_but_not_their_numbers(
    start_server: StartServer,
) -> None:
    running = await tel_server(start_server, operator_token=OPERATOR_TOKEN)
    viewer = {"X-Forwarded-For": "203.0.113.7"}  # another machine, no token
    operator = {**viewer, "Authorization": f"Bearer {OPERATOR_TOKEN}"}

    async def get(path: str, headers: dict[str, str]) -> tuple[int, Any]:
        async with running.session.get(f"{running.http}{path}", headers=headers) as r:
            return r.status, await r.json() if r.content_type == "application/json" else None

    _, seen = await get("/api/officers", viewer)
    (kim,) = seen["officers"]
    assert kim["name_ko"] == "담당자 kim" and kim["contact_hidden"] is True
    assert not {"phone", "sip_uri", "tel_uri"} & set(kim)
    _, duty = await get("/api/officers/on-duty?district=11110&kind=disaster", viewer)
    assert all("phone" not in o for o in duty["now"] + duty["escalation"])
    _, one = await get("/api/officers/kim", viewer)
    assert "phone" not in one
    status, _ = await get("/api/officers/export", viewer)
    assert status == 403

    _, seen = await get("/api/officers", operator)
    assert seen["officers"][0]["phone"] == "+82200000101"
    status, _ = await get("/api/officers/export?format=csv", operator)
    assert status == 200

    async with running.session.post(
        f"{running.http}/api/calls", json={"event_id": EVENT, "officer_id": "kim"}, headers=operator
    ) as r:
        call_id = (await r.json())["call_id"]
    _, call = await get(f"/api/calls/{call_id}", viewer)
    assert call["status"] == "handed_off" and "number" not in call and "tel_uri" not in call


async def test_an_operator_calls_about_a_situation_as_about_an_event(
    start_server: StartServer,
) -> None:
    """A situation's detail panel has the same call buttons as an event's."""
    running = await tel_server(start_server)
    await push_flood(running)
    for about, status in ((SITUATION, 202), ("situation:000000000000", 404)):
        async with running.session.post(
            f"{running.http}/api/calls", json={"event_id": about, "officer_id": "kim"}
        ) as r:
            assert r.status == status, await r.text()
    started = [
        a
        for a in await call_actions(running, SITUATION)
        if a["action"] == "call_started" and a["event_id"] == SITUATION
    ]
    assert len(started) == 1, "logged on the situation's own timeline"
