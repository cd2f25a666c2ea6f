"""`replay`: play a recording as fast as possible (speed 0): entries/s, and memory that stays flat.

The recording (1,000,000 entries; 50,000 with --quick) is written first, then each case runs in
a process of its own so its peak RSS is its own: the replay of the whole file, the replay of a
tenth of it (flat memory: the peak must not grow with the file), and the baseline, the floor of
any replay: reading the file and decoding each line with orjson, nothing else.
"""

from __future__ import annotations

import asyncio
import gzip
import multiprocessing as mp
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.harness import Figure, Result, peak_rss_mib, say, scratch
from server.clock import SystemClock
from server.replay.player import Player, PlayOptions
from server.replay.recording import Header, RecordingWriter
from server.replay.stream import ReplayStream
from server.stream.events import Event, iso_utc
from server.stream.hub import Hub

T0 = datetime(2026, 7, 15, 5, 0, tzinfo=UTC)
ENTRIES = 1_000_000
QUICK_ENTRIES = 50_000
SMALL_SHARE = 10  # the flat-memory comparison replays a tenth of the entries
RATE_TARGET = 200_000.0  # entries/s
RING_ENTRIES = 10_000  # the server's default resume_max_entries
POLL_SECONDS = 0.1
FLOOR_REPEATS = 3


def write_recording(path: Path, count: int) -> None:
    """`count` entries 50 ms apart, one event in five resolved (a bounded active set), each body in
    the log's own form as `cityboard record` writes it: one body through the model, the rest
    that body with their own id, version, status, title and times (the model for each would take
    longer than the replay)."""
    first = Event(
        event_id="bench:0",
        source="bench",
        kind="traffic",
        category="traffic.accident",
        severity="moderate",
        title="bench 0",
        sent_at=T0,
        received_at=T0,
        geometry={"type": "Point", "coordinates": [126.98, 37.57]},
    )
    template = orjson.loads(first.dump())
    writer = RecordingWriter(path, Header(city="Seoul", stream="live", epoch="bench"))
    for n in range(count):
        at = iso_utc(T0 + timedelta(milliseconds=n * 50))
        body = {
            **template,
            "event_id": f"bench:{n // 5}",
            "version": n % 5 + 1,
            "status": "resolved" if n % 5 == 4 else "active",
            "title": f"bench {n}",
            "sent_at": at,
            "updated_at": at,
            "received_at": at,
        }
        writer.write({"seq": n + 1, "epoch": "bench", "at": at, "type": "event", "body": body})
    writer.close()


async def play(path: Path) -> dict[str, Any]:
    hub = Hub(buffer_limit_bytes=1 << 22, batch_max_entries=500)
    stream = ReplayStream(
        "bench", exercise=False, ring_entries=RING_ENTRIES, hub=hub, clock=SystemClock()
    )
    player = Player(path, stream, PlayOptions(speed=0))
    before = peak_rss_mib()
    t0 = time.perf_counter()
    task = asyncio.create_task(player.run())
    while player.state != "ended":  # noqa: ASYNC110 - polling a benchmark's progress
        await asyncio.sleep(POLL_SECONDS)
    took = time.perf_counter() - t0
    task.cancel()
    return {"entries": player.played, "seconds": took, "rss_before": before}


def decode_only(path: Path) -> dict[str, Any]:
    """The floor: every line read and decoded, nothing kept."""
    before = peak_rss_mib()
    t0 = time.perf_counter()
    entries = -1  # the header line
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as lines:
        for line in lines:
            orjson.loads(line)
            entries += 1
    return {"entries": entries, "seconds": time.perf_counter() - t0, "rss_before": before}


def case(path: Path, mode: str) -> dict[str, Any]:
    """One measurement in this (fresh) process, with its peak RSS."""
    result = asyncio.run(play(path)) if mode == "replay" else decode_only(path)
    return {**result, "rss_peak": peak_rss_mib()}


def in_own_process(path: Path, mode: str) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1) as pool:
        return dict(pool.apply(case, (path, mode)))


def run(quick: bool) -> Result:
    count = QUICK_ENTRIES if quick else ENTRIES
    with scratch("replay") as tmp:
        big, small = tmp / "big.jsonl", tmp / "small.jsonl"
        t0 = time.perf_counter()
        write_recording(big, count)
        write_recording(small, count // SMALL_SHARE)
        say(f"replay: wrote {count:,} entries in {time.perf_counter() - t0:.0f} s")
        whole = in_own_process(big, "replay")
        tenth = in_own_process(small, "replay")
        floor = min(  # the floor: its best of a few (cheap; the machine is shared)
            (in_own_process(big, "decode") for _ in range(FLOOR_REPEATS)),
            key=lambda r: r["seconds"],
        )
        size = big.stat().st_size / 2**20
    rate = whole["entries"] / whole["seconds"]
    floor_rate = floor["entries"] / floor["seconds"]
    name = f"{count:,} entries ({size:.0f} MiB)"
    return Result(
        [
            Figure("replay", f"replay at speed 0, {name}", rate, "/s", (">=", RATE_TARGET)),
            Figure(
                "replay",
                "replay vs read-and-decode floor",
                rate / floor_rate,
                "x",
                note=f"{floor_rate:,.0f}/s",
            ),
            Figure(
                "replay",
                "peak RSS, whole file",
                whole["rss_peak"],
                "MiB",
                note=f"{whole['rss_before']:.0f} MiB before",
            ),
            Figure(
                "replay",
                "peak RSS vs a tenth of the file's",
                whole["rss_peak"] / tenth["rss_peak"],
                "x",
                note=f"{tenth['rss_peak']:.0f} MiB",
            ),
        ]
    )
