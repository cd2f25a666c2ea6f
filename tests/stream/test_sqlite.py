"""The durable log: gap-free seqs, group commit, versions that never go backwards, real SQLite."""

from __future__ import annotations

import asyncio
import gc
import os
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from server.errors import LogClosed, LogError, LogLocked
from server.stream.events import Action, Notice
from server.stream.log import Committed, EventFilter
from server.stream.sqlite import EventLog
from tests.conftest import T0, make_event


@pytest.fixture
async def log(tmp_path: Path):
    published: list[Committed] = []
    event_log = EventLog(tmp_path / "log.db", on_commit=published.extend)
    event_log.published = published  # type: ignore[attr-defined]
    await event_log.open()
    yield event_log
    await event_log.close()


async def test_concurrent_appends_get_contiguous_seqs_in_few_transactions(log: EventLog) -> None:
    results = await asyncio.gather(*[log.append([make_event(i)]) for i in range(500)])
    seqs = sorted(r[0].seq for r in results)
    assert seqs == list(range(1, 501))
    assert log.head == 500
    assert log.commits < 50, "concurrent appends should share transactions (group commit)"
    published = [e.seq for e in log.published]  # type: ignore[attr-defined]
    assert published == list(range(1, 501)), "published in seq order, each once"


async def test_head_only_ever_names_committed_entries(log: EventLog) -> None:
    """A reader that takes `head` while a transaction is in flight finds that entry in the log:
    a board told `head` in its welcome resumes from it instead of falling back to a snapshot."""
    seen: list[tuple[int, list[int]]] = []
    done = False

    async def watch() -> None:
        while not done:
            head = log.head
            if head:
                found = await log.entries_after(head - 1, 1)
                seen.append((head, [e.seq for e in found]))
            await asyncio.sleep(0)

    watcher = asyncio.create_task(watch())
    for round_ in range(20):
        await log.append([make_event(f"{round_}-{i}") for i in range(200)])
    done = True
    await watcher
    assert len(seen) > 20, "the watcher looked while transactions were in flight"
    assert [s for s in seen if s[1] != [s[0]]] == [], "head named an uncommitted entry"


async def test_versions_never_go_backwards(log: EventLog) -> None:
    [first] = await log.append([make_event(1, version=2, title="v2")])
    assert first.outcome == "appended"
    [older] = await log.append([make_event(1, version=1, title="v1")])
    assert older.outcome == "stale" and older.seq == first.seq
    [resend] = await log.append(
        [
            make_event(1, version=2, title="v2").model_copy(
                update={"received_at": T0.replace(hour=5)}
            )
        ]
    )
    assert resend.outcome == "duplicate" and resend.seq == first.seq
    [clash] = await log.append([make_event(1, version=2, title="different")])
    assert clash.outcome == "conflict"
    assert log.head == 1, "nothing but the first append took a seq"
    body = orjson.loads(await log.current_event("test:e1") or b"{}")
    assert body["title"] == "v2"


async def test_versions_within_one_batch_keep_the_newest(log: EventLog) -> None:
    results = await log.append(
        [
            make_event(1, version=3, title="v3"),
            make_event(1, version=1, title="v1"),
            make_event(1, version=4, title="v4"),
        ]
    )
    assert [r.outcome for r in results] == ["appended", "stale", "appended"]
    body = orjson.loads(await log.current_event("test:e1") or b"{}")
    assert body["version"] == 4


async def test_actions_and_notices_are_entries_too(log: EventLog) -> None:
    await log.append([make_event(1)])
    results = await log.append(
        [
            Action(action="ack", event_id="test:e1", actor="op", at=T0),
            Notice(level="warning", code="feed_down", message="feed x is down", at=T0),
        ]
    )
    assert [r.seq for r in results] == [2, 3]
    entries = await log.entries_after(1, 10)
    assert [e.type for e in entries] == ["action", "notice"]
    assert orjson.loads(entries[0].raw)["body"]["actor"] == "op"


async def test_entries_after_is_bounded_and_ordered(log: EventLog) -> None:
    await log.append([make_event(i) for i in range(30)])
    page = await log.entries_after(10, 5)
    assert [e.seq for e in page] == [11, 12, 13, 14, 15]
    assert await log.entries_after(30, 5) == []
    decoded = orjson.loads(page[0].raw)
    assert decoded["epoch"] == log.epoch and decoded["seq"] == 11


async def test_snapshot_has_only_active_events_matching_the_filter(log: EventLog) -> None:
    await log.append(
        [
            make_event(1, kind="traffic"),
            make_event(2, kind="disaster"),
            make_event(3, kind="complaint", severity="minor"),
        ]
    )
    await log.append([make_event(2, kind="disaster", version=2, status="cancelled")])
    snap = await log.snapshot(EventFilter(), 100)
    ids = {orjson.loads(b)["event_id"] for b in snap.events}
    assert ids == {"test:e1", "test:e3"} and snap.seq == 4 and not snap.truncated
    minor = await log.snapshot(EventFilter(severities=("minor",)), 100)
    assert [orjson.loads(b)["event_id"] for b in minor.events] == ["test:e3"]
    small = await log.snapshot(EventFilter(), 1)
    assert len(small.events) == 1 and small.truncated


