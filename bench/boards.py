"""The load: board processes that read (or freeze), and a pusher process; both apart from the
server, so their CPU is not the server's.

- `Load` runs `workers` board processes, each on its own asyncio loop, and drives them by
  command: measure (start a phase), collect (wait for a head, report the phase), down / up (a
  resume storm), finish (the accounting) and release (the frozen boards may go).
- Reading boards speak websocket through `BoardSocket`, a small `asyncio.Protocol`: aiohttp's
  client spends ~19 µs a message, so on two cores the generator, not the server, was measured.
  Each records every entry's seq (`Tally`: lost = a seq never received, duplicated = a seq
  received twice) and its latency: receive time - the *scheduled* send time the pusher stamped in
  `extra.bench_sched` (both `time.time()` on this host), so coordinated omission is avoided.
- Frozen boards say hello and never read again (the `websockets` client with `max_queue=1`);
  half of them still ping every 10 s, the other half send nothing.
- Reconnecting boards close every 10-30 s and come back with `hello {resume}`; any board the
  server closes reconnects and resumes too, counted as an unplanned close.
- `push` (in its own process) POSTs events to `/api/push/bench` on a fixed schedule (fired at its
  time whether or not the previous one was answered) or, at rate 0, as fast as `concurrency`
  requests in flight allow, each event stamped with its send time.
"""

from __future__ import annotations

import asyncio
import base64
import multiprocessing as mp
import os
import queue as queue_module
import random
import signal
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
import websockets

from bench.harness import (
    SOURCE,
    TOKEN,
    add,
    cpu_seconds,
    machine_ticks,
    merged,
    own_cpu_seconds,
    rss_mib,
)

ACTIVE_EVENTS = 500  # event ids the pushes cycle through (each push is a newer version of one)
CONNECT_CONCURRENCY = 20  # per worker process
CONNECT_TIMEOUT_SECONDS = 60.0
RECONNECT_EVERY = (10.0, 30.0)
FROZEN_PING_SECONDS = 10.0
DRAIN_TIMEOUT_SECONDS = 60.0
COMMAND_TIMEOUT_SECONDS = 600.0  # the longest a worker's answer may take (a soak's drain)
PUSH_TIMEOUT_SECONDS = 60.0
RSS_SAMPLE_SECONDS = 0.5
CATEGORIES = (
    ("traffic", "traffic.accident"),
    ("disaster", "disaster.fire"),
    ("complaint", "complaint.noise"),
)
SEVERITIES = ("minor", "moderate", "severe", "extreme")
DESCRIPTION = (
    "Two vehicles collided at the junction; one lane is closed while the tow truck works. "
    "Police on site direct traffic; expect delays of ten to fifteen minutes in both directions."
)


def event(n: int, sched: float | None) -> dict[str, Any]:
    """The n-th pushed event: id n mod ACTIVE_EVENTS, a newer version each time round."""
    kind, category = CATEGORIES[n % len(CATEGORIES)]
    at = datetime.fromtimestamp(sched if sched is not None else time.time(), UTC).isoformat()
    extra: dict[str, Any] = {"bench_n": n}
    if sched is not None:
        extra["bench_sched"] = sched
    return {
        "event_id": f"e{n % ACTIVE_EVENTS}",
        "version": n // ACTIVE_EVENTS + 1,
        "kind": kind,
        "category": category,
        "severity": SEVERITIES[n % len(SEVERITIES)],
        "title": f"bench event {n % ACTIVE_EVENTS} (update {n // ACTIVE_EVENTS + 1})",
        "description": DESCRIPTION,
        "sent_at": at,
        "geometry": {
            "type": "Point",
            "coordinates": [126.90 + (n % 97) * 0.002, 37.50 + (n % 89) * 0.002],
        },
        "extra": extra,
    }


# ---------------------------------------------------------------------------------------------
# one board's accounting


