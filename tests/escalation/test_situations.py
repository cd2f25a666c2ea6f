"""Situations escalate like events, end to end on real servers: a flood raised to severe by
complaint volume (no member of which is severe) posts to a real local webhook receiver at each
step on time, stops on an operator's websocket ack, survives a restart on the same SQLite file,
and stops when every member is resolved; a drill that rings real phones escalates its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from server.http.board import ESCALATOR
from server.situations import situation_id
from tests.conftest import Running, StartServer, event_dict, make_event
from tests.escalation.conftest import Receiver
from tests.escalation.helpers import (
    LATE_TOLERANCE,
    SECRET_ENV,
    escalation,
    escalation_actions,
    named,
    planned,
    restart_mid_chain,
    wait_for_entries,
)
from tests.replay.test_replay import start_replay, write_recording
from tests.situations.test_server import act, situations_of
from tests.wsclient import BoardClient

FLOOD = "test:eflood"  # event_dict names an event "e<n>"
SITUATION = situation_id(FLOOD)
GANGNAM = (127.0473, 37.5172)  # a spot in Gangnam-gu (district 11680)
JONGNO = (126.9816, 37.5735)  # by Jongno-gu's office (district 11110)
COMPLAINTS = 20  # the default `complaint_volume_raise`: moderate becomes severe


@pytest.fixture(autouse=True)
def bot_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "s3cret-for-the-bot")


def flood(
    version: int = 1,
    status: str = "active",
    *,
    name: str = "flood",
    place: tuple[float, float] = GANGNAM,
    complaints: int = COMPLAINTS,
) -> list[dict[str, Any]]:
    """A moderate flood warning `e<name>` and moderate water complaints a few metres apart."""

    def at(n: int) -> dict[str, Any]:
        point = [round(place[0] + n * 0.0001, 6), place[1]]
        return {"type": "Point", "coordinates": point}

    common = {"version": version, "status": status, "severity": "moderate"}
    warning = event_dict(name, kind="disaster", category="disaster.flood", geometry=at(0))
    water = [
        event_dict(f"{name}-{n}", kind="complaint", category="complaint.water", geometry=at(n))
        for n in range(1, complaints + 1)
    ]
    if name == "flood":  # the main flood's complaints keep their short ids
        for n, complaint in enumerate(water, 1):
            complaint["event_id"] = f"ewater-{n}"
    return [{**e, **common} for e in [warning, *water]]


def situations_policy(url: str, *steps: tuple[float, str]) -> dict[str, Any]:
    """Severe situations escalate through the bot; no event does."""
    return escalation(
        url, *steps, name="severe-situations", severities=["severe"], kinds=["situation"]
    )


async def situation(running: Running) -> dict[str, Any]:
    [found] = (await situations_of(running))["situations"]
    assert found["id"] == SITUATION
    return dict(found)


async def test_a_situation_raised_by_complaints_escalates_on_time_and_stops_on_an_ack(
    start_server: StartServer, receiver: Receiver
) -> None:
    steps = [(0.01, "notifier:bot"), (0.02, "notifier:bot"), (0.5, "notifier:bot")]
    running = await start_server(escalation=situations_policy(receiver.url, *steps))
    await running.push(flood())
    actions = await wait_for_entries(running, "result", 2, event_id=SITUATION)

    found = await situation(running)
    assert (found["severity"], found["raised"]) == ("severe", True), "no member is severe"
    assert found["districts"] == ["11680"]
    due = planned(actions)
    taken = named(actions, "step")
    for step, at in zip(taken, due, strict=False):
        assert at <= step["logged_at"] < at + LATE_TOLERANCE, "each step on time"
    assert [p["step"] for p in receiver.posts] == [1, 2]
    assert receiver.posts[0] == {
        "type": "escalation",
        "id": SITUATION,
        "policy": "severe-situations",
        "step": 1,
        "of": 3,
        "to": "notifier:bot",
        "at": receiver.posts[0]["at"],
        "title": found["title"],
        "severity": "severe",
        "kind": "situation",
        "category": "",
        "district": "11680",
    }
    await wait_for_situation(running, lambda s: (s["escalation"] or {}).get("step") == 2)
    found = await situation(running)
    assert found["escalation"] == {
        "step": 2,
        "of": 3,
        "next_at": due[2].isoformat().replace("+00:00", "Z"),
        "target": "notifier:bot",
        "outcome": "delivered",
    }, "the card counts down to the situation's own next step"
    for event_id in (FLOOD, "test:ewater-1"):
        async with running.session.get(f"{running.http}/api/events/{event_id}/history") as r:
            entries = (await r.json())["entries"]
        assert all(e["type"] == "event" for e in entries), "its members do not escalate"

    client = await BoardClient.connect(running.session, running.ws_url)
    await client.next_of("snapshot")
    answer = await act(client, "ack", SITUATION)
    assert answer["type"] == "result", answer
    actions = await wait_for_entries(running, "stopped", 1, event_id=SITUATION)
    [stopped] = named(actions, "stopped")
    assert stopped["data"] == {"reason": "acknowledged"}
    await wait_for_situation(running, lambda s: (s["escalation"] or {}).get("stopped") is not None)
    found = await situation(running)
    assert found["escalation"]["next_at"] is None and found["workflow"]["state"] == "acknowledged"
    assert SITUATION not in running.server.app[ESCALATOR].chains
    await client.close()


async def test_a_restart_mid_chain_takes_the_situations_next_step_once(
    start_server: StartServer, receiver: Receiver, tmp_path: Path
) -> None:
    steps = [(0.02, "notifier:bot"), (0.04, "notifier:bot"), (0.02, "notifier:bot")]
    settings = {"db": tmp_path / "log.db", "escalation": situations_policy(receiver.url, *steps)}
    await restart_mid_chain(start_server, settings, receiver, flood(), SITUATION)


async def test_a_situation_whose_members_are_all_resolved_stops_its_chain(
    start_server: StartServer, receiver: Receiver
) -> None:
    steps = [(0.01, "notifier:bot"), (0.1, "notifier:bot")]
    running = await start_server(escalation=situations_policy(receiver.url, *steps))
    await running.push(flood())
    await wait_for_entries(running, "result", 1, event_id=SITUATION)
    await running.push(flood(version=2, status="resolved"))
    actions = await wait_for_entries(running, "stopped", 1, event_id=SITUATION)
    [stopped] = named(actions, "stopped")
    assert stopped["data"] == {"reason": "closed"}
    assert (await situation(running))["status"] == "closed"
    due = planned(actions)
    await asyncio.sleep(max(0.0, (due[1] - datetime.now(UTC)).total_seconds()) + 0.5)
    assert receiver.steps() == [1], "step 2 was never taken"
    assert len(named(await escalation_actions(running, SITUATION), "step")) == 1


async def wait_for_situation(running: Running, predicate: Any, timeout: float = 5.0) -> None:
    """Until the situation's wire object (as the API serves it) satisfies `predicate`."""
    async with asyncio.timeout(timeout):
        while True:
            found = (await situations_of(running))["situations"]
            if found and predicate(found[0]):
                return
            await asyncio.sleep(0.05)


