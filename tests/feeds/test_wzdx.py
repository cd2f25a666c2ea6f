"""Golden tests for the WZDx adapter on the official v4.2 examples (tests/fixtures/wzdx/SOURCES.md).

Cases marked *synthetic* change a copy of a real example in memory (v4.0 header, v3, detour,
planned work zones, broken items); no synthetic file is stored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.kit import version_of
from feeds.kit.base import Parsed, PollingFeed
from server.errors import FeedRejected
from server.stream.events import Event, Kind, Status
from tests.feeds.conftest import (
    FIXTURES,
    RECEIVED_AT,
    adapter,
    damaged,
    json_paths,
    json_values,
    parse_fixture,
)

SCENARIO1_IDS = [
    "af2e3f51-611f-4ce0-9282-2f28ca68e62f",
    "edf2162b-1f5d-4ddd-a731-78fb81a22e6a",
    "6f57aded-7291-462e-9892-607b2b7d116c",
    "8bfb0ce0-98cd-4e92-924d-f0a9d3a4ba8f",
    "e6c2abad-04e2-41fd-bd66-4cc41e4bb6e7",
]

# file → [(id, severity)] in document order; every road event in these examples is a work zone.
GOLDEN: dict[str, list[tuple[str, str]]] = {
    "scenario1_simple_linestring_example.geojson": [(i, "moderate") for i in SCENARIO1_IDS],
    "scenario1_simple_multipoint_example.geojson": [(i, "moderate") for i in SCENARIO1_IDS],
    "scenario2_laneshift_linestring_example.geojson": [
        ("85912735-7a36-45f5-b644-41b0203ae400", "minor"),  # all-lanes-open-shift-right
    ],
    "scenario3_shoulder_bidirectional_linestring_example.geojson": [
        ("a2183b6b-befa-48ac-b6b5-3ee5e8a806e9", "minor"),
        ("62c5fa4b-11ee-45e6-a740-bc32d3b846e9", "minor"),
    ],
    "scenario5_recurring_linestring_example.geojson": [
        ("a2100c5b-58b9-4593-992d-0795bafe3d8d", "minor"),
        ("d63ab07b-98e8-41bd-b4dd-557727320056", "minor"),
        ("ff3f888f-7e11-4a5b-8c04-3182a459a756", "minor"),
        ("b04c1df4-f9d0-4a63-995d-38bfd83931e9", "minor"),
    ],
    "scenario7_mobileoperation_linestring_example.geojson": [
        ("01841847-3cda-4aa8-a283-1b4a11f31c08", "moderate"),
        ("71a97769-6c61-41a8-bbfd-0d84e0d073e6", "moderate"),
    ],
}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def load(name: str) -> dict[str, Any]:
    doc = orjson.loads((FIXTURES / "wzdx" / name).read_bytes())
    assert isinstance(doc, dict)
    return doc


def parse_doc(doc: Any, received_at: datetime = RECEIVED_AT) -> Parsed:
    feed = adapter("wzdx")
    assert isinstance(feed, PollingFeed)
    return feed.parse(json.dumps(doc).encode(), received_at=received_at)


def by_id(parsed: Parsed) -> dict[str, Event]:
    return {e.event_id.removeprefix("wzdx:"): e for e in parsed.events}


# ------------------------------------------------------------------------------ golden


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_every_work_zone_example(name: str) -> None:
    parsed = parse_fixture("wzdx", f"wzdx/{name}")
    assert parsed.skipped == []
    expected = GOLDEN[name]
    assert [e.event_id for e in parsed.events] == [f"wzdx:{i}" for i, _ in expected]
    assert [e.severity.value for e in parsed.events] == [s for _, s in expected]
    geometry_type = "MultiPoint" if "multipoint" in name else "LineString"
    for event in parsed.events:
        assert event.source == "wzdx"
        assert event.kind is Kind.TRAFFIC
        assert event.category == "traffic.roadwork"
        assert event.status is Status.ACTIVE  # ended long ago: the runner expires by expires_at
        assert event.title.startswith("Work zone on ")
        assert event.description
        for moment in (event.sent_at, event.updated_at, event.expires_at, event.received_at):
            assert moment is not None and moment.utcoffset() is not None
            assert moment.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert event.sent_at <= event.updated_at  # type: ignore[operator]
        assert event.expires_at > event.sent_at  # type: ignore[operator]
        assert event.updated_at is not None and event.version == version_of(event.updated_at)
        assert event.geometry is not None and event.geometry.type == geometry_type
        lon, lat = event.geometry.coordinates[0][:2]  # type: ignore[index]
        assert -100 < lon < -90 and 40 < lat < 43  # Iowa, in GeoJSON lon/lat order
        assert event.point is not None and event.point[0] < 0 < event.point[1]
        assert event.district is None  # outside Seoul; the runner's lookup leaves it empty
        assert event.extra["planned"] is False
        assert event.extra["event_type"] == "work-zone"


def test_scenario1_first_events_in_detail() -> None:
    events = by_id(parse_fixture("wzdx", "wzdx/scenario1_simple_linestring_example.geojson"))
    first = events["af2e3f51-611f-4ce0-9282-2f28ca68e62f"]
    assert first.title == "Work zone on I-80 / I-35 northbound"
    assert first.description == "Single direction work zone without lane-level information."
    assert first.area_desc == "I-80 / I-35"
    assert first.sent_at == utc("2009-12-31T18:01:01Z")  # creation_date
    assert first.updated_at == utc("2009-12-31T18:01:01Z")  # core_details.update_date
    assert first.expires_at == utc("2010-01-02T01:00:00Z")  # end_date
    assert first.extra["starts_at"] == "2010-01-01T01:00:00Z"
    assert first.extra["vehicle_impact"] == "some-lanes-closed"
    assert first.geometry is not None
    assert first.geometry.coordinates[0] == (-93.77668405099996, 41.617961698000045)

    second = events["edf2162b-1f5d-4ddd-a731-78fb81a22e6a"]
    assert second.title == "Work zone on 128th Street northbound"
    assert second.area_desc == "128th Street between US 6, Hickman Road and Douglas Ave"
    assert second.severity.value == "moderate"  # some-lanes-closed-merge-left
    assert second.sent_at == utc("2009-12-13T13:35:26Z")
    assert second.updated_at == utc("2009-12-31T15:11:16Z")
    assert second.version == version_of(utc("2009-12-31T15:11:16Z"))
    assert second.expires_at == utc("2010-05-01T05:00:00Z")


def test_multipoint_variant_has_the_same_events_as_the_linestring_one() -> None:
    lines = parse_fixture("wzdx", "wzdx/scenario1_simple_linestring_example.geojson").events
    points = parse_fixture("wzdx", "wzdx/scenario1_simple_multipoint_example.geojson").events
    for line, point in zip(lines, points, strict=True):
        assert point.geometry is not None and line.geometry is not None
        assert len(point.geometry.coordinates) == 2  # start and end of the work zone
        assert point.geometry.coordinates[0] == line.geometry.coordinates[0]
        assert (point.event_id, point.version, point.sent_at, point.expires_at) == (
            line.event_id,
            line.version,
            line.sent_at,
            line.expires_at,
        )


def test_creation_date_after_the_update_is_clamped() -> None:
    """Scenario 2's creation_date (2010-12-30) is after its update_date and end_date (2010-01).

    First issued cannot be later than the last change, so sent_at takes the update date and the
    event stays valid (expires_at after sent_at) instead of being skipped.
    """
    (event,) = parse_fixture("wzdx", "wzdx/scenario2_laneshift_linestring_example.geojson").events
    assert event.sent_at == event.updated_at == utc("2010-01-01T05:57:36Z")
    assert event.expires_at == utc("2010-01-05T23:00:00Z")
    assert event.title == "Work zone on I-80 / I-35 westbound"
    assert event.extra["vehicle_impact"] == "all-lanes-open-shift-right"


def test_versions_follow_each_road_events_own_update_date() -> None:
    name = "wzdx/scenario7_mobileoperation_linestring_example.geojson"
    events = by_id(parse_fixture("wzdx", name))
    planned_part = events["01841847-3cda-4aa8-a283-1b4a11f31c08"]
    active_part = events["71a97769-6c61-41a8-bbfd-0d84e0d073e6"]
    assert planned_part.updated_at == utc("2022-09-12T16:42:53Z")
    assert active_part.updated_at == utc("2022-09-13T15:12:13Z")
    assert active_part.version > planned_part.version


def test_future_work_zones_stay_active_but_are_marked_planned() -> None:
    """Scenario 5 read on its own feed date (2022-01-01 10:00Z): day 1 runs, days 2-4 are ahead."""
    parsed = parse_doc(
        load("scenario5_recurring_linestring_example.geojson"),
        received_at=utc("2022-01-01T10:00:00Z"),
    )
    planned = {e.event_id.removeprefix("wzdx:"): e.extra["planned"] for e in parsed.events}
    assert planned == {
        "a2100c5b-58b9-4593-992d-0795bafe3d8d": False,
        "d63ab07b-98e8-41bd-b4dd-557727320056": True,
        "ff3f888f-7e11-4a5b-8c04-3182a459a756": True,
        "b04c1df4-f9d0-4a63-995d-38bfd83931e9": True,
    }
    assert {e.status for e in parsed.events} == {Status.ACTIVE}


# ------------------------------------------------------------------- versions and types


def test_v40_road_event_feed_info_is_accepted() -> None:
    """Synthetic: scenario 1 with the v4.0 header name `road_event_feed_info` and version 4.0."""
    doc = load("scenario1_simple_linestring_example.geojson")
    doc["road_event_feed_info"] = {**doc.pop("feed_info"), "version": "4.0"}
    parsed = parse_doc(doc)
    reference = parse_fixture("wzdx", "wzdx/scenario1_simple_linestring_example.geojson")
    assert parsed.events == reference.events


def test_feed_info_update_date_is_the_fallback_update_time() -> None:
    """Synthetic: without core_details.update_date, feed_info.update_date dates the change."""
    doc = load("scenario1_simple_linestring_example.geojson")
    del doc["features"][0]["properties"]["core_details"]["update_date"]
    event = parse_doc(doc).events[0]
    assert event.updated_at == utc("2020-06-18T15:00:00Z")
    assert event.sent_at == utc("2009-12-31T18:01:01Z")


def test_v3_is_rejected() -> None:
    """Synthetic: a v3.1 header (`road_event_feed_info`, version 3.1)."""
    doc = load("scenario1_simple_linestring_example.geojson")
    doc["road_event_feed_info"] = {**doc.pop("feed_info"), "version": "3.1"}
    with pytest.raises(FeedRejected, match="WZDx v3 is not supported"):
        parse_doc(doc)


def test_v3_without_a_version_is_recognised_by_its_flat_properties() -> None:
    doc = {
        "road_event_feed_info": {"update_date": "2020-06-18T15:00:00Z"},
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"road_event_id": "1", "event_type": "work-zone"}}
        ],
    }
    with pytest.raises(FeedRejected, match="WZDx v3 is not supported"):
        parse_doc(doc)


@pytest.mark.parametrize("name", ["arrow_board_ok_example.geojson", "camera_error_example.geojson"])
def test_device_feeds_are_rejected(name: str) -> None:
    with pytest.raises(FeedRejected, match="a WZDx DeviceFeed, not a WorkZoneFeed"):
        parse_fixture("wzdx", f"wzdx/{name}")


@pytest.mark.parametrize(
    ("event_type", "impact", "category", "severity"),
    [
        ("work-zone", "all-lanes-closed", "traffic.roadwork", "severe"),
        ("work-zone", "alternating-one-way", "traffic.roadwork", "moderate"),
        ("work-zone", "flagging", "traffic.roadwork", "moderate"),
        ("work-zone", "unknown", "traffic.roadwork", "minor"),
        ("work-zone", None, "traffic.roadwork", "minor"),
        ("detour", None, "traffic.other", "minor"),
        ("restriction", "some-lanes-closed", "traffic.hazard", "moderate"),
        ("something-new", "all-lanes-open", "traffic.other", "minor"),
    ],
)
def test_event_type_and_vehicle_impact_mapping(
    event_type: str, impact: str | None, category: str, severity: str
) -> None:
    """Synthetic: scenario 1's first road event with its type and impact replaced."""
    doc = load("scenario1_simple_linestring_example.geojson")
    props = doc["features"][0]["properties"]
    props["core_details"]["event_type"] = event_type
    props.pop("vehicle_impact", None)
    if impact is not None:
        props["vehicle_impact"] = impact
    event = parse_doc(doc).events[0]
    assert (event.category, event.severity.value) == (category, severity)
    expected = {"detour": "Detour", "restriction": "Restriction"}.get(event_type, "Work zone")
    if event_type == "something-new":
        expected = "Road event"
    assert event.title == f"{expected} on I-80 / I-35 northbound"


