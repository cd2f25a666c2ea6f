"""Soak benchmark (issue 11, "trust on the worst day"): many boards, a steady push, for minutes.

Run: python bench/soak.py [--boards 1000] [--minutes 10] [--rate 50] [--frozen 0.05]
                          [--reconnecting 0.05] [--workers 4] [--json OUT]
     (the defaults take ~11 minutes; `--boards 200 --minutes 1` is a quick look)

A real `cityboard serve` subprocess (no demo, a fresh SQLite log in a temporary directory) is
loaded by other processes, so the load generator's CPU is not spent inside the measured loop:

- one pusher process POSTs one event per request to `/api/push/soak` at `--rate` per second on
  a fixed schedule (a request is fired at its scheduled time whether or not the previous one was
  answered: no coordinated omission); each event carries its scheduled send time in
  `extra.soak_sched`, and it updates one of 500 active events (pushed once before the boards
  connect), so the board's active set stays the size of a city's;
- `--workers` board processes share the boards, each on its own asyncio loop:
  - live boards say `hello`, read every message and record each entry's seq and its latency
    (receive time - scheduled send time, both `time.time()` on this machine); they speak
    websocket through a small `asyncio.Protocol` (`BoardSocket`), because aiohttp's client
    costs so much a message that on two cores the generator, not the server, was measured;
  - frozen boards (`--frozen`) say `hello` and never read again (the `websockets` client with
    `max_queue=1` stops taking bytes off the socket). Half of them still send a websocket ping
    every 10 s and never wait for the pong (only the server's 4 MiB unsent limit can end them:
    4008 slow), the other half send nothing (the server's websocket heartbeat, a ping every
    `ws_heartbeat_seconds` that goes unanswered, may end them first);
  - reconnecting boards (`--reconnecting`) close every 10-30 s (random) and come back with
    `hello {resume: {epoch, after_seq}}`; a caught-up board should always be resumed.
  Any board the server closes reconnects and resumes, and is counted as an unplanned close.

At the end every reading board must hold each seq from its first snapshot to the last pushed
entry exactly once (lost = missing, duplicated = repeats; a snapshot on reconnect covers the
seqs it skips). Every 5 s the server's RSS (VmRSS), CPU (utime+stime), time spent waiting for
a CPU while runnable (schedstat: the machine is shared) and open sockets come from /proc, its
board count and 4008 total from `/metrics`. The frozen boards the server still holds are counted
once the reading boards have left, before the frozen ones go. One line per figure (a line a
minute for latency and CPU); `--json OUT` writes them, and the 5 s samples, as JSON.
No setting had to be raised: the server has no connection cap, and its limits are per board.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing as mp
import os
import queue as queue_module
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import orjson
import websockets

REPO = Path(__file__).resolve().parent.parent
TOKEN = "soak-push-token"
SOURCE = "soak"
ACTIVE_EVENTS = 500  # event ids the pushes cycle through (each push is a newer version of one)
SAMPLE_SECONDS = 5.0
CONNECT_CONCURRENCY = 20  # per worker process
RECONNECT_EVERY = (10.0, 30.0)
FROZEN_PING_SECONDS = 10.0
DRAIN_TIMEOUT_SECONDS = 60.0
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

# ---------------------------------------------------------------------------------------------
# the events


def event(n: int, sched: float | None) -> dict[str, Any]:
    """The n-th pushed event: id n mod ACTIVE_EVENTS, a newer version each time round."""
    kind, category = CATEGORIES[n % len(CATEGORIES)]
    at = datetime.fromtimestamp(sched if sched is not None else time.time(), UTC).isoformat()
    extra: dict[str, Any] = {"soak_n": n}
    if sched is not None:
        extra["soak_sched"] = sched
    return {
        "event_id": f"e{n % ACTIVE_EVENTS}",
        "version": n // ACTIVE_EVENTS + 1,
        "kind": kind,
        "category": category,
        "severity": SEVERITIES[n % len(SEVERITIES)],
        "title": f"soak event {n % ACTIVE_EVENTS} (update {n // ACTIVE_EVENTS + 1})",
        "description": DESCRIPTION,
        "sent_at": at,
        "geometry": {
            "type": "Point",
            "coordinates": [126.90 + (n % 97) * 0.002, 37.50 + (n % 89) * 0.002],
        },
        "extra": extra,
    }


# ---------------------------------------------------------------------------------------------
# small figures


def add(hist: dict[int, int], ms: float) -> None:
    """Count a latency in a 0.1 ms histogram."""
    key = max(0, int(ms * 10))
    hist[key] = hist.get(key, 0) + 1


def merged(hists: list[dict[int, int]]) -> dict[int, int]:
    total: Counter[int] = Counter()
    for h in hists:
        total.update(h)
    return dict(total)


def percentile(hist: dict[int, int], p: float) -> float:
    """The p-quantile (0..1) of a 0.1 ms histogram, in ms; nan when empty."""
    count = sum(hist.values())
    if count == 0:
        return float("nan")
    rank, seen = p * (count - 1), 0
    for key in sorted(hist):
        seen += hist[key]
        if seen > rank:
            return key / 10
    return max(hist) / 10


def hist_max(hist: dict[int, int]) -> float:
    return max(hist) / 10 if hist else float("nan")


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) samples, in MiB per minute."""
    if len(samples) < 2:
        return float("nan")
    n = len(samples)
    mx = sum(t for t, _ in samples) / n
    my = sum(v for _, v in samples) / n
    sxx = sum((t - mx) ** 2 for t, _ in samples)
    sxy = sum((t - mx) * (v - my) for t, v in samples)
    return sxy / sxx * 60 if sxx else float("nan")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runqueue_wait_seconds(pid: int) -> float:
    """Time the process's threads spent runnable but waiting for a CPU (/proc/.../schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


def sockets(pid: int) -> int:
    """How many sockets the process holds open."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd).startswith("socket:")
    return count


