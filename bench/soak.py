"""Soak benchmark (issue 11, "trust on the worst day"): many boards, a steady push, for minutes.

Run: python -m bench soak (the defaults below; in the suite's table: lost, duplicated, p99, RSS),
     or python -m bench.soak [--boards 1000] [--minutes 10] [--rate 50] [--frozen 0.05]
                             [--reconnecting 0.05] [--workers 4] [--json OUT]
     (the defaults take ~11 minutes; `--boards 200 --minutes 1` is a quick look; `python -m
     bench soak --quick` is 100 boards for 20 s)

A real `cityboard serve` subprocess (no demo, a fresh SQLite log in a temporary directory) is
loaded by other processes, so the load generator's CPU is not spent inside the measured loop:

- one pusher process POSTs one event per request to `/api/push/soak` at `--rate` per second on
  a fixed schedule (a request is fired at its scheduled time whether or not the previous one was
  answered: no coordinated omission); each event carries its scheduled send time in
  `extra.bench_sched`, and it updates one of 500 active events (pushed once before the boards
  connect), so the board's active set stays the size of a city's;
- `--workers` board processes share the boards (bench/boards.py), each on its own asyncio loop:
  - live boards say `hello`, read every message and record each entry's seq and its latency
    (receive time - scheduled send time, both `time.time()` on this machine);
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
One setting is raised: the connection cap (`http_max_connections`, 512 by default; the harness
sets 4,096 for every scenario); the other limits are per board.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from bench.boards import ACTIVE_EVENTS, Load, Push, event, split_boards
from bench.harness import (
    SOURCE,
    Figure,
    Result,
    Server,
    add,
    cityboard,
    cpu_seconds,
    get_json,
    hist_max,
    log_summary,
    machine_ticks,
    merged,
    metrics,
    percentile,
    post_json,
    rss_mib,
    runqueue_wait_seconds,
    say,
    scratch,
    slope_per_minute,
    sockets,
)

SAMPLE_SECONDS = 5.0


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument("--boards", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=50.0, help="events pushed per second")
    parser.add_argument("--frozen", type=float, default=0.05, help="share of boards that freeze")
    parser.add_argument("--reconnecting", type=float, default=0.05, help="share that reconnect")
    parser.add_argument("--workers", type=int, default=4, help="board processes")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def soak(args: argparse.Namespace) -> dict[str, Any]:
    """One soak on a fresh `cityboard serve`; its figures, with the server's log summarized."""
    figures: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}}
    with scratch("soak") as tmp:
        server = cityboard(tmp).start()
        try:
            figures |= Run(args, server).go()
        finally:
            figures["server_exit"] = server.stop()
            figures["server_log"] = log_summary(server.log)
    return figures


def run(quick: bool) -> Result:
    """As a scenario: the defaults (100 boards for 20 s with --quick); its lines, then figures."""
    args = options(["--boards", "100", "--minutes", "0.34"] if quick else [])
    f = soak(args)
    report(f)
    lat = f["latency_ms"]
    return Result(
        [
            Figure(
                "soak",
                f"latency p99, {f['boards']} boards x {f['push_seconds']:.0f} s",
                lat["p99"],
                "ms",
            ),
            Figure(
                "soak",
                "server RSS slope, second half",
                f["rss_mib"]["slope_second_half_mib_per_min"],
                "MiB/min",
            ),
            Figure("soak", "CPU per delivered entry", f["server_cpu_us_per_delivery"], "µs"),
            Figure("soak", "lost", f["lost"]),
            Figure("soak", "duplicated", f["duplicated"]),
        ]
    )


def main() -> None:
    args = options()
    figures = soak(args)
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")


class Run:
    """One soak: connect the boards, push on schedule while sampling the server, then count."""

    def __init__(self, args: argparse.Namespace, server: Server) -> None:
        self.args = args
        self.base, self.ws, self.pid = server.base, server.ws, server.pid
        self.idle_sockets = sockets(server.pid)  # before any board: the listener and the like

    def go(self) -> dict[str, Any]:
        args, base = self.args, self.base
        # 500 active events before anyone connects: every board starts from a city-sized snapshot
        post_json(
            f"{base}/api/push/{SOURCE}",
            orjson.dumps([event(n, None) for n in range(ACTIVE_EVENTS)]),
        )

        with Load(
            self.ws, split_boards(args.boards, args.workers, args.frozen, args.reconnecting)
        ) as load:
            return self.measure(load)

    def measure(self, load: Load) -> dict[str, Any]:
        """Push on schedule while sampling the server, then count what every board got."""
        args, base, pid = self.args, self.base, self.pid
        kinds = [k for share in load.shares for k in share]
        frozen = sum(k.startswith("frozen") for k in kinds)
        reconnecting = kinds.count("reconnecting")
        reading = args.boards - frozen
        connect_seconds = load.connect_seconds
        m0 = metrics(base)
        say(
            f"soak: {args.boards} boards connected in {connect_seconds:.1f} s (the server counts "
            f"{m0['cityboard_boards']:.0f}); pushing {args.rate:g} events/s for {args.minutes:g} "
            "min"
        )
        count = round(args.rate * args.minutes * 60)
        pusher = load.push(base, Push(count, args.rate))
        end_at = pusher.start_at + count / args.rate
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
                    say(
                        f"  t={s['t']:4.0f} s  head {s['head']:.0f}  boards {s['boards']:.0f}  "
                        f"4008 {s['slow_closed']:.0f}  RSS {s['rss_mib']:.0f} MiB  "
                        f"server CPU {s['cpu_s']:.0f} s"
                    )
                next_sample += SAMPLE_SECONDS
            if time.time() > end_at + 120:
                raise SystemExit("the pusher did not finish within 2 minutes of its last send")
            pushed = pusher.poll(max(0.05, min(1.0, next_sample - time.time())))
        push_seconds = time.time() - t0
        cpu_push = cpu_seconds(pid) - cpu0
        waited = runqueue_wait_seconds(pid) - wait0
        busy, steal, ticks = (b - a for a, b in zip(ticks0, machine_ticks(), strict=True))
        m_end = metrics(base)
        rss_end = rss_mib(pid)
        samples.append(self.sample(t0, cpu0, wait0))

        head = int(get_json(f"{base}/readyz")["head"])
        results = load.finish(head)
        held = self.settled_boards()  # the reading boards have left: the rest are frozen ones
        time.sleep(0.5)  # let the server close the socket of the last /metrics request
        sockets_held = sockets(pid)
        load.release()
        for proc in load.procs:
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
