"""Golden tests for the `geojson` adapter (any FeatureCollection of incidents).

The saved sample (tests/fixtures/geojson/) is NSW Rural Fire Service's majorIncidents.json layout
(guid, category, naive "dd/mm/yyyy h:mm:ss AM" Sydney pubDate, HTML description) with placeholder
values. It is parsed once with the options an RFS feed would be configured with, and once with the
defaults. Time formats, geometry collections and id rules are pinned on documents built here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from feeds.kit import version_of
from feeds.kit.base import PollingFeed
from server.errors import FeedRejected
from server.stream.events import Kind, Severity, Status, TimeBasis
from tests.feeds.conftest import RECEIVED_AT, adapter, parse_fixture

SAMPLE = "geojson/nsw_rural_fire_service_feed.json"
RFS_PUBDATE = "%d/%m/%Y %I:%M:%S %p"
RFS_OPTIONS: dict[str, Any] = {
    "id_property": "guid",
    "time_property": "pubDate",
    "time_format": RFS_PUBDATE,
    "category": "disaster.wildfire",
    "severity_property": "category",
    "severity_map": {
        "Emergency Warning": "extreme",
        "Watch and Act": "severe",
        "Advice": "moderate",
        "Not Applicable": "minor",
    },
    "default_severity": "minor",
}
SYDNEY = "Australia/Sydney"


def parse(payload: bytes, **config: Any) -> Any:
    feed = adapter("geojson", **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse(payload, received_at=RECEIVED_AT)


def document(*features: Any) -> bytes:
    return orjson.dumps({"type": "FeatureCollection", "features": list(features)})


def feature(geometry: Any = None, fid: Any = None, **props: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "Feature", "geometry": geometry, "properties": props}
    if fid is not None:
        found["id"] = fid
    return found


POINT = {"type": "Point", "coordinates": [126.9779, 37.5663]}  # Seoul City Hall, lon/lat


# ---------------------------------------------------------------------------- saved sample


def test_rfs_sample_with_rfs_options() -> None:
    parsed = parse_fixture("geojson", SAMPLE, timezone=SYDNEY, options=RFS_OPTIONS)
    assert parsed.skipped == []
    events = parsed.events
    assert [e.event_id for e in events] == ["geojson:1234", "geojson:2345", "geojson:3456"]
    assert [e.title for e in events] == ["Title 1", "Title 2", "Title 3"]
    # naive Sydney wall-clock times; 21 Sep 2018 is before DST (7 Oct), so AEST = UTC+10
    assert [e.sent_at for e in events] == [
        datetime(2018, 9, 20, 20, 30, tzinfo=UTC),
        datetime(2018, 9, 20, 20, 35, tzinfo=UTC),
        datetime(2018, 9, 20, 20, 40, tzinfo=UTC),
    ]
    assert all(e.updated_at == e.sent_at for e in events)
    assert [e.version for e in events] == [version_of(e.sent_at) for e in events]
    assert events[0].version < events[1].version < events[2].version
    # "Category 1"/"Category 2" are not RFS alert levels and the third has none: default minor
    assert [e.severity for e in events] == [Severity.MINOR] * 3
    for event in events:
        assert event.kind is Kind.DISASTER and event.category == "disaster.wildfire"
        assert event.status is Status.ACTIVE and event.expires_at is None
        assert event.point == (149.1234, -37.2345)  # lon, lat: NSW south coast
        assert event.url is None  # the sample has no `link`
    assert events[0].description == (
        "ALERT LEVEL: Alert Level 1\nLOCATION: Location 1\nCOUNCIL AREA: Council 1\n"
        "STATUS: Status 1\nTYPE: Type 1\nFIRE: Yes\nSIZE: 10 ha\nRESPONSIBLE AGENCY: Agency 1\n"
        "UPDATED: 21 Sep 2018 16:45"
    )


def test_rfs_sample_severity_map_is_case_and_space_insensitive() -> None:
    options = {**RFS_OPTIONS, "severity_map": {" category 1 ": "extreme", "CATEGORY 2": "severe"}}
    events = parse_fixture("geojson", SAMPLE, timezone=SYDNEY, options=options).events
    assert [e.severity for e in events] == [Severity.EXTREME, Severity.SEVERE, Severity.MINOR]


def test_rfs_sample_is_read_with_no_time_format() -> None:
    """'21/09/2018 6:30:00 AM' can only be day-first: the default `auto` reads it."""
    options = {k: v for k, v in RFS_OPTIONS.items() if k != "time_format"}
    parsed = parse_fixture("geojson", SAMPLE, timezone=SYDNEY, options=options)
    assert parsed.warnings == [] and parsed.skipped == []
    assert [e.sent_at for e in parsed.events] == [
        datetime(2018, 9, 20, 20, 30, tzinfo=UTC),
        datetime(2018, 9, 20, 20, 35, tzinfo=UTC),
        datetime(2018, 9, 20, 20, 40, tzinfo=UTC),
    ]
    assert {e.time_basis for e in parsed.events} == {TimeBasis.SOURCE}


def test_rfs_sample_without_a_timezone_is_dated_by_the_fetch_with_one_warning() -> None:
    """A zone is never guessed: the events are kept, dated and marked by the fetch time."""
    parsed = parse_fixture("geojson", SAMPLE)
    assert [e.event_id for e in parsed.events] == ["geojson:1234", "geojson:2345", "geojson:3456"]
    assert parsed.skipped == []
    for event in parsed.events:
        assert event.time_basis is TimeBasis.FETCHED
        assert event.sent_at == event.updated_at == event.received_at == RECEIVED_AT
        assert event.version == version_of(RECEIVED_AT)
    assert parsed.warnings == [
        "pubDate '21/09/2018 6:30:00 AM' has no time zone: add timezone = \"<Area/City>\" to "
        "the feed's config; fetch time used for 3 events"
    ]


def test_an_ambiguous_time_is_dated_by_the_fetch_with_one_warning() -> None:
    doc = document(
        feature(POINT, fid="a", title="t", pubDate="03/04/2018 6:30 PM"),
        feature(POINT, fid="b", title="t", pubDate="2026-11-29T09:15:00Z"),
        feature(POINT, fid="c", title="t", pubDate="05/06/2018 7:00 PM"),
    )
    parsed = parse(doc, timezone="Asia/Seoul")
    a, b, c = parsed.events
    assert (a.time_basis, b.time_basis, c.time_basis) == (
        TimeBasis.FETCHED,
        TimeBasis.SOURCE,
        TimeBasis.FETCHED,
    )
    assert a.sent_at == c.sent_at == RECEIVED_AT
    assert b.sent_at == datetime(2026, 11, 29, 9, 15, tzinfo=UTC)
    assert parsed.warnings == [
        "pubDate '03/04/2018 6:30 PM' is ambiguous (day-first or month-first): set time_format, "
        "e.g. '%d/%m/%Y %I:%M %p' (day first) or '%m/%d/%Y %I:%M %p' (month first); fetch "
        "time used for 2 events"
    ]


def test_an_explicit_time_format_is_a_promise_and_still_refuses() -> None:
    doc = document(
        feature(POINT, fid="a", title="t", pubDate="03/04/2018 6:30 PM"),
        feature(POINT, fid="b", title="t", pubDate="2026-11-29T09:15:00Z"),
    )
    parsed = parse(doc, timezone="Asia/Seoul", options={"time_format": "iso"})
    assert [e.event_id for e in parsed.events] == ["geojson:b"] and parsed.warnings == []
    assert parsed.skipped == ["feature a: pubDate '03/04/2018 6:30 PM' is not an ISO 8601 time"]


def test_rfs_sample_naive_time_needs_a_timezone() -> None:
    with pytest.raises(FeedRejected, match="no time zone: add timezone = "):
        parse_fixture("geojson", SAMPLE, options={"time_format": RFS_PUBDATE})


def test_rfs_sample_with_only_the_time_configured_uses_defaults() -> None:
    events = parse_fixture(
        "geojson", SAMPLE, timezone=SYDNEY, options={"time_format": RFS_PUBDATE}
    ).events
    assert [e.event_id for e in events] == ["geojson:1234", "geojson:2345", "geojson:3456"]
    assert {(e.kind, e.category, e.severity) for e in events} == {
        (Kind.DISASTER, "disaster.other", Severity.MODERATE)
    }
    assert events[0].sent_at == datetime(2018, 9, 20, 20, 30, tzinfo=UTC)


# ------------------------------------------------------------------------- built documents


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("2026-11-29T09:15:00Z", "auto", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
        ("2026-11-29T18:15:00+09:00", "auto", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
        ("2026-11-29 18:15:00", "auto", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),  # Seoul zone
        ("Sun, 29 Nov 2026 09:15:00 GMT", "auto", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
        (1_795_943_700, "auto", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
        (1_795_943_700_000, "auto", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
        ("1795943700000", "auto", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
        ("1795943700", "epoch_s", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
        (1_795_943_700_000, "epoch_ms", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
        ("2026-11-29T09:15:00Z", "iso", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
        ("Sun, 29 Nov 2026 09:15:00 +0000", "rfc822", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
        ("29.11.2026 18:15", "%d.%m.%Y %H:%M", datetime(2026, 11, 29, 9, 15, tzinfo=UTC)),
    ],
)
def test_time_formats(value: Any, fmt: str, expected: datetime) -> None:
    (event,) = parse(
        document(feature(POINT, fid="a", title="t", updated=value)),
        timezone="Asia/Seoul",
        options={"time_format": fmt},
    ).events
    assert event.sent_at == expected and event.version == version_of(expected)


def test_time_property_order_and_choice() -> None:
    props = {"title": "t", "time": 1_795_943_700, "updated": "2026-11-29T10:00:00Z"}
    (event,) = parse(document(feature(POINT, fid="a", **props))).events
    assert event.sent_at == datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # updated before time
    (event,) = parse(
        document(feature(POINT, fid="a", **props)), options={"time_property": "time"}
    ).events
    assert event.sent_at == datetime(2026, 11, 29, 9, 15, tzinfo=UTC)


def test_ids_titles_links_and_severity() -> None:
    features = [
        feature(POINT, fid=17, id="ignored", title="by feature id", pubDate="2026-11-29T09:00Z"),
        feature(
            POINT,
            id="p-1",
            guid="ignored",
            name="by name",
            pubDate="2026-11-29T09:00Z",
            link="https://example.org/incident/p-1",
            level="Watch and Act",
        ),
        feature(POINT, guid="g-1", pubDate="2026-11-29T09:00Z", link="not a url", level=3),
    ]
    events = parse(
        document(*features),
        options={
            "severity_property": "level",
            "severity_map": {"watch and act": "severe", "3": "info"},
            "kind": "traffic",
            "category": "traffic.hazard",
        },
    ).events
    assert [e.event_id for e in events] == ["geojson:17", "geojson:p-1", "geojson:g-1"]
    assert [e.title for e in events] == ["by feature id", "by name", "g-1"]
    assert [e.url for e in events] == [None, "https://example.org/incident/p-1", None]
    assert [e.severity for e in events] == [Severity.MODERATE, Severity.SEVERE, Severity.INFO]
    assert {e.category for e in events} == {"traffic.hazard"}


def test_numeric_ids_are_printed_whole() -> None:
    events = parse(
        document(
            feature(POINT, fid=1234567.0, updated=1_795_943_700),
            feature(POINT, fid=2.5, updated=1_795_943_700),
        )
    ).events
    assert [e.event_id for e in events] == ["geojson:1234567", "geojson:2.5"]


def test_id_property_option() -> None:
    (event,) = parse(
        document(feature(POINT, fid="feature-id", ref="R-9", updated=1_795_943_700)),
        options={"id_property": "ref"},
    ).events
    assert event.event_id == "geojson:R-9"


def test_geometry_collection_gives_its_first_usable_member() -> None:
    open_ring = {
        "type": "Polygon",
        "coordinates": [[[150.0, -33.0], [150.1, -33.0], [150.1, -33.1]]],
    }
    fire_area = {
        "type": "Polygon",
        "coordinates": [[[150.0, -33.0], [150.1, -33.0], [150.1, -33.1], [150.0, -33.0]]],
    }
    collection = {
        "type": "GeometryCollection",
        "geometries": [
            open_ring,
            {"type": "Point", "coordinates": [150.05, -33.05, 120.0]},
            fire_area,
        ],
    }
    (event,) = parse(document(feature(collection, fid="a", updated=1_795_943_700))).events
    assert event.geometry is not None
    assert event.geometry.model_dump() == {"type": "Point", "coordinates": (150.05, -33.05)}


def test_features_without_geometry_are_kept() -> None:
    events = parse(
        document(
            feature(None, fid="a", updated=1_795_943_700),
            {"type": "Feature", "id": "b", "properties": {"time": 1}},
            feature(
                {"type": "GeometryCollection", "geometries": []}, fid="c", updated=1_795_943_700
            ),
        )
    ).events
    assert [(e.event_id, e.geometry, e.point) for e in events] == [
        ("geojson:a", None, None),
        ("geojson:b", None, None),
        ("geojson:c", None, None),
    ]


def test_line_and_polygon_geometries_keep_lon_lat() -> None:
    line = {
        "type": "LineString",
        "coordinates": [[126.97, 37.56, 30], [126.98, 37.57, 31], [126.99, 37.58, 32]],
    }
    (event,) = parse(document(feature(line, fid="a", updated=1_795_943_700))).events
    assert event.geometry is not None
    assert event.geometry.model_dump()["coordinates"] == [
        (126.97, 37.56),
        (126.98, 37.57),
        (126.99, 37.58),
    ]
    assert event.point == (126.98, 37.57)


def test_bad_features_are_skipped_one_by_one() -> None:
    swapped = {"type": "Point", "coordinates": [37.5663, 126.9779]}
    parsed = parse(
        document(
            feature(POINT, fid="ok", updated=1_795_943_700),
            feature(swapped, fid="swapped", updated=1_795_943_700),
            feature(POINT, fid="no-time"),
            feature(POINT, updated=1_795_943_700),
            feature({"type": "Circle", "coordinates": [1, 2]}, fid="circle", updated=1_795_943_700),
            feature(POINT, fid="bad-time", updated=1_795_943_700, pubDate="noon"),
            [1, 2],
            {"type": "Feature", "id": "bad-props", "properties": "x"},
        )
    )
    assert [e.event_id for e in parsed.events] == ["geojson:ok", "geojson:bad-time"]
    assert parsed.events[1].time_basis is TimeBasis.FETCHED, "an unreadable time costs no event"
    assert parsed.skipped == [
        "feature swapped: geometry: Value error, latitude 126.9779 is outside -90..90 "
        "(GeoJSON order is [lon, lat])",
        "feature no-time: no time (looked for pubDate, updated, time; set time_property)",
        "feature #3: no id (looked for the feature's id, properties.id, properties.guid; "
        "set id_property)",
        "feature circle: geometry type 'Circle' is not a GeoJSON geometry type",
        "feature #6: a feature is a JSON array, not an object",
        "feature bad-props: 'properties' is a JSON string, not an object",
    ]


def test_empty_collection_is_an_empty_snapshot() -> None:
    parsed = parse(b'{"type": "FeatureCollection", "features": []}')
    assert parsed.events == [] and parsed.skipped == []


@pytest.mark.parametrize(
    "options",
    [
        {"category": "disaster.bushfire"},
        {"kind": "traffic", "category": "disaster.fire"},
        {"kind": "call"},
        {"time_format": "dd/mm/yyyy"},
        {"default_severity": "catastrophic"},
        {"severity_map": {"Advice": "high"}},
        {"unknown_option": 1},
    ],
)
def test_bad_options_fail_at_configuration(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        adapter("geojson", options=options)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>Service Unavailable</body></html>", "HTML"),
        (b'{"type": "FeatureCollection", "features": [{"type": "Feat', "not valid JSON"),
        (b'[{"type": "Feature"}]', "got a JSON array"),
        (b'"hello"', "got a JSON string"),
        (b"null", "got a JSON null"),
        (b'{"type": "Topology", "objects": {}}', "got type 'Topology'"),
        (b'{"features": null}', "'features' is a JSON null"),
    ],
)
def test_broken_documents_are_rejected(payload: bytes, reason: str) -> None:
    with pytest.raises(FeedRejected) as caught:
        parse(payload)
    assert reason in caught.value.message


@pytest.mark.parametrize("fmt", ["epoch_s", "epoch_ms"])
@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity"])
def test_a_non_finite_epoch_time_skips_only_its_feature(fmt: str, value: str) -> None:
    doc = document(
        feature(POINT, fid="a", title="t", updated=1_795_943_700),
        feature(POINT, fid="b", title="t", updated=value),
    )
    parsed = parse(doc, options={"time_format": fmt})
    assert [e.event_id for e in parsed.events] == ["geojson:a"]
    [reason] = parsed.skipped
    assert reason.startswith(f"feature b: updated {value!r}")


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity", 1e300, "1e20", {"at": 1}])
def test_a_non_finite_time_without_a_format_is_dated_by_the_fetch(value: Any) -> None:
    doc = document(
        feature(POINT, fid="a", title="t", updated=1_795_943_700),
        feature(POINT, fid="b", title="t", pubDate=value, updated=1_795_943_700),
    )
    parsed = parse(doc)
    assert parsed.skipped == []
    assert [e.time_basis for e in parsed.events] == [TimeBasis.SOURCE, TimeBasis.FETCHED]
    [warning] = parsed.warnings
    assert warning.startswith("pubDate ") and warning.endswith("; fetch time used for 1 event")
