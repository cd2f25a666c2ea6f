"""The publisher on two real SQLite logs with a clock the test moves: due order, the cursor
stamped on public events, a restart that republishes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest

from server.public.publisher import CURSOR_KEY, Publisher
from server.public.settings import PublicSettings
from server.stream.events import Action, utcnow
from server.stream.sqlite import EventLog
from tests.conftest import make_event

RULES = PublicSettings(delay_seconds={"complaint": 60.0})


class Clock:
    """Now, as the test says."""

    def __init__(self) -> None:
        self.at = utcnow()

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
async def logs(tmp_path: Path) -> AsyncIterator[tuple[EventLog, EventLog]]:
    live, public = EventLog(tmp_path / "live.db"), EventLog(tmp_path / "public.db")
    await live.open()
    await public.open()
    yield live, public
    await public.close()
    await live.close()


async def published(public: EventLog) -> list[dict[str, object]]:
    return [orjson.loads(e.raw)["body"] for e in await public.entries_after(0, 100)]


async def test_due_order_the_cursor_stamp_and_a_restart(logs: tuple[EventLog, EventLog]) -> None:
    live, public = logs
    clock = Clock()
    publisher = Publisher(live, public, RULES, clock=clock)
    await publisher._begin()
    await live.append([make_event("c", kind="complaint", source="minwon")])  # seq 1: waits
    await live.append([Action(action="note", event_id="minwon:ec", actor="Kim", at=utcnow())])
    await live.append([make_event("t", kind="traffic", source="city")])  # seq 3: at once
    clock.at = utcnow()
    await publisher.step()
    first = await published(public)
    assert [b["kind"] for b in first] == ["traffic"]
    assert first[0]["extra"][CURSOR_KEY]["after"] == 0  # seq 1 still waits: nothing before it
    assert publisher.withheld == 1 and publisher.pending == 1

    restarted = Publisher(live, public, RULES, clock=clock)  # a restart before the complaint
    await restarted._begin()
    assert restarted.cursor == 0
    clock.at += timedelta(seconds=61)
    await restarted.step()
    await publisher.step()  # the first one, still running elsewhere: its claim is taken
    bodies = await published(public)
    assert [b["kind"] for b in bodies] == ["traffic", "complaint"]
    assert bodies[1]["extra"][CURSOR_KEY]["after"] == 3
    assert restarted.published + publisher.published == 2
    again = Publisher(live, public, RULES, clock=clock)
    await again._begin()
    assert again.cursor == 3  # read from the stamp: nothing to read again


async def test_a_full_budget_stops_reading_until_entries_are_due(
    logs: tuple[EventLog, EventLog],
) -> None:
    live, public = logs
    clock = Clock()
    rules = PublicSettings(delay_seconds={"complaint": 60.0}, max_pending_entries=100)
    publisher = Publisher(live, public, rules, clock=clock, page_size=50)
    await publisher._begin()
    await live.append([make_event(n, kind="complaint", source="minwon") for n in range(150)])
    clock.at = utcnow()
    while await publisher.step():
        pass
    assert publisher.pending == 100 and publisher.cursor == 100  # bounded, nothing skipped
    clock.at += timedelta(seconds=61)
    while await publisher.step() or publisher.pending:
        clock.at += timedelta(seconds=61)
    assert publisher.published == 150 and public.head == 150


async def test_unreadable_bodies_are_dropped_counted_and_logged_once(
    logs: tuple[EventLog, EventLog], caplog: pytest.LogCaptureFixture
) -> None:
    live, public = logs
    rows = [
        (n, live.epoch, "2026-11-29T00:00:00Z", "event", orjson.dumps({"title": "010-1234-5678"}))
        for n in (1, 2)
    ]
    rows.append((3, live.epoch, "2026-11-29T00:00:00Z", "mystery", b'{"title": "x"}'))
    with sqlite3.connect(live.path) as db:  # what no append would write: a damaged log
        db.executemany("INSERT INTO log(seq, epoch, at, type, body) VALUES (?,?,?,?,?)", rows)
    publisher = Publisher(live, public, RULES)
    await publisher._begin()
    await publisher.step()
    assert (publisher.unreadable, publisher.withheld, public.head) == (2, 1, 0)
    warnings = [r for r in caplog.records if "dropped live seq" in r.getMessage()]
    assert len(warnings) == 1 and "010" not in warnings[0].getMessage()
