"""Escalation through the webhook notifier, end to end on real servers: a real local HTTP
receiver, the real SQLite log across a restart, two nodes on one real redis-server, a replay."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from server.http.board import ESCALATOR
from tests.conftest import StartServer, make_event
from tests.escalation.conftest import Receiver
from tests.escalation.helpers import (
    EVENT,
    LATE_TOLERANCE,
    SECRET_ENV,
    escalation,
    escalation_actions,
    extreme,
    named,
    planned,
    restart_mid_chain,
    wait_for_entries,
)
from tests.officers.helpers import history, officer, put_officer
from tests.redis_server import RedisServer, redis_server  # noqa: F401 (the fixture)
from tests.replay.test_replay import start_replay, write_recording


@pytest.fixture(autouse=True)
def bot_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "s3cret-for-the-bot")


async def test_a_webhook_step_posts_the_event_to_a_real_receiver_on_time(
    start_server: StartServer, receiver: Receiver
) -> None:
    running = await start_server(escalation=escalation(receiver.url, (0.01, "notifier:bot")))
    await running.push([extreme(1), extreme(2, severity="moderate")])
    actions = await wait_for_entries(running, "result", 1)

    [post] = receiver.posts
    [event] = [e["body"] for e in await history(running, EVENT) if e["type"] == "event"]
    assert post == {
        "type": "escalation",
        "id": EVENT,
        "policy": "extreme",
        "step": 1,
        "of": 1,
        "to": "notifier:bot",
        "at": post["at"],
        "title": "event 1",
        "severity": "extreme",
        "kind": "disaster",
        "category": "disaster.fire",
        "district": event["district"],
    }
    assert receiver.headers[0]["X-Cityboard-Secret"] == "s3cret-for-the-bot"
    [step] = named(actions, "step")
    assert step["data"] == {
        "step": 1,
        "to": "notifier:bot",
        "target": "bot",
        "via": "notifier:webhook",
    }
    assert step["actor"] == "cityboard"
    [due] = planned(actions)
    assert due <= step["logged_at"] < due + LATE_TOLERANCE
    [result] = named(actions, "result")
    assert result["data"] == {"step": 1, "outcome": "delivered", "detail": "HTTP 200"}
    raw = orjson.dumps(await history(running, EVENT))
    assert b"s3cret" not in raw, "the secret never reaches the log"
    assert await escalation_actions(running, "test:e2") == [], "a moderate event never escalates"

    async with running.session.get(f"{running.http}/api/events?limit=10") as r:
        listed = await r.json()
    flows = {e["event_id"]: e for e in listed["events"]}
    assert EVENT in flows


async def test_a_failing_receiver_is_a_failed_result_on_the_record_and_nothing_crashes(
    start_server: StartServer, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.status = 503
    steps = [(0.01, "notifier:bot"), (0.01, "notifier:bot")]
    running = await start_server(escalation=escalation(receiver.url, *steps))
    with caplog.at_level(logging.WARNING, logger="server.escalation.escalator"):
        await running.push([extreme(1)])
        actions = await wait_for_entries(running, "result", 2)
    results = named(actions, "result")
    assert [r["data"]["outcome"] for r in results] == ["failed", "failed"]
    detail = results[0]["data"]["detail"]
    assert "HTTP 503" in detail and "2 attempts" in detail and "maintenance" in detail, detail
    assert receiver.attempts == 4, "one retry per step, no more"
    assert "escalation step 1 of test:e1 failed" in caplog.text
    async with running.session.get(f"{running.http}/healthz") as r:
        assert r.status == 200
    receiver.status = 200
    await running.push([extreme(3)])
    await wait_for_entries(running, "result", 2, event_id="test:e3")
    assert receiver.steps() == [1, 2], "the escalator goes on after failures"


async def test_a_restart_mid_chain_takes_the_next_step_once_and_the_taken_ones_never_again(
    start_server: StartServer, receiver: Receiver, tmp_path: Path
) -> None:
    steps = [(0.02, "notifier:bot"), (0.04, "notifier:bot"), (0.02, "notifier:bot")]
    settings = {"db": tmp_path / "log.db", "escalation": escalation(receiver.url, *steps)}
    await restart_mid_chain(start_server, settings, receiver, [extreme(1)])


async def test_two_nodes_on_one_redis_take_each_step_exactly_once_and_either_carries_on(
    start_server: StartServer,
    receiver: Receiver,
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    steps = [(0.01, "notifier:bot"), (0.03, "notifier:bot"), (0.01, "notifier:bot")]
    shared = {
        "log_backend": "redis",
        "redis_url": redis_server.url,
        "escalation": escalation(receiver.url, *steps),
    }
    a = await start_server(db=tmp_path / "a.db", **shared)
    b = await start_server(db=tmp_path / "b.db", **shared)
    await a.push([extreme(1)])
    await wait_for_entries(b, "result", 1)
    assert EVENT in b.server.app[ESCALATOR].chains, "both nodes follow the chain"
    await a.server.close()  # whichever node took step 1, b alone takes the rest
    await wait_for_entries(b, "result", 3)
    await asyncio.sleep(1.0)  # a step taken twice would be posted and logged by now
    actions = await escalation_actions(b)
    assert sorted(receiver.steps()) == [1, 2, 3], receiver.steps()
    assert [x["data"]["step"] for x in named(actions, "step")] == [1, 2, 3]
    assert len(named(actions, "scheduled")) == 1 and len(named(actions, "result")) == 3
    assert EVENT not in b.server.app[ESCALATOR].chains, "followed to its end"


async def test_a_replay_never_escalates(
    start_server: StartServer, receiver: Receiver, tmp_path: Path
) -> None:
    running = await start_server(escalation=escalation(receiver.url, (0.0, "notifier:bot")))
    t0 = datetime.now(UTC)
    recording = write_recording(
        tmp_path / "drill.jsonl",
        [
            (
                t0,
                make_event(n, kind="disaster", severity="extreme").model_copy(
                    update={"received_at": t0}
                ),
            )
            for n in range(3)
        ],
    )
    await start_replay(running, recording, speed=50, exercise=True)
    await asyncio.sleep(1.5)
    assert receiver.posts == [] and receiver.attempts == 0
    stream = running.board.replays.stream_of("replay:r1")
    assert stream is not None and stream.head == 3, "the drill played its three events"
    assert all(e.type == "event" for e in stream.ring), "and nothing escalated on it"


async def test_a_policy_for_other_departments_leaves_the_event_to_the_next_policy(
    start_server: StartServer, receiver: Receiver
) -> None:
    table = escalation(receiver.url, (0.0, "notifier:bot"), departments=["교통행정과 Traffic"])
    fallback = {**table["policies"][0], "name": "disaster-safety"}
    fallback["departments"] = ["재난안전과 Disaster Safety"]
    fallback["steps"] = [{"after_minutes": 0.0, "to": "notifier:bot"}] * 2
    table["policies"].append(fallback)
    running = await start_server(admin_token="test-admin-token", escalation=table)
    await put_officer(running, officer("kim", districts=["*"]))  # answers for disasters
    await running.push([extreme(1)])
    actions = await wait_for_entries(running, "result", 2)
    [scheduled] = named(actions, "scheduled")
    assert scheduled["data"]["policy"] == "disaster-safety"
    assert [p["policy"] for p in receiver.posts] == ["disaster-safety"] * 2


async def test_a_drill_that_rings_real_phones_escalates_on_its_own_stream_only(
    start_server: StartServer, receiver: Receiver, tmp_path: Path
) -> None:
    running = await start_server(escalation=escalation(receiver.url, (0.0, "notifier:bot")))
    t0 = datetime.now(UTC)
    event = make_event(7, kind="disaster", severity="extreme")
    recording = write_recording(
        tmp_path / "drill.jsonl", [(t0, event.model_copy(update={"received_at": t0}))]
    )
    await start_replay(running, recording, speed=50, exercise=True, real_calls=True)
    stream = running.board.replays.stream_of("replay:r1")
    assert stream is not None

    def actions() -> list[str]:
        return [orjson.loads(e.raw)["body"]["action"] for e in stream.ring if e.type == "action"]

    async with asyncio.timeout(10):
        while "escalation_result" not in actions():
            await asyncio.sleep(0.05)
    assert actions() == ["escalation_scheduled", "escalation_step", "escalation_result"]
    assert [p["id"] for p in receiver.posts] == ["test:e7"]
    async with running.session.get(f"{running.http}/api/events/test:e7/history") as r:
        live = await r.json()
    assert live.get("entries", []) == [], "nothing of the drill reaches the live log"
