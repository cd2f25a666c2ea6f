"""`redis`: the Redis Streams log with two nodes on one real redis-server (AOF, fsync always).

Two `RedisLog`s (the nodes) share one stream, each in a process of its own as two servers are:
appends/s with both writing at once (and how often they raced), and the CPU each append costs
the nodes and redis-server; right after each such run, its baseline on the same redis-server:
`XADD`s of the same bodies pipelined by redis-py (the engine's own append rate and CPU per
entry). Then, in one process, commit-ack latency at 200 entries/s and the time from one node's
append to its publication on the other node, each sample followed by its floor: an `XADD` seen
by a second client's `XREAD BLOCK`. Ratios are taken run by run (the machine is shared).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import statistics
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import orjson
import redis.asyncio as aioredis

from bench.harness import Figure, Result, cpu_seconds, say
from bench.ingest import log_event
from server.memory import settle_collector
from server.stream.log import Committed
from server.stream.redis import RedisLog
from tests.redis_server import RedisServer

APPENDS_TARGET = 30_000.0  # entries/s, two nodes
SPREAD_P99_TARGET_MS = 2.0  # append on A → published on B
PACE_SECONDS = 0.005  # 200 entries/s
PIPELINE = 500  # XADDs per round trip in the baseline
FLOOR_BLOCK_MS = 2_000  # the baseline's XREAD waits at most this long
NODE_SECONDS = 120.0  # a node process that has not reported by then has failed


@dataclass(frozen=True)
class Plan:
    appends: int
    paced: int
    repeats: int


FULL = Plan(appends=20_000, paced=1_000, repeats=3)
QUICK = Plan(appends=2_000, paced=200, repeats=1)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


@dataclass(frozen=True)
class NodeRun:
    """What one node process measured (times on the machine-wide monotonic clock)."""

    started: float  # its first append sent
    acked: float  # its last append acknowledged
    cpu: float  # its CPU seconds from the first append until its tail published every entry
    retries: int
    raced: int


def node(url: str, prefix: str, share: range, total: int, go: Barrier, out: Queue[NodeRun]) -> None:
    """One node in a process of its own: its share of the appends, each from a task of its own
    (concurrent callers), once every node is ready; then until its tail published all `total`."""
    out.put(asyncio.run(_node(url, prefix, share, total, go)))


async def _node(url: str, prefix: str, share: range, total: int, go: Barrier) -> NodeRun:
    everything = asyncio.Event()

    def on_commit(entries: list[Committed]) -> None:
        if entries[-1].seq >= total:
            everything.set()

    log = RedisLog(url, prefix=prefix, on_commit=on_commit)
    await log.open()
    settle_collector()  # as `cityboard serve` does once it is up
    try:
        events = [log_event(n) for n in share]
        go.wait(NODE_SECONDS)
        cpu, started = time.process_time(), time.monotonic()
        await asyncio.gather(*[log.append([e]) for e in events])
        acked = time.monotonic()
        await asyncio.wait_for(everything.wait(), NODE_SECONDS)
        return NodeRun(started, acked, time.process_time() - cpu, log.retries, log.raced)
    finally:
        await log.close()


def two_node_appends(server: RedisServer, prefix: str, plan: Plan) -> dict[str, float]:
    """Both nodes append at once, every other event each: appends/s, and CPU per append."""
    assert server.process is not None
    ctx = mp.get_context("spawn")
    go, out = ctx.Barrier(3), ctx.Queue()
    shares = [range(0, plan.appends, 2), range(1, plan.appends, 2)]
    args = [(server.url, prefix, share, plan.appends, go, out) for share in shares]
    procs = [
        ctx.Process(target=node, args=a, name=f"redis-node-{n}", daemon=True)
        for n, a in enumerate(args)
    ]
    for proc in procs:
        proc.start()
    go.wait(NODE_SECONDS)
    redis_cpu = cpu_seconds(server.process.pid)
    runs: list[NodeRun] = [out.get(timeout=NODE_SECONDS) for _ in procs]
    redis_cpu = cpu_seconds(server.process.pid) - redis_cpu
    for proc in procs:
        proc.join(NODE_SECONDS)
    return {
        "rate": plan.appends / (max(r.acked for r in runs) - min(r.started for r in runs)),
        "node_cpu_us": sum(r.cpu for r in runs) / plan.appends * 1e6,
        "redis_cpu_us": redis_cpu / plan.appends * 1e6,
        "retries": sum(r.retries for r in runs),
        "raced": sum(r.raced for r in runs),
    }


async def paced(url: str, prefix: str, plan: Plan) -> dict[str, float]:
    """At 200/s, by turns: an append on one node (its ack, and the time until the other node
    publishes it), then the floor beside it, an `XADD` seen by a second client's `XREAD BLOCK`
    (all in this process: one clock)."""
    seen_at: dict[int, float] = {}
    arrived = asyncio.Event()

    def on_b(entries: list[Committed]) -> None:
        now = time.perf_counter()
        for e in entries:
            seen_at[e.seq] = now
        arrived.set()

    a = RedisLog(url, prefix=prefix)
    b = RedisLog(url, prefix=prefix, on_commit=on_b)
    writer, reader = aioredis.from_url(url), aioredis.from_url(url)
    floor_key, last = f"{prefix}:floor", "0-0"
    await a.open()
    await b.open()
    try:
        acks, spread, floor = [], [], []
        for n in range(plan.paced):
            event = log_event(n)
            t0 = started = time.perf_counter()
            [result] = await a.append([event])
            acks.append((time.perf_counter() - t0) * 1e3)
            while result.seq not in seen_at:
                arrived.clear()
                await arrived.wait()
            spread.append((seen_at[result.seq] - t0) * 1e3)

            read = asyncio.create_task(reader.xread({floor_key: last}, block=FLOOR_BLOCK_MS))
            await asyncio.sleep(0.001)  # the read is (most likely) waiting, as a node's tail is
            t0 = time.perf_counter()
            last = await writer.xadd(floor_key, {"b": event.dump()})
            if not await read:
                raise SystemExit("redis: an XADD never reached the other client's XREAD")
            floor.append((time.perf_counter() - t0) * 1e3)
            await asyncio.sleep(max(0.0, PACE_SECONDS - (time.perf_counter() - started)))
        return {
            "ack_p99": p99(acks),
            "spread_p50": statistics.median(spread),
            "spread_p99": p99(spread),
            "floor_p99": p99(floor),
        }
    finally:
        await a.close()
        await b.close()
        await writer.aclose()
        await reader.aclose()


async def pipelined_xadds(server: RedisServer, key: str, plan: Plan) -> dict[str, float]:
    """The engine's own append rate: XADDs of the same bodies pipelined by redis-py, and their
    CPU per entry, this client's and redis-server's."""
    assert server.process is not None
    writer = aioredis.from_url(server.url)
    bodies = [orjson.dumps(log_event(n).model_dump(mode="json")) for n in range(plan.appends)]
    cpu, redis_cpu = time.process_time(), cpu_seconds(server.process.pid)
    t0 = time.perf_counter()
    for start in range(0, len(bodies), PIPELINE):
        pipe = writer.pipeline(transaction=False)
        for body in bodies[start : start + PIPELINE]:
            pipe.xadd(key, {"b": body})
        await pipe.execute()
    rate = plan.appends / (time.perf_counter() - t0)
    cpu = time.process_time() - cpu + cpu_seconds(server.process.pid) - redis_cpu
    await writer.aclose()
    return {"rate": rate, "cpu_us": cpu / plan.appends * 1e6}


def run(quick: bool) -> Result:
    plan = QUICK if quick else FULL
    server = RedisServer(Path(tempfile.mkdtemp(prefix="cityboard-bench-redis-")) / "redis")
    server.start()
    try:
        say("redis: two nodes")
        runs, floors, paced_runs = [], [], []
        for i in range(plan.repeats):  # each baseline right after its run: the same minute
            runs.append(two_node_appends(server, f"bench:{i}", plan))
            floors.append(asyncio.run(pipelined_xadds(server, f"floor:{i}", plan)))
        for i in range(plan.repeats):
            paced_runs.append(asyncio.run(paced(server.url, f"paced:{i}", plan)))
    finally:
        server.stop()

    def median(rows: list[dict[str, float]], name: str) -> float:
        return statistics.median(r[name] for r in rows)

    def median_ratio(rows: list[dict[str, float]], name: str, floor_name: str) -> float:
        return statistics.median(r[name] / f[floor_name] for r, f in zip(rows, floors, strict=True))

    for r in runs:
        r["cpu_us"] = r["node_cpu_us"] + r["redis_cpu_us"]
    spread = median(paced_runs, "spread_p99")
    return Result(
        [
            Figure(
                "redis",
                "two nodes: concurrent durable appends",
                median(runs, "rate"),
                "/s",
                (">=", APPENDS_TARGET),
                f"{sum(r['raced'] for r in runs):.0f} transactions moved past the other node's,"
                f" {sum(r['retries'] for r in runs):.0f} decided again",
            ),
            Figure(
                "redis",
                "appends vs pipelined XADD",
                median_ratio(runs, "rate", "rate"),
                "x",
                note=f"{median(floors, 'rate'):,.0f}/s",
            ),
            Figure(
                "redis",
                "CPU per append, both nodes + redis-server",
                median(runs, "cpu_us"),
                "µs",
                note=f"nodes {median(runs, 'node_cpu_us'):.1f},"
                f" redis-server {median(runs, 'redis_cpu_us'):.1f}",
            ),
            Figure(
                "redis",
                "CPU per append vs pipelined XADD's",
                median_ratio(runs, "cpu_us", "cpu_us"),
                "x",
                note=f"{median(floors, 'cpu_us'):.1f} µs, client + redis-server",
            ),
            Figure("redis", "commit-ack p99 at 200/s", median(paced_runs, "ack_p99"), "ms"),
            Figure("redis", "append → other node p50", median(paced_runs, "spread_p50"), "ms"),
            Figure("redis", "append → other node p99", spread, "ms", ("<=", SPREAD_P99_TARGET_MS)),
            Figure(
                "redis",
                "p99 vs XADD → XREAD BLOCK, by turns",
                statistics.median(r["spread_p99"] / r["floor_p99"] for r in paced_runs),
                "x",
                note=f"{median(paced_runs, 'floor_p99'):.2f} ms",
            ),
        ]
    )
