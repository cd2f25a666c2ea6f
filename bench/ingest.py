"""`ingest`: what taking events in costs, against its baselines in the same run.

- single-event and 100-event POST /api/push on a real `cityboard serve` (no boards), the pusher
  in its own process keeping 8 requests in flight: server CPU per event from /proc, against the
  bare aiohttp handler (`await request.json()`, 202; bench/baselines.py `bare`), at the last
  answer and once the server has settled (what the pushes set off after their answers, such as
  the public stream publishing them, done);
- the log API (`server.stream.sqlite.EventLog`, durable: WAL, synchronous=FULL) in this process:
  concurrent single-entry appends (group commit), against one commit per entry (appends awaited
  one by one) and SQLite's own batched insert (`executemany` of the same bodies, one
  transaction, same pragmas): the floor of a durable SQLite write; and the commit-ack latency
  at 200 entries/s, beside the floor of any durable commit on this disk: a 1 KiB write and
  `fsync` at the same pace.
Each figure is the median of short repeats.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from bench.boards import Load, Push
from bench.harness import (
    Figure,
    Result,
    Server,
    as_served,
    baseline,
    cityboard,
    cpu_seconds,
    running,
    say,
    scratch,
    table,
)
from server.stream.events import Event
from server.stream.sqlite import EventLog

POST_RATIO_TARGET = 1.5  # single-event POST CPU per event ≤ 1.5 x the bare handler's
APPENDS_TARGET = 30_000.0  # durable concurrent appends per second
CONCURRENCY = 8  # requests in flight
NOW = datetime.now(UTC)


@dataclass(frozen=True)
class Plan:
    single: int  # events pushed one per request, per repeat
    batched: int  # events pushed 100 per request, per repeat
    appends: int  # concurrent log appends, per repeat
    one_by_one: int  # appends awaited one by one (one commit each)
    paced: int  # appends at 200/s for the commit-ack latency
    repeats: int


FULL = Plan(single=3_000, batched=30_000, appends=20_000, one_by_one=1_000, paced=1_000, repeats=3)
QUICK = Plan(single=600, batched=5_000, appends=5_000, one_by_one=200, paced=200, repeats=1)
BATCH = 100
PACE_SECONDS = 0.005  # 200 entries/s
FIRST_EVENT = {1: 1_000_000, BATCH: 2_000_000}  # event numbers of each kind of push
FSYNC_BLOCK = b"x" * 1024
SETTLE_SECONDS = 0.5  # a server has settled once it used under SETTLE_CPU_SECONDS in this long
SETTLE_CPU_SECONDS = 0.01


def settle(pid: int) -> float:
    """The server's CPU seconds once it has settled: it went on working after the answers (the
    public publisher catching up), and a figure taken at the last answer leaves that out."""
    last = cpu_seconds(pid)
    while True:
        time.sleep(SETTLE_SECONDS)
        now = cpu_seconds(pid)
        if now - last < SETTLE_CPU_SECONDS:
            return now
        last = now


def log_event(n: int) -> Event:
    """A small event for the log API (the same shape the pushes carry)."""
    return Event(
        event_id=f"bench:{n}",
        source="bench",
        kind="traffic",
        category="traffic.accident",
        severity="moderate",
        title=f"bench event {n}",
        sent_at=NOW,
        received_at=NOW,
        geometry={"type": "Point", "coordinates": [126.98, 37.57]},
    )


def push_cost(server: Server, count: int, batch: int, repeats: int) -> tuple[float, float, float]:
    """(median server CPU µs per event at the last answer, the same once settled, median
    events/s) for `count` events `batch` a request."""
    costs, settled, rates = [], [], []
    first = FIRST_EVENT[batch]  # each run's events are newer versions than the last run's
    with Load(server.ws, []) as load:
        for _ in range(repeats):
            cpu0 = settle(server.pid)  # nothing of the last repeat is counted in this one
            plan = Push(count, 0, batch=batch, concurrency=CONCURRENCY, first=first)
            pushed = load.push(server.base, plan).wait()
            cpu = cpu_seconds(server.pid) - cpu0
            settled.append((settle(server.pid) - cpu0) / pushed["sent"] * 1e6)
            errors = {k: v for k, v in pushed["outcomes"].items() if k != "appended"}
            if errors:
                raise SystemExit(f"ingest: pushes failed: {errors}")
            costs.append(cpu / pushed["sent"] * 1e6)
            rates.append(pushed["sent"] / pushed["seconds"])
            first += count
    return statistics.median(costs), statistics.median(settled), statistics.median(rates)


async def concurrent_appends(path: Path, count: int) -> tuple[float, int]:
    """Entries/s of `count` concurrent single-entry appends, and the transactions they took."""
    log = EventLog(path)
    await log.open()
    events = [log_event(n) for n in range(count)]
    t0 = time.perf_counter()
    await asyncio.gather(*[log.append([e]) for e in events])
    took = time.perf_counter() - t0
    commits = log.commits
    await log.close()
    return count / took, commits


async def one_by_one(path: Path, count: int) -> float:
    """Entries/s when each append is awaited before the next: one commit per entry."""
    log = EventLog(path)
    await log.open()
    t0 = time.perf_counter()
    for n in range(count):
        await log.append([log_event(n)])
    took = time.perf_counter() - t0
    await log.close()
    return count / took


async def paced(path: Path, count: int) -> list[float]:
    """Commit-ack latencies (ms) of appends at 200 entries/s, each on its schedule."""
    log = EventLog(path)
    await log.open()
    latencies = []
    t0 = time.perf_counter()
    for n in range(count):
        sched = t0 + n * PACE_SECONDS
        await asyncio.sleep(max(0.0, sched - time.perf_counter()))
        await log.append([log_event(n)])
        latencies.append((time.perf_counter() - sched) * 1e3)  # from its scheduled time
    await log.close()
    return sorted(latencies)


def fsync_latencies(path: Path, count: int) -> list[float]:
    """Latencies (ms) of a 1 KiB append and fsync at 200/s: what any durable commit waits for."""
    latencies = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        t0 = time.perf_counter()
        for n in range(count):
            sched = t0 + n * PACE_SECONDS
            time.sleep(max(0.0, sched - time.perf_counter()))
            os.write(fd, FSYNC_BLOCK)
            os.fsync(fd)
            latencies.append((time.perf_counter() - sched) * 1e3)
    finally:
        os.close(fd)
    return sorted(latencies)


def sqlite_batched(path: Path, count: int) -> float:
    """Entries/s of SQLite's own batched insert of the same bodies: one durable transaction."""
    bodies = [orjson.dumps(log_event(n).model_dump(mode="json")) for n in range(count)]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE log (seq INTEGER PRIMARY KEY, event_id TEXT, body BLOB)")
    t0 = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO log (event_id, body) VALUES (?, ?)",
        ((f"bench:{n}", body) for n, body in enumerate(bodies)),
    )
    db.execute("COMMIT")
    took = time.perf_counter() - t0
    db.close()
    return count / took


