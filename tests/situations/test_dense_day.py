"""A dense bad day (a water complaint every 2 s on a ~1 x 2 km patch, a flood in the middle of it,
some complaints resolved, an operator's split) folds to the very book it folded to before the
fold was made flat (bench/situations.py): the figures below were written from the quadratic code."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import orjson

from server.situations import SituationSettings, fold, situation_id, split_id
from tests.situations.builders import action, event, log

SPOT = (126.97, 37.56)
SPREAD = 0.01  # degrees either way: ~1.8 x 2.2 km
COMPLAINTS = 3_000
FLOOD_AT = 1_200  # the flood arrives after this many complaints
RESOLVE_EVERY = 7  # every seventh complaint is resolved ten minutes later


def dense_day() -> list[dict[str, Any]]:
    rng = random.Random(1)
    bodies: list[dict[str, Any]] = []
    places: list[tuple[float, float]] = []
    for n in range(COMPLAINTS):
        minutes = n * 2 / 60
        at = (
            round(SPOT[0] + rng.uniform(-SPREAD, SPREAD), 6),
            round(SPOT[1] + rng.uniform(-SPREAD, SPREAD), 6),
        )
        places.append(at)
        bodies.append(event(f"c{n}", "complaint.water", minutes=minutes, severity="minor", at=at))
        if n % RESOLVE_EVERY == 0 and n >= 300:
            old = n - 300  # resolved ten minutes (300 complaints) after it came
            bodies.append(
                event(
                    f"c{old}",
                    "complaint.water",
                    minutes=minutes,
                    sent_minutes=old * 2 / 60,
                    severity="minor",
                    at=places[old],
                    status="resolved",
                    version=2,
                )
            )
        if n == FLOOD_AT:
            bodies.append(
                event("flood", "disaster.flood", minutes=minutes, severity="severe", at=SPOT)
            )
        if n == FLOOD_AT + 600:
            moved = [f"test:c{k}" for k in range(FLOOD_AT + 100, FLOOD_AT + 140)]
            bodies.append(
                action("situation_split", situation_id("test:flood"), minutes, events=moved)
            )
    return bodies


def test_a_dense_day_folds_to_the_book_it_folded_to_before() -> None:
    book = fold(log(*dense_day()), SituationSettings())
    situations, clusters = book.situations(), book.clusters()
    summary = [
        (s["id"], s["status"], s["severity"], s["member_count"], len(s["clusters"]))
        for s in situations
    ]
    flood, split = situation_id("test:flood"), split_id(f"test:c{FLOOD_AT + 100}")
    # the flood takes MAX_MEMBERS; the split-off part sweeps in and takes what comes after
    assert summary == [(flood, "open", "extreme", 2000, 27), (split, "open", "moderate", 872, 2)]
    counts = [106, 99, 74, 61, 133, 110, 124, 167, 93, 139, 144, 135, 129, 92, 124]
    counts += [130, 123, 129, 59, 76, 126, 27, 71, 71, 98, 60, 46, 107, 127]
    assert [c["count"] for c in clusters] == counts
    assert all(c["situation"] in (flood, split) for c in clusters)
    # and byte for byte: every member, area, sparkline and owner as the quadratic fold made them
    digest = hashlib.sha256(orjson.dumps([book.seq, situations, clusters])).hexdigest()
    assert digest == "a59ec10627aafc394faba26de62d632f5a1da158a13cd01d48f0f8acdd2adb9c"
