"""The publisher on two real SQLite logs with a clock the test moves: due order, the cursor
stamped on public events, a restart that republishes nothing."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from server.public.publisher import BATCH_ENTRIES, CURSOR_KEY, Publisher
from server.public.settings import PublicSettings
from server.stream.events import Action, Body, utcnow
from server.stream.log import Committed
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


async def test_a_burst_of_due_entries_is_published_in_few_bounded_transactions(
    tmp_path: Path,
) -> None:
    transactions: list[list[Committed]] = []
    live = EventLog(tmp_path / "live.db")
    public = EventLog(tmp_path / "public.db", on_commit=transactions.append)
    await live.open()
    await public.open()
    burst = 2 * BATCH_ENTRIES + 50
    await live.append([make_event(n, kind="traffic", source="city") for n in range(burst)])
    publisher = Publisher(live, public, RULES, page_size=burst)
    await publisher._begin()
    await publisher.step()
    assert [len(t) for t in transactions] == [BATCH_ENTRIES, BATCH_ENTRIES, 50]
    bodies = [orjson.loads(e.raw)["body"] for e in await public.entries_after(0, burst)]
    assert [b["extra"][CURSOR_KEY]["after"] for b in bodies] == list(range(1, burst + 1))
    assert publisher.published == burst
    await public.close()
    await live.close()


async def test_a_batch_leaves_out_what_another_publisher_took(
    logs: tuple[EventLog, EventLog],
) -> None:
    live, public = logs
    clock = Clock()
    late = Publisher(live, public, RULES, clock=clock)
    await late._begin()  # from live seq 0, like a second node
    await live.append([make_event("c", kind="complaint", source="minwon")])  # seq 1: waits
    await live.append([make_event(n, kind="traffic", source="city") for n in range(2)])
    clock.at = utcnow()
    other = Publisher(live, public, RULES, clock=clock)
    await other._begin()
    await other.step()  # publishes seqs 2 and 3; 1 waits
    clock.at += timedelta(seconds=61)
    calls = []
    append_claimed = public.append_claimed

    async def counted(claims: Sequence[tuple[str, Sequence[Body]]]) -> object:
        calls.append([key for key, _ in claims])
        return await append_claimed(claims)

    public.append_claimed = counted  # type: ignore[assignment,method-assign]
    await late.step()  # 2 and 3 were due first, then 1: one call, two keys already taken
    assert calls == [[f"{live.epoch}:{seq}" for seq in (2, 3, 1)]]
    assert late.published == 1 and other.published == 2
    bodies = await published(public)
    assert [b["kind"] for b in bodies] == ["traffic", "traffic", "complaint"]


@contextlib.asynccontextmanager
async def handed_over(
    tmp_path: Path,
    on_public_commit: Callable[[list[Committed]], object] | None = None,
    **options: Any,
) -> AsyncIterator[tuple[EventLog, EventLog, Publisher]]:
    """Live and public logs with a publisher the live log hands its commits to, as the server
    wires them; both logs closed afterwards."""
    listeners: list[Publisher] = []
    live = EventLog(tmp_path / "live.db", on_commit=lambda e: [p.committed(e) for p in listeners])
    public = EventLog(tmp_path / "public.db", on_commit=on_public_commit)
    await live.open()
    await public.open()
    publisher = Publisher(live, public, RULES, **options)
    listeners.append(publisher)
    try:
        yield live, public, publisher
    finally:
        await public.close()
        await live.close()


async def test_entries_handed_over_at_commit_are_not_read_back_unless_some_were_dropped(
    tmp_path: Path,
) -> None:
    async with handed_over(tmp_path, page_size=10) as (live, public, publisher):
        reads = []
        entries_after = live.entries_after

        async def counted(after_seq: int, limit: int) -> list[Committed]:
            reads.append(after_seq)
            return await entries_after(after_seq, limit)

        live.entries_after = counted  # type: ignore[method-assign]
        # before the cursor is known
        await live.append([make_event(0, kind="traffic", source="city")])
        await publisher._begin()
        await publisher.step()
        assert reads == [0], "what was handed before the start is read from the log"
        for n in range(1, 4):
            await live.append([make_event(n, kind="traffic", source="city")])
        await publisher.step()
        assert reads == [0], "handed over, in order, from the cursor: no read"
        await live.append([make_event(n, kind="traffic", source="city") for n in range(4, 20)])
        await live.append([make_event(20, kind="traffic", source="city")])
        while await publisher.step():
            pass
        assert reads == [0, 4, 14], "more than a page was dropped: read from the log, in pages"
        assert publisher.published == 21 and public.head == 21


async def until(condition: Callable[[], bool]) -> None:
    """Let the publisher run until `condition` holds (a guard against a hang, not a timing)."""
    async with asyncio.timeout(30):
        while not condition():
            await asyncio.sleep(0.01)


async def test_entries_due_soon_after_a_transaction_wait_to_share_the_next(
    tmp_path: Path,
) -> None:
    transactions: list[list[Committed]] = []
    async with handed_over(tmp_path, transactions.append, publish_every=3600.0) as (
        live,
        public,
        publisher,
    ):
        running = asyncio.create_task(publisher.run())
        await live.append([make_event(1, kind="traffic", source="city")])
        await until(lambda: public.head == 1)  # the first after a quiet spell: at once
        await live.append([make_event(2, kind="traffic", source="city")])
        await live.append([make_event(3, kind="traffic", source="city")])
        for _ in range(10):  # the loop has had its turns: the two wait
            await asyncio.sleep(0.01)
        assert public.head == 1 and publisher.pending == 0 and publisher.cursor == 1
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running

        restarted = Publisher(live, public, RULES)  # what waited is not lost at a restart
        await restarted._begin()
        await restarted.step()
        assert [len(t) for t in transactions] == [1, 2]
        bodies = await published(public)
        assert [b["extra"][CURSOR_KEY]["after"] for b in bodies] == [1, 2, 3]


async def test_a_steady_flow_is_published_in_order_once_each(tmp_path: Path) -> None:
    async with handed_over(tmp_path, publish_every=0.01) as (live, public, publisher):
        running = asyncio.create_task(publisher.run())
        for n in range(30):
            await live.append([make_event(n, kind="traffic", source="city")])
        await until(lambda: public.head == 30)
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        bodies = await published(public)
        assert [b["extra"][CURSOR_KEY]["after"] for b in bodies] == list(range(1, 31))
        assert publisher.published == 30 and publisher.transactions <= 30
