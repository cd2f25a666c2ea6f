"""Golden tests for the `nws` adapter on a real api.weather.gov alerts document.

Fixture: tests/fixtures/nws-api/alerts_active_zone.json (provenance in its SOURCES.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from feeds.kit import version_of
from feeds.kit.base import Parsed, PollingFeed
from server.errors import FeedRejected
from tests.feeds.conftest import FIXTURES, RECEIVED_AT, adapter, parse_fixture

SAMPLE = "nws-api/alerts_active_zone.json"
CHAIN = "nws:w-nws.webmaster@noaa.gov,NWS-IDP-PROD-3963421-3367361"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def sample() -> dict[str, Any]:
    doc: dict[str, Any] = orjson.loads((FIXTURES / SAMPLE).read_bytes())
    return doc


def parse_doc(doc: Any, **config: Any) -> Parsed:
    feed = adapter("nws", **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse(orjson.dumps(doc), received_at=RECEIVED_AT)


def with_props(**changes: Any) -> dict[str, Any]:
    doc = sample()
    doc["features"][0]["properties"].update(changes)
    return doc


def test_flood_watch_update_golden() -> None:
    parsed = parse_fixture("nws", SAMPLE)
    assert parsed.skipped == []
    [e] = parsed.events
    # an Update: the chain's id is the earliest-sent reference (12-18 12:29 PST), not the first
    # listed one, with the same `sender,identifier` rule as the cap adapter
    assert e.event_id == CHAIN
    assert e.refs == [
        "nws:w-nws.webmaster@noaa.gov,NWS-IDP-PROD-3964821-3368352",
        "nws:w-nws.webmaster@noaa.gov,NWS-IDP-PROD-3965324-3368680",
        "nws:w-nws.webmaster@noaa.gov,NWS-IDP-PROD-3965155-3368578",
        "nws:w-nws.webmaster@noaa.gov,NWS-IDP-PROD-3963421-3367361",
    ]
    assert (e.source, e.kind.value, e.category, e.severity.value, e.status.value) == (
        "nws",
        "disaster",
        "disaster.flood",
        "severe",
        "active",
    )
    assert e.title == (
        "Flood Watch issued December 20 at 1:34PM PST until December 22 at "
        "10:00AM PST by NWS Portland OR"
    )
    assert e.description.startswith("The Flood Watch continues for\n\n* Portions of Northwest")
    assert "Willamette Valley.\n\nA Flood Watch means there is a potential" in e.description, (
        "instruction after the description, a blank line between"
    )
    assert e.sent_at == e.updated_at == utc(2019, 12, 20, 21, 34)
    assert e.version == version_of(utc(2019, 12, 20, 21, 34))
    assert e.expires_at == utc(2019, 12, 22, 18, 0), "`ends` (hazard over), not `expires`"
    assert e.geometry is None and e.point is None and e.district is None, "zone alert: null"
    assert e.area_desc.startswith("North Oregon Coast; Greater Portland Metro Area;")
    assert e.url == "https://api.weather.gov/alerts/NWS-IDP-PROD-3965873-3369046"
    assert e.extra["messageType"] == "Update" and e.extra["urgency"] == "Future"


def test_an_alert_is_its_own_chain_and_a_cancel_closes_it() -> None:
    [alert] = parse_doc(with_props(messageType="Alert", references=[])).events
    assert alert.event_id == "nws:w-nws.webmaster@noaa.gov,NWS-IDP-PROD-3965873-3369046"
    assert alert.refs == [] and alert.status.value == "active"
    [cancel] = parse_doc(with_props(messageType="Cancel")).events
    assert cancel.event_id == CHAIN and cancel.status.value == "cancelled"


def test_expires_is_used_without_ends_and_dropped_when_before_sent() -> None:
    [e] = parse_doc(with_props(ends=None)).events
    assert e.expires_at == utc(2019, 12, 21, 13, 30)
    [e] = parse_doc(with_props(ends=None, expires="2019-12-19T00:00:00-08:00")).events
    assert e.expires_at is None


def test_a_polygon_geometry_stays_lon_lat() -> None:
    doc = sample()
    ring = [[-123.9, 45.5], [-123.0, 45.5], [-123.0, 46.2], [-123.9, 46.2], [-123.9, 45.5]]
    doc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    [e] = parse_doc(doc).events
    assert e.geometry is not None and e.geometry.type == "Polygon"
    lon, lat = e.geometry.coordinates[0][0][:2]
    assert lon < 0 < lat and (lon, lat) == (-123.9, 45.5)


def test_headline_missing_falls_back_to_event() -> None:
    [e] = parse_doc(with_props(headline=None)).events
    assert e.title == "Flood Watch"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"messageType": "Ack"}, "messageType 'Ack' is not Alert, Update or Cancel"),
        ({"sender": ""}, "properties.sender is missing"),
        ({"sent": "yesterday"}, "sent 'yesterday' is not an ISO 8601 time"),
    ],
)
def test_unusable_features_are_skipped_with_the_reason(
    changes: dict[str, Any], reason: str
) -> None:
    parsed = parse_doc(with_props(**changes))
    assert parsed.events == []
    [skipped] = parsed.skipped
    assert skipped.startswith("NWS-IDP-PROD-3965873-3369046: ") and reason in skipped


def test_a_test_alert_is_filtered_not_rejected() -> None:
    parsed = parse_doc(with_props(status="Test"))
    assert parsed.events == [] and parsed.skipped == [] and not parsed.unusable
    [filtered] = parsed.filtered
    assert filtered == (
        "NWS-IDP-PROD-3965873-3369046: status Test: only Actual alerts are shown "
        "(option include_non_actual)"
    )


def test_include_non_actual_marks_the_title() -> None:
    [e] = parse_doc(with_props(status="Exercise"), options={"include_non_actual": True}).events
    assert e.title.startswith("[Exercise] Flood Watch issued")


def test_one_chain_listed_twice_keeps_the_newest() -> None:
    doc = sample()
    older = orjson.loads(orjson.dumps(doc["features"][0]))
    older["properties"].update(sent="2019-12-20T01:47:00-08:00", severity="Moderate")
    doc["features"].append(older)
    [e] = parse_doc(doc).events
    assert e.severity.value == "severe" and e.sent_at == utc(2019, 12, 20, 21, 34)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty document"),
        (b"<html>Service Unavailable</html>", "expected a GeoJSON FeatureCollection"),
        (b'{"type": "Feature", "properties": {}}', "expected a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": 3}', "'features' is a JSON number"),
    ],
)
def test_documents_that_are_not_alert_collections_are_rejected(payload: bytes, reason: str) -> None:
    feed = adapter("nws")
    assert isinstance(feed, PollingFeed)
    with pytest.raises(FeedRejected) as caught:
        feed.parse(payload, received_at=RECEIVED_AT)
    assert reason in caught.value.message


@pytest.mark.parametrize(
    ("references", "warning"),
    [
        ([{"identifier": "x"}], "references[0] needs identifier, sender and sent; ignored"),
        ([{"identifier": "x", "sender": "s", "sent": "yesterday"}], "'yesterday'"),
        ("NWS-1", "references is a JSON string, not an array; ignored"),
    ],
)
def test_an_unreadable_reference_warns_and_keeps_the_alert(references: Any, warning: str) -> None:
    parsed = parse_doc(with_props(references=references))
    assert parsed.skipped == [] and len(parsed.events) == 1
    [w] = parsed.warnings
    assert w.startswith("NWS-IDP-PROD-3965873-3369046: ") and warning in w


def test_a_bad_reference_beside_good_ones_costs_only_itself() -> None:
    doc = sample()
    doc["features"][0]["properties"]["references"].append({"identifier": "x", "sent": "s"})
    parsed = parse_doc(doc)
    [e] = parsed.events
    assert e.event_id == CHAIN and len(e.refs) == 4
    [w] = parsed.warnings
    assert "references[4] needs identifier, sender and sent; ignored" in w


def test_wrongly_typed_text_properties_are_dropped_with_warnings() -> None:
    """Mutation finding: areaDesc, urgency, certainty or onset of the wrong JSON type were
    dropped silently; each is now a warning naming the property, and the alert stays."""
    parsed = parse_doc(with_props(areaDesc=["Fairfax"], urgency=3, certainty=True, onset={}))
    [event] = parsed.events
    assert event.area_desc == "" and not {"urgency", "certainty", "onset"} & set(event.extra)
    assert parsed.skipped == []
    assert [w.split(": ", 1)[1] for w in parsed.warnings] == [
        "properties.urgency is a JSON number, not text; ignored",
        "properties.certainty is a JSON boolean, not text; ignored",
        "properties.onset is a JSON object, not text; ignored",
        "properties.areaDesc is a JSON array, not text; ignored",
    ]
