"""Benchmark: replay a 1,000,000-entry recording as fast as possible; report entries/s and peak RSS.

Run: python bench/replay_1m.py [ENTRIES]   (writes a temporary recording first)
Memory must stay flat: the file is streamed, the replay keeps a bounded ring and the active set.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from server.clock import SystemClock
from server.replay.player import Player, PlayOptions
from server.replay.recording import Header, RecordingWriter
from server.replay.stream import ReplayStream
from server.stream.events import Event
from server.stream.hub import Hub

T0 = datetime(2026, 7, 15, 5, 0, tzinfo=UTC)


def write_recording(path: Path, count: int) -> None:
    """Entries as the log writes them (every field of the model, times in UTC with `Z`)."""
    template = orjson.loads(
        Event(
            event_id="bench:0",
            source="bench",
            kind="traffic",
            category="traffic.accident",
            severity="moderate",
            title="bench",
            description="A lorry has shed its load across two lanes; expect delays.",
            area_desc="Sejong-daero, northbound, near Gwanghwamun",
            sent_at=T0,
            received_at=T0,
            geometry={"type": "Point", "coordinates": [126.98, 37.57]},
            district="11110",
            url="https://example.org/incidents/0",
        ).dump()
    )
    writer = RecordingWriter(path, Header(city="Seoul", stream="live", epoch="bench"))
    for n in range(count):
        at = (T0 + timedelta(milliseconds=n * 50)).isoformat().replace("+00:00", "Z")
        status = "resolved" if n % 5 == 4 else "active"  # keeps the active set bounded
        body = {
            **template,
            "event_id": f"bench:{n // 5}",
            "version": n % 5 + 1,
            "status": status,
            "title": f"bench {n}",
            "sent_at": at,
            "updated_at": at,
            "received_at": at,
        }
        writer.write({"seq": n + 1, "epoch": "bench", "at": at, "type": "event", "body": body})
    writer.close()


def naive_read(path: Path, encode: bool) -> float:
    """The baseline: read the same file and decode each line with orjson (and encode it again)."""
    t0 = time.perf_counter()
    with path.open("rb") as f:
        f.readline()
        for line in f:
            entry = orjson.loads(line)
            if encode:
                orjson.dumps(entry)
    return time.perf_counter() - t0


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.jsonl"
        t0 = time.perf_counter()
        write_recording(path, count)
        print(
            f"wrote {count:,} entries ({path.stat().st_size / 2**20:.0f} MiB) in "
            f"{time.perf_counter() - t0:.1f} s; peak RSS so far {peak_rss_mib():.0f} MiB"
        )
        hub = Hub(buffer_limit_bytes=1 << 22, batch_max_entries=500)
        stream = ReplayStream(
            "bench", exercise=False, ring_entries=10_000, hub=hub, clock=SystemClock()
        )
        player = Player(path, stream, PlayOptions(speed=0))
        rss_before = peak_rss_mib()
        t0 = time.perf_counter()
        task = asyncio.create_task(player.run())
        while player.state != "ended":  # noqa: ASYNC110 - polling a benchmark's progress
            await asyncio.sleep(0.5)
        took = time.perf_counter() - t0
        task.cancel()
        rate = player.played / took
        print(
            f"replayed {player.played:,} entries in {took:.1f} s: {rate:,.0f} "
            f"entries/s; peak RSS {peak_rss_mib():.0f} MiB (before playing {rss_before:.0f} MiB);"
            f" ring {len(stream.ring):,}, active {len(stream.current):,}"
        )
        for label, encode in (("read + orjson decode", False), ("read + decode + encode", True)):
            naive = count / naive_read(path, encode)
            print(f"baseline {label}: {naive:,.0f} entries/s; replay at {rate / naive:.2f}x")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
