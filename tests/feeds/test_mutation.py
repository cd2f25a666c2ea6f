"""Every adapter against its real fixtures with one field damaged (issue 12, item 5).

For each fixture an adapter reads (found by listing `tests/fixtures/`, so new ones are covered),
hypothesis picks one place and one damage (`tests/feeds/mutation.py`: drop, empty, wrong type,
NaN/infinity, naive time, unknown word, extra element or key, repeated block) and checks the rule
of docs/adapters.md, "Refused, warned, filtered":

(a) nothing but FeedRejected escapes `parse`, and a rejection of the whole document only when
    the damage destroyed it (outside every record, or the only record that yielded events);
(b) damage to a secondary field (not one of the standard's ESSENTIALS below) keeps every event
    of the undamaged document, under the same event_id;
(c) an unreadable secondary value (wrong type, NaN, naive time, unknown word) that costs the
    event a field it had is named in a warning;
(d) damage to an essential field of one record costs at most that record's events, and a
    record that yields nothing any more is counted as refused or filtered, never silently gone.

The STANDARDS table declares, once per adapter, what a record is and which of its names are
essential; a name is matched wherever it occurs in a record, so a broad table only weakens (b)
and (c) for that name, never (a).

Reproducible in CI: `derandomize=True`, EXAMPLES per adapter. For a deeper run by hand:
    CITYBOARD_MUTATION_EXAMPLES=2000 .venv/bin/python -m pytest tests/feeds/test_mutation.py
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.kit.base import Parsed, PollingFeed
from server.errors import FeedRejected
from server.stream.events import Event
from tests.feeds.conftest import FIXTURES, RECEIVED_AT, adapter
from tests.feeds.mutation import (
    NON_FINITE,
    UNREADABLE,
    Document,
    JsonDocument,
    Mutation,
    Place,
    XmlDocument,
    mutations,
    protobuf_as_json,
)
from tests.feeds.test_check_cli import ADAPTER_OF, ADAPTER_OVERRIDE, CONFIG_OF, REJECTED

EXAMPLES = int(os.environ.get("CITYBOARD_MUTATION_EXAMPLES", "60"))
LOSABLE = ("description", "area_desc", "geometry", "expires_at", "url", "refs", "district")


@dataclass(frozen=True)
class Standard:
    """What a record is in this standard, and what of it is essential: identity, title, the
    main times, the position, and what the feed's policy decides on (docs/adapters.md)."""

    records: tuple[str, ...]  # element/key names of records ("" = the root list)
    essentials: frozenset[str]  # names of essential fields (and of blocks that hold them)
    blocks: frozenset[str] = frozenset()  # names whose whole content is essential (geometry)
    document: frozenset[str] = frozenset()  # names outside records every record depends on
    content: frozenset[str] = frozenset()  # without it a record is not one of this standard


def names(text: str) -> frozenset[str]:
    return frozenset(text.split())


GEOJSON = names("geometry")
CAP_ALERT = "alert identifier sender sent status msgType scope references info"
CAP_ALERT += " expires area polygon circle"  # CAP §3.2: checked (grades and categories only warn)
CAP_ENTRY = " entry item id guid link href title updated published pubDate point"

STANDARDS = {
    "cap": Standard(("alert", "entry", "item"), names(CAP_ALERT + CAP_ENTRY)),
    "nws": Standard(
        ("features",),
        names(
            "properties id sent effective expires ends messageType status headline event"
            " references identifier sender"
        ),
        GEOJSON,
        names("type"),
    ),
    "usgs": Standard(
        ("features",),
        names("id properties time updated mag place title status type"),
        GEOJSON,
        names("type"),
    ),
    "gdacs": Standard(
        ("item",),
        names("guid eventtype eventid fromdate pubDate todate iscurrent alertlevel"),
        names("Point point lat long"),
    ),
    "wzdx": Standard(
        ("features",),
        names(
            "id properties core_details event_type start_date end_date creation_date"
            " update_date road_names"
        ),
        GEOJSON,
        names("feed_info road_event_feed_info version update_date type"),
    ),
    "open511": Standard(
        ("", "events", "event"),
        names(
            "id headline status created updated event_type schedule intervals interval"
            " timezone model fields jurisdiction xml_data"
        ),
        names("geography geom"),
    ),
    "datex2": Standard(
        ("situation",),
        names(
            "situation id version situationVersionTime situationRecord"
            " situationRecordCreationTime situationRecordVersionTime validity"
            " validityTimeSpecification overallStartTime overallEndTime"
        ),
        names("locationForDisplay pointCoordinates latitude longitude"),
        names("publicationTime payloadPublication payload type"),
    ),
    "gtfs-rt": Standard(
        ("entity",),
        names("id is_deleted header_text translation text active_period start end"),
        document=names("header timestamp incrementality gtfs_realtime_version"),
        content=names("alert"),
    ),
    "open311": Standard(
        ("", "request"),
        names("service_request_id requested_datetime updated_datetime service_name service_code"),
        names("lat long"),
    ),
    "geojson": Standard(
        ("features",), names("id guid properties pubDate title"), GEOJSON, names("type")
    ),
    "mapping": Standard(
        ("body", "row", "data"),
        names(
            "SN CRT_DT MSG_CN RCPTN_RGN_NM acc_id occr_date occr_time exp_clr_date exp_clr_time"
            " acc_info cctvname cctvurl"  # a camera's name is its id; its URL is what it shows
        ),
        names("grs80tm_x grs80tm_y coordx coordy"),
        names("header resultCode errorMsg resultMsg RESULT CODE response"),
    ),
    "cameras": Standard(
        ("features",),
        names("id properties snapshot_url mjpeg_url hls_url"),  # a bad URL refuses the camera
        GEOJSON,
        names("type"),
    ),
}


