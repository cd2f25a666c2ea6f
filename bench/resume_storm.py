"""`resume-storm`: every board leaves at once and comes back together while 100 events/s go on.

A real `cityboard serve` holds a city-sized set (500 active events); the boards connect and the
pusher starts at 100 events/s. Twice every board closes, the log moves on by `GAP` entries, and
every board comes back at the same moment: first as a new board (a 500-event snapshot each: the
baseline), then resuming with `hello {resume: {epoch, after_seq}}`. The figure is the time from
that moment until the last board holds the head as it stood then. Each worker process opens at
most 20 connections at a time (the load generator's limit, the same for both storms).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson

from bench.boards import ACTIVE_EVENTS, Load, Push, event, split_boards
from bench.harness import (
    SOURCE,
    Figure,
    Result,
    cityboard,
    metrics,
    post_json,
    running,
    say,
    scratch,
)

WORKERS = 4
RATE = 100  # events/s during the storm
GAP = 100  # entries the boards miss while away
LIVE_SECONDS = 1.0  # before the boards leave
HEAD_POLL_SECONDS = 0.01
STORM_PUSH_SECONDS = 8.0  # each storm's pushes: live, the gap, then the catching up
GAP_GRACE_SECONDS = 10.0  # how much longer than GAP / RATE the log may take to move on


@dataclass(frozen=True)
class Plan:
    boards: int


FULL = Plan(boards=1000)
QUICK = Plan(boards=100)


def head(base: str) -> int:
    return int(metrics(base)["cityboard_log_head_seq"])


def storm(load: Load, base: str, first: int, fresh: bool) -> dict[str, Any]:
    """While a pusher sends RATE events/s: every board leaves, the log moves on by GAP entries,
    every board comes back at once."""
    pusher = load.push(base, Push(round(RATE * STORM_PUSH_SECONDS), RATE, first=first))
    time.sleep(LIVE_SECONDS)
    load.down()
    left = head(base)
    deadline = time.monotonic() + GAP / RATE + GAP_GRACE_SECONDS
    while head(base) < left + GAP:
        if time.monotonic() > deadline:
            raise SystemExit(f"resume-storm: the log did not move on by {GAP} entries in time")
        time.sleep(HEAD_POLL_SECONDS)
    result = load.up(head(base), fresh)
    result["head"] = pusher.wait()["head"]
    return result


def run(quick: bool) -> Result:
    plan = QUICK if quick else FULL
    with scratch("storm") as tmp, running(cityboard(tmp)) as server:
        city = orjson.dumps([event(n, None) for n in range(ACTIVE_EVENTS)])
        post_json(f"{server.base}/api/push/{SOURCE}", city)
        say(f"resume-storm: {plan.boards} boards")
        with Load(server.ws, split_boards(plan.boards, WORKERS)) as load:
            fresh = storm(load, server.base, ACTIVE_EVENTS, fresh=True)
            resumed = storm(load, server.base, ACTIVE_EVENTS * 1000, fresh=False)
            finals = load.finish(resumed["head"])
            load.release()
    lost = sum(f["live"]["lost"] for f in finals)
    duplicated = sum(f["live"]["duplicated"] for f in finals)
    modes: dict[str, int] = {}
    for f in finals:
        for mode, n in f["modes"].items():
            modes[mode] = modes.get(mode, 0) + n
    where = f"{plan.boards} boards, {GAP}-entry gaps, {RATE}/s"
    ratio = resumed["seconds"] / fresh["seconds"]
    return Result(
        [
            Figure("resume-storm", f"all caught up, resuming ({where})", resumed["seconds"], "s"),
            Figure(
                "resume-storm", "the same storm as new boards (snapshots)", fresh["seconds"], "s"
            ),
            Figure("resume-storm", "resume storm vs snapshot storm", ratio, "x"),
            Figure("resume-storm", "boards resumed", modes.get("resume", 0), note=f"{modes}"),
            Figure(
                "resume-storm", "boards behind after a drain", resumed["behind"] + fresh["behind"]
            ),
            Figure("resume-storm", "lost", lost),
            Figure("resume-storm", "duplicated", duplicated),
        ]
    )
