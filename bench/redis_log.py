"""Benchmark of the Redis Streams log with two nodes on one real redis-server (AOF, fsync always),
beside a bare XADD loop against the same server, so the ratio holds on a busy machine too.

Run: python bench/redis_log.py   (needs /usr/bin/redis-server; takes ~1 min)
Prints, per round: appends/s with both nodes writing at once (and how often one node's batch moved
past the other's, or was decided again) beside pipelined XADD of the same entries; then, at 200
entries/s, commit-ack latency and how long an entry takes from one node's append to the other
node's boards, beside one XADD and a second client's blocked XREAD.
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
from server.stream.events import encode_entry, entry_type_of
from server.stream.redis import RedisLog
from tests.redis_server import RedisServer

CONCURRENT_APPENDS = 20_000
ROUNDS = 3  # concurrent rounds, each beside its own bare XADD run
BARE_PIPELINE = 1_000  # XADDs per round trip in the bare loop
PACED_APPENDS = 1_000
PACE_SECONDS = 0.005  # 200 entries/s
BARE_KEY = "bench:bare"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def ms(values: list[float]) -> str:
    p50, p99 = percentile(values, 0.5) * 1e3, percentile(values, 0.99) * 1e3
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"


class Arrivals:
    """When each entry reached the reading side, for the paced latency figures."""

    def __init__(self) -> None:
        self.seen_at: dict[object, float] = {}
        self._arrived = asyncio.Event()

    def note(self, keys: list[object]) -> None:
        now = time.perf_counter()
        for key in keys:
            self.seen_at[key] = now
        self._arrived.set()

    async def since(self, key: object, t0: float) -> float:
        while key not in self.seen_at:
            self._arrived.clear()
            await self._arrived.wait()
        return self.seen_at[key] - t0


class Cpu:
    """CPU seconds of this process (both nodes, their tails) and of redis-server since a point:
    a busy machine stretches wall time, far less the work itself."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client

    async def now(self) -> tuple[float, float]:
        info = await self.client.info("cpu")
        return time.process_time(), info["used_cpu_user"] + info["used_cpu_sys"]

    async def per_entry(self, since: tuple[float, float], entries: int) -> str:
        ours, server = await self.now()
        python_us, server_us = (
            (now - then) / entries * 1e6 for now, then in zip((ours, server), since, strict=True)
        )
        return f"CPU per entry: Python {python_us:.1f} µs, redis-server {server_us:.1f} µs"


def stream_fields(first: int, count: int) -> list[dict[str, bytes | str]]:
    """The fields cityboard's log stores per entry, for the bare loop to write as they are."""
    fields = []
    for n in range(first, first + count):
        e = event(n)
        raw = encode_entry(n, "bare", "2026-01-01T00:00:00Z", entry_type_of(e), e.dump())
        fields.append(
            {"raw": raw, "type": "event", "event_id": e.event_id, "kind": e.kind.value}
            | {"severity": e.severity.value, "district": ""}
        )
    return fields


async def bare_xadds(
    client: aioredis.Redis, fields: list[dict[str, bytes | str]]
) -> tuple[float, str]:
    """Entries/s of pipelined XADD (no decisions, no projections): the engine's own pace."""
    cpu = Cpu(client)
    since = await cpu.now()
    start = time.perf_counter()
    for at in range(0, len(fields), BARE_PIPELINE):
        async with client.pipeline(transaction=False) as pipe:
            for f in fields[at : at + BARE_PIPELINE]:
                pipe.xadd(BARE_KEY, f)  # type: ignore[arg-type]
            await pipe.execute()
    rate = len(fields) / (time.perf_counter() - start)
    return rate, await cpu.per_entry(since, len(fields))


async def bare_paced(client: aioredis.Redis, reader: aioredis.Redis) -> tuple[list[float], ...]:
    """One XADD at a time at 200/s, and when a second client blocked in XREAD gets it."""
    arrivals = Arrivals()
    last = (await client.xinfo_stream(BARE_KEY))["last-generated-id"]
    stop = False

    async def tail() -> None:
        nonlocal last
        while not stop:
            for _, items in await reader.xread({BARE_KEY: last}, block=200) or []:
                arrivals.note([item_id for item_id, _ in items])
                last = items[-1][0]

    tailing = asyncio.create_task(tail())
    [fields] = stream_fields(900_000, 1)
    acks, spread = [], []
    for _ in range(PACED_APPENDS):
        t0 = time.perf_counter()
        item_id = await client.xadd(BARE_KEY, fields)  # type: ignore[arg-type]
        acks.append(time.perf_counter() - t0)
        spread.append(await arrivals.since(item_id, t0))
        await asyncio.sleep(max(0.0, PACE_SECONDS - (time.perf_counter() - t0)))
    stop = True
    await tailing
    return acks, spread


async def main() -> None:
    server = RedisServer(Path(tempfile.mkdtemp()) / "redis")
    server.start()
    arrivals, on_a = Arrivals(), Arrivals()
    a = RedisLog(server.url, prefix="bench:live", on_commit=lambda es: on_a.note([es[-1].seq]))
    b = RedisLog(
        server.url, prefix="bench:live", on_commit=lambda es: arrivals.note([e.seq for e in es])
    )
    client, reader = aioredis.Redis.from_url(server.url), aioredis.Redis.from_url(server.url)
    cpu = Cpu(client)
    await a.open()
    await b.open()
    try:
        for r in range(ROUNDS):
            first = r * CONCURRENT_APPENDS
            bare, bare_cpu = await bare_xadds(client, stream_fields(first, CONCURRENT_APPENDS))
            events = [event(first + n) for n in range(CONCURRENT_APPENDS)]
            commits, raced = a.commits + b.commits, a.raced + b.raced
            retries = a.retries + b.retries
            since = await cpu.now()
            start = time.perf_counter()
            await asyncio.gather(*[(a if n % 2 else b).append([e]) for n, e in enumerate(events)])
            ours = CONCURRENT_APPENDS / (time.perf_counter() - start)
            for tail in (on_a, arrivals):  # both tails have published it all
                await tail.since(first + CONCURRENT_APPENDS, 0.0)
            print(
                f"round {r + 1}: {CONCURRENT_APPENDS} concurrent single-entry appends from 2 nodes:"
                f" {ours:,.0f} entries/s in {a.commits + b.commits - commits} transactions"
                f" ({a.raced + b.raced - raced} moved past the other node's,"
                f" {a.retries + b.retries - retries} decided again;"
                f" {await cpu.per_entry(since, CONCURRENT_APPENDS)});"
                f" bare pipelined XADD {bare:,.0f} entries/s ({bare_cpu}); ratio {ours / bare:.2f}"
            )
        acks, spread = [], []
        for n in range(PACED_APPENDS):
            t0 = time.perf_counter()
            [result] = await a.append([event(100_000 + n)])
            acks.append(time.perf_counter() - t0)
            spread.append(await arrivals.since(result.seq, t0))
            await asyncio.sleep(max(0.0, PACE_SECONDS - (time.perf_counter() - t0)))
        bare_acks, bare_spread = await bare_paced(client, reader)
        print(
            f"redis log at 200 entries/s: commit-ack {ms(acks)}; append on node A to publish on"
            f" node B {ms(spread)}"
        )
        print(
            f"bare XADD at 200 entries/s: ack {ms(bare_acks)}; to a second client's XREAD"
            f" {ms(bare_spread)}"
        )
    finally:
        await a.close()
        await b.close()
        await client.aclose()
        await reader.aclose()
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