class Tally:
    """What one reading board received: a byte per seq (1 received, 2 covered by a snapshot)."""

    def __init__(self) -> None:
        self.seen = bytearray(1024)
        self.last = 0  # the highest seq this board has (received or covered)
        self.epoch: str | None = None
        self.duplicated = 0
        self.out_of_order = 0
        self.received = 0
        self.batches = 0  # batch frames that carried entries (entries per frame = received / this)

    def _room(self, seq: int) -> None:
        if seq >= len(self.seen):
            self.seen.extend(bytes(max(seq + 1 - len(self.seen), len(self.seen))))

    def snapshot(self, seq: int) -> int:
        """A snapshot consistent with `seq`: every seq up to it is covered; returns how many
        seqs after the board's last one it skipped."""
        self._room(seq)
        skipped = max(0, seq - self.last)
        for s in range(self.last + 1, seq + 1):
            if not self.seen[s]:
                self.seen[s] = 2
        self.last = max(self.last, seq)
        return skipped

    def entry(self, seq: int) -> None:
        self._room(seq)
        if self.seen[seq]:
            self.duplicated += 1
            return
        self.seen[seq] = 1
        self.received += 1
        if seq < self.last:
            self.out_of_order += 1
        self.last = max(self.last, seq)

    def lost(self, head: int) -> int:
        self._room(head)
        return self.seen[1 : head + 1].count(0)


# ---------------------------------------------------------------------------------------------
# the boards (run in worker processes)


class BoardSocket(asyncio.Protocol):
    """A minimal websocket client for the reading boards: the upgrade, then unmasked frames from
    the server (text, ping, close) and masked frames to it (hello, pong, close); the frames of
    one read are handled in one callback, without a task switch a message."""

    def __init__(self, host: str, path: str, on_text: Any) -> None:
        self.host = host
        self.path = path
        self.on_text = on_text  # called with (payload, time.time() of the read)
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.fragments: list[bytes] = []
        self.open: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None  # the code of the server's close frame, if any

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.open.done():
            self.open.set_exception(ConnectionError(f"closed before the upgrade: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, opcode: int, payload: bytes) -> None:
        """One masked, final frame (payloads under 64 KiB: hello, pong, close)."""
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x80 | opcode, 0x80 | n]) if n < 126 else bytes([0x80 | opcode, 0xFE])
        if n >= 126:
            header += n.to_bytes(2, "big")
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(header + mask + masked)

    def send_text(self, text: bytes) -> None:
        self.send(0x1, text)

    def close(self, code: int = 1000) -> None:
        self.send(0x8, code.to_bytes(2, "big"))

    def data_received(self, data: bytes) -> None:
        now = time.time()
        buf = self.buffer
        buf += data
        pos = 0
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            if b" 101 " not in status:
                self.open.set_exception(ConnectionError(status.decode(errors="replace")))
                assert self.transport is not None
                self.transport.close()
                return
            self.upgraded = True
            self.open.set_result(None)
            pos = end + 4
        size = len(buf)
        while size - pos >= 2:
            b0, n = buf[pos], buf[pos + 1] & 0x7F
            start = pos + 2
            if n == 126:
                if size - pos < 4:
                    break
                n, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
            elif n == 127:
                if size - pos < 10:
                    break
                n, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
            if size - start < n:
                break
            payload = bytes(buf[start : start + n])
            pos = start + n
            opcode = b0 & 0x0F
            if opcode in (0x0, 0x1):  # text, or its continuation
                self.fragments.append(payload)
                if b0 & 0x80:
                    whole = b"".join(self.fragments)
                    self.fragments = []
                    self.on_text(whole, now)
            elif opcode == 0x9:
                self.send(0xA, payload)  # pong
            elif opcode == 0x8:
                if self.close_code is None and len(payload) >= 2:
                    self.close_code = int.from_bytes(payload[:2], "big")
                self.close(self.close_code or 1000)
                assert self.transport is not None
                self.transport.close()
        del buf[:pos]