@pytest.mark.parametrize(
    ("legacy", "status"),
    [("completed", Status.RESOLVED), ("cancelled", Status.CANCELLED), ("active", Status.ACTIVE)],
)
def test_deprecated_event_status(legacy: str, status: Status) -> None:
    doc = load("scenario1_simple_linestring_example.geojson")
    doc["features"][0]["properties"]["event_status"] = legacy
    assert parse_doc(doc).events[0].status is status


# ------------------------------------------------------------------- bad items and documents


def test_a_bad_road_event_costs_only_itself() -> None:
    """Synthetic: scenario 1 with four broken features; the one intact feature is still read."""
    doc = load("scenario1_simple_linestring_example.geojson")
    features = doc["features"]
    del features[0]["id"]
    features[1]["properties"]["start_date"] = "yesterday"
    features[2]["geometry"] = {"type": "LineString", "coordinates": [[41.6, -93.7], [41.7, 200]]}
    features[3]["properties"] = "not an object"
    parsed = parse_doc(doc)
    assert [e.event_id for e in parsed.events] == [f"wzdx:{SCENARIO1_IDS[4]}"]
    assert len(parsed.skipped) == 4
    assert parsed.skipped[0].startswith("features[0]: ")
    assert "start_date 'yesterday' is not an ISO 8601 time" in parsed.skipped[1]
    assert "longitude 200" in parsed.skipped[2] or "latitude" in parsed.skipped[2]
    assert "core_details" in parsed.skipped[3]


