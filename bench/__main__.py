"""`python -m bench [SCENARIO…] [--quick] [--json OUT]`: run the scenarios, print the table.

Every figure stands beside its target (pass/miss) and each scenario's baselines are measured in
the same run. The exit code is 1 only when an entry was lost or duplicated: speed is reported,
never failed on (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import PROFILES, Result, report, say

# scenario name → module (each has run(quick: bool) -> Result); the default set, in order
SCENARIOS = {
    "fanout": "bench.fanout",
    "ingest": "bench.ingest",
    "resume-storm": "bench.resume_storm",
    "slow-clients": "bench.slow_clients",
    "replay": "bench.replay",
    "board": "bench.board",
    "redis": "bench.redis",
    "situations": "bench.situations",
}
# run only when named: minutes long, or a tool rather than a figure of the table
EXTRA = {"soak": "bench.soak", "seek": "bench.seek"}
QUICK_SKIPS = ("board",)  # Chromium's start and a 5,000-event render cost most of the 2 minutes


def write_json(
    path: Path, quick: bool, results: dict[str, Result], seconds: dict[str, float]
) -> None:
    figures = [f for r in results.values() for f in r.figures]
    document = {
        "when": datetime.now(UTC).isoformat(),
        "quick": quick,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "seconds": seconds,
        "figures": [{**vars(f), "verdict": f.verdict, "failed": f.failed} for f in figures],
        "details": {name: r.detail for name, r in results.items() if r.detail},
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"any of {', '.join([*SCENARIOS, *EXTRA])} (default: all but {', '.join(EXTRA)})",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: under 2 minutes")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run each cityboard server under cProfile, one .prof file per server in DIR "
        "(slower: read its shares, not its figures)",
    )
    args = parser.parse_args()
    if args.profile:
        PROFILES.append(args.profile.resolve())
    known = SCENARIOS | EXTRA
    unknown = [s for s in args.scenarios if s not in known]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(known)}")
    names = args.scenarios or [s for s in SCENARIOS if not (args.quick and s in QUICK_SKIPS)]
    results: dict[str, Result] = {}
    seconds: dict[str, float] = {}
    for name in names:
        say(f"== {name}{' (quick)' if args.quick else ''}")
        t0 = time.monotonic()
        results[name] = importlib.import_module(known[name]).run(args.quick)
        seconds[name] = time.monotonic() - t0
        if args.json:  # after each scenario: a later one that fails keeps the earlier figures
            write_json(args.json, args.quick, results, seconds)
    figures = [f for r in results.values() for f in r.figures]
    for name, result in results.items():
        if result.detail:
            print(f"\n{name} ({seconds[name]:.0f} s)\n{result.detail}")
    print()
    print(report(figures))
    failed = [f for f in figures if f.failed]
    if failed:
        print(f"\nFAIL: {len(failed)} figure(s) count lost or duplicated entries", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