@dataclass(frozen=True, eq=False)
class Fixture:
    """A fixture document as its adapter reads it, and the adapter's config for it."""

    relpath: str
    adapter: str
    config: dict[str, Any]

    def payload(self) -> bytes:
        raw = (FIXTURES / self.relpath).read_bytes()
        if self.relpath.endswith((".pb", ".txtpb")):
            return protobuf_as_json(raw, text=self.relpath.endswith(".txtpb"))
        return raw

    def document(self) -> Document:
        records = STANDARDS[self.adapter].records
        payload = self.payload()
        if payload.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
            return XmlDocument(payload, records)
        return JsonDocument(payload, records)

    def parse(self, payload: bytes) -> Parsed:
        feed = adapter(self.adapter, **self.config)
        assert isinstance(feed, PollingFeed)
        return feed.parse(payload, received_at=RECEIVED_AT)


def config_of(relpath: str) -> dict[str, Any]:
    """The settings of the fixture's [[feeds]] table (tests/fixtures/configs, feeds/configs)."""
    path: Path | None = CONFIG_OF.get(relpath)
    if path is None:
        return {}
    (table,) = tomllib.loads(path.read_text(encoding="utf-8"))["feeds"]
    return {k: v for k, v in table.items() if k not in ("adapter", "name", "url")}


def fixtures(name: str) -> list[Fixture]:
    """The fixtures `name` reads: every file of its folders, by directory listing."""
    found = []
    for folder, default in ADAPTER_OF.items():
        for path in sorted((FIXTURES / folder).iterdir()):
            relpath = f"{folder}/{path.name}"
            if path.suffix in (".md", ".csv") or relpath in REJECTED:
                continue  # CSV rows have no element or key structure to damage
            if ADAPTER_OVERRIDE.get(relpath, default) == name:
                found.append(Fixture(relpath, name, config_of(relpath)))
    return found


@dataclass
class Baseline:
    """A fixture's undamaged reading: its events, and which events each record yields."""

    fixture: Fixture
    document: Document
    events: dict[str, Event]
    told: int  # refused and filtered items
    candidates: list[tuple[Place, str]]
    own: dict[int | None, frozenset[str]] = field(default_factory=dict)

    def ids_of(self, record: int | None) -> frozenset[str]:
        """The event ids that only this record yields: those gone once it is dropped."""
        if record not in self.own:
            self.own[record] = self._ids_of(record)
        return self.own[record]

    def _ids_of(self, record: int | None) -> frozenset[str]:
        if record is None or not self.document.records[record]:
            return frozenset(self.events)
        place = Place(self.document.records[record], record, (), ("drop",))
        try:
            without = self.fixture.parse(self.document.apply(Mutation("drop", place)))
        except FeedRejected:
            return frozenset(self.events)
        return frozenset(self.events) - {e.event_id for e in without.events}


_BASELINES: dict[str, Baseline] = {}


def baseline(fixture: Fixture) -> Baseline:
    """The fixture's undamaged reading, made once per run."""
    if fixture.relpath not in _BASELINES:
        document = fixture.document()
        parsed = fixture.parse(fixture.payload())
        events = {e.event_id: e for e in parsed.events}
        told = len(parsed.skipped) + len(parsed.filtered)
        candidates = list(mutations(document))
        _BASELINES[fixture.relpath] = Baseline(fixture, document, events, told, candidates)
    return _BASELINES[fixture.relpath]


def essential(standard: Standard, place: Place, doc: Document) -> bool:
    """Damage here may refuse the record: the place is or holds an essential field, or lies in
    an essential block; outside records, it holds records or a name they all depend on."""
    path = place.path
    if path in doc.records:
        return True
    if place.record is None:
        if place.names and place.names[-1] in standard.records:
            return True  # the list of records itself
        holds_records = any(r[: len(path)] == path for r in doc.records)
        return holds_records or bool(set(place.names) & standard.document)
    if set(place.names) & standard.blocks:
        return True
    vital = standard.essentials | standard.blocks | standard.content
    return any(
        p.names[-1:] and p.names[-1] in vital
        for p in doc.places
        if p.path[: len(path)] == path and p.record == place.record
    )