def run(quick: bool) -> Result:
    plan = QUICK if quick else FULL
    figures: list[Figure] = []
    rows = []
    with scratch("ingest") as tmp:
        posts = {}
        for name, server in (
            ("cityboard", cityboard(tmp / "cityboard")),
            ("bare", baseline("bare", tmp)),
            ("durable", baseline("durable", tmp, "--db", str(tmp / "durable.db"))),
        ):
            with running(server):
                say(f"ingest: POST /api/push on {name}")
                posts[name, 1] = push_cost(server, plan.single, 1, plan.repeats)
                posts[name, BATCH] = push_cost(server, plan.batched, BATCH, plan.repeats)
        for (name, batch), (us, settled, rate) in posts.items():
            what = f"POST, {batch} event(s) a request"
            rows.append((what, name, f"{us:.1f}", f"{settled:.1f}", f"{rate:,.0f}"))
        ours, bare = posts["cityboard", 1][0], posts["bare", 1][0]
        figures.append(Figure("ingest", "single-event POST: CPU per event", ours, "µs"))
        figures.append(
            Figure(
                "ingest",
                "single-event POST CPU vs bare handler",
                ours / bare,
                "x",
                ("<=", POST_RATIO_TARGET),
                f"bare {bare:.0f} µs",
            )
        )
        durable = posts["durable", 1][0]
        figures.append(
            Figure(
                "ingest",
                "single-event POST CPU vs bare handler + one durable commit",
                ours / durable,
                "x",
                note=f"{durable:.0f} µs: the floor of an acknowledged, fsynced push",
            )
        )
        ours_b, bare_b = posts["cityboard", BATCH][0], posts["bare", BATCH][0]
        figures.append(Figure("ingest", f"{BATCH}-event POST: CPU per event", ours_b, "µs"))
        for batch in (1, BATCH):
            ours_s, bare_s = posts["cityboard", batch][1], posts["bare", batch][1]
            figures.append(
                Figure(
                    "ingest",
                    f"{batch}-event POST CPU once settled vs bare handler",
                    ours_s / bare_s,
                    "x",
                    note=f"{ours_s:.0f} µs vs bare {bare_s:.1f} µs: the public stream's work in",
                )
            )
        figures.append(
            Figure(
                "ingest",
                f"{BATCH}-event POST CPU vs bare handler",
                ours_b / bare_b,
                "x",
                note=f"bare {bare_b:.1f} µs",
            )
        )

        say("ingest: the log API")
        with as_served():  # the server settles its collector once it is up
            runs = [
                asyncio.run(concurrent_appends(tmp / f"c{i}.db", plan.appends))
                for i in range(plan.repeats)
            ]
        appends = statistics.median(r[0] for r in runs)
        unsettled = statistics.median(
            asyncio.run(concurrent_appends(tmp / f"d{i}.db", plan.appends))[0]
            for i in range(plan.repeats)
        )
        serial = statistics.median(
            asyncio.run(one_by_one(tmp / f"s{i}.db", plan.one_by_one)) for i in range(plan.repeats)
        )
        floor = statistics.median(
            sqlite_batched(tmp / f"b{i}.db", plan.appends) for i in range(plan.repeats)
        )
        acks = asyncio.run(paced(tmp / "paced.db", plan.paced))
        syncs = fsync_latencies(tmp / "fsync.bin", plan.paced)
    rows.append(("log: concurrent appends/s", "EventLog", "", "", f"{appends:,.0f}"))
    rows.append(("log: the same, CPython's collector", "EventLog", "", "", f"{unsettled:,.0f}"))
    rows.append(("log: one commit per entry", "EventLog", "", "", f"{serial:,.0f}"))
    rows.append(("log: SQLite batched insert", "sqlite3", "", "", f"{floor:,.0f}"))
    figures.append(
        Figure(
            "ingest",
            "log: concurrent durable appends",
            appends,
            "/s",
            (">=", APPENDS_TARGET),
            f"{runs[0][1]} transactions, the collector as served; {unsettled:,.0f}/s with"
            " CPython's defaults",
        )
    )
    figures.append(
        Figure(
            "ingest",
            "log: concurrent appends vs one commit per entry",
            appends / serial,
            "x",
            note=f"{serial:,.0f}/s",
        )
    )
    figures.append(
        Figure(
            "ingest",
            "log: concurrent appends vs SQLite batched insert",
            appends / floor,
            "x",
            note=f"{floor:,.0f}/s",
        )
    )
    figures.append(Figure("ingest", "log: commit-ack p50 at 200/s", statistics.median(acks), "ms"))
    ack_p99, sync_p99 = acks[int(0.99 * (len(acks) - 1))], syncs[int(0.99 * (len(syncs) - 1))]
    figures.append(Figure("ingest", "log: commit-ack p99 at 200/s", ack_p99, "ms"))
    figures.append(
        Figure(
            "ingest",
            "commit-ack p99 vs write+fsync p99",
            ack_p99 / sync_p99,
            "x",
            note=f"fsync p50 {statistics.median(syncs):.2f} ms, p99 {sync_p99:.1f} ms",
        )
    )
    return Result(figures, table(("what", "server", "µs CPU/event", "settled", "events/s"), rows))
