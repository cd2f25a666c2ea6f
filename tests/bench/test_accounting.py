"""The benchmark suite's accounting catches what it must fail CI on: a board that never got an
entry (lost) and a board that got one twice (duplicated). A real baseline server
(bench/baselines.py) leaves one seq out of its frames and sends another twice; real board
processes read it through the harness (bench/fanout.py's session)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.fanout import session
from bench.harness import Figure, baseline

pytestmark = pytest.mark.slow

BOARDS = 2
RATE = 20  # events/s
SECONDS = 0.5
EVENTS = round(RATE * SECONDS)


def one_cell(folder: Path, *flags: str) -> dict[str, Any]:
    [cell] = session(baseline("naive", folder, *flags), BOARDS, (RATE,), SECONDS)
    return cell


def test_a_whole_stream_counts_nothing_lost_or_repeated(tmp_path: Path) -> None:
    cell = one_cell(tmp_path)
    assert cell["events"] == EVENTS
    assert cell["delivered"] == BOARDS * EVENTS
    assert cell["entries_per_frame"] == 1.0  # the naive loop sends each entry in its own frame
    assert (cell["lost"], cell["duplicated"]) == (0, 0)
    assert not Figure("fanout", "lost", cell["lost"]).failed


def test_a_missing_and_a_repeated_seq_are_counted_on_every_board(tmp_path: Path) -> None:
    cell = one_cell(tmp_path, "--drop", "3", "--dup", "5")
    assert cell["lost"] == BOARDS  # seq 3, on each board
    assert cell["duplicated"] == BOARDS  # seq 5, twice on each board
    assert cell["delivered"] == BOARDS * (EVENTS - 1)  # the repeat is not a delivery
    figures = [Figure("fanout", name, cell[name]) for name in ("lost", "duplicated")]
    assert all(f.failed for f in figures)  # either fails the run (python -m bench exits 1)
