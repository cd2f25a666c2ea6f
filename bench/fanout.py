"""`fanout`: 10 / 100 / 1,000 boards at 20, 100, 1,000 events/s and as fast as pushes go, on a
real `cityboard serve` and on three baselines (bench/baselines.py) in the same run.

Each server gets its boards once per board count; the rates then run as phases on the same
boards. A phase: the pusher POSTs on a fixed schedule for `seconds`, at most 100 requests a
second (1,000 events/s go as 10-event pushes: what is measured is the fan-out, not single-event
ingest, which the `ingest` scenario measures), or, at rate 0, 10-event pushes as fast as 8
requests in flight allow; then the boards drain to the pushed head. Server CPU per delivered
entry = its /proc utime+stime over the phase and the drain / entries the boards received. Lost
and duplicated entries are counted per server, over all its phases. A phase never asks for more
than 200,000 deliveries (1,000 boards x 1,000 events/s pushes for 0.2 s): on two cores the
board processes, not the server, set the pace above ~30,000 entries/s (see the boards' CPU
column).

One cell alone, with cityboard under each of several coalescing windows beside the naive loop and
the floor, alternated three times (and other builds beside this one with `--build TREE`):
`python -m bench.fanout --boards 1000 --rate 100 --windows 0.02,0 --rounds 3`.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bench.boards import ACTIVE_EVENTS, Load, Push, split_boards
from bench.harness import (
    REPO,
    Figure,
    Result,
    Server,
    baseline,
    cityboard,
    fmt,
    hist_max,
    percentile,
    running,
    say,
    scratch,
    table,
)

WORKERS = 4  # board processes
MAX_RATE = 0  # a phase at "as fast as possible"
TARGET_CELL = (1000, 100)  # the targets are set at 1,000 boards x 100 events/s
CPU_RATIO_TARGET = 0.6  # x the naive loop's CPU per delivered entry
P99_TARGET_MS = 60.0
BASELINES = ("naive", "broadcast", "floor")
MAX_REQUESTS_PER_SECOND = 100  # higher rates go in batches
MAX_BATCH = 10  # events a request at "as fast as possible"
MAX_DELIVERIES_PER_PHASE = 200_000  # two cores read ~30,000 entries/s: a phase drains in ~7 s


@dataclass(frozen=True)
class Plan:
    boards: tuple[int, ...]
    rates: tuple[int, ...]  # cityboard's phases
    baseline_rates: tuple[int, ...]  # the baselines' (fewer: their figures are references)
    seconds: float
    baselines: tuple[str, ...] = BASELINES


FULL = Plan(
    boards=(10, 100, 1000),
    rates=(20, 100, 1000, MAX_RATE),
    baseline_rates=(100, MAX_RATE),
    seconds=6.0,
)
QUICK = Plan(boards=(100,), rates=(100,), baseline_rates=(100,), seconds=2.0, baselines=("naive",))


def rate_name(rate: int) -> str:
    return f"{rate}/s" if rate else "max"


def pushes(
    rate: int, boards: int, seconds: float, first: int, deliveries: int = MAX_DELIVERIES_PER_PHASE
) -> Push:
    """`rate` events/s for `seconds` in at most MAX_REQUESTS_PER_SECOND requests a second; at
    rate 0, MAX_BATCH-event requests for `seconds` as fast as they are answered. Never more
    than `deliveries` entries to deliver: the drain must end."""
    most = max(MAX_BATCH, deliveries // boards)
    if not rate:
        return Push(most, 0, batch=MAX_BATCH, first=first, seconds=seconds)
    batch = max(1, rate // MAX_REQUESTS_PER_SECOND)
    return Push(min(most, round(rate * seconds)), rate / batch, batch=batch, first=first)


def session(
    server: Server,
    boards: int,
    rates: tuple[int, ...],
    seconds: float,
    deliveries: int = MAX_DELIVERIES_PER_PHASE,
) -> list[dict[str, Any]]:
    """One server with `boards` boards: a phase per rate (at most `deliveries` to deliver in
    each), then the accounting."""
    cells = []
    head = 0
    first = ACTIVE_EVENTS
    with running(server), Load(server.ws, split_boards(boards, WORKERS)) as load:
        for rate in rates:
            ran = load.phase(
                server.pid, server.base, pushes(rate, boards, seconds, first, deliveries)
            )
            pushed, got = ran["pushed"], ran["boards"]
            head = max(head, pushed["head"])
            first += pushed["sent"] + 1
            hist = got["latency"]
            cells.append(
                {
                    "boards": boards,
                    "rate": rate,
                    "events": pushed["sent"],
                    "events_per_s": pushed["sent"] / pushed["seconds"],
                    "delivered": got["received"],
                    "deliveries_per_s": got["received"] / ran["seconds"],
                    "entries_per_frame": got["received"] / max(1, got["batches"]),
                    "p50_ms": percentile(hist, 0.5),
                    "p99_ms": percentile(hist, 0.99),
                    "max_ms": hist_max(hist),
                    "cpu_us": ran["cpu_seconds"] / max(1, got["received"]) * 1e6,
                    "rss_mib": ran["rss_max_mib"],
                    "behind": got["behind"],
                    "load_cpu_share": got["cpu_seconds"] / ran["seconds"],
                    "machine_busy": ran["machine_busy"],
                    "push_errors": {k: v for k, v in pushed["outcomes"].items() if k != "appended"},
                }
            )
            say(f"  fanout {boards} boards x {rate_name(rate)}: {cell_line(cells[-1])}")
        finals = load.finish(head)
        load.release()
    lost = sum(f["live"]["lost"] for f in finals)
    duplicated = sum(f["live"]["duplicated"] for f in finals)
    for cell in cells:
        cell["lost"], cell["duplicated"] = lost, duplicated  # per server and board count
    return cells


def cell_line(c: dict[str, Any]) -> str:
    return (
        f"{c['deliveries_per_s']:,.0f} deliveries/s, p50 {fmt(c['p50_ms'])} / p99 "
        f"{fmt(c['p99_ms'])} / max {fmt(c['max_ms'])} ms, {c['cpu_us']:.2f} µs CPU/delivery, "
        f"{c['entries_per_frame']:.2f} entries/frame, "
        f"RSS {c['rss_mib']:.0f} MiB"
    )


def run(quick: bool) -> Result:
    plan = QUICK if quick else FULL
    results: dict[str, list[dict[str, Any]]] = {}
    with scratch("fanout") as tmp:
        for boards in plan.boards:
            servers = {"cityboard": (cityboard(tmp / f"cityboard-{boards}"), plan.rates)}
            for kind in plan.baselines:
                servers[kind] = (baseline(kind, tmp / f"{boards}"), plan.baseline_rates)
            for name, (server, rates) in servers.items():
                say(f"fanout: {name}, {boards} boards")
                results.setdefault(name, []).extend(session(server, boards, rates, plan.seconds))
    return summarize(results, quick)


def summarize(results: dict[str, list[dict[str, Any]]], quick: bool) -> Result:
    figures = []
    rows = []
    for name, cells in results.items():
        for c in cells:
            rows.append(
                (
                    name,
                    str(c["boards"]),
                    rate_name(c["rate"]),
                    f"{c['events_per_s']:,.0f}",
                    f"{c['deliveries_per_s']:,.0f}",
                    fmt(c["p50_ms"]),
                    fmt(c["p99_ms"]),
                    fmt(c["max_ms"]),
                    f"{c['cpu_us']:.2f}",
                    f"{c['rss_mib']:.0f}",
                    f"{c['load_cpu_share']:.0%}",
                    f"{c['machine_busy']:.0%}",
                    str(c["lost"]),
                    str(c["duplicated"]),
                )
            )
        for boards in sorted({c["boards"] for c in cells}):
            cell = next(c for c in cells if c["boards"] == boards)
            for key in ("lost", "duplicated"):
                figures.append(Figure("fanout", f"{key} ({name}, {boards} boards)", cell[key]))
    target = TARGET_CELL if not quick else (max(c["boards"] for c in results["cityboard"]), 100)
    at = {
        name: next(c for c in cells if (c["boards"], c["rate"]) == target)
        for name, cells in results.items()
    }
    where = f"{target[0]} boards x {target[1]}/s"
    ours = at["cityboard"]
    figures.append(Figure("fanout", f"deliveries/s, {where}", ours["deliveries_per_s"], "/s"))
    figures.append(Figure("fanout", f"CPU per delivered entry, {where}", ours["cpu_us"], "µs"))
    for kind in BASELINES:
        if kind not in at:
            continue
        ratio = ours["cpu_us"] / at[kind]["cpu_us"]
        goal = ("<=", CPU_RATIO_TARGET) if kind == "naive" else None
        figures.append(
            Figure(
                "fanout",
                f"CPU/delivery vs {kind}, {where}",
                ratio,
                "x",
                goal,
                f"{kind} {at[kind]['cpu_us']:.2f} µs",
            )
        )
    figures.append(Figure("fanout", f"latency p50, {where}", ours["p50_ms"], "ms"))
    figures.append(
        Figure("fanout", f"latency p99, {where}", ours["p99_ms"], "ms", ("<=", P99_TARGET_MS))
    )
    figures.append(Figure("fanout", f"latency max, {where}", ours["max_ms"], "ms"))
    figures.append(
        Figure("fanout", f"p99 vs naive's, {where}", ours["p99_ms"] / at["naive"]["p99_ms"], "x")
    )
    header = (
        "server",
        "boards",
        "rate",
        "events/s",
        "deliveries/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "µs CPU/dlv",
        "RSS MiB",
        "boards' CPU",
        "2 CPUs busy",
        "lost",
        "dup",
    )
    return Result(figures, table(header, rows))


def one_cell(
    boards: int,
    rate: int,
    seconds: float,
    windows: list[str],
    kinds: list[str],
    rounds: int,
    builds: list[Path],
) -> None:
    """One cell (the issue's target by default): cityboard per hub coalescing window (this build
    and each of `builds`, other source trees) and the baselines `kinds`, alternated `rounds`
    times; then each one's medians, and its CPU per delivery over the naive loop's in the same
    round. The whole `seconds` is pushed, however many deliveries that makes."""
    deliveries = max(MAX_DELIVERIES_PER_PHASE, round(boards * rate * seconds))
    with scratch("fanout-cell") as tmp:
        servers: list[tuple[str, Callable[[Path], Server]]] = []
        for build, repo in [("", REPO), *((f"{b.name}, ", b) for b in builds)]:
            for w in windows:
                name = f"cityboard ({build}ws_coalesce_seconds={w})"
                servers.append((name, partial(cityboard, repo=repo, ws_coalesce_seconds=w)))
        servers += [(kind, partial(baseline, kind)) for kind in kinds]
        cells: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in servers}
        for r in range(rounds):
            for name, make in servers if r % 2 == 0 else reversed(servers):  # order evens out
                [cell] = session(
                    make(tmp / f"{len(cells[name])}-{r}-{name}"),
                    boards,
                    (rate,),
                    seconds,
                    deliveries,
                )
                cells[name].append(cell)
                print(
                    f"round {r + 1}, {name}: {cell_line(cell)}; lost {cell['lost']}, duplicated"
                    f" {cell['duplicated']}; 2 CPUs busy {cell['machine_busy']:.0%}",
                    flush=True,
                )
    print(f"medians of {rounds} alternated round(s), {boards} boards x {rate_name(rate)}:")
    for name, runs in cells.items():
        line = ", ".join(
            f"{key} {statistics.median(c[key] for c in runs):.2f}"
            for key in ("cpu_us", "p50_ms", "p99_ms", "entries_per_frame")
        )
        if "naive" in cells:
            ratios = [c["cpu_us"] / n["cpu_us"] for c, n in zip(runs, cells["naive"], strict=True)]
            line += f", cpu vs naive {statistics.median(ratios):.2f} x"
        print(f"  {name}: {line}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="one fan-out cell, alternated between servers")
    ap.add_argument("--boards", type=int, default=TARGET_CELL[0])
    ap.add_argument("--rate", type=int, default=TARGET_CELL[1])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument(
        "--windows", default="0.02,0", help="ws_coalesce_seconds values, comma-separated"
    )
    ap.add_argument("--baselines", default="naive,floor", help="comma-separated, or empty")
    ap.add_argument("--rounds", type=int, default=1, help="times the servers run, alternated")
    ap.add_argument(
        "--build", type=Path, action="append", default=[], help="another source tree to run too"
    )
    args = ap.parse_args()
    one_cell(
        args.boards,
        args.rate,
        args.seconds,
        args.windows.split(","),
        [k for k in args.baselines.split(",") if k],
        args.rounds,
        args.build,
    )
