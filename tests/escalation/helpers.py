"""Helpers for escalation tests: policies, and reading a chain off an event's history."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Running, StartServer, event_dict
from tests.escalation.conftest import Receiver

EVENT = "test:e1"
SECRET_ENV = "CITYBOARD_TEST_BOT_SECRET"
LATE_TOLERANCE = timedelta(seconds=1.5)  # a step is taken within this of its planned time


def escalation(receiver_url: str, *tos: tuple[float, str], **policy: Any) -> dict[str, Any]:
    """An [escalation] table: one policy for extreme disasters with these (minutes, to) steps,
    and the notifier `bot` posting to `receiver_url`."""
    return {
        "policies": [
            {
                "name": "extreme",
                "severities": ["extreme"],
                "kinds": ["disaster"],
                "steps": [{"after_minutes": m, "to": to} for m, to in tos],
                **policy,
            }
        ],
        "notifiers": {
            "bot": {
                "plugin": "webhook",
                "options": {
                    "url": receiver_url,
                    "secret_env": SECRET_ENV,
                    "retries": 1,
                    "retry_delay_seconds": 0.1,
                    "timeout_seconds": 2.0,
                },
            }
        },
    }


def extreme(n: int | str = 1, **fields: Any) -> dict[str, Any]:
    """An extreme disaster in Jongno-gu (district 11110), pushable."""
    jongno = {"type": "Point", "coordinates": [126.9816, 37.5735]}  # by Jongno-gu's office
    return event_dict(n, kind="disaster", **{"severity": "extreme", "geometry": jongno, **fields})


async def escalation_actions(running: Running, event_id: str = EVENT) -> list[dict[str, Any]]:
    """The escalation entries of an event (or situation: none before its first), oldest first,
    each body with its log `at`."""
    async with running.session.get(f"{running.http}/api/events/{event_id}/history") as r:
        if r.status == 404 and event_id.startswith("situation:"):
            return []  # not yet in the book, nor acted on
        assert r.status == 200, await r.text()
        entries = (await r.json())["entries"]
    return [
        {**e["body"], "logged_at": datetime.fromisoformat(e["at"])}
        for e in entries
        if e["type"] == "action"
        and e["body"]["action"].startswith("escalation_")
        and e["body"]["event_id"] == event_id  # a situation's history holds its members' too
    ]


def named(actions: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [a for a in actions if a["action"] == f"escalation_{name}"]


async def wait_for_entries(
    running: Running, name: str, count: int, timeout: float = 15.0, event_id: str = EVENT
) -> list[dict[str, Any]]:
    """Poll the history until `count` entries `escalation_<name>` are on it; all escalation
    entries then."""
    async with asyncio.timeout(timeout):
        while True:
            actions = await escalation_actions(running, event_id)
            if len(named(actions, name)) >= count:
                return actions
            await asyncio.sleep(0.05)


def planned(actions: list[dict[str, Any]]) -> list[datetime]:
    """The planned times of a chain's steps, from its `escalation_scheduled` entry."""
    [scheduled] = named(actions, "scheduled")
    return [datetime.fromisoformat(s["at"]) for s in scheduled["data"]["steps"]]


async def restart_mid_chain(
    start_server: StartServer,
    settings: dict[str, Any],
    receiver: Receiver,
    bodies: list[dict[str, Any]],
    event_id: str = EVENT,
) -> None:
    """Stop a server after step 1 of three, start it again once step 2 is overdue, and check that
    each step is taken once: the overdue one at once, the next on time."""
    first = await start_server(**settings)
    await first.push(bodies)
    actions = await wait_for_entries(first, "result", 1, event_id=event_id)
    await first.server.close()  # stopped after step 1; step 2 comes due while it is down
    due = planned(actions)
    await asyncio.sleep(max(0.0, (due[1] - datetime.now(UTC)).total_seconds()) + 0.3)

    restarted = datetime.now(UTC)
    again = await start_server(**settings)
    await wait_for_entries(again, "result", 3, event_id=event_id)
    await asyncio.sleep(0.5)  # anything fired twice would arrive by now
    actions = await escalation_actions(again, event_id)
    assert receiver.steps() == [1, 2, 3], "each step posted once, across the restart"
    assert [a["data"]["step"] for a in named(actions, "step")] == [1, 2, 3]
    assert len(named(actions, "scheduled")) == 1
    step_2, step_3 = named(actions, "step")[1:]
    assert restarted <= step_2["logged_at"] < restarted + LATE_TOLERANCE, "overdue: at once"
    assert due[2] <= step_3["logged_at"] < due[2] + LATE_TOLERANCE, "then on time"