def lost(before: Event, after: Event) -> list[str]:
    """The fields `before` had that `after` lacks."""
    gone = [name for name in LOSABLE if getattr(before, name) and not getattr(after, name)]
    gone += [
        f"translations.{lang}" for lang in before.translations if lang not in after.translations
    ]
    gone += [
        f"extra.{key}"
        for key, value in before.extra.items()
        if value not in (None, "", [], {}) and after.extra.get(key) in (None, "", [], {})
    ]
    return gone


def check(fixture: Fixture, mutation: Mutation) -> None:
    """Assertions (a) to (d) of the module docstring for one damaged document."""
    base = baseline(fixture)
    standard = STANDARDS[fixture.adapter]
    place = mutation.place
    vital = essential(standard, place, base.document)
    own = base.ids_of(place.record)
    expected = set(base.events) - own if vital else set(base.events)
    payload = base.document.apply(mutation)
    try:
        parsed = fixture.parse(payload)
    except FeedRejected as exc:
        assert vital and not expected, f"{fixture.relpath} {mutation}: rejected: {exc.message}"
        return
    got = {e.event_id: e for e in parsed.events}
    missing = expected - set(got)
    assert not missing, (
        f"{fixture.relpath} {mutation}: lost {sorted(missing)[:3]}; "
        f"skipped {parsed.skipped[:2]} filtered {parsed.filtered[:2]}"
    )
    told = len(parsed.skipped) + len(parsed.filtered)
    vanished = set(base.events) - set(got)
    assert (
        place.record is None
        or place.path in base.document.records
        or bool(set(place.names) & standard.content)
        or len(got) >= len(base.events)
        or told > base.told
    ), f"{fixture.relpath} {mutation}: {sorted(vanished)[:3]} vanished without a reason"
    if vital or mutation.op not in UNREADABLE:
        return
    where = {name.lower() for name in place.names if not name.isdigit()}
    for event_id in own & set(got):
        gone = lost(base.events[event_id], got[event_id])
        named = [w for w in parsed.warnings if any(n in w.lower() for n in where)]
        assert not gone or named, (
            f"{fixture.relpath} {mutation}: {event_id} lost {gone} without a warning naming "
            f"{sorted(where)}; warnings: {parsed.warnings[:3]}"
        )


@pytest.mark.parametrize("name", sorted(STANDARDS))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_damage_costs_at_most_the_damaged_record(name: str, data: st.DataObject) -> None:
    fixture = data.draw(st.sampled_from(fixtures(name)), label="fixture")
    place, op = data.draw(st.sampled_from(baseline(fixture).candidates), label="place")
    variant = data.draw(st.integers(0, len(NON_FINITE) - 1), label="variant")
    check(fixture, Mutation(op, place, variant))


def test_every_adapter_with_fixtures_has_a_standard() -> None:
    assert set(ADAPTER_OF.values()) | set(ADAPTER_OVERRIDE.values()) == set(STANDARDS)
    assert all(fixtures(name) for name in STANDARDS)


FOUND = [  # (fixture, the names down to the place, damage): what the sweep found, kept fixed
    ("gdacs/gdacs-1.xml", ("alertscore",), "non_finite"),
    ("gdacs/gdacs-2.xml", ("bbox",), "wrong_type"),
    ("gdacs/gdacs-2.xml", ("link",), "wrong_type"),
    ("cap/canada.cap", ("info", "web"), "wrong_type"),
    ("cap/canada.cap", ("info", "language"), "unknown_word"),
    ("nws-api/alerts_active_zone.json", ("properties", "areaDesc"), "wrong_type"),
    (
        "wzdx/scenario2_laneshift_linestring_example.geojson",
        ("properties", "vehicle_impact"),
        "wrong_type",
    ),
    ("open311/requests_single.xml", ("expected_datetime",), "naive_time"),
    ("open511/tmdd-output-1.json", ("roads",), "wrong_type"),
    ("open511/five.json", ("fields",), "drop"),
    (
        "datex2/events.xml",
        ("situationRecord", "generalPublicComment", "comment", "values", "value", "lang"),
        "unknown_word",
    ),
    ("gtfs-rt/alerts_enhanced.json", ("alert", "cause_detail"), "wrong_type"),
    (
        "gtfs-rt/synthetic_seoul_ko_en.txtpb",
        ("alert", "header_text", "translation", "language"),
        "unknown_word",
    ),
    ("mapping/mois-disaster-text.json", ("RCPTN_RGN_NM",), "drop"),
]


@pytest.mark.parametrize(("relpath", "names", "op"), FOUND)
def test_what_the_sweep_found_stays_fixed(relpath: str, names: tuple[str, ...], op: str) -> None:
    """Each finding of the sweep (`mutation_report --sweep`), at every place it occurs."""
    (fixture,) = [f for name in STANDARDS for f in fixtures(name) if f.relpath == relpath]
    places = [p for p, o in baseline(fixture).candidates if o == op and p.names == names]
    assert places, "the damage still applies to the fixture"
    for place in places:
        check(fixture, Mutation(op, place))
