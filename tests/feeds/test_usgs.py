"""Golden tests for the `usgs` adapter (USGS earthquake GeoJSON summary feed).

The saved samples (tests/fixtures/usgs-geojson/) are a client library's test data in the USGS
layout with placeholder values ("Alert 1", "Type 1"): they pin ids, epoch-ms times, [lon, lat,
depth] order and the null magnitude. The severity ladder, PAGER alerts, event types, deletion and
version ordering are pinned on documents built here from the first sample's feature.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from feeds.kit import version_of
from feeds.kit.base import PollingFeed
from server.errors import FeedRejected
from server.stream.events import Kind, Severity, Status
from tests.feeds.conftest import FIXTURES, RECEIVED_AT, adapter, parse_fixture

SAMPLE = "usgs-geojson/earthquakes-1.json"
TWIN = "usgs-geojson/usgs_earthquake_hazards_program_feed.json"
EMPTY = "usgs-geojson/earthquakes-2.json"
TIME = datetime(2018, 9, 22, 8, 0, tzinfo=UTC)  # 1537603200000 ms
UPDATED = datetime(2018, 9, 22, 8, 30, tzinfo=UTC)  # 1537605000000 ms


def parse(payload: bytes, **config: Any) -> Any:
    feed = adapter("usgs", **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse(payload, received_at=RECEIVED_AT)


def sample_feature() -> dict[str, Any]:
    """The first feature of the saved sample, to vary one field at a time."""
    doc = orjson.loads((FIXTURES / SAMPLE).read_bytes())
    return copy.deepcopy(doc["features"][0])


def document(*features: Any) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", "features": list(features)})


def quake(**props: Any) -> dict[str, Any]:
    feature = sample_feature()
    feature["properties"].update(props)
    return feature


# --------------------------------------------------------------------------- saved samples


@pytest.mark.parametrize("relpath", [SAMPLE, TWIN])
def test_sample_events(relpath: str) -> None:
    parsed = parse_fixture("usgs", relpath)
    assert parsed.skipped == []
    assert [e.event_id for e in parsed.events] == ["usgs:1234", "usgs:2345", "usgs:3456"]
    assert [e.extra["mag"] for e in parsed.events] == [3.0, 1.25, None]
    # below M4 and a null magnitude are all `info`; "Alert 1" is no PAGER level so it is ignored
    assert [e.severity for e in parsed.events] == [Severity.INFO] * 3
    assert [e.title for e in parsed.events] == ["Title 1", "Title 2", "Title 3"]
    assert [e.area_desc for e in parsed.events] == ["Place 1", "Place 2", "Place 3"]
    for event in parsed.events:
        assert event.kind is Kind.DISASTER
        assert event.category == "disaster.other"  # placeholder `type` "Type n" is no earthquake
        assert event.status is Status.ACTIVE  # "Status 1" / absent: only "deleted" cancels
        assert event.sent_at == TIME and event.sent_at.tzinfo is UTC
        assert event.updated_at == UPDATED
        assert event.expires_at is None
        assert event.version == version_of(UPDATED) == 1_537_605_000
        assert event.geometry is not None
        assert event.geometry.model_dump() == {"type": "Point", "coordinates": (149.1234, -32.2345)}
        assert event.point == (149.1234, -32.2345)  # lon, lat: the sample is in New South Wales
        assert event.extra["depth_km"] == 0.1  # the third coordinate is depth, not a position
        assert event.extra["tsunami"] is False
        assert event.url is None
        assert event.received_at == RECEIVED_AT
    assert parsed.events[0].extra["type"] == "type 1"


def test_twin_samples_are_the_same_document() -> None:
    assert (FIXTURES / SAMPLE).read_bytes() == (FIXTURES / TWIN).read_bytes()
    assert parse_fixture("usgs", SAMPLE).events == parse_fixture("usgs", TWIN).events


def test_empty_feed_is_an_empty_snapshot_not_an_error() -> None:
    parsed = parse_fixture("usgs", EMPTY)
    assert parsed.events == [] and parsed.skipped == []


def test_min_magnitude_drops_small_and_unknown_quakes() -> None:
    parsed = parse_fixture("usgs", SAMPLE, options={"min_magnitude": 2.0})
    assert [e.event_id for e in parsed.events] == ["usgs:1234"]  # 1.25 and null are dropped
    assert parsed.skipped == []
    assert (
        parse_fixture("usgs", SAMPLE, options={"min_magnitude": 1.25}).events[1].extra["mag"]
        == 1.25
    )


# --------------------------------------------------------------- mapping on built documents


@pytest.mark.parametrize(
    ("mag", "severity"),
    [
        (7.0, "extreme"),
        (8.2, "extreme"),
        (6.99, "severe"),
        (6.0, "severe"),
        (5.0, "moderate"),
        (4.0, "minor"),
        (3.99, "info"),
        (-0.4, "info"),
        (None, "info"),
    ],
)
def test_magnitude_severity(mag: float | None, severity: str) -> None:
    (event,) = parse(document(quake(mag=mag, alert=None))).events
    assert event.severity == severity


@pytest.mark.parametrize(
    ("alert", "severity"),
    [
        ("red", "extreme"),
        ("orange", "severe"),
        ("yellow", "moderate"),
        ("green", "minor"),
    ],
)
def test_pager_alert_wins_over_magnitude(alert: str, severity: str) -> None:
    (event,) = parse(document(quake(mag=6.5, alert=alert))).events
    assert event.severity == severity
    assert event.extra["alert"] == alert


@pytest.mark.parametrize(
    ("quake_type", "category"),
    [
        ("earthquake", "disaster.earthquake"),
        (None, "disaster.earthquake"),
        ("quarry blast", "disaster.explosion"),
        ("explosion", "disaster.explosion"),
        ("nuclear explosion", "disaster.explosion"),
        ("landslide", "disaster.landslide"),
        ("ice quake", "disaster.other"),
        ("sonic boom", "disaster.other"),
    ],
)
def test_event_type_category(quake_type: str | None, category: str) -> None:
    (event,) = parse(document(quake(type=quake_type))).events
    assert event.category == category
    assert ("type" in event.extra) == (category != "disaster.earthquake")


def test_realistic_feature() -> None:
    feature = {
        "type": "Feature",
        "id": "us7000abcd",
        "properties": {
            "mag": 6.1,
            "place": "42 km SSW of Gyeongju, South Korea",
            "time": 1_700_000_000_123,
            "updated": 1_700_000_900_456,
            "tz": None,
            "url": "https://earthquake.usgs.gov/earthquakes/eventpage/us7000abcd",
            "alert": None,
            "status": "reviewed",
            "tsunami": 1,
            "type": "earthquake",
            "ids": ",us7000abcd,at00s1234,",
            "magType": "mww",
            "title": None,
        },
        "geometry": {"type": "Point", "coordinates": [129.0, 35.5, 12.3]},
    }
    (event,) = parse(document(feature)).events
    assert event.event_id == "usgs:us7000abcd"
    assert event.category == "disaster.earthquake" and event.severity is Severity.SEVERE
    assert event.title == "M 6.1 - 42 km SSW of Gyeongju, South Korea"
    assert event.sent_at == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert event.updated_at == datetime(2023, 11, 14, 22, 28, 20, 456000, tzinfo=UTC)
    assert event.point == (129.0, 35.5)
    assert event.url == "https://earthquake.usgs.gov/earthquakes/eventpage/us7000abcd"
    assert event.extra == {
        "mag": 6.1,
        "magType": "mww",
        "depth_km": 12.3,
        "tsunami": True,
        "ids": ["us7000abcd", "at00s1234"],
    }


def test_version_increases_with_updated() -> None:
    first = parse(document(quake(updated=1_537_605_000_000))).events[0]
    later = parse(document(quake(updated=1_537_605_061_000))).events[0]
    assert later.version > first.version
    assert later.updated_at == datetime(2018, 9, 22, 8, 31, 1, tzinfo=UTC)


def test_deleted_is_cancelled() -> None:
    (event,) = parse(document(quake(status="deleted"))).events
    assert event.status is Status.CANCELLED


def test_missing_updated_falls_back_to_time() -> None:
    feature = quake()
    del feature["properties"]["updated"]
    (event,) = parse(document(feature)).events
    assert event.updated_at == TIME and event.version == version_of(TIME)


def test_bad_link_is_dropped_not_fatal() -> None:
    (event,) = parse(document(quake(url="javascript:alert(1)"))).events
    assert event.url is None


# ----------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"<html><body>502 Bad Gateway</body></html>", "HTML"),
        (b'{"type": "FeatureCollection", "features": [{"type": "Feat', "not valid JSON"),
        (b"[]", "got a JSON array"),
        (b'"FeatureCollection"', "got a JSON string"),
        (b"42", "got a JSON number"),
        (b'{"type": "Feature", "properties": {}}', "got type 'Feature'"),
        (b'{"type": "FeatureCollection", "features": {}}', "'features' is a JSON object"),
    ],
)
def test_broken_documents_are_rejected(payload: bytes, reason: str) -> None:
    with pytest.raises(FeedRejected) as caught:
        parse(payload)
    assert reason in caught.value.message


def test_bad_features_are_skipped_one_by_one() -> None:
    no_time = quake()
    del no_time["properties"]["time"]
    no_time["id"] = "no-time"
    swapped = quake()
    swapped["id"] = "swapped"
    swapped["geometry"]["coordinates"] = [-32.2345, 149.1234, 0.1]  # lat, lon: wrong order
    string_mag = quake(mag="big")
    string_mag["id"] = "string-mag"
    good = quake()
    parsed = parse(
        document("not a feature", no_time, swapped, string_mag, {"id": "no-props"}, good)
    )
    assert [e.event_id for e in parsed.events] == ["usgs:1234"]
    assert len(parsed.skipped) == 5
    assert parsed.skipped[0].startswith("feature 0: a feature is a JSON string")
    assert parsed.skipped[1] == "feature no-time: no 'time'"
    assert "latitude 149.1234 is outside" in parsed.skipped[2]
    assert parsed.skipped[3] == "feature string-mag: mag 'big' is not a number"
    assert "'properties' is a JSON null" in parsed.skipped[4]


def test_a_document_of_only_bad_features_is_rejected() -> None:
    with pytest.raises(FeedRejected, match="none of the 2 features could be used"):
        parse(document("x", {"type": "Feature"}))


# ------------------------------------------------------------- non-finite numbers are bad values


def sample_with(index: int, **props: Any) -> bytes:
    """The saved sample with feature `index`'s properties changed."""
    doc = orjson.loads((FIXTURES / SAMPLE).read_bytes())
    doc["features"][index]["properties"].update(props)
    return orjson.dumps(doc)


@pytest.mark.parametrize(
    ("props", "reason"),
    [
        ({"time": "nan"}, "time 'nan' is not a finite number"),
        ({"time": "NaN"}, "time 'NaN' is not a finite number"),
        ({"time": "-Infinity"}, "time '-Infinity' is not a finite number"),
        ({"updated": "nan"}, "updated 'nan' is not a finite number"),
    ],
)
def test_a_non_finite_time_skips_only_its_quake(props: dict[str, Any], reason: str) -> None:
    parsed = parse(sample_with(1, **props))
    assert [e.event_id for e in parsed.events] == ["usgs:1234", "usgs:3456"]
    assert parsed.skipped == [f"feature 2345: {reason}"]


def test_quakes_below_min_magnitude_are_filtered() -> None:
    parsed = parse_fixture("usgs", SAMPLE, options={"min_magnitude": 2.5})
    assert [e.event_id for e in parsed.events] == ["usgs:1234"]
    assert parsed.skipped == []
    assert parsed.filtered == [
        "feature 2345: magnitude 1.25 is below min_magnitude 2.5",
        "feature 3456: no magnitude (min_magnitude 2.5)",
    ]
