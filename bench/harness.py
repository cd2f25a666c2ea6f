"""What every scenario shares: a real `cityboard serve`, /proc readings, histograms, the report.

The figures a scenario returns are `Figure`s: a value, its unit and, when the issue sets one, a
target it passes or misses. Only `lost` and `duplicated` figures decide the exit code (CI).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.memory import settle_collector

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-push-token"
SOURCE = "bench"
READY_SECONDS = 30.0
STOP_SECONDS = 20.0
ACCOUNTING = ("lost", "duplicated")  # the only figures that fail a run
MAX_CONNECTIONS = 4096  # the server's cap (512 by default) raised for 1,000 boards and more
PROFILES: list[Path] = []  # a folder here (python -m bench --profile DIR): servers run cProfile

# ---------------------------------------------------------------------------------------------
# the report


@dataclass
class Figure:
    """One measured figure; `target` is ("<=" | ">=", limit) when the issue sets one."""

    scenario: str
    name: str
    value: float
    unit: str = ""
    target: tuple[str, float] | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        op, limit = self.target
        ok = self.value <= limit if op == "<=" else self.value >= limit
        return "pass" if ok else "miss"

    @property
    def failed(self) -> bool:
        """Lost or duplicated entries: the run is wrong, not only slow."""
        return self.name.split()[0] in ACCOUNTING and self.value > 0


def fmt(value: float) -> str:
    """A figure as a person reads it: thousands separated, two significant decimals below 10."""
    if value != value:  # nan
        return "n/a"
    if value == int(value):
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def report(figures: list[Figure]) -> str:
    """The results table, each figure beside its target as pass/miss."""
    rows = [("scenario", "figure", "value", "target", "")]
    for f in figures:
        target = f"{f.target[0]} {fmt(f.target[1])}" if f.target else ""
        verdict = "FAIL" if f.failed else f.verdict
        note = f"  ({f.note})" if f.note else ""
        rows.append(
            (f.scenario, f.name + note, f"{fmt(f.value)} {f.unit}".strip(), target, verdict)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2].rjust(widths[2])]
        lines.append("  ".join([*cells, r[3].ljust(widths[3]), r[4]]).rstrip())
    return "\n".join(lines)


def say(text: str) -> None:
    """A progress line (the table comes at the end)."""
    print(text, file=sys.stderr, flush=True)


def median_of(runs: int, measure: Callable[[], float]) -> float:
    """The median of `runs` repeats of a short measurement (the machine is shared and noisy)."""
    return statistics.median(measure() for _ in range(runs))


# ---------------------------------------------------------------------------------------------
# histograms of milliseconds (0.1 ms buckets: bounded memory however many samples)


def add(hist: dict[int, int], ms: float) -> None:
    """Count a latency in a 0.1 ms histogram."""
    key = max(0, int(ms * 10))
    hist[key] = hist.get(key, 0) + 1


def merged(hists: list[dict[int, int]]) -> dict[int, int]:
    """One histogram of many (keys may arrive as strings after JSON)."""
    total: Counter[int] = Counter()
    for h in hists:
        total.update({int(k): v for k, v in h.items()})
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


# ---------------------------------------------------------------------------------------------
# /proc


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


def peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM: getrusage's maxrss would carry the parent's over a spawn)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# HTTP


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def post_json(url: str, body: bytes, token: str = TOKEN) -> Any:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as resp:
        return json.loads(resp.read())


def metrics(base: str) -> dict[str, float]:
    """The server's unlabelled Prometheus figures."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith("cityboard_") and "{" not in line:
            name, value = line.split()
            values[name] = float(value)
    return values


# ---------------------------------------------------------------------------------------------
# servers under test


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def log_summary(path: Path) -> dict[str, Any]:
    """Warning and error lines of a server's log, grouped by their text (numbers blanked)."""
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


@dataclass
class Server:
    """A server process under test: `cityboard serve`, or a baseline (bench/baselines.py).

    `base` takes the pushes (POST /api/push/bench), `ws` the boards; `pid` is what /proc reads.
    """

    command: list[str]
    folder: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    ws_port: int | None = None  # a baseline whose boards connect elsewhere than its pushes
    cwd: Path = REPO  # the source tree it runs from (another build's, to compare two)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port or self.port}/ws"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Server:
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "CITYBOARD_PUSH_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1", **self.env}
        command = [a.format(port=self.port, ws_port=self.ws_port) for a in self.command]
        with open(self.folder / "server.log", "wb") as log:  # the server keeps its own handle
            self.process = subprocess.Popen(
                command, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited with {self.process.returncode}:\n{tail(self.log)}")
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.process.kill()
        raise SystemExit(f"server not ready in {READY_SECONDS:g} s:\n{tail(self.log)}")

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def stop(self) -> int:
        """SIGTERM, then the exit code (killed after STOP_SECONDS)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def cityboard(folder: Path, repo: Path = REPO, **env: str) -> Server:
    """A real `cityboard serve` run from `repo`: no demo, a fresh SQLite log in `folder`; `env`
    sets CITYBOARD_*."""
    command = [sys.executable]
    if PROFILES:  # written when the server exits (SIGTERM ends `serve` cleanly)
        PROFILES[0].mkdir(parents=True, exist_ok=True)
        command += ["-m", "cProfile", "-o", str(PROFILES[0] / f"{folder.name}.prof")]
    command += ["-m", "server.cli.main", "serve", "--no-demo", "--host", "127.0.0.1"]
    command += ["--port", "{port}", "--db", str(folder / "bench.db")]
    env = {"http_max_connections": str(MAX_CONNECTIONS), **env}
    return Server(command, folder, {f"CITYBOARD_{k.upper()}": v for k, v in env.items()}, cwd=repo)


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    """Start a server, stop it however the block ends."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary folder for one scenario's databases, logs and recordings."""
    with tempfile.TemporaryDirectory(prefix=f"cityboard-bench-{prefix}-") as tmp:
        yield Path(tmp)


def baseline(kind: str, folder: Path, *flags: str) -> Server:
    """A baseline server of bench/baselines.py (its boards on a port of their own if it says)."""
    command = [sys.executable, "-m", "bench.baselines", kind, "{port}"]
    ws_port = free_port() if kind in ("broadcast", "floor") else None
    if ws_port is not None:
        command.append("{ws_port}")
    return Server([*command, *flags], folder / kind, ws_port=ws_port)


@dataclass
class Result:
    """What a scenario hands the report: its figures, and a detail table (text) if it has one."""

    figures: list[Figure]
    detail: str = ""


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """A plain text table, first column left, the rest right-aligned."""
    everything = [header, *rows]
    widths = [max(len(r[i]) for r in everything) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in everything
    )


@contextlib.contextmanager
def as_served() -> Iterator[None]:
    """The collector as `cityboard serve` runs it (server/memory.py `settle_collector`) for a
    part of the server measured in this process; CPython's defaults again afterwards."""
    thresholds = gc.get_threshold()
    settle_collector()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
