"""Benchmark of the Redis Streams log with two nodes on one real redis-server (AOF, fsync always).

Run: python bench/redis_log.py   (needs /usr/bin/redis-server; takes ~20 s)
Prints: appends/s with both nodes writing at once (and how often they raced), commit-ack latency
at 200 entries/s, and how long an entry takes from one node's append to the other node's boards.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis.asyncio as aioredis

from bench.log_and_fanout import event
from server.stream.log import Committed
from server.stream.redis import RedisLog
from tests.redis_server import RedisServer

CONCURRENT_APPENDS = 20_000
PACED_APPENDS = 1_000
PACE_SECONDS = 0.005  # 200 entries/s


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def pipelined_xadd(url: str, bodies: list[bytes]) -> float:
    """The naive baseline: every body XADDed in one pipeline (one round trip); seconds taken."""
    r = aioredis.Redis.from_url(url)
    start = time.perf_counter()
    async with r.pipeline(transaction=False) as pipe:
        for body in bodies:
            pipe.xadd("bench:bare", {"raw": body})
        await pipe.execute()
    took = time.perf_counter() - start
    await r.aclose()
    return took


async def main() -> None:
    server = RedisServer(Path(tempfile.mkdtemp()) / "redis")
    server.start()
    seen_at: dict[int, float] = {}
    arrived = asyncio.Event()

    def on_b(entries: list[Committed]) -> None:
        now = time.perf_counter()
        for e in entries:
            seen_at[e.seq] = now
        arrived.set()

    a = RedisLog(server.url, prefix="bench:live")
    b = RedisLog(server.url, prefix="bench:live", on_commit=on_b)
    await a.open()
    await b.open()
    try:
        events = [event(n) for n in range(CONCURRENT_APPENDS)]
        start = time.perf_counter()
        await asyncio.gather(*[(a if n % 2 else b).append([e]) for n, e in enumerate(events)])
        took = time.perf_counter() - start
        print(
            f"redis log: {CONCURRENT_APPENDS} concurrent single-entry appends from 2 nodes: "
            f"{CONCURRENT_APPENDS / took:,.0f} entries/s in {a.commits + b.commits} transactions,"
            f" {a.retries + b.retries} decided again after the other node won the race"
        )
        bare = CONCURRENT_APPENDS / await pipelined_xadd(server.url, [e.dump() for e in events])
        rate = CONCURRENT_APPENDS / took
        print(
            f"baseline: one pipeline of XADDs of the same bodies (no seqs, no checks, one node): "
            f"{bare:,.0f} entries/s; cityboard at {rate / bare:.2f}x"
        )
        acks, spread = [], []
        for n in range(PACED_APPENDS):
            t0 = time.perf_counter()
            [result] = await a.append([event(100_000 + n)])
            acks.append(time.perf_counter() - t0)
            while result.seq not in seen_at:
                arrived.clear()
                await arrived.wait()
            spread.append(seen_at[result.seq] - t0)
            await asyncio.sleep(max(0.0, PACE_SECONDS - (time.perf_counter() - t0)))
        print(
            f"redis log at 200 entries/s: commit-ack p50 {percentile(acks, 0.5) * 1e3:.2f} ms,"
            f" p99 {percentile(acks, 0.99) * 1e3:.2f} ms; append on node A to publish on node B"
            f" p50 {percentile(spread, 0.5) * 1e3:.2f} ms,"
            f" p99 {percentile(spread, 0.99) * 1e3:.2f} ms"
        )
    finally:
        await a.close()
        await b.close()
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