class ReadingBoard:
    """A board that reads everything; `reconnecting` ones leave and resume every 10-30 s."""

    def __init__(self, worker: Worker, kind: str, ready: asyncio.Event) -> None:
        self.worker = worker
        self.kind = kind
        self.ready = ready
        self.tally = Tally()
        self.first = True
        self.planned = False  # the current connection follows a close this board asked for
        self.sock: BoardSocket | None = None

    def on_text(self, payload: bytes, now: float) -> None:
        data = orjson.loads(payload)
        kind_of = data["type"]
        tally = self.tally
        worker = self.worker
        if kind_of == "batch":
            hist = worker.latency[self.kind]
            per_minute = worker.per_minute if self.kind == "live" else None
            start = worker.start.value
            tally.batches += bool(data["entries"])
            for e in data["entries"]:
                tally.entry(e["seq"])
                sched = e["body"].get("extra", {}).get("bench_sched")
                if sched is not None:
                    ms = (now - sched) * 1e3
                    add(hist, ms)
                    if per_minute is not None:
                        add(per_minute.setdefault(int((sched - start) // 60), {}), ms)
            tally.last = max(tally.last, data["head"])
        elif kind_of == "welcome":
            if tally.epoch is not None:
                modes = worker.modes if self.planned else worker.unplanned_modes
                modes[data["mode"]] += 1
                if tally.epoch != data["epoch"]:
                    worker.errors["epoch_changed"] += 1
            tally.epoch = data["epoch"]
        elif kind_of == "snapshot":
            skipped = tally.snapshot(data["seq"])
            if self.first:
                self.first = False
                self.ready.set()
            else:
                worker.snapshot_skipped += skipped
        elif kind_of == "error":
            worker.errors[data.get("code", "?")] += 1

    async def run(self) -> None:
        worker, tally = self.worker, self.tally
        loop = asyncio.get_running_loop()
        rng = random.Random()
        while not worker.finishing:
            await worker.joined.wait()  # a resume storm holds the boards off here
            hello: dict[str, Any] = {"v": 1, "type": "hello"}
            if tally.epoch is not None:
                hello["resume"] = {"epoch": tally.epoch, "after_seq": tally.last}
            sock = BoardSocket(f"{worker.host}:{worker.port}", worker.path, self.on_text)
            try:
                async with worker.gate, asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
                    await loop.create_connection(lambda s=sock: s, worker.host, worker.port)
                    await sock.open
            except (OSError, TimeoutError) as exc:
                worker.connect_failures[type(exc).__name__] += 1
                if sock.transport is not None:
                    sock.transport.abort()
                await asyncio.sleep(1)
                continue
            self.sock = sock
            sock.send_text(orjson.dumps(hello))
            try:
                if self.kind == "reconnecting":
                    async with asyncio.timeout(rng.uniform(*RECONNECT_EVERY)):
                        await asyncio.shield(sock.closed)
                else:
                    await asyncio.shield(sock.closed)
                if self.planned_close():  # a resume storm closed it
                    continue
                if not worker.finishing:  # the server closed it (or the connection broke)
                    worker.unplanned[str(sock.close_code or "no close frame")] += 1
                self.planned = False
            except TimeoutError:  # time to leave: close, read until the server's close
                await self.leave(sock)
                worker.planned += 1
            finally:
                if sock.transport is not None:
                    sock.transport.abort()

    def planned_close(self) -> bool:
        return not self.worker.joined.is_set()

    async def leave(self, sock: BoardSocket) -> None:
        """Close as a board that goes away does, and wait for the server's close."""
        self.planned = True
        sock.close()
        try:
            async with asyncio.timeout(10):
                await asyncio.shield(sock.closed)
        except TimeoutError:
            self.worker.errors["close_not_answered"] += 1


class Worker:
    """One process's share of the boards, what they saw, and the commands that drive them."""

    def __init__(self, url: str, start: Any, commands: Any, results: Any) -> None:
        split = urllib.parse.urlsplit(url)
        self.url = url
        self.host, self.port = split.hostname or "127.0.0.1", split.port or 80
        self.path = split.path or "/"
        self.start = start  # multiprocessing.Value: when the first push is scheduled
        self.commands = commands
        self.results = results
        self.finishing = False
        self.boards: list[ReadingBoard] = []
        self.latency: dict[str, dict[int, int]] = {"live": {}, "reconnecting": {}}
        self.per_minute: dict[int, dict[int, int]] = {}  # live boards, by minute of the run
        self.modes: Counter[str] = Counter()  # welcome.mode after planned reconnects
        self.unplanned: Counter[str] = Counter()  # closes we did not ask for, by code
        self.unplanned_modes: Counter[str] = Counter()  # welcome.mode after those
        self.snapshot_skipped = 0
        self.errors: Counter[str] = Counter()  # error messages from the server, by code
        self.connect_failures: Counter[str] = Counter()
        self.planned = 0
        self.lag: dict[int, int] = {}
        self.frozen: list[Any] = []
        self.gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        self.joined = asyncio.Event()
        self.joined.set()
        self.phase_received = 0
        self.phase_batches = 0
        self.phase_cpu = 0.0

    async def frozen_board(self, pinging: bool, ready: asyncio.Event) -> None:
        """Say hello, then never read: max_queue=1 stops pulling bytes off the socket."""
        while True:
            try:
                async with self.gate:
                    ws = await websockets.connect(
                        self.url,
                        compression=None,
                        max_queue=1,
                        max_size=None,
                        open_timeout=CONNECT_TIMEOUT_SECONDS,
                        ping_interval=FROZEN_PING_SECONDS if pinging else None,
                        ping_timeout=None,  # never gives up waiting for a pong it cannot read
                    )
                break
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                self.connect_failures[type(exc).__name__] += 1
                await asyncio.sleep(1)
        await ws.send(orjson.dumps({"v": 1, "type": "hello"}).decode())
        self.frozen.append(ws)
        ready.set()

    async def lag_probe(self) -> None:
        """How late this process's loop wakes (is the load generator itself saturated?)."""
        while not self.finishing:
            t0 = time.monotonic()
            await asyncio.sleep(0.1)
            add(self.lag, (time.monotonic() - t0 - 0.1) * 1e3)

    def received(self) -> int:
        return sum(b.tally.received for b in self.boards)

    def batches(self) -> int:
        return sum(b.tally.batches for b in self.boards)

    async def caught_up(self, head: int) -> int:
        """Wait (bounded) until every reading board has `head`; how many are still short."""
        tallies = [b.tally for b in self.boards]
        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not all(t.last >= head for t in tallies):  # noqa: ASYNC110 - polling many tallies
            await asyncio.sleep(0.01)
        return sum(t.last < head for t in tallies)

    async def run(self, kinds: list[str]) -> None:
        cpu0 = own_cpu_seconds()
        tasks, readies = [], []
        for kind in kinds:
            ready = asyncio.Event()
            readies.append(ready)
            if kind.startswith("frozen"):
                coro = self.frozen_board(kind == "frozen-pinging", ready)
            else:
                board = ReadingBoard(self, kind, ready)
                self.boards.append(board)
                coro = board.run()
            tasks.append(asyncio.create_task(coro))
        lag = asyncio.create_task(self.lag_probe())
        await asyncio.gather(*(r.wait() for r in readies))
        self.results.put(("ready", len(kinds)))
        while True:
            command, arg = await asyncio.to_thread(self.commands.get)
            if command == "measure":
                self.latency = {"live": {}, "reconnecting": {}}
                self.phase_received, self.phase_cpu = self.received(), own_cpu_seconds()
                self.phase_batches = self.batches()
                self.results.put(("measuring", None))
            elif command == "collect":
                behind = await self.caught_up(arg)
                self.results.put(("collected", self.phase(behind)))
            elif command == "down":
                self.joined.clear()
                await asyncio.gather(*(b.leave(b.sock) for b in self.boards if b.sock))
                self.results.put(("down", None))
            elif command == "up":
                head, fresh = arg
                if fresh:  # come back as new boards: a snapshot each, no resume
                    for b in self.boards:
                        b.tally.epoch = None
                t0 = time.monotonic()
                self.joined.set()
                behind = await self.caught_up(head)
                self.results.put(("up", {"seconds": time.monotonic() - t0, "behind": behind}))
            elif command == "finish":
                behind = await self.caught_up(arg)
                self.finishing = True
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                lag.cancel()
                self.results.put(("final", self.final(behind, arg, own_cpu_seconds() - cpu0)))
            elif command == "release":
                for ws in self.frozen:
                    ws.transport.abort()
                return

    def phase(self, behind: int) -> dict[str, Any]:
        return {
            "received": self.received() - self.phase_received,
            "batches": self.batches() - self.phase_batches,
            "latency": self.latency,
            "behind": behind,
            "cpu_seconds": own_cpu_seconds() - self.phase_cpu,
        }

    def final(self, behind: int, head: int, cpu: float) -> dict[str, Any]:
        result: dict[str, Any] = {
            "behind_at_end": behind,
            "planned": self.planned,
            "modes": dict(self.modes),
            "unplanned": dict(self.unplanned),
            "unplanned_modes": dict(self.unplanned_modes),
            "snapshot_skipped": self.snapshot_skipped,
            "errors": dict(self.errors),
            "connect_failures": dict(self.connect_failures),
            "latency": self.latency,
            "per_minute": self.per_minute,
            "lag": self.lag,
            "cpu_seconds": cpu,
        }
        for kind in ("live", "reconnecting"):
            group = [b.tally for b in self.boards if b.kind == kind]
            result[kind] = {
                "received": sum(t.received for t in group),
                "lost": sum(t.lost(head) for t in group),
                "boards_with_loss": sum(t.lost(head) > 0 for t in group),
                "duplicated": sum(t.duplicated for t in group),
                "out_of_order": sum(t.out_of_order for t in group),
            }
        return result


def worker_main(url: str, kinds: list[str], start: Any, commands: Any, results: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        asyncio.run(Worker(url, start, commands, results).run(kinds))
    except BaseException as exc:
        results.put(("failed", f"{type(exc).__name__}: {exc}"))
        raise


def split_boards(
    boards: int, workers: int, frozen: float = 0.0, reconnecting: float = 0.0
) -> list[list[str]]:
    """Each worker's boards: kinds interleaved, so every process carries its share of each."""
    n_frozen = round(boards * frozen)
    n_reconnecting = round(boards * reconnecting)
    live = boards - n_frozen - n_reconnecting
    kinds = (
        ["live"] * live
        + ["frozen-pinging" if i % 2 == 0 else "frozen-silent" for i in range(n_frozen)]
        + ["reconnecting"] * n_reconnecting
    )
    random.Random(11).shuffle(kinds)
    return [share for share in (kinds[i::workers] for i in range(workers)) if share]


# ---------------------------------------------------------------------------------------------
# the pusher (its own process)


@dataclass
class Push:
    """What to push: `count` events `batch` to a request, at `rate` requests/s (0: as fast as
    `concurrency` requests in flight allow), numbering events from `first`."""

    count: int
    rate: float = 0.0
    batch: int = 1
    concurrency: int = 8
    first: int = ACTIVE_EVENTS
    seconds: float = float("inf")  # at rate 0: stop sending after this long


async def push_all(base: str, plan: Push, results: Any, go: Any, start: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    ack: dict[int, int] = {}
    outcomes: Counter[str] = Counter()
    head = 0
    late = 0.0
    url = f"{base}/api/push/{SOURCE}"
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:

        async def push_one(n: int, sched: float) -> None:
            nonlocal head
            events = [event(n + i, sched) for i in range(plan.batch)]
            body = orjson.dumps(events[0] if plan.batch == 1 else events)
            try:
                async with session.post(
                    url, data=body, timeout=aiohttp.ClientTimeout(PUSH_TIMEOUT_SECONDS)
                ) as resp:
                    answer = await resp.json()
                    if resp.status != 202:
                        outcomes[f"http {resp.status} {answer.get('code')}"] += 1
                        return
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                outcomes[type(exc).__name__] += 1
                return
            add(ack, (time.time() - sched) * 1e3)
            for result in answer["results"]:
                outcomes[result["outcome"]] += 1
                head = max(head, result["seq"] or 0)

        requests = plan.count // plan.batch
        results.put(("pusher-ready", None))  # imported and connected: the parent sets the start
        await asyncio.to_thread(go.wait)
        start_at = start.value
        # the phase is timed from start_at: nothing may go before it, at any rate
        await asyncio.sleep(max(0.0, start_at - time.time()))
        if plan.rate > 0:
            tasks = set()
            for k in range(requests):
                sched = start_at + k / plan.rate
                delay = sched - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    late = max(late, -delay)
                task = asyncio.create_task(push_one(plan.first + k * plan.batch, sched))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks)
        else:
            numbers = iter(range(requests))

            async def loop() -> None:
                for k in numbers:
                    if time.time() > start_at + plan.seconds:
                        return
                    await push_one(plan.first + k * plan.batch, time.time())

            await asyncio.gather(*(loop() for _ in range(plan.concurrency)))
    return {
        "outcomes": dict(outcomes),
        "ack": ack,
        "head": head,
        "late_ms": late * 1e3,
        "sent": sum(ack.values()) * plan.batch,
        "seconds": time.time() - start_at,
    }


def pusher_main(base: str, plan: Push, results: Any, go: Any, start: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cpu0 = own_cpu_seconds()
    try:
        result = asyncio.run(push_all(base, plan, results, go, start))
    except BaseException as exc:
        results.put(("failed", f"pusher: {type(exc).__name__}: {exc}"))
        raise
    result["cpu_seconds"] = own_cpu_seconds() - cpu0
    results.put(("pushed", result))


# ---------------------------------------------------------------------------------------------
# the parent's side


class Load:
    """Board processes on one server, driven phase by phase; a `with` block ends them."""

    def __init__(self, ws_url: str, shares: list[list[str]]) -> None:
        self.ws_url = ws_url
        self.shares = shares
        self.ctx = mp.get_context("spawn")
        self.results = self.ctx.Queue()
        self.start = self.ctx.Value("d", 0.0)  # when the first push is scheduled (time.time())
        self.commands = [self.ctx.Queue() for _ in shares]
        self.procs: list[Any] = []
        self.connect_seconds = 0.0

    def receive(self, wanted: str, timeout: float = COMMAND_TIMEOUT_SECONDS) -> Any:
        try:
            tag, value = self.results.get(timeout=timeout)
        except queue_module.Empty:
            raise SystemExit(f"the boards did not answer {wanted!r} in {timeout:g} s") from None
        if tag == "failed":
            raise SystemExit(f"a load process failed: {value}")
        assert tag == wanted, (tag, wanted)
        return value

    def __enter__(self) -> Load:
        t0 = time.monotonic()
        for share, commands in zip(self.shares, self.commands, strict=True):
            proc = self.ctx.Process(
                target=worker_main,
                args=(self.ws_url, share, self.start, commands, self.results),
                daemon=True,  # a failed run must not wait on its load for ever
            )
            proc.start()
            self.procs.append(proc)
        boards = sum(len(s) for s in self.shares)
        for _ in self.shares:
            self.receive("ready", 120 + boards / 5)
        self.connect_seconds = time.monotonic() - t0
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
                proc.join(10)

    def ask(self, command: str, arg: Any, answer: str) -> list[Any]:
        """Send a command to every worker and gather their answers."""
        for commands in self.commands:
            commands.put((command, arg))
        return [self.receive(answer) for _ in self.commands]

    def measure(self) -> None:
        self.ask("measure", None, "measuring")

    def collect(self, head: int) -> dict[str, Any]:
        """The phase since `measure`, once every board has `head` (or the drain timed out)."""
        parts = self.ask("collect", head, "collected")
        return {
            "received": sum(p["received"] for p in parts),
            "batches": sum(p["batches"] for p in parts),
            "latency": merged([p["latency"]["live"] for p in parts]),
            "behind": sum(p["behind"] for p in parts),
            "cpu_seconds": sum(p["cpu_seconds"] for p in parts),
        }

    def down(self) -> None:
        self.ask("down", None, "down")

    def up(self, head: int, fresh: bool = False) -> dict[str, Any]:
        """Every board comes back at once (resuming, or `fresh` for a snapshot): seconds until
        the last has `head`."""
        parts = self.ask("up", (head, fresh), "up")
        return {
            "seconds": max(p["seconds"] for p in parts),
            "behind": sum(p["behind"] for p in parts),
        }

    def finish(self, head: int) -> list[dict[str, Any]]:
        return self.ask("finish", head, "final")

    def release(self) -> None:
        for commands in self.commands:
            commands.put(("release", None))

    def phase(self, pid: int, base: str, plan: Push) -> dict[str, Any]:
        """Push `plan` and drain: what the boards got, the server's CPU (/proc, over the pushes
        and the drain) and its highest RSS (sampled every RSS_SAMPLE_SECONDS)."""
        self.measure()
        cpu0, ticks0 = cpu_seconds(pid), machine_ticks()
        pusher = self.push(base, plan)
        rss = rss_mib(pid)
        pushed = None
        while pushed is None:
            pushed = pusher.poll(RSS_SAMPLE_SECONDS)
            rss = max(rss, rss_mib(pid))
        got = self.collect(pushed["head"])
        busy, _, ticks = (b - a for a, b in zip(ticks0, machine_ticks(), strict=True))
        return {
            "machine_busy": busy / max(1, ticks),  # every process's, other users' too
            "pushed": pushed,
            "boards": got,
            "seconds": time.time() - pusher.start_at,
            "cpu_seconds": cpu_seconds(pid) - cpu0,
            "rss_max_mib": max(rss, rss_mib(pid)),
        }

    def push(self, base: str, plan: Push, lead_seconds: float = 0.5) -> Pusher:
        """Start a pusher process; `Pusher.wait` returns its result."""
        return Pusher(self.ctx, self.start, base, plan, lead_seconds)


class Pusher:
    """A pusher process, started and scheduled; `wait` for what it did."""

    def __init__(self, ctx: Any, start: Any, base: str, plan: Push, lead: float) -> None:
        self.results = results = ctx.Queue()  # its own: the workers answer on the Load's
        go = ctx.Event()
        self.proc = ctx.Process(
            target=pusher_main, args=(base, plan, results, go, start), daemon=True
        )
        self.proc.start()
        tag, value = results.get(timeout=60)
        if tag == "failed":
            raise SystemExit(f"the pusher failed: {value}")
        start.value = self.start_at = time.time() + lead
        go.set()
        while time.time() < self.start_at:
            time.sleep(0.005)

    def wait(self, timeout: float = COMMAND_TIMEOUT_SECONDS) -> dict[str, Any]:
        result = self.poll(timeout)
        if result is None:
            raise SystemExit(f"the pusher did not finish in {timeout:g} s")
        return result

    def poll(self, timeout: float) -> dict[str, Any] | None:
        """The pusher's result if it finished within `timeout`, else None."""
        try:
            tag, value = self.results.get(timeout=timeout)
        except queue_module.Empty:
            return None
        if tag == "failed":
            raise SystemExit(f"the pusher failed: {value}")
        assert tag == "pushed", tag
        self.proc.join(10)
        return dict(value)
