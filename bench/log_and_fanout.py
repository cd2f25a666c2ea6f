"""Benchmarks of the two hot paths: durable group commit, and hub fan-out to real sockets.

Run: python bench/log_and_fanout.py   (takes ~30 s; prints one line per measurement)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiosqlite
from aiohttp import ClientSession, TCPConnector, WSMsgType
from aiohttp.test_utils import TestServer

from server.http.app import create_app
from server.http.board import BOARD
from server.settings import Settings
from server.stream.events import Event
from server.stream.sqlite import EventLog

NOW = datetime.now(UTC)


def event(n: int) -> Event:
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


async def bare_group_commit(path: Path, bodies: list[bytes]) -> float:
    """The naive baseline: concurrent appends of encoded bodies, queued to one writer that commits
    all it has in one transaction (WAL, synchronous=FULL); returns the seconds taken."""
    db = await aiosqlite.connect(path, isolation_level=None)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=FULL")
    await db.execute("CREATE TABLE log (seq INTEGER PRIMARY KEY, body BLOB NOT NULL)")
    queue: asyncio.Queue[tuple[bytes, asyncio.Future[int]]] = asyncio.Queue()

    async def writer() -> None:
        head = 0
        while True:
            work = [await queue.get()]
            while not queue.empty():
                work.append(queue.get_nowait())
            rows = [(head + n, body) for n, (body, _) in enumerate(work, 1)]
            await db.execute("BEGIN IMMEDIATE")
            await db.executemany("INSERT INTO log VALUES (?, ?)", rows)
            await db.execute("COMMIT")
            head += len(rows)
            for (_, done), (seq, _) in zip(work, rows, strict=True):
                done.set_result(seq)

    async def append(body: bytes) -> int:
        done = asyncio.get_running_loop().create_future()
        queue.put_nowait((body, done))
        return await done

    task = asyncio.create_task(writer())
    start = time.perf_counter()
    await asyncio.gather(*[append(body) for body in bodies])
    took = time.perf_counter() - start
    task.cancel()
    await db.close()
    return took


async def bench_log(tmp: Path) -> None:
    log = EventLog(tmp / "bench.db")
    await log.open()
    events = [event(n) for n in range(20_000)]
    start = time.perf_counter()
    await asyncio.gather(*[log.append([e]) for e in events])
    took = time.perf_counter() - start
    rate = len(events) / took
    print(
        f"log: {len(events)} concurrent single-entry appends, durable (WAL, synchronous=FULL): "
        f"{rate:,.0f} entries/s in {log.commits} transactions"
    )
    bare = len(events) / await bare_group_commit(tmp / "bare.db", [e.dump() for e in events])
    print(
        f"baseline: bare aiosqlite group commit of the same bodies (one table, no checks): "
        f"{bare:,.0f} entries/s; cityboard at {rate / bare:.2f}x"
    )
    latencies = []
    for n in range(1_000):  # 200 entries/s, one at a time: commit-acknowledge latency
        t0 = time.perf_counter()
        await log.append([event(100_000 + n)])
        latencies.append(time.perf_counter() - t0)
        await asyncio.sleep(max(0.0, 0.005 - latencies[-1]))
    latencies.sort()
    print(
        f"log: commit-ack latency at 200 entries/s: "
        f"p50 {statistics.median(latencies) * 1e3:.2f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1e3:.2f} ms"
    )
    await log.close()


async def bench_fanout(tmp: Path, clients: int, entries: int) -> None:
    app = create_app(Settings(db_path=tmp / f"fan{clients}.db", demo=False))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    board = app[BOARD]
    url = f"ws://127.0.0.1:{server.port}/ws"
    async with ClientSession(connector=TCPConnector(limit=0)) as session:
        sockets = [await session.ws_connect(url) for _ in range(clients)]
        for ws in sockets:
            await ws.send_str('{"v":1,"type":"hello"}')
            await ws.receive()  # welcome
            await ws.receive()  # snapshot
        received = [0] * clients

        async def reader(i: int) -> None:
            while received[i] < entries:
                msg = await sockets[i].receive()
                if msg.type != WSMsgType.TEXT:
                    return
                received[i] += msg.data.count('"seq":')

        readers = [asyncio.create_task(reader(i)) for i in range(clients)]
        spent = 0.0
        original = board.hub.publish

        def timed(batch: list) -> None:  # type: ignore[type-arg]
            nonlocal spent
            t0 = time.perf_counter()
            original(batch)
            spent += time.perf_counter() - t0

        board.log.on_commit = timed
        for start in range(0, entries, 10):  # 10 entries per commit
            await board.log.append([event(start + i) for i in range(10)])
        await asyncio.wait_for(asyncio.gather(*readers), 120)
        deliveries = sum(received)
        print(
            f"hub: {entries} entries to {clients} clients in batches of 10: "
            f"{spent / deliveries * 1e6:.2f} µs per entry delivered, "
            f"{spent / (clients * entries / 10) * 1e6:.2f} µs per frame written, "
            f"{board.hub.slow_closed} clients dropped as slow"
        )
        for ws in sockets:
            await ws.close()
    await server.close()


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await bench_log(Path(tmp))
        for clients in (10, 100, 500):
            await bench_fanout(Path(tmp), clients, 2_000)


if __name__ == "__main__":
    asyncio.run(main())
