"""Resume matrix: a reconnecting board gets exactly what it missed, or a snapshot when it must."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from server.stream.sqlite import EventLog
from tests.conftest import Running, StartServer, event_dict, make_event, wait_for
from tests.wsclient import BoardClient


@dataclass
class Row:
    name: str
    stored: int  # entries in the log before the client connects
    resume: str | None  # "same" epoch, "other" epoch, or None (no resume)
    after: int
    mode: str  # expected welcome mode
    expect: list[int]  # seqs expected as entries before going live (snapshot rows: none)
    during_read: str | None = (
        None  # "after_read" / "before_read": 5 entries land during the backlog
    )
    resume_max: int = 10_000


ROWS = [
    Row("empty log, first connect", 0, None, 0, "snapshot", []),
    Row("empty log, resume from 0", 0, "same", 0, "resume", []),
    Row("from the middle", 20, "same", 10, "resume", list(range(11, 21))),
    Row("from the start", 20, "same", 0, "resume", list(range(1, 21))),
    Row("at the head", 20, "same", 20, "resume", []),
    Row("future seq", 20, "same", 25, "snapshot", []),
    Row("epoch mismatch", 20, "other", 10, "snapshot", []),
    Row("gap over the replay limit", 20, "same", 10, "snapshot", [], resume_max=5),
    Row("gap at the replay limit", 20, "same", 15, "resume", list(range(16, 21)), resume_max=5),
    Row(
        "live entries land after the backlog read",
        20,
        "same",
        10,
        "resume",
        list(range(11, 26)),
        during_read="after_read",
    ),
    Row(
        "live entries land before the backlog read",
        20,
        "same",
        10,
        "resume",
        list(range(11, 26)),
        during_read="before_read",
    ),
]


def interleave_appends(log: EventLog, when: str) -> None:
    """Make 5 entries commit (and publish) while the first backlog page is read."""
    original = log.entries_after
    done = False

    async def entries_after(after_seq: int, limit: int) -> Any:
        nonlocal done
        if done:
            return await original(after_seq, limit)
        done = True
        fresh = [make_event(f"live{i}") for i in range(5)]
        if when == "before_read":
            await log.append(fresh)
            return await original(after_seq, limit)
        page = await original(after_seq, limit)
        await log.append(fresh)
        return page

    log.entries_after = entries_after  # type: ignore[method-assign]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_resume_matrix(start_server: StartServer, row: Row) -> None:
    running: Running = await start_server(resume_max_entries=row.resume_max)
    log = running.board.log
    if row.stored:
        await log.append([make_event(i) for i in range(row.stored)])
    hello: dict[str, Any] = {}
    if row.resume is not None:
        epoch = log.epoch if row.resume == "same" else "0000000000000000"
        hello["resume"] = {"epoch": epoch, "after_seq": row.after}
    if row.during_read:
        interleave_appends(log, row.during_read)

    client = await BoardClient.connect(running.session, running.ws_url, **hello)
    welcome = await client.next()
    assert welcome["type"] == "welcome" and welcome["mode"] == row.mode
    assert welcome["epoch"] == log.epoch
    if row.mode == "snapshot":
        snapshot = await client.next()
        assert snapshot["type"] == "snapshot"
        assert snapshot["seq"] == row.stored
        assert len(snapshot["events"]) == row.stored
    else:
        head = row.stored + (5 if row.during_read else 0)
        if head > row.after or row.after == 0:
            await client.until_seq(head)
    assert client.seqs() == row.expect, "exactly the missed entries, in order, once each"

    # and then live entries follow without a gap
    before = log.head
    await running.push([event_dict("after")])
    await client.until_seq(before + 1)
    assert client.seqs() == [*row.expect, before + 1]
    await client.close()


async def test_filtered_resume_skips_other_kinds_but_advances_head(running: Running) -> None:
    await running.push([event_dict(i, kind="traffic" if i % 2 else "disaster") for i in range(10)])
    client = await BoardClient.connect(
        running.session,
        running.ws_url,
        resume={"epoch": running.board.log.epoch, "after_seq": 0},
        filter={"kinds": ["disaster"]},
    )
    assert (await client.next())["mode"] == "resume"
    await client.until_seq(10)
    kinds = {e["body"]["kind"] for e in client.entries()}
    assert kinds == {"disaster"} and len(client.entries()) == 5
    await running.push([event_dict("t", kind="traffic")])
    batch = await client.next_of("batch")
    assert batch["entries"] == [] and batch["head"] == 11, "head moves even when nothing passes"
    await client.close()


async def test_a_board_resuming_from_before_what_retention_kept_gets_a_snapshot(
    start_server: StartServer,
) -> None:
    running = await start_server(retention_max_entries=2, retention_check_seconds=0.05)
    await running.push([event_dict(n) for n in range(5)])
    await wait_for(lambda: running.board.log.first_seq == 4)
    epoch = running.board.log.epoch

    late = await BoardClient.connect(
        running.session, running.ws_url, resume={"epoch": epoch, "after_seq": 2}
    )
    assert (await late.next_of("welcome"))["mode"] == "snapshot"
    snap = await late.next_of("snapshot")
    assert len(snap["events"]) == 5, "every active event is still on the board"

    recent = await BoardClient.connect(
        running.session, running.ws_url, resume={"epoch": epoch, "after_seq": 3}
    )
    assert (await recent.next_of("welcome"))["mode"] == "resume"
    assert await recent.until_seq(5) == [4, 5]
    async with running.session.get(f"{running.http}/metrics") as r:
        metrics = await r.text()
    assert "cityboard_log_first_seq 4" in metrics and "cityboard_log_pruned_total 3" in metrics


async def test_a_caught_up_board_resumes_every_time_it_reconnects_during_pushes(
    running: Running,
) -> None:
    """Reconnect storms while the city is busy: a board that had every entry always resumes
    (never a full snapshot), and the head a welcome names is never above what is committed."""
    pushing = True

    async def pusher() -> None:
        n = 0
        while pushing:
            await running.push([event_dict(f"p{n}-{i}") for i in range(5)])
            n += 1

    task = asyncio.create_task(pusher())
    client = await BoardClient.connect(running.session, running.ws_url)
    welcome = await client.next_of("welcome")
    epoch, seen = welcome["epoch"], (await client.next_of("snapshot"))["seq"]
    try:
        for _ in range(60):
            batch = await client.next_of("batch")
            seen = max([seen, *(e["seq"] for e in batch["entries"])])
            await client.close()
            client = await BoardClient.connect(
                running.session, running.ws_url, resume={"epoch": epoch, "after_seq": seen}
            )
            welcome = await client.next_of("welcome")
            assert welcome["mode"] == "resume", f"a caught-up board at {seen} got a snapshot"
            first = await client.next_of("batch")
            if first["entries"]:
                assert first["entries"][0]["seq"] == seen + 1, "resumed without a gap"
    finally:
        pushing = False
        await task
        await client.close()