def machine_ticks() -> tuple[int, int, int]:
    """All CPUs' (busy, steal, total) clock ticks since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle, iowait, steal = fields[3], fields[4], fields[7]  # user nice system IDLE IOWAIT irq ..
    total = sum(fields)
    return total - idle - iowait, steal, total


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# the boards (run in worker processes)


class Tally:
    """What one reading board received: a byte per seq (1 received, 2 covered by a snapshot)."""

    def __init__(self) -> None:
        self.seen = bytearray(1024)
        self.last = 0  # the highest seq this board has (received or covered)
        self.epoch: str | None = None
        self.duplicated = 0
        self.out_of_order = 0
        self.received = 0

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


class BoardSocket(asyncio.Protocol):
    """A minimal websocket client for the reading boards: the upgrade, then unmasked frames from
    the server (text, ping, close) and masked frames to it (hello, pong, close).

    aiohttp's client spends ~19 µs a message (measured here: 91 % of a core for 47,000 entries/s,
    its loops ~0.8 s late at p99), so on two cores the generator would be what is measured.
    This one handles the frames of each read in one callback, without a task switch a message.
    """

    def __init__(self, host: str, on_text: Any) -> None:
        self.host = host
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
            f"GET /ws HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
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
        self.hist = worker.latency[kind]
        self.first = True
        self.planned = False  # the current connection follows a close this board asked for

    def on_text(self, payload: bytes, now: float) -> None:
        data = orjson.loads(payload)
        kind_of = data["type"]
        tally = self.tally
        if kind_of == "batch":
            hist = self.hist
            per_minute = self.worker.per_minute if self.kind == "live" else None
            start = self.worker.start.value
            for e in data["entries"]:
                tally.entry(e["seq"])
                sched = e["body"]["extra"].get("soak_sched")
                if sched is not None:
                    ms = (now - sched) * 1e3
                    add(hist, ms)
                    if per_minute is not None:
                        add(per_minute.setdefault(int((sched - start) // 60), {}), ms)
            tally.last = max(tally.last, data["head"])
        elif kind_of == "welcome":
            if tally.epoch is not None:
                modes = self.worker.modes if self.planned else self.worker.unplanned_modes
                modes[data["mode"]] += 1
                if tally.epoch != data["epoch"]:
                    self.worker.errors["epoch_changed"] += 1
            tally.epoch = data["epoch"]
        elif kind_of == "snapshot":
            skipped = tally.snapshot(data["seq"])
            if self.first:
                self.first = False
                self.ready.set()
            else:
                self.worker.snapshot_skipped += skipped
        elif kind_of == "error":
            self.worker.errors[data.get("code", "?")] += 1

    async def run(self) -> None:
        worker, tally = self.worker, self.tally
        loop = asyncio.get_running_loop()
        rng = random.Random()
        while not worker.finishing:
            hello: dict[str, Any] = {"v": 1, "type": "hello"}
            if tally.epoch is not None:
                hello["resume"] = {"epoch": tally.epoch, "after_seq": tally.last}
            sock = BoardSocket(f"{worker.host}:{worker.port}", self.on_text)
            try:
                async with worker.gate, asyncio.timeout(60):
                    await loop.create_connection(lambda s=sock: s, worker.host, worker.port)
                    await sock.open
            except (OSError, TimeoutError) as exc:
                worker.connect_failures[type(exc).__name__] += 1
                if sock.transport is not None:
                    sock.transport.abort()
                await asyncio.sleep(1)
                continue
            sock.send_text(orjson.dumps(hello))
            try:
                if self.kind == "reconnecting":
                    async with asyncio.timeout(rng.uniform(*RECONNECT_EVERY)):
                        await asyncio.shield(sock.closed)
                else:
                    await asyncio.shield(sock.closed)
                # the server closed it (or the connection broke)
                if not worker.finishing:
                    worker.unplanned[str(sock.close_code or "no close frame")] += 1
                self.planned = False
            except TimeoutError:  # time to leave: close, read until the server's close
                sock.close()
                try:
                    async with asyncio.timeout(10):
                        await asyncio.shield(sock.closed)
                except TimeoutError:
                    worker.errors["close_not_answered"] += 1
                self.planned = True
                worker.planned += 1
            finally:
                if sock.transport is not None:
                    sock.transport.abort()


class Worker:
    """One process's share of the boards and what they saw."""

    def __init__(self, url: str, start: Any, stop: Any, final_head: Any, release: Any) -> None:
        self.url = url
        split = urllib.parse.urlsplit(url)
        self.host, self.port = split.hostname or "127.0.0.1", split.port or 80
        self.start = start  # multiprocessing.Value: when the first push is scheduled
        self.stop = stop  # multiprocessing.Event: the pushes are over
        self.final_head = final_head  # multiprocessing.Value: the log's head after the pushes
        self.release = release  # multiprocessing.Event: the frozen boards may go
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
                        open_timeout=60,
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

    async def run(self, kinds: list[str], queue: Any) -> None:
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
        queue.put(("ready", len(kinds)))
        await asyncio.to_thread(self.stop.wait)
        head = self.final_head.value
        tallies = [b.tally for b in self.boards]
        for _ in range(int(DRAIN_TIMEOUT_SECONDS / 0.2)):  # the last entries on their way
            if all(t.last >= head for t in tallies):
                break
            await asyncio.sleep(0.2)
        behind = sum(t.last < head for t in tallies)
        self.finishing = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        lag.cancel()
        queue.put(("result", self.result(len(kinds), behind, head, own_cpu_seconds() - cpu0)))
        # the parent counts the frozen boards the server still holds, then lets them go
        await asyncio.to_thread(self.release.wait)
        for ws in self.frozen:
            ws.transport.abort()

    def result(self, boards: int, behind: int, head: int, cpu: float) -> dict[str, Any]:
        result: dict[str, Any] = {
            "boards": boards,
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


def worker_main(
    url: str, kinds: list[str], queue: Any, start: Any, stop: Any, final_head: Any, release: Any
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        asyncio.run(Worker(url, start, stop, final_head, release).run(kinds, queue))
    except BaseException as exc:
        queue.put(("failed", f"{type(exc).__name__}: {exc}"))
        raise


# ---------------------------------------------------------------------------------------------
# the pusher (its own process)


async def push_all(
    base: str, rate: float, count: int, queue: Any, go: Any, start: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    ack: dict[int, int] = {}
    outcomes: Counter[str] = Counter()
    head = 0
    late = 0.0
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:

        async def push_one(n: int, sched: float) -> None:
            nonlocal head
            body = orjson.dumps(event(n, sched))
            try:
                async with session.post(
                    f"{base}/api/push/{SOURCE}", data=body, timeout=aiohttp.ClientTimeout(60)
                ) as resp:
                    answer = await resp.json()
                    if resp.status != 202:
                        outcomes[f"http {resp.status} {answer.get('code')}"] += 1
                        return
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                outcomes[type(exc).__name__] += 1
                return
            add(ack, (time.time() - sched) * 1e3)
            result = answer["results"][0]
            outcomes[result["outcome"]] += 1
            head = max(head, result["seq"] or 0)

        queue.put(("pusher-ready", None))  # imported and connected: the parent sets the start
        await asyncio.to_thread(go.wait)
        start_at = start.value
        tasks = set()
        for k in range(count):
            sched = start_at + k / rate
            delay = sched - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                late = max(late, -delay)
            task = asyncio.create_task(push_one(ACTIVE_EVENTS + k, sched))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    return {"outcomes": dict(outcomes), "ack": ack, "head": head, "late_ms": late * 1e3}


def pusher_main(base: str, rate: float, count: int, queue: Any, go: Any, start: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cpu0 = own_cpu_seconds()
    try:
        result = asyncio.run(push_all(base, rate, count, queue, go, start))
    except BaseException as exc:
        queue.put(("failed", f"pusher: {type(exc).__name__}: {exc}"))
        raise
    result["cpu_seconds"] = own_cpu_seconds() - cpu0
    queue.put(("pushed", result))


# ---------------------------------------------------------------------------------------------
# the server and the run


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def metrics(base: str) -> dict[str, float]:
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith("cityboard_") and "{" not in line:
            name, value = line.split()
            values[name] = float(value)
    return values


def start_server(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "server.cli.main", "serve", "--no-demo"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--db", str(tmp / "soak.db")]
    env = {**os.environ, "CITYBOARD_PUSH_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    with open(tmp / "server.log", "wb") as log:  # the server keeps its own handle
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}:\n{tail(tmp / 'server.log')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as resp:
                if resp.status == 200:
                    return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server not ready in 30 s:\n{tail(tmp / 'server.log')}")


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def log_summary(path: Path) -> dict[str, Any]:
    """Warning and error lines of the server's log, grouped by their text (numbers blanked)."""
    levels: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        for level in ("WARNING", "ERROR", "CRITICAL", "Traceback"):
            if level in line:
                levels[level] += 1
                text = line.split(f"{level} ", 1)[-1]
                kinds["".join("#" if c.isdigit() else c for c in text)[:120]] += 1
                break
    return {"levels": dict(levels), "lines": dict(kinds.most_common(8))}


def split_boards(args: argparse.Namespace) -> list[list[str]]:
    """Each worker's boards: kinds interleaved, so every process carries its share of each."""
    frozen = round(args.boards * args.frozen)
    reconnecting = round(args.boards * args.reconnecting)
    live = args.boards - frozen - reconnecting
    kinds = (
        ["live"] * live
        + ["frozen-pinging" if i % 2 == 0 else "frozen-silent" for i in range(frozen)]
        + ["reconnecting"] * reconnecting
    )
    random.Random(11).shuffle(kinds)
    return [kinds[i :: args.workers] for i in range(args.workers)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--boards", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=50.0, help="events pushed per second")
    parser.add_argument("--frozen", type=float, default=0.05, help="share of boards that freeze")
    parser.add_argument("--reconnecting", type=float, default=0.05, help="share that reconnect")
    parser.add_argument("--workers", type=int, default=4, help="board processes")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}}
    with tempfile.TemporaryDirectory(prefix="cityboard-soak-") as tmpdir:
        tmp = Path(tmpdir)
        port = free_port()
        server = start_server(tmp, port)
        procs: list[Any] = []
        try:
            figures |= Run(args, port, server.pid, procs).go()
        finally:
            for proc in procs:
                proc.join(10)
                if proc.is_alive():
                    proc.terminate()
                    proc.join(10)
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            figures["server_log"] = log_summary(tmp / "server.log")
            figures["server_exit"] = server.returncode
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")


class Run:
    """One soak: connect the boards, push on schedule while sampling the server, then count."""

    def __init__(self, args: argparse.Namespace, port: int, pid: int, procs: list[Any]) -> None:
        self.args = args
        self.base, self.url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws"
        self.pid = pid
        self.procs = procs
        self.ctx = mp.get_context("spawn")
        self.queue = self.ctx.Queue()
        self.idle_sockets = sockets(pid)  # before any board: the listener and the like

    def receive(self, wanted: str, timeout: float) -> Any:
        tag, value = self.queue.get(timeout=timeout)
        if tag == "failed":
            raise SystemExit(f"a load process failed: {value}")
        assert tag == wanted, (tag, wanted)
        return value

    def go(self) -> dict[str, Any]:
        args, base, pid = self.args, self.base, self.pid
        # 500 active events before anyone connects: every board starts from a city-sized snapshot
        request = urllib.request.Request(
            f"{base}/api/push/{SOURCE}",
            data=orjson.dumps([event(n, None) for n in range(ACTIVE_EVENTS)]),
            method="POST",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert resp.status == 202

        stop, release, final_head = self.ctx.Event(), self.ctx.Event(), self.ctx.Value("q", 0)
        start = self.ctx.Value("d", 0.0)  # when the first push is scheduled (time.time())
        shares = split_boards(args)
        frozen = sum(k.startswith("frozen") for share in shares for k in share)
        reconnecting = sum(k == "reconnecting" for share in shares for k in share)
        reading = args.boards - frozen
        t_connect = time.monotonic()
        for share in shares:
            proc = self.ctx.Process(
                target=worker_main,
                args=(self.url, share, self.queue, start, stop, final_head, release),
            )
            proc.start()
            self.procs.append(proc)
        for _ in shares:
            self.receive("ready", 120 + args.boards / 5)
        connect_seconds = time.monotonic() - t_connect
        m0 = metrics(base)
        print(
            f"soak: {args.boards} boards connected in {connect_seconds:.1f} s (the server counts "
            f"{m0['cityboard_boards']:.0f}); pushing {args.rate:g} events/s for {args.minutes:g} "
            "min",
            flush=True,
        )

        count = round(args.rate * args.minutes * 60)
        go = self.ctx.Event()
        pusher = self.ctx.Process(
            target=pusher_main, args=(base, args.rate, count, self.queue, go, start)
        )
        pusher.start()
        self.procs.append(pusher)
        self.receive("pusher-ready", 60)
        start_at = start.value = time.time() + 0.5
        go.set()
        end_at = start_at + count / args.rate
        while time.time() < start_at:
            time.sleep(0.01)
        cpu0, t0 = cpu_seconds(pid), time.time()
        wait0, ticks0 = runqueue_wait_seconds(pid), machine_ticks()
        samples: list[dict[str, float]] = []
        pushed: dict[str, Any] | None = None
        next_sample = t0
        while pushed is None:
            if time.time() >= next_sample:
                samples.append(self.sample(t0, cpu0, wait0))
                if len(samples) % 12 == 1:  # a progress line a minute
                    s = samples[-1]
                    print(
                        f"  t={s['t']:4.0f} s  head {s['head']:.0f}  boards {s['boards']:.0f}  "
                        f"4008 {s['slow_closed']:.0f}  RSS {s['rss_mib']:.0f} MiB  "
                        f"server CPU {s['cpu_s']:.0f} s",
                        flush=True,
                    )
                next_sample += SAMPLE_SECONDS
            if time.time() > end_at + 120:
                raise SystemExit("the pusher did not finish within 2 minutes of its last send")
            try:
                pushed = self.receive("pushed", max(0.05, min(1.0, next_sample - time.time())))
            except queue_module.Empty:
                pass
        push_seconds = time.time() - t0
        cpu_push = cpu_seconds(pid) - cpu0
        waited = runqueue_wait_seconds(pid) - wait0
        busy, steal, ticks = (b - a for a, b in zip(ticks0, machine_ticks(), strict=True))
        m_end = metrics(base)
        rss_end = rss_mib(pid)
        samples.append(self.sample(t0, cpu0, wait0))

        head = int(get_json(f"{base}/readyz")["head"])
        final_head.value = head
        stop.set()
        results = [self.receive("result", DRAIN_TIMEOUT_SECONDS + 120) for _ in shares]
        held = self.settled_boards()  # the reading boards have left: the rest are frozen ones
        time.sleep(0.5)  # let the server close the socket of the last /metrics request
        sockets_held = sockets(pid)
        release.set()
        for proc in self.procs:
            proc.join(30)
        time.sleep(3)  # every board gone: does the memory come back?
        rss_after, sockets_after = rss_mib(pid), sockets(pid)
        boards_after = metrics(base)["cityboard_boards"]

        rss = [s["rss_mib"] for s in samples]
        second_half = [(s["t"], s["rss_mib"]) for s in samples if s["t"] >= push_seconds / 2]
        live = {k: sum(r["live"][k] for r in results) for k in results[0]["live"]}
        rec = {k: sum(r["reconnecting"][k] for r in results) for k in results[0]["reconnecting"]}
        delivered = live["received"] + rec["received"]
        lat_live = merged([r["latency"]["live"] for r in results])
        lat_rec = merged([r["latency"]["reconnecting"] for r in results])
        lag = merged([r["lag"] for r in results])
        minutes = sorted({m for r in results for m in r["per_minute"]})
        per_minute = {
            m: merged([r["per_minute"][m] for r in results if m in r["per_minute"]])
            for m in minutes
        }
        by_minute = []
        for m, hist in per_minute.items():
            a = next((x for x in samples if x["t"] >= 60 * m - 1), samples[-1])
            b = next((x for x in samples if x["t"] >= 60 * (m + 1) - 1), samples[-1])
            by_minute.append(
                {
                    "minute": m + 1,
                    "latency_p99_ms": percentile(hist, 0.99),
                    "server_cpu_s": round(b["cpu_s"] - a["cpu_s"], 1),
                    "server_runqueue_s": round(b["runqueue_s"] - a["runqueue_s"], 1),
                }
            )
        probe: dict[int, int] = {}
        for s in samples:
            add(probe, s["metrics_ms"])

        def total(key: str) -> dict[str, int]:
            return dict(sum((Counter(r[key]) for r in results), Counter()))

        return {
            "boards": args.boards,
            "reading_boards": reading,
            "frozen_boards": frozen,
            "reconnecting_boards": reconnecting,
            "cpus": os.cpu_count(),
            "connect_seconds": round(connect_seconds, 1),
            "push_seconds": round(push_seconds, 1),
            "pushes": count,
            "push_outcomes": pushed["outcomes"],
            "push_late_ms": round(pushed["late_ms"], 1),
            "ack_ms": {
                "p50": percentile(pushed["ack"], 0.5),
                "p99": percentile(pushed["ack"], 0.99),
                "max": hist_max(pushed["ack"]),
            },
            "head": head,
            "commits": m_end["cityboard_log_commits_total"] - m0["cityboard_log_commits_total"],
            "delivered": delivered,
            "deliveries_per_second": round(delivered / push_seconds),
            "latency_ms": {
                "p50": percentile(lat_live, 0.5),
                "p99": percentile(lat_live, 0.99),
                "p99.9": percentile(lat_live, 0.999),
                "max": hist_max(lat_live),
            },
            "by_minute": by_minute,
            "latency_reconnecting_ms": {
                "p50": percentile(lat_rec, 0.5),
                "p99": percentile(lat_rec, 0.99),
                "max": hist_max(lat_rec),
            },
            "lost": live["lost"] + rec["lost"],
            "boards_with_loss": live["boards_with_loss"] + rec["boards_with_loss"],
            "duplicated": live["duplicated"] + rec["duplicated"],
            "out_of_order": live["out_of_order"] + rec["out_of_order"],
            "behind_at_end": sum(r["behind_at_end"] for r in results),
            "frozen_dropped": frozen - int(held),
            "frozen_slow_closed_4008": m_end["cityboard_slow_boards_closed_total"]
            - m0["cityboard_slow_boards_closed_total"],
            "boards_open_at_end_of_pushes": m_end["cityboard_boards"],
            "boards_after_leaving": boards_after,
            "server_sockets": {
                "idle": self.idle_sockets,
                "frozen_left": sockets_held,
                "all_left": sockets_after,
            },
            "reconnects_planned": sum(r["planned"] for r in results),
            "reconnect_modes": total("modes"),
            "unplanned_closes": total("unplanned"),
            "unplanned_modes": total("unplanned_modes"),
            "snapshot_skipped_entries": sum(r["snapshot_skipped"] for r in results),
            "server_errors_to_boards": total("errors"),
            "connect_failures": total("connect_failures"),
            "rss_mib": {
                "start": round(rss[0], 1),
                "max": round(max(rss), 1),
                "end": round(rss_end, 1),
                "after_boards_left": round(rss_after, 1),
                "slope_second_half_mib_per_min": round(slope_per_minute(second_half), 2),
            },
            "machine_busy_share": round(busy / ticks, 2),
            "machine_steal_share": round(steal / ticks, 2),
            "server_runqueue_wait_seconds": round(waited, 1),
            "server_cpu_seconds": round(cpu_push, 1),
            "server_cpu_share": round(cpu_push / push_seconds, 2),
            "server_cpu_us_per_delivery": round(cpu_push / max(1, delivered) * 1e6, 2),
            "worker_cpu_share": round(sum(r["cpu_seconds"] for r in results) / push_seconds, 2),
            "pusher_cpu_share": round(pushed["cpu_seconds"] / push_seconds, 2),
            "worker_loop_lag_ms": {"p99": percentile(lag, 0.99), "max": hist_max(lag)},
            "metrics_answer_ms": {"p50": percentile(probe, 0.5), "max": hist_max(probe)},
            "samples": samples,
        }

    def sample(self, t0: float, cpu0: float, wait0: float) -> dict[str, float]:
        open_sockets = sockets(self.pid)  # before our own request adds one
        asked = time.perf_counter()
        m = metrics(self.base)  # how long it takes says how busy the server's loop is
        answered = time.perf_counter()
        return {
            "t": round(time.time() - t0, 1),
            "metrics_ms": round((answered - asked) * 1e3, 1),
            "rss_mib": round(rss_mib(self.pid), 1),
            "cpu_s": round(cpu_seconds(self.pid) - cpu0, 2),
            "runqueue_s": round(runqueue_wait_seconds(self.pid) - wait0, 2),
            "sockets": open_sockets,
            "boards": m["cityboard_boards"],
            "slow_closed": m["cityboard_slow_boards_closed_total"],
            "head": m["cityboard_log_head_seq"],
        }

    def settled_boards(self) -> float:
        """The server's board count once it stops changing (closes take a moment)."""
        last = metrics(self.base)["cityboard_boards"]
        for _ in range(20):
            time.sleep(0.5)
            now = metrics(self.base)["cityboard_boards"]
            if now == last:
                return now
            last = now
        return last


def report(f: dict[str, Any]) -> None:
    def ms(d: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.1f} ms" for k, v in d.items())

    rss = f["rss_mib"]
    print(
        f"soak: {f['boards']} boards ({f['reading_boards'] - f['reconnecting_boards']} live, "
        f"{f['frozen_boards']} frozen, {f['reconnecting_boards']} reconnecting) for "
        f"{f['push_seconds']:.0f} s on {f['cpus']} CPUs"
    )
    print(
        f"push: {f['pushes']} events, one per request on a fixed schedule: "
        f"{f['push_outcomes']}; ack {ms(f['ack_ms'])}; pusher at most "
        f"{f['push_late_ms']:.0f} ms behind schedule; {f['commits']:.0f} commits"
    )
    print(f"deliveries: {f['delivered']:,} entries, {f['deliveries_per_second']:,}/s")
    print(f"latency push→board (scheduled send → received, live boards): {ms(f['latency_ms'])}")
    print("by minute: latency p99 (live boards), server CPU, time the server waited for a CPU")
    for m in f["by_minute"]:
        print(
            f"  minute {m['minute']:2}: p99 {m['latency_p99_ms']:6.0f} ms, "
            f"CPU {m['server_cpu_s']:4.1f} s, waited {m['server_runqueue_s']:4.1f} s"
        )
    print(
        "latency push→board (reconnecting boards, backlog after reconnects included): "
        f"{ms(f['latency_reconnecting_ms'])}"
    )
    print(
        f"lost: {f['lost']} (on {f['boards_with_loss']} boards), duplicated: {f['duplicated']}, "
        f"out of order: {f['out_of_order']}, boards short of the head after the drain: "
        f"{f['behind_at_end']}"
    )
    print(
        f"frozen: {f['frozen_dropped']}/{f['frozen_boards']} dropped by the server "
        f"({f['frozen_slow_closed_4008']:.0f} of them closed 4008 slow, the rest otherwise); "
        f"the server counted {f['boards_open_at_end_of_pushes']:.0f} boards at the end of the "
        f"pushes, {f['boards_after_leaving']:.0f} once all had left"
    )
    socks = f["server_sockets"]
    print(
        f"server sockets: {socks['idle']} before the boards, {socks['frozen_left']} when only the"
        f" frozen ones were left ({f['frozen_boards'] - f['frozen_dropped']} still counted as"
        f" boards), {socks['all_left']} once all had left"
    )
    print(
        f"reconnects: {f['reconnects_planned']} planned, welcome.mode {f['reconnect_modes']}; "
        f"unplanned closes {f['unplanned_closes']} → {f['unplanned_modes']}; "
        f"entries skipped by snapshots {f['snapshot_skipped_entries']}"
    )
    print(
        f"server RSS: start {rss['start']:.0f} MiB, max {rss['max']:.0f}, end {rss['end']:.0f}, "
        f"slope over the second half {rss['slope_second_half_mib_per_min']:+.2f} MiB/min, "
        f"{rss['after_boards_left']:.0f} MiB 3 s after the boards left"
    )
    print(
        f"server CPU: {f['server_cpu_seconds']:.0f} s over the pushes ({f['server_cpu_share']:.0%}"
        f" of a core), {f['server_cpu_us_per_delivery']:.1f} µs per delivered entry"
    )
    print(
        f"load generators: boards {f['worker_cpu_share']:.0%} of a core, pusher "
        f"{f['pusher_cpu_share']:.0%}; board-process loop lag p99 "
        f"{f['worker_loop_lag_ms']['p99']:.1f} ms, max {f['worker_loop_lag_ms']['max']:.0f} ms"
    )
    print(
        f"machine: its {f['cpus']} CPUs {f['machine_busy_share']:.0%} busy during the pushes (all"
        f" processes, other users' too; steal {f['machine_steal_share']:.0%}); the server waited"
        f" {f['server_runqueue_wait_seconds']:.0f} s in total for a CPU while runnable"
    )
    print(
        f"server responsiveness: GET /metrics answered in p50 {f['metrics_answer_ms']['p50']:.1f}"
        f" ms, max {f['metrics_answer_ms']['max']:.0f} ms (sampled every {SAMPLE_SECONDS:g} s)"
    )
    if f["server_errors_to_boards"] or f["connect_failures"]:
        print(
            f"errors: sent to boards {f['server_errors_to_boards']}, "
            f"connect failures {f['connect_failures']}"
        )
    log = f["server_log"]
    print(f"server log: {log['levels'] or 'no warnings or errors'}; exit {f['server_exit']}")
    for line, n in log["lines"].items():
        print(f"  {n} x {line}")


if __name__ == "__main__":
    main()
