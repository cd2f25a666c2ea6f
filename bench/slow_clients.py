"""`slow-clients`: 10 % of the boards stop reading; do the others notice?

Two runs on a real `cityboard serve` with the same boards and 100 events/s: every board reading
(the baseline), then 10 % frozen (say hello, never read again; half still ping). Figures: the
reading boards' p99 push→receive latency and the server's highest RSS in each, and how many
frozen boards the server closed 4008 (slow) or dropped by heartbeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.boards import Load, Push, split_boards
from bench.harness import (
    Figure,
    Result,
    cityboard,
    metrics,
    percentile,
    running,
    say,
    scratch,
)

WORKERS = 4
RATE = 100
FROZEN_SHARE = 0.10


@dataclass(frozen=True)
class Plan:
    boards: int
    seconds: float


FULL = Plan(boards=1000, seconds=30.0)
QUICK = Plan(boards=100, seconds=4.0)


def one(boards: int, frozen: float, seconds: float) -> dict[str, Any]:
    with scratch("slow") as tmp, running(cityboard(tmp)) as server:
        say(f"slow-clients: {boards} boards, {frozen:.0%} frozen")
        with Load(server.ws, split_boards(boards, WORKERS, frozen=frozen)) as load:
            ran = load.phase(server.pid, server.base, Push(round(RATE * seconds), RATE))
            m = metrics(server.base)
            finals = load.finish(ran["pushed"]["head"])
            load.release()
    return {
        "p99_ms": percentile(ran["boards"]["latency"], 0.99),
        "rss_max_mib": ran["rss_max_mib"],
        "slow_closed": m["cityboard_slow_boards_closed_total"],
        "boards_left": m["cityboard_boards"],
        "lost": sum(f["live"]["lost"] for f in finals),
        "duplicated": sum(f["live"]["duplicated"] for f in finals),
    }


def run(quick: bool) -> Result:
    plan = QUICK if quick else FULL
    calm = one(plan.boards, 0.0, plan.seconds)
    slow = one(plan.boards, FROZEN_SHARE, plan.seconds)
    frozen = round(plan.boards * FROZEN_SHARE)
    return Result(
        [
            Figure(
                "slow-clients",
                f"reading boards' p99, {frozen} of {plan.boards} frozen",
                slow["p99_ms"],
                "ms",
            ),
            Figure(
                "slow-clients",
                "p99 vs none frozen",
                slow["p99_ms"] / calm["p99_ms"],
                "x",
                note=f"{calm['p99_ms']:.1f} ms",
            ),
            Figure("slow-clients", "server RSS, highest", slow["rss_max_mib"], "MiB"),
            Figure(
                "slow-clients",
                "RSS vs none frozen",
                slow["rss_max_mib"] / calm["rss_max_mib"],
                "x",
                note=f"{calm['rss_max_mib']:.0f} MiB",
            ),
            Figure(
                "slow-clients",
                f"frozen boards closed 4008 within {plan.seconds:g} s",
                slow["slow_closed"],
            ),
            Figure("slow-clients", "lost", calm["lost"] + slow["lost"]),
            Figure("slow-clients", "duplicated", calm["duplicated"] + slow["duplicated"]),
        ]
    )
