"""Real SIP calls on loopback: the office phone (baresip with ctrl_tcp) calls an officer (baresip).

These start Debian's baresip and fail — never skip — when it is missing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from server.officers.dialers.sip import NetstringDecoder, netstring
from tests.conftest import StartServer, event_dict, wait_for
from tests.officers.helpers import (
    StartAgent,
    call_actions,
    officer,
    port_block,
    put_officer,
    wait_for_action,
)
from tests.replay.test_replay import make_recording, start_replay

EVENT = "test:e1"


async def sip_server(start_server: StartServer, control_port: int, **settings: object):
    running = await start_server(
        admin_token="test-admin-token",
        dialer="sip",
        sip_control_port=control_port,
        sip_control_timeout_seconds=3.0,
        **settings,
    )
    await running.push([event_dict(1, kind="disaster")])
    return running


async def test_the_officer_answers_and_the_timeline_shows_the_whole_call(
    start_server: StartServer, baresip: StartAgent
) -> None:
    office = await baresip("office", control=True)
    kim = await baresip("kim", auto_answer=True)
    assert office.control_port is not None
    running = await sip_server(start_server, office.control_port, call_no_answer_seconds=10)
    await put_officer(running, officer("kim", sip_uri=kim.uri))

    async with running.session.post(
        f"{running.http}/api/calls", json={"event_id": EVENT, "officer_id": "kim"}
    ) as r:
        started = await r.json()
        assert r.status == 202, started
    assert started["dialer"] == "sip" and started["number"] == kim.uri
    call_id = started["call_id"]

    await wait_for_action(running, EVENT, "call_answered")
    await asyncio.sleep(1.0)  # talk for a second
    async with running.session.post(f"{running.http}/api/calls/{call_id}/hangup") as r:
        ended = await r.json()
        assert r.status == 200, ended
    assert ended["status"] == "ended" and ended["outcome"] == "answered"

    actions = await call_actions(running, EVENT)
    names = [a["action"] for a in actions]
    assert names[0] == "call_started" and names[-1] == "call_ended"
    assert "call_answered" in names
    assert set(names) <= {"call_started", "call_ringing", "call_answered", "call_ended"}
    started_action, ended_action = actions[0], actions[-1]
    assert started_action["data"]["officer_id"] == "kim"
    assert "number" not in started_action["data"] and "sip_uri" not in started_action["data"]
    assert started_action["data"]["dialer"] == "sip"
    assert all(a["data"]["call_id"] == call_id for a in actions)
    assert ended_action["data"]["outcome"] == "answered"
    assert 0.8 <= ended_action["data"]["duration_s"] < 5, ended_action
    assert "operator" in ended_action["data"]["reason"]
    assert ended_action["data"]["reason_code"] == "operator_hangup"
    assert "Call established" in kim.log() or "established" in kim.log().lower(), kim.log()


async def test_an_unanswered_call_ends_as_no_answer_after_the_timeout(
    start_server: StartServer, baresip: StartAgent
) -> None:
    office = await baresip("office", control=True)
    lee = await baresip("lee", auto_answer=False)  # rings, nobody picks up
    assert office.control_port is not None
    running = await sip_server(start_server, office.control_port, call_no_answer_seconds=1.5)
    await put_officer(running, officer("lee", sip_uri=lee.uri))

    async with running.session.post(
        f"{running.http}/api/calls", json={"event_id": EVENT, "officer_id": "lee"}
    ) as r:
        assert r.status == 202, await r.text()
    actions = await wait_for_action(running, EVENT, "call_ended")
    names = [a["action"] for a in actions]
    assert names == ["call_started", "call_ringing", "call_ended"], names
    ended = actions[-1]["data"]
    assert ended["outcome"] == "no_answer"
    assert ended["duration_s"] == 0
    assert "1.5 s" in ended["reason"] and ended["reason_code"] == "no_answer_timeout"


async def test_an_office_phone_that_is_down_fails_the_call_with_the_reason(
    start_server: StartServer, baresip: StartAgent
) -> None:
    officer_agent = await baresip("park", auto_answer=True)
    nobody = port_block()  # no office phone listens here
    running = await sip_server(start_server, nobody)
    await put_officer(running, officer("park", sip_uri=officer_agent.uri))

    async with running.session.post(
        f"{running.http}/api/calls", json={"event_id": EVENT, "officer_id": "park"}
    ) as r:
        body = await r.json()
        assert r.status == 502, body
    error = body["error"]
    assert error["code"] == "dialer_unreachable"
    assert f"127.0.0.1:{nobody}" in error["message"] and "ctrl_tcp" in error["message"]
    assert error["call"]["outcome"] == "failed"

    actions = await call_actions(running, EVENT)
    assert [a["action"] for a in actions] == ["call_started", "call_ended"]
    assert actions[-1]["data"]["outcome"] == "failed"
    assert f"127.0.0.1:{nobody}" in actions[-1]["data"]["reason"]
    assert actions[-1]["data"]["reason_code"] == "dialer_unreachable"
    async with running.session.get(f"{running.http}/api/calls/{error['call']['call_id']}") as r:
        assert (await r.json())["outcome"] == "failed"


async def test_an_officer_without_a_sip_uri_is_refused_before_anything_is_logged(
    start_server: StartServer,
) -> None:
    running = await sip_server(start_server, port_block())
    await put_officer(running, officer("choi"))
    async with running.session.post(
        f"{running.http}/api/calls", json={"event_id": EVENT, "officer_id": "choi"}
    ) as r:
        body = await r.json()
        assert r.status == 409, body
    assert body["error"]["code"] == "no_sip_uri"
    assert await call_actions(running, EVENT) == []


def test_netstrings_frame_both_ways() -> None:
    decoder = NetstringDecoder()
    wire = netstring({"command": "dial", "token": "t1"}) + netstring({"event": True})
    assert wire.startswith(b'31:{"command":"dial","token":"t1"},')
    first, rest = wire[:10], wire[10:]
    assert decoder.feed(first) == []
    assert decoder.feed(rest) == [b'{"command":"dial","token":"t1"}', b'{"event":true}']
    with pytest.raises(ValueError, match="length"):
        NetstringDecoder().feed(b"x1:{},")
    with pytest.raises(ValueError, match="end with"):
        NetstringDecoder().feed(b"2:{}}")


async def test_a_drill_that_allows_real_calls_rings_the_officer_and_logs_it_on_the_drill(
    start_server: StartServer, baresip: StartAgent, tmp_path: Path
) -> None:
    office = await baresip("office", control=True)
    kim = await baresip("kim", auto_answer=True)
    assert office.control_port is not None
    running = await sip_server(start_server, office.control_port, call_no_answer_seconds=10)
    await put_officer(running, officer("kim", sip_uri=kim.uri))
    await start_replay(
        running,
        make_recording(tmp_path / "drill.jsonl", count=3),
        speed=0,
        exercise=True,
        real_calls=True,
    )
    drill = running.board.replays.get("r1").stream
    await wait_for(lambda: drill.head == 3)
    target = next(iter(drill.current))
    live_head = running.board.log.head

    async with running.session.post(
        f"{running.http}/api/calls",
        json={"event_id": target, "officer_id": "kim", "stream": "replay:r1"},
    ) as r:
        started = await r.json()
        assert r.status == 202, started
    assert started["dialer"] == "sip" and started["stream"] == "replay:r1"

    async def drill_calls() -> list[str]:
        return [
            orjson.loads(e.raw)["body"]["action"]
            for e in await drill.history(target, 100)
            if e.type == "action"
        ]

    async with asyncio.timeout(10):
        while "call_answered" not in await drill_calls():
            await asyncio.sleep(0.05)
    async with running.session.post(f"{running.http}/api/calls/{started['call_id']}/hangup") as r:
        assert (await r.json())["outcome"] == "answered"
    names = await drill_calls()
    assert names[0] == "call_started" and names[-1] == "call_ended", names
    assert "established" in kim.log().lower(), "a real phone rang and was answered"
    assert running.board.log.head == live_head, "nothing of the drill's call reached the live log"