def test_a_feed_with_no_usable_road_event_is_rejected() -> None:
    doc = load("scenario3_shoulder_bidirectional_linestring_example.geojson")
    for feature in doc["features"]:
        feature["properties"]["core_details"]["creation_date"] = "not a date"
    with pytest.raises(FeedRejected, match="none of the 2 road events could be used"):
        parse_doc(doc)


def test_an_empty_feed_is_an_empty_snapshot() -> None:
    doc = load("scenario2_laneshift_linestring_example.geojson")
    doc["features"] = []
    parsed = parse_doc(doc)
    assert parsed.events == [] and parsed.skipped == []


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty document"),
        (b"<html><body>502 Bad Gateway</body></html>", "an HTML page"),
        (
            b'{"feed_info": {"version": "4.2"}, "type": "FeatureCollection", "features": [{"id"',
            "not valid JSON",
        ),
        (b'"a string"', "got a JSON str"),
        (b"42", "got a JSON int"),
        (b"[1, 2]", "got a JSON list"),
        (b"null", "got a JSON NoneType"),
        (b'{"type": "FeatureCollection", "features": []}', "not a WZDx feed"),
        (
            b'{"feed_info": {"version": "5.0"}, "type": "FeatureCollection", "features": []}',
            "unsupported WZDx version",
        ),
        (
            b'{"feed_info": {"version": "4.2"}, "type": "FeatureCollection", "features": {}}',
            "features list",
        ),
    ],
)
def test_malformed_documents_are_rejected(payload: bytes, reason: str) -> None:
    feed = adapter("wzdx")
    assert isinstance(feed, PollingFeed)
    with pytest.raises(FeedRejected, match=reason):
        feed.parse(payload, received_at=RECEIVED_AT)


