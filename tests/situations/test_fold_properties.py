"""The fold is a pure function of the log: twice, in two pieces, or under another hash seed,
the same entries give the same situations; and no body, however odd, makes it raise."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.situations import SituationBook, SituationSettings, fold, geo, situation_id
from tests.situations.builders import GANGNAM, action, event, log, offset

SETTINGS = SituationSettings(cluster_min=3, complaint_volume_raise=4)
CATEGORIES = (
    "disaster.flood",
    "disaster.fire",
    "traffic.closure",
    "complaint.water",
    "complaint.noise",
)
SEVERITIES = ("extreme", "severe", "moderate", "minor")


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """An event (new or a newer version) or an operator act, near one spot."""
    n = draw(st.integers(0, 11))
    if draw(st.integers(0, 5)) == 0:
        name = draw(
            st.sampled_from(["situation_link", "situation_unlink", "situation_close", "ack"])
        )
        target = situation_id(f"test:e{draw(st.integers(0, 11))}")
        return action(name, target, draw(st.integers(0, 200)), event=f"test:e{n}")
    return event(
        f"e{n}",
        CATEGORIES[n % len(CATEGORIES)],
        minutes=draw(st.integers(0, 200)),
        severity=draw(st.sampled_from(SEVERITIES)),
        at=offset(GANGNAM, draw(st.integers(-2000, 2000)), draw(st.integers(-2000, 2000))),
        district=draw(st.sampled_from([None, "11680", "11650"])),
        status=draw(st.sampled_from(["active", "active", "active", "resolved"])),
        version=draw(st.integers(1, 3)),
        sent_minutes=0,
    )


def dump(book: SituationBook) -> bytes:
    return orjson.dumps([book.seq, book.situations(), book.clusters()])


@settings(max_examples=150, deadline=None)
@given(st.lists(bodies(), max_size=40), st.data())
def test_folding_twice_or_in_two_pieces_gives_the_same_book(
    items: list[dict[str, Any]], data: st.DataObject
) -> None:
    entries = log(*items)
    whole = dump(fold(entries, SETTINGS))
    assert dump(fold(entries, SETTINGS)) == whole
    cut = data.draw(st.integers(0, len(entries)))
    book = fold(entries[:cut], SETTINGS)
    for seq, type_, body in entries[cut:]:
        book.apply(seq, type_, body)
    assert dump(book) == whole


@settings(max_examples=150, deadline=None)
@given(st.lists(bodies(), max_size=40))
def test_members_searched_ring_by_ring_give_the_book_measured_one_by_one(
    items: list[dict[str, Any]],
) -> None:
    entries = log(*items)
    few = dump(fold(entries, SETTINGS))  # so few members that each is measured
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(geo, "MEASURE_ALL_UP_TO", -1)  # rings, even around one member
        assert dump(fold(entries, SETTINGS)) == few


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
KEYS = (
    "event_id",
    "kind",
    "category",
    "severity",
    "status",
    "version",
    "sent_at",
    "updated_at",
    "geometry",
    "point",
    "district",
    "action",
    "data",
    "at",
    "title",
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["event", "action", "notice", "other"]),
            JSON | st.dictionaries(st.sampled_from(KEYS), JSON, max_size=8),
        ),
        max_size=20,
    )
)
def test_no_body_makes_the_fold_raise(items: list[tuple[str, Any]]) -> None:
    base = log(*[event("a", "disaster.flood"), event("b", "traffic.closure")])
    book = fold(base, SETTINGS)
    for seq, (type_, body) in enumerate(items, start=10):
        book.apply(seq, type_, body)
    book.situations(), book.clusters()


def test_the_hash_seed_does_not_change_the_result() -> None:
    """Sets and dicts of strings iterate in hash order, which changes per process: a fold that
    leaned on it would differ between a server and its restart."""
    script = (
        "import orjson\n"
        "from server.situations import SituationSettings, fold\n"
        "from tests.situations.test_book import flood_bodies\n"
        "from tests.situations.builders import log\n"
        "b = fold(log(*flood_bodies()), SituationSettings(cluster_min=3))\n"
        "print(orjson.dumps([b.situations(), b.clusters()]).decode())\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1 and '"situation:' in outputs.pop()