async def test_epoch_and_head_survive_reopening(tmp_path: Path) -> None:
    first = EventLog(tmp_path / "a.db")
    await first.open()
    await first.append([make_event(i) for i in range(3)])
    epoch = first.epoch
    await first.close()
    again = EventLog(tmp_path / "a.db")
    await again.open()
    assert (again.epoch, again.head) == (epoch, 3)
    [r] = await again.append([make_event(9)])
    assert r.seq == 4, "seqs continue, never reused"
    await again.close()
    other = EventLog(tmp_path / "b.db")
    await other.open()
    assert other.epoch != epoch, "a new database is a new history"
    await other.close()


async def test_file_is_wal_and_full_sync_and_passes_integrity_check(log: EventLog) -> None:
    await log.append([make_event(1)])
    assert await log.integrity_check() == "ok"
    with sqlite3.connect(log.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = db.execute("SELECT seq, type, event_id FROM log").fetchall()
    assert rows == [(1, "event", "test:e1")]


async def test_a_failed_transaction_rolls_back_and_keeps_seqs_gap_free(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "f.db", busy_timeout_seconds=0.05)
    await log.open()
    await log.append([make_event(1)])
    with sqlite3.connect(log.path) as db:  # another writer holds the lock: BEGIN IMMEDIATE fails
        db.execute("PRAGMA busy_timeout=0")
        db.execute("BEGIN IMMEDIATE")
        with pytest.raises(LogError, match="rolled back"):
            await log.append([make_event(2)])
        assert log.problem is not None and "locked" in log.problem
        db.rollback()
    assert log.head == 1
    [r] = await log.append([make_event(3)])
    assert r.seq == 2 and log.problem is None
    await log.close()


async def test_a_transaction_runs_no_collection_and_leaves_the_collector_as_it_was(
    tmp_path: Path,
) -> None:
    """Placing a big group commit allocates objects that outlive it: collecting meanwhile
    walked the whole heap again and again (docs/performance.md), so the writer pauses it."""
    on_writer: list[str] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and threading.current_thread().name.startswith("log-writer"):
            on_writer.append(phase)

    log = EventLog(tmp_path / "gc.db", busy_timeout_seconds=0.05)
    await log.open()
    try:
        gc.callbacks.append(seen)
        try:
            await asyncio.gather(*[log.append([make_event(i)]) for i in range(3_000)])
        finally:
            gc.callbacks.remove(seen)
        # at most the one put off to the transaction's end (many without the pause)
        assert log.head == 3_000 and len(on_writer) <= 1, on_writer
        assert gc.isenabled()
        with sqlite3.connect(log.path) as db:  # a failing transaction gives it back too
            db.execute("BEGIN IMMEDIATE")
            with pytest.raises(LogError):
                await log.append([make_event(1, version=2)])
            db.rollback()
        assert gc.isenabled()
        gc.disable()  # and one paused by someone else stays paused
        try:
            await log.append([make_event(2, version=2)])
            assert not gc.isenabled()
        finally:
            gc.enable()
    finally:
        await log.close()


async def test_append_after_close_fails_loudly(tmp_path: Path) -> None:
    event_log = EventLog(tmp_path / "c.db")
    await event_log.open()
    await event_log.close()
    with pytest.raises(LogClosed):
        await event_log.append([make_event(1)])


async def test_retention_drops_old_entries_but_keeps_active_events_and_the_head(
    tmp_path: Path,
) -> None:
    now = [T0]
    log = EventLog(tmp_path / "r.db", clock=lambda: now[0])
    await log.open()
    await log.append([make_event(1), make_event(2)])  # seqs 1-2, recorded at T0
    await log.append([make_event(2, version=2, status="resolved")])  # 3: e2 ends
    await log.append([Action(action="ack", event_id="test:e2", actor="op", at=T0)])  # 4
    now[0] = T0 + timedelta(days=10)
    await log.append([make_event(3)])  # 5, recent

    dropped = await log.prune(older_than=T0 + timedelta(days=1), keep_entries=None)
    assert dropped == 4 and log.first_seq == 5 and log.head == 5
    assert [e.seq for e in await log.entries_after(0, 100)] == [5]
    snap = await log.snapshot(EventFilter(), 100)
    active = {orjson.loads(b)["event_id"] for b in snap.events}
    assert active == {"test:e1", "test:e3"}, "an active event stays on the board, however old"
    every = {
        orjson.loads(b)["event_id"]
        for _, b in await log.events(EventFilter(), after_seq=0, limit=100)
    }
    assert every == {"test:e1", "test:e3"}, "the ended event is forgotten with its entries"
    assert await log.prune(older_than=T0 + timedelta(days=1), keep_entries=None) == 0

    await log.append([make_event(4), make_event(5)])  # 6-7
    assert await log.prune(older_than=None, keep_entries=1) == 2
    assert log.first_seq == 7
    await log.close()
    again = EventLog(tmp_path / "r.db")
    await again.open()
    assert (again.first_seq, again.head) == (7, 7), "the oldest kept and the head survive"
    [r] = await again.append([make_event(9)])
    assert r.seq == 8, "seqs are never reused after pruning"
    await again.close()


async def test_one_writer_per_database_the_second_is_refused_naming_the_first(
    tmp_path: Path,
) -> None:
    first = EventLog(tmp_path / "log.db")
    await first.open()
    await first.append([make_event(1)])
    second = EventLog(tmp_path / "log.db")
    with pytest.raises(LogLocked) as refused:
        await second.open()
    message = refused.value.message
    assert str(tmp_path / "log.db") in message and f"pid {os.getpid()}" in message, message
    assert (await first.append([make_event(2)]))[0].seq == 2, "the first writer is untouched"
    await first.close()
    await second.open()  # the lock went with the first writer
    assert second.head == 2
    await second.close()


async def test_a_failing_append_is_the_logs_problem_until_one_succeeds(tmp_path: Path) -> None:
    """Another process holding the database (a stray sqlite3 shell, a second server of an older
    version) makes appends fail: the log says so (readiness turns 503), and recovers."""
    log = EventLog(tmp_path / "log.db", busy_timeout_seconds=0.2)
    await log.open()
    assert log.problem is None
    intruder = sqlite3.connect(tmp_path / "log.db", isolation_level=None)
    intruder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(LogError):
        await log.append([make_event(1)])
    assert log.problem is not None and "locked" in log.problem, log.problem
    intruder.execute("ROLLBACK")
    intruder.close()
    assert (await log.append([make_event(1)]))[0].seq == 1
    assert log.problem is None
    await log.close()


def step_action(n: int) -> Action:
    return Action(
        action="escalation_step", event_id="test:e1", actor="cityboard", at=T0, data={"step": n}
    )


async def test_append_once_writes_a_claimed_key_once_even_across_a_reopening(
    tmp_path: Path,
) -> None:
    first = EventLog(tmp_path / "a.db")
    await first.open()
    await first.append([make_event(1)])
    tries = await asyncio.gather(
        *[first.append_once("esc:e1:1", [step_action(1)]) for _ in range(5)]
    )
    assert sorted(r is None for r in tries) == [False, True, True, True, True]
    [won] = [r for r in tries if r is not None]
    assert won[0].outcome == "appended" and won[0].seq == 2
    assert await first.append_once("esc:e1:2", [step_action(2)]) is not None, "another key"
    await first.close()
    again = EventLog(tmp_path / "a.db")
    await again.open()
    assert await again.append_once("esc:e1:1", [step_action(1)]) is None, "a restart remembers"
    steps = [e for e in await again.history("test:e1", 100) if e.type == "action"]
    assert [orjson.loads(e.raw)["body"]["data"]["step"] for e in steps] == [1, 2]
    assert again.head == 3, "a refused claim takes no seq"
    await again.close()


async def test_append_claimed_writes_the_unclaimed_keys_in_one_transaction(
    tmp_path: Path,
) -> None:
    commits: list[list[Committed]] = []
    log = EventLog(tmp_path / "a.db", on_commit=commits.append)
    await log.open()
    await log.append([make_event(1)])
    assert await log.append_once("esc:e1:2", [step_action(2)]) is not None
    commits.clear()
    results = await log.append_claimed(
        [
            ("esc:e1:1", [step_action(1)]),
            ("esc:e1:2", [step_action(2)]),  # claimed by the append_once before
            ("esc:e1:3", [step_action(3)]),
            ("esc:e1:1", [step_action(1)]),  # claimed earlier in the same call
        ]
    )
    assert [None if r is None else [x.seq for x in r] for r in results] == [[3], None, [4], None]
    assert [[e.seq for e in c] for c in commits] == [[3, 4]], "one transaction"
    assert await log.append_claimed([("esc:e1:3", [step_action(3)])]) == [None]
    assert await log.append_claimed([]) == []
    await log.close()
    again = EventLog(tmp_path / "a.db")
    await again.open()
    assert await again.append_once("esc:e1:1", [step_action(1)]) is None, "a restart remembers"
    assert again.head == 4, "a refused claim takes no seq"
    await again.close()
    with sqlite3.connect(tmp_path / "a.db") as db:
        claimed = db.execute("SELECT key, seq FROM claims ORDER BY seq").fetchall()
    assert claimed == [("esc:e1:2", 2), ("esc:e1:1", 3), ("esc:e1:3", 4)], "each its first seq"
