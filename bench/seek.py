"""`seek`: seek in a 1,000,000-entry recording with and without the seek index; peak RSS.

Run: python -m bench seek (or python -m bench.seek [ENTRIES]; writes temporary recordings first,
plain and gzip; a tool beside the table: it prints its lines and adds no figure)
Each case runs in its own process so its peak RSS is its own. "no index" is how every seek worked
before checkpoints (refold the file from its start); "index" waits for the index pass first.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.harness import Result, peak_rss_mib
from bench.replay import T0, write_recording
from server.clock import SystemClock
from server.replay.checkpoints import CHECKPOINT_EVERY
from server.replay.player import Player, PlayOptions
from server.replay.stream import ReplayStream
from server.stream.hub import Hub

RING_ENTRIES = 10_000  # the server's default resume_max_entries
SPACING = timedelta(milliseconds=50)  # bench/replay.py writes an entry every 50 ms
POLL_SECONDS = 0.005


async def timed_seek(player: Player, entries_before: int) -> float:
    """Seconds from a seek until the state is rebuilt (and boards are told to reconnect)."""
    rebuilt = asyncio.Event()
    player.on_reset = rebuilt.set
    t0 = time.perf_counter()
    player.command("seek", at=T0 + SPACING * entries_before - timedelta(milliseconds=1))
    await rebuilt.wait()
    took = time.perf_counter() - t0
    assert player.played == entries_before, (player.played, entries_before)
    return took


async def one_case(path: Path, count: int, index: bool) -> None:
    stream = ReplayStream(
        "bench",
        exercise=False,
        ring_entries=RING_ENTRIES,
        hub=Hub(buffer_limit_bytes=1 << 22, batch_max_entries=500),
        clock=SystemClock(),
    )
    player = Player(
        path, stream, PlayOptions(speed=0), checkpoint_every=CHECKPOINT_EVERY if index else 0
    )
    player.command("pause")  # the target entry waits, so the seek's own work is what is timed
    started = asyncio.Event()
    player.on_reset = started.set
    t0 = time.perf_counter()
    task = asyncio.create_task(player.run())
    await started.wait()
    indexing = ""
    if index:
        while not player.indexed:  # noqa: ASYNC110 - polling a benchmark's progress
            await asyncio.sleep(POLL_SECONDS)
        indexing = (
            f"index pass {time.perf_counter() - t0:.1f} s, {len(player.checkpoints)} "
            f"checkpoints, {player.checkpoint_bytes / 1024:.0f} KiB; "
        )
    to_end = await timed_seek(player, count - 1)
    back = await timed_seek(player, count // 2)
    task.cancel()
    print(
        f"  {'index' if index else 'no index':8} {indexing}seek to the end {to_end:.2f} s, "
        f"back to the middle {back:.2f} s; peak RSS {peak_rss_mib():.0f} MiB; "
        f"ring {len(stream.ring):,}, head {stream.head:,}",
        flush=True,
    )


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("big.jsonl", "big.jsonl.gz"):
            path = Path(tmp) / name
            t0 = time.perf_counter()
            write_recording(path, count)
            print(
                f"{name}: {count:,} entries, {path.stat().st_size / 2**20:.0f} MiB on disk, "
                f"written in {time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            for index in ("no-index", "index"):
                case = [sys.executable, "-m", "bench.seek", "--case", str(path), str(count)]
                subprocess.run([*case, index], check=True)


def run(quick: bool) -> Result:
    """As a scenario: the 1M-entry seek (50,000 with --quick); its lines are its report."""
    main(50_000 if quick else 1_000_000)
    return Result([])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--case"]:
        _, _, file, entries, mode = sys.argv
        asyncio.run(one_case(Path(file), int(entries), mode == "index"))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
