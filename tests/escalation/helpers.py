"""Helpers for escalation tests: policies, and reading a chain off an event's history."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from tests.conftest import Running, event_dict

EVENT = "test:e1"
SECRET_ENV = "CITYBOARD_TEST_BOT_SECRET"


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
