"""`redis`: the Redis Streams log with two nodes on one real redis-server (AOF, fsync always).

Two `RedisLog`s (the nodes) share one stream in this process: appends/s with both writing at
once (and how often they raced), commit-ack latency at 200 entries/s, and the time from one
node's append to its publication on the other node. Baselines in the same run, on the same
redis-server: `XADD`s of the same bodies pipelined by redis-py (the engine's own append rate),
and an `XADD` seen by a second client's `XREAD BLOCK` (the floor of append → other node).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
import redis.asyncio as aioredis

from bench.harness import Figure, Result, say
from bench.ingest import log_event
from server.stream.log import Committed
from server.stream.redis import RedisLog
from tests.redis_server import RedisServer

APPENDS_TARGET = 30_000.0  # entries/s, two nodes
SPREAD_P99_TARGET_MS = 2.0  # append on A → published on B
PACE_SECONDS = 0.005  # 200 entries/s
PIPELINE = 500  # XADDs per round trip in the baseline
FLOOR_BLOCK_MS = 2_000  # the baseline's XREAD waits at most this long


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


async def two_nodes(url: str, prefix: str, plan: Plan) -> dict[str, float]:
    seen_at: dict[int, float] = {}
    arrived = asyncio.Event()

    def on_b(entries: list[Committed]) -> None:
        now = time.perf_counter()
        for e in entries:
            seen_at[e.seq] = now
        arrived.set()

    a = RedisLog(url, prefix=prefix)
    b = RedisLog(url, prefix=prefix, on_commit=on_b)
    await a.open()
    await b.open()
    try:
        events = [log_event(n) for n in range(plan.appends)]
        t0 = time.perf_counter()
        await asyncio.gather(*[(a if n % 2 else b).append([e]) for n, e in enumerate(events)])
        took = time.perf_counter() - t0
        acks, spread = [], []
        for n in range(plan.paced):
            t0 = time.perf_counter()
            [result] = await a.append([log_event(1_000_000 + n)])
            acks.append((time.perf_counter() - t0) * 1e3)
            assert result.seq is not None
            while result.seq not in seen_at:
                arrived.clear()
                await arrived.wait()
            spread.append((seen_at[result.seq] - t0) * 1e3)
            await asyncio.sleep(max(0.0, PACE_SECONDS - (time.perf_counter() - t0)))
        return {
            "rate": plan.appends / took,
            "retries": a.retries + b.retries,
            "raced": a.raced + b.raced,
            "ack_p99": p99(acks),
            "spread_p50": statistics.median(spread),
            "spread_p99": p99(spread),
        }
    finally:
        await a.close()
        await b.close()


async def engine_floor(url: str, key: str, plan: Plan) -> dict[str, float]:
    """Pipelined XADDs of the same bodies, and XADD → a second client's XREAD BLOCK."""
    writer, reader = aioredis.from_url(url), aioredis.from_url(url)
    bodies = [orjson.dumps(log_event(n).model_dump(mode="json")) for n in range(plan.appends)]
    t0 = time.perf_counter()
    for start in range(0, len(bodies), PIPELINE):
        pipe = writer.pipeline(transaction=False)
        for body in bodies[start : start + PIPELINE]:
            pipe.xadd(key, {"b": body})
        ids = await pipe.execute()
    rate = plan.appends / (time.perf_counter() - t0)
    last = ids[-1]
    spread = []
    for n in range(plan.paced):
        read = asyncio.create_task(reader.xread({key: last}, block=FLOOR_BLOCK_MS, count=1))
        await asyncio.sleep(0.001)  # the read is (most likely) waiting, as a node's tail is
        t0 = time.perf_counter()
        last = await writer.xadd(key, {"b": bodies[n % len(bodies)]})
        if not await read:
            raise SystemExit("redis: an XADD never reached the other client's XREAD")
        spread.append((time.perf_counter() - t0) * 1e3)
    await writer.aclose()
    await reader.aclose()
    return {"rate": rate, "spread_p99": p99(spread)}


def run(quick: bool) -> Result:
    plan = QUICK if quick else FULL
    server = RedisServer(Path(tempfile.mkdtemp(prefix="cityboard-bench-redis-")) / "redis")
    server.start()
    try:
        say("redis: two nodes")
        runs = [asyncio.run(two_nodes(server.url, f"bench:{i}", plan)) for i in range(plan.repeats)]
        floors = [
            asyncio.run(engine_floor(server.url, f"floor:{i}", plan)) for i in range(plan.repeats)
        ]
    finally:
        server.stop()
    rate = statistics.median(r["rate"] for r in runs)
    floor = statistics.median(f["rate"] for f in floors)
    spread = statistics.median(r["spread_p99"] for r in runs)
    floor_spread = statistics.median(f["spread_p99"] for f in floors)
    return Result(
        [
            Figure(
                "redis",
                "two nodes: concurrent durable appends",
                rate,
                "/s",
                (">=", APPENDS_TARGET),
                f"{sum(r['raced'] for r in runs)} transactions moved past the other node's,"
                f" {sum(r['retries'] for r in runs)} decided again",
            ),
            Figure("redis", "appends vs pipelined XADD", rate / floor, "x", note=f"{floor:,.0f}/s"),
            Figure(
                "redis",
                "commit-ack p99 at 200/s",
                statistics.median(r["ack_p99"] for r in runs),
                "ms",
            ),
            Figure(
                "redis",
                "append → other node p50",
                statistics.median(r["spread_p50"] for r in runs),
                "ms",
            ),
            Figure("redis", "append → other node p99", spread, "ms", ("<=", SPREAD_P99_TARGET_MS)),
            Figure(
                "redis",
                "p99 vs XADD → XREAD BLOCK",
                spread / floor_spread,
                "x",
                note=f"{floor_spread:.2f} ms",
            ),
        ]
    )