JSON_VALUES = json_values(text_size=5)


BASE = orjson.loads(
    (FIXTURES / "wzdx" / "scenario3_shoulder_bidirectional_linestring_example.geojson").read_bytes()
)
PATHS = [p for p in json_paths(BASE, items=3) if p]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), JSON_VALUES), min_size=1, max_size=3))
def test_any_damaged_feed_yields_events_or_feed_rejected(damage: list[tuple[Any, Any]]) -> None:
    """Fuzz: replace parts of a real feed with arbitrary JSON; only FeedRejected may escape."""
    try:
        parsed = parse_doc(damaged(BASE, damage))
    except FeedRejected:
        return
    for event in parsed.events:
        assert event.event_id.startswith("wzdx:")


def test_wrongly_typed_secondary_fields_are_dropped_with_warnings() -> None:
    """Mutation finding: a description, vehicle_impact or road_names of the wrong JSON type was
    dropped silently; now each is a warning naming the field, and the road event stays."""
    doc = load("scenario3_shoulder_bidirectional_linestring_example.geojson")
    before = by_id(parse_doc(doc))
    props = doc["features"][0]["properties"]
    props["vehicle_impact"] = {"value": "all-lanes-open"}
    props["core_details"]["description"] = 42
    props["core_details"]["road_names"] = "I-70"
    parsed = parse_doc(doc)
    event = by_id(parsed)["a2183b6b-befa-48ac-b6b5-3ee5e8a806e9"]
    assert set(by_id(parsed)) == set(before) and parsed.skipped == []
    assert event.description == "" and "vehicle_impact" not in event.extra
    assert parsed.warnings == [
        "a2183b6b-befa-48ac-b6b5-3ee5e8a806e9: vehicle_impact is a JSON object, not text; ignored",
        "a2183b6b-befa-48ac-b6b5-3ee5e8a806e9: core_details.road_names is a JSON string, "
        "not an array; ignored",
        "a2183b6b-befa-48ac-b6b5-3ee5e8a806e9: core_details.description is a JSON number, "
        "not text; ignored",
    ]
