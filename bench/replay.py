"""`replay`: play a recording as fast as possible (speed 0): entries/s, and memory that stays flat.

The recording (1,000,000 entries of ~560 bytes in the log's own form; 50,000 with --quick) is
written first, then each case runs in a process of its own so its peak RSS is its own. Three
rounds each play the whole file and measure its floors right after — reading the file and
decoding each line with orjson, nothing else; and decoding and encoding each line again — and
the figures are the medians (the machine is shared: a ratio within a round is steadier than any
rate). Then a tenth of the file is played (flat memory: the peak must not grow with the file),
and the same tenth with a situation book, as the server's replays have one.
"""

from __future__ import annotations

import asyncio
import gzip
import multiprocessing as mp
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

import orjson

from bench.harness import Figure, Result, peak_rss_mib, say, scratch
from server.clock import SystemClock
from server.replay.player import Player, PlayOptions
from server.replay.recording import Header, RecordingWriter
from server.replay.stream import ReplayStream
from server.situations.settings import SituationSettings
from server.situations.tracker import SituationTracker
from server.stream.events import Event, iso_utc
from server.stream.hub import Hub

T0 = datetime(2026, 7, 15, 5, 0, tzinfo=UTC)
ENTRIES = 1_000_000
QUICK_ENTRIES = 50_000
SMALL_SHARE = 10  # the flat-memory comparison replays a tenth of the entries
RATE_TARGET = 200_000.0  # entries/s
RING_ENTRIES = 10_000  # the server's default resume_max_entries
POLL_SECONDS = 0.1
REPEATS = 3  # rounds of the replay beside its floors; the figures are their medians
FLOORS = ("decode", "decode + re-encode")  # reading the file and no more, as the floors


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


async def play(path: Path, book: bool = False) -> dict[str, Any]:
    """Play the file at speed 0 into a replay stream of its own (with a situation book, as the
    server's replays have, when `book`)."""
    hub = Hub(buffer_limit_bytes=1 << 22, batch_max_entries=500)
    situations = SituationTracker(SituationSettings(), hub, push_seconds=0.5) if book else None
    stream = ReplayStream(
        "bench",
        exercise=False,
        ring_entries=RING_ENTRIES,
        hub=hub,
        clock=SystemClock(),
        situations=situations,
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


def floor(path: Path, reencode: bool) -> dict[str, Any]:
    """A floor: every line read and decoded (and encoded again when `reencode`), nothing kept."""
    before = peak_rss_mib()
    t0 = time.perf_counter()
    entries = -1  # the header line
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as lines:
        for line in lines:
            entry = orjson.loads(line)
            if reencode:
                orjson.dumps(entry)
            entries += 1
    return {"entries": entries, "seconds": time.perf_counter() - t0, "rss_before": before}


MODES = {  # what a measurement process does with the file
    "replay": lambda path: asyncio.run(play(path)),
    "replay with the situation book": lambda path: asyncio.run(play(path, book=True)),
    "decode": lambda path: floor(path, reencode=False),
    "decode + re-encode": lambda path: floor(path, reencode=True),
}


def case(path: Path, mode: str) -> dict[str, Any]:
    """One measurement in this (fresh) process, with its peak RSS."""
    result = MODES[mode](path)
    return {**result, "rss_peak": peak_rss_mib()}


def in_own_process(path: Path, mode: str) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(1) as pool:
        result = dict(pool.apply(case, (path, mode)))
    result["rate"] = result["entries"] / result["seconds"]
    say(f"replay: {mode}, {path.name}: {result['rate']:,.0f}/s")
    return result


def run(quick: bool) -> Result:
    count = QUICK_ENTRIES if quick else ENTRIES
    with scratch("replay") as tmp:
        big, small = tmp / "big.jsonl", tmp / "small.jsonl"
        t0 = time.perf_counter()
        write_recording(big, count)
        write_recording(small, count // SMALL_SHARE)
        say(f"replay: wrote {count:,} entries in {time.perf_counter() - t0:.0f} s")
        rounds = [  # each round measures the replay beside its floors, as close in time as can be
            {mode: in_own_process(big, mode) for mode in ("replay", *FLOORS)}
            for _ in range(REPEATS)
        ]
        tenth = in_own_process(small, "replay")
        book = in_own_process(small, "replay with the situation book")
        size = big.stat().st_size / 2**20
    rate = median(r["replay"]["rate"] for r in rounds)
    whole = max((r["replay"] for r in rounds), key=lambda r: r["rss_peak"])
    name = f"{count:,} entries ({size:.0f} MiB, median of {REPEATS})"
    figures = [Figure("replay", f"replay at speed 0, {name}", rate, "/s", (">=", RATE_TARGET))]
    for mode in FLOORS:
        floor_rate = median(r[mode]["rate"] for r in rounds)
        ratio = median(r["replay"]["rate"] / r[mode]["rate"] for r in rounds)
        figures.append(
            Figure("replay", f"replay vs {mode} floor", ratio, "x", note=f"{floor_rate:,.0f}/s")
        )
    return Result(
        [
            *figures,
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
            Figure(
                "replay",
                f"replay with the situation book, {count // SMALL_SHARE:,} entries",
                book["rate"],
                "/s",
                note=f"{book['rate'] / tenth['rate']:.2f} x without",
            ),
        ]
    )