async def test_a_drill_that_rings_real_phones_escalates_its_own_situations_only(
    start_server: StartServer, receiver: Receiver, tmp_path: Path
) -> None:
    policy = situations_policy(receiver.url, (0.0, "notifier:bot"))
    policy["policies"][0]["severities"] = ["extreme"]
    running = await start_server(escalation=policy)
    t0 = datetime.now(UTC)
    event = make_event(7, kind="disaster", severity="extreme")  # founds a situation on its own
    recording = write_recording(
        tmp_path / "drill.jsonl", [(t0, event.model_copy(update={"received_at": t0}))]
    )
    await start_replay(running, recording, speed=50, exercise=True, real_calls=True)
    stream = running.board.replays.stream_of("replay:r1")
    assert stream is not None
    drilled = situation_id("test:e7")

    def actions() -> list[tuple[str, str]]:
        bodies = [orjson.loads(e.raw)["body"] for e in stream.ring if e.type == "action"]
        return [(b["action"], b["event_id"]) for b in bodies]

    async with asyncio.timeout(10):
        while ("escalation_result", drilled) not in actions():
            await asyncio.sleep(0.05)
    assert actions() == [
        ("escalation_scheduled", drilled),
        ("escalation_step", drilled),
        ("escalation_result", drilled),
    ], "the situation escalates; its extreme member, under no event policy, does not"
    assert [(p["id"], p["kind"]) for p in receiver.posts] == [(drilled, "situation")]
    assert (await situations_of(running))["situations"] == [], "the live stream has none"


async def test_a_situation_below_every_policy_or_merged_away_stops_its_chain(
    start_server: StartServer, receiver: Receiver
) -> None:
    steps = [(0.01, "notifier:bot"), (0.2, "notifier:bot")]
    running = await start_server(escalation=situations_policy(receiver.url, *steps))
    other = situation_id("test:eriver")
    await running.push(flood() + flood(name="river", place=JONGNO))
    await wait_for_entries(running, "result", 1, event_id=SITUATION)
    await wait_for_entries(running, "result", 1, event_id=other)

    resolved = {**flood()[-1], "version": 2, "status": "resolved"}
    await running.push([resolved])  # nineteen complaints: not raised, moderate, below the policy
    actions = await wait_for_entries(running, "stopped", 1, event_id=SITUATION)
    assert named(actions, "stopped")[0]["data"] == {"reason": "cancelled"}

    client = await BoardClient.connect(running.session, running.ws_url)
    await client.next_of("snapshot")
    answer = await act(client, "situation_merge", SITUATION, **{"from": other})
    assert answer["type"] == "result", answer
    actions = await wait_for_entries(running, "stopped", 1, event_id=other)
    assert named(actions, "stopped")[0]["data"] == {"reason": "merged"}
    await client.close()
    assert len(named(await escalation_actions(running, SITUATION), "scheduled")) == 1, (
        "raised again by the merged complaints, it does not escalate a second time"
    )
    assert sorted(receiver.steps()) == [1, 1]
