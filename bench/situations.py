"""`situations`: the situation book's fold, µs per entry, and whether it stays flat as logs grow.

Run: python -m bench situations [--quick] (or python -m bench.situations WORKLOAD ENTRIES for one
case). Four workloads, each at 10,000 and 100,000 entries (10,000 with --quick), each case in a
process of its own: the body of every entry is encoded first, then the fold decodes and applies
them as the live server does (`orjson.loads`, `SituationBook.apply`):

- `dense`: a bad day's complaints, one `complaint.water` every 2 s within ~1 x 2 km (the shape
  that made the fold quadratic);
- `dense-flood`: the same complaints, but every MAX_MEMBERS entries an extreme flood opens at the
  next of 16 spots 5 km apart and the complaints that follow fall around it, so an open situation
  keeps growing to MAX_MEMBERS members (where each newcomer looks for its nearest member);
- `flood`: the flood recording (tests/fixtures/recordings/flood.jsonl: a warning, an underpass,
  closures and 40 complaints) again and again, a new copy every 20 minutes at the next of 16 spots
  5 km apart, each copy resolved 80 minutes after it began (so situations open, close and go);
- `random`: the events the other scenarios push (`bench.boards.event`: 500 ids re-versioned,
  fires, accidents and noise complaints over ~20 km), 100 a second.

Figures: µs per entry; flatness, the µs per entry of the last tenth of the entries over the
first tenth's (1.0 = flat: an entry costs the same however many came before); and, as the
floor measured in the same run, the same entries only decoded with `orjson.loads`, as a ratio.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from bench.boards import event as bench_event
from bench.harness import REPO, Figure, Result, say, table
from server.situations import SituationBook, SituationSettings
from server.situations.book import MAX_MEMBERS

SIZES = (10_000, 100_000)
QUICK_SIZES = (10_000,)
WORKLOADS = ("dense", "dense-flood", "flood", "random")
FLAT_TARGET = 1.5  # last tenth over first tenth: no entry may cost much more for coming late
SHARE = 10  # flatness compares the first and the last tenth
FLOOR_REPEATS = 3  # the floor is cheap: its best of a few (the machine is shared)
T0 = datetime(2026, 7, 14, 5, 0, tzinfo=UTC)
DENSE_SPOT = (126.97, 37.56)  # Jung-gu; the dense day's complaints fall within ±0.01° of it
DENSE_SPREAD = 0.01
DENSE_STEP = timedelta(seconds=2)
FLOOD_RECORDING = REPO / "tests" / "fixtures" / "recordings" / "flood.jsonl"
FLOOD_EVERY = timedelta(minutes=20)  # a new copy of the flood
FLOOD_LASTS = timedelta(minutes=80)  # then its events are resolved
FLOOD_SPOTS = 4  # a 4 x 4 grid of places
FLOOD_SPACING = 0.05  # degrees (~5 km): copies at two spots never group
RANDOM_RATE = 100  # events/s, as the fan-out scenario pushes them


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def complaint(n: int, at: datetime, lon: float, lat: float, district: str) -> dict[str, Any]:
    """A water complaint as the dense workloads send it."""
    return {
        "event_id": f"bench:c{n}",
        "version": 1,
        "source": "bench",
        "kind": "complaint",
        "category": "complaint.water",
        "severity": "minor",
        "status": "active",
        "title": "물",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "district": district,
        "sent_at": iso(at),
        "updated_at": iso(at),
        "received_at": iso(at),
    }


def dense(count: int) -> Iterator[dict[str, Any]]:
    """One water complaint every 2 s on a ~1 x 2 km patch (the lead's measurement's shape)."""
    rng = random.Random(1)
    for n in range(count):
        lon = DENSE_SPOT[0] + rng.uniform(-DENSE_SPREAD, DENSE_SPREAD)
        lat = DENSE_SPOT[1] + rng.uniform(-DENSE_SPREAD, DENSE_SPREAD)
        yield complaint(n, T0 + DENSE_STEP * n, lon, lat, "11140")


def dense_flood(count: int) -> Iterator[dict[str, Any]]:
    """The dense day's complaints around a flood that grows to MAX_MEMBERS, then the next one at
    the next spot: a bad day's open situation, always between one and MAX_MEMBERS members."""
    rng = random.Random(1)
    for n in range(count):
        at = T0 + DENSE_STEP * n
        block = n // MAX_MEMBERS
        spot = block % FLOOD_SPOTS**2
        lon = DENSE_SPOT[0] + (spot % FLOOD_SPOTS) * FLOOD_SPACING
        lat = DENSE_SPOT[1] + (spot // FLOOD_SPOTS) * FLOOD_SPACING
        district = f"b{spot:02d}"
        if n % MAX_MEMBERS == 0:
            body = complaint(n, at, lon, lat, district)
            body.update(
                event_id=f"bench:flood{block}",
                kind="disaster",
                category="disaster.flood",
                severity="extreme",
                title="호우경보",
            )
            yield body
            continue
        spread = rng.uniform(-DENSE_SPREAD, DENSE_SPREAD), rng.uniform(-DENSE_SPREAD, DENSE_SPREAD)
        yield complaint(n, at, lon + spread[0], lat + spread[1], district)


def shifted(value: Any, d_lon: float, d_lat: float) -> Any:
    """GeoJSON coordinates moved by a number of degrees."""
    if isinstance(value, list) and value and isinstance(value[0], float | int):
        return [round(value[0] + d_lon, 6), round(value[1] + d_lat, 6)]
    return [shifted(v, d_lon, d_lat) for v in value]


def moved(body: dict[str, Any], copy: int, late: timedelta, d_lon: float, d_lat: float) -> None:
    """A flood body made the copy's own: its id, its place, its district and its times."""
    body["event_id"] = f"{body['event_id']}#{copy}"
    body["district"] = f"b{copy % FLOOD_SPOTS**2:02d}"
    for key in ("sent_at", "updated_at", "received_at"):
        body[key] = iso(datetime.fromisoformat(body[key]) + late)
    if body.get("geometry"):
        body["geometry"]["coordinates"] = shifted(body["geometry"]["coordinates"], d_lon, d_lat)
    if body.get("point"):
        body["point"] = shifted(body["point"], d_lon, d_lat)


def flood(count: int) -> Iterator[dict[str, Any]]:
    """The flood recording again and again at other places and times, each copy resolved later."""
    lines = FLOOD_RECORDING.read_bytes().splitlines()[1:]  # after the header
    recording = [orjson.loads(line)["body"] for line in lines]
    made, copy = 0, 0
    ending: list[tuple[datetime, list[dict[str, Any]]]] = []
    while True:
        begins = FLOOD_EVERY * copy
        spot = copy % FLOOD_SPOTS**2
        d_lon, d_lat = (spot % FLOOD_SPOTS) * FLOOD_SPACING, (spot // FLOOD_SPOTS) * FLOOD_SPACING
        newest: dict[str, dict[str, Any]] = {}
        for original in recording:
            body = orjson.loads(orjson.dumps(original))
            moved(body, copy, begins, d_lon, d_lat)
            newest[body["event_id"]] = body
            if ending and datetime.fromisoformat(body["received_at"]) >= ending[0][0]:
                at, bodies = ending.pop(0)
                for old in bodies:
                    if made == count:
                        return
                    when = iso(at)
                    version = old["version"] + 1
                    yield {
                        **old,
                        "version": version,
                        "status": "resolved",
                        "updated_at": when,
                        "received_at": when,
                    }
                    made += 1
            if made == count:
                return
            yield body
            made += 1
        ending.append((T0 + begins + FLOOD_LASTS, list(newest.values())))
        copy += 1


def randomly(count: int) -> Iterator[dict[str, Any]]:
    """What the fan-out scenarios push, at 100 a second."""
    start = T0.timestamp()
    for n in range(count):
        yield bench_event(n, start + n / RANDOM_RATE)


MAKERS = {"dense": dense, "dense-flood": dense_flood, "flood": flood, "random": randomly}


def case(workload: str, count: int) -> dict[str, float]:
    """One fold and its floor, in this (fresh) process: seconds in all and per tenth."""
    raws = [orjson.dumps(body) for body in MAKERS[workload](count)]
    assert len(raws) == count, (workload, len(raws))
    floor = float("inf")
    for _ in range(FLOOR_REPEATS):
        t0 = time.perf_counter()
        for raw in raws:
            orjson.loads(raw)
        floor = min(floor, time.perf_counter() - t0)
    book = SituationBook(SituationSettings())
    tenth = count // SHARE
    marks = [time.perf_counter()]
    for seq, raw in enumerate(raws, start=1):
        book.apply(seq, "event", orjson.loads(raw))
        if seq % tenth == 0:
            marks.append(time.perf_counter())
    return {
        "seconds": marks[-1] - marks[0],
        "first": marks[1] - marks[0],
        "last": marks[-1] - marks[-2],
        "floor": floor,
        "situations": len(book.situations()),
        "clusters": len(book.clusters()),
    }


def in_own_process(workload: str, count: int) -> dict[str, float]:
    with mp.get_context("spawn").Pool(1) as pool:
        return dict(pool.apply(case, (workload, count)))


def run(quick: bool) -> Result:
    figures: list[Figure] = []
    rows: list[tuple[str, ...]] = []
    for workload in WORKLOADS:
        for count in QUICK_SIZES if quick else SIZES:
            say(f"situations: {workload}, {count:,} entries")
            r = in_own_process(workload, count)
            per_entry = r["seconds"] / count * 1e6
            floor = r["floor"] / count * 1e6
            flat = r["last"] / r["first"]
            name = f"{workload}, {count // 1000}k entries"
            figures += [
                Figure("situations", f"fold µs/entry, {name}", per_entry, "µs"),
                Figure(
                    "situations",
                    f"fold vs orjson decode, {name}",
                    per_entry / floor,
                    "x",
                    note=f"decode {floor:.2f} µs",
                ),
                Figure(
                    "situations", f"last tenth vs first, {name}", flat, "x", ("<=", FLAT_TARGET)
                ),
            ]
            rows.append(
                (
                    name,
                    f"{per_entry:.1f}",
                    f"{r['first'] / (count // SHARE) * 1e6:.1f}",
                    f"{r['last'] / (count // SHARE) * 1e6:.1f}",
                    f"{floor:.2f}",
                    f"{r['situations']:,.0f}",
                    f"{r['clusters']:,.0f}",
                )
            )
    header = ("case", "µs/entry", "first 10%", "last 10%", "decode µs", "situations", "clusters")
    return Result(figures, table(header, rows))


if __name__ == "__main__":
    result = case(sys.argv[1], int(sys.argv[2]))
    print({k: round(v, 4) for k, v in result.items()})
