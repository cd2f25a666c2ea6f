"""What the mutation tests cover, per adapter: fixtures, damageable places, undamaged warnings.

    .venv/bin/python -m tests.feeds.mutation_report            # the table
    .venv/bin/python -m tests.feeds.mutation_report --sweep    # also every damage, not a sample

The sweep runs each (place, damage) of every fixture through the same checks as
tests/feeds/test_mutation.py (at most SWEEP_PER_FIXTURE per fixture, evenly spread) and prints
each failure once: the way the findings of issue 12 were made.
"""

from __future__ import annotations

import argparse
import sys

from server.errors import FeedRejected
from tests.feeds.mutation import NON_FINITE, Mutation
from tests.feeds.test_mutation import STANDARDS, Fixture, baseline, check, fixtures

SWEEP_PER_FIXTURE = 4000


def report(sweep: bool) -> int:
    """Print the table (and the sweep's failures); the number of failures."""
    failures = 0
    for name in sorted(STANDARDS):
        print(f"{name}:")
        for fixture in fixtures(name):
            base = baseline(fixture)
            try:
                parsed = fixture.parse(fixture.payload())
            except FeedRejected as exc:
                print(f"  {fixture.relpath}: rejected: {exc.message}")
                continue
            print(
                f"  {fixture.relpath}: {len(base.document.records)} records, "
                f"{len(parsed.events)} events, {len(base.candidates)} damages, "
                f"{len(parsed.warnings)} warnings undamaged"
            )
            for warning in parsed.warnings:
                print(f"      warning: {warning}")
            if sweep:
                failures += _sweep(fixture)
    return failures


def _sweep(fixture: Fixture) -> int:
    """Every damage (evenly spread, at most SWEEP_PER_FIXTURE); each kind of failure once."""
    base = baseline(fixture)
    step = max(1, len(base.candidates) // SWEEP_PER_FIXTURE)
    seen: set[str] = set()
    for place, op in base.candidates[::step]:
        for variant in range(len(NON_FINITE)) if op == "non_finite" else (0,):
            try:
                check(fixture, Mutation(op, place, variant))
            except AssertionError as exc:  # (b) to (d)
                line = str(exc).split("\n", 1)[0]
            except Exception as exc:  # (a): only FeedRejected may leave parse
                line = f"{fixture.relpath} {op} at {'/'.join(place.names)}: {exc!r}"
            else:
                continue
            key = f"{op} {'/'.join(place.names[-2:])}"
            if key not in seen:
                seen.add(key)
                print(f"      FAIL {line[:300]}")
    return len(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sweep", action="store_true", help="try every damage, print failures")
    return 1 if report(parser.parse_args().sweep) else 0


if __name__ == "__main__":
    sys.exit(main())
