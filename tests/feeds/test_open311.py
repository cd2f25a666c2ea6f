"""Golden tests for the Open311 GeoReport v2 adapter (tests/fixtures/open311/SOURCES.md).

Toronto (XML) and Chicago (JSON) requests are real; the two service lists are real documents the
adapter must refuse. Cases marked *synthetic* are built in memory from the GeoReport field list.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from feeds.kit.base import Parsed, PollingFeed
from server.errors import FeedRejected
from server.stream.events import Event, Kind, Severity, Status, iso_utc
from tests.feeds.conftest import FIXTURES, RECEIVED_AT, adapter, parse_fixture


def parse(payload: bytes, **config: Any) -> Parsed:
    feed = adapter("open311", **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse(payload, received_at=RECEIVED_AT)


def request(**fields: Any) -> dict[str, Any]:
    """*synthetic*: one GeoReport request with the usual fields, overridden by `fields`."""
    base = {
        "service_request_id": "R-1",
        "status": "open",
        "service_name": "Pothole",
        "service_code": "PH",
        "description": "Deep hole in the right lane",
        "requested_datetime": "2026-11-29T08:00:00+09:00",
        "lat": 37.5663,
        "long": 126.9779,
    }
    return {**base, **fields}


def one(payload_items: list[dict[str, Any]], **config: Any) -> Event:
    parsed = parse(orjson.dumps(payload_items), **config)
    assert parsed.skipped == [] and len(parsed.events) == 1, parsed.skipped
    return parsed.events[0]


# ----------------------------------------------------------------------------- golden


def test_toronto_requests_xml_golden() -> None:
    parsed = parse_fixture("open311", "open311/requests_single.xml")
    assert parsed.skipped == []
    [event] = parsed.events
    assert event.event_id == "open311:101005420892"
    assert event.kind is Kind.COMPLAINT and event.category == "complaint.road_damage"
    assert event.severity is Severity.MINOR and event.status is Status.ACTIVE
    assert event.title == "Road - Pot hole" and event.description == ""
    assert iso_utc(event.sent_at) == "2018-07-30T04:01:00Z"  # -04:00 offset kept
    assert event.updated_at == event.sent_at  # <updated_datetime/> is empty
    assert event.version == 1532923260
    assert event.geometry is not None
    assert event.geometry.model_dump() == {
        "type": "Point",
        "coordinates": (-79.272306875, 43.691104288),
    }
    assert event.area_desc == "Warden Ave / Freeman St, Scarborough"
    assert event.url is None  # <media_url/> is empty
    assert event.extra == {
        "service_code": "CSROWR-12",
        "agency_responsible": "311 Toronto",
        "status_notes": "In progress - The request has been scheduled.",
        "expected_at": "2018-08-03T04:01:00Z",
    }


def test_chicago_requests_json_golden() -> None:
    parsed = parse_fixture("open311", "open311/service_requests.json")
    assert parsed.skipped == []
    light, building = parsed.events
    assert [light.event_id, building.event_id] == ["open311:14-01100669", "open311:14-01100627"]
    assert light.category == "complaint.streetlight"  # "Alley Light Out"
    assert building.category == "complaint.other"  # "Building Violation"
    assert iso_utc(light.sent_at) == "2014-07-12T15:58:43Z"
    assert light.updated_at is not None and iso_utc(light.updated_at) == "2014-07-12T16:08:21Z"
    assert light.version == 1405181301 and building.version == 1405181300
    assert light.point == (-87.66475146237676, 41.858724777757864)  # [long, lat]
    assert building.extra["status_notes"] == "Locked" and "status_notes" not in light.extra
    assert light.extra["agency_responsible"] == "Division of Electrical Operations CDOT"
    assert {e.status for e in parsed.events} == {Status.ACTIVE}


@pytest.mark.parametrize("name", ["open311/service_list.json", "open311/services_giessen.xml"])
def test_service_lists_are_refused_as_such(name: str) -> None:
    with pytest.raises(
        FeedRejected, match="this is a GeoReport service list, not service requests"
    ):
        parse_fixture("open311", name)


# ------------------------------------------------------------------ mapping (synthetic)


def test_category_and_severity_maps_override_keywords() -> None:
    options = {
        "category_map": {"PH": "complaint.safety", "Noise Complaint": "noise"},
        "severity_map": {"PH": "moderate"},
        "default_severity": "info",
    }
    pothole = one([request()], options=options)
    assert pothole.category == "complaint.safety" and pothole.severity is Severity.MODERATE
    noisy = one([request(service_code="N1", service_name="noise complaint")], options=options)
    assert noisy.category == "complaint.noise" and noisy.severity is Severity.INFO


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("Illegal dumping of trash", "illegal_dumping"),
        ("Loud Music / Noise", "noise"),
        ("Abandoned parking", "illegal_parking"),
        ("Graffiti Removal", "other"),
        ("Street Light Out", "streetlight"),
        ("Garbage Cart", "waste"),
        ("Water Leak", "water"),
        ("Dead Animal", "animal"),
        ("Odor", "odor"),
        ("불법주정차", "illegal_parking"),
        ("쓰레기 무단투기", "illegal_dumping"),
        ("Tree Trim", "other"),
    ],
)
def test_keyword_defaults(name: str, category: str) -> None:
    assert one([request(service_name=name, service_code="X")]).category == (f"complaint.{category}")


def test_status_times_and_versions() -> None:
    first = one([request(updated_datetime="2026-11-29T08:10:00+09:00")])
    closed = one([request(status="closed", updated_datetime="2026-11-29T09:00:00+09:00")])
    assert first.status is Status.ACTIVE and closed.status is Status.RESOLVED
    assert closed.version > first.version, "a later update is a newer version"
    assert iso_utc(first.sent_at) == "2026-11-28T23:00:00Z"
    odd = one([request(status="acknowledged")])
    assert odd.status is Status.ACTIVE and odd.extra["source_status"] == "acknowledged"


def test_naive_times_need_the_feed_timezone() -> None:
    naive = [request(requested_datetime="2026-11-29T08:00:00")]
    parsed = parse(orjson.dumps(naive))
    assert parsed.events == [] and "has no time zone" in parsed.skipped[0]
    event = one(naive, timezone="Asia/Seoul")
    assert iso_utc(event.sent_at) == "2026-11-28T23:00:00Z"


@pytest.mark.parametrize(
    ("lat", "long", "point"),
    [
        ("37.5663", "126.9779", (126.9779, 37.5663)),
        (37.5663, 126.9779, (126.9779, 37.5663)),
        (None, None, None),
        ("", "", None),
        (0, 0, None),
        ("0", "0.0", None),
    ],
)
def test_positions(lat: Any, long: Any, point: Any) -> None:
    assert one([request(lat=lat, long=long)]).point == point


def test_a_request_without_position_gets_the_district_its_address_names() -> None:
    event = one([request(lat=None, long=None, address="서울특별시 송파구 올림픽로 300")])
    assert event.geometry is None and event.district == "11710"
    elsewhere = one([request(lat=None, long=None, address="부산광역시 중구 중앙대로 1")])
    assert elsewhere.district is None


def test_descriptions_are_cut_for_privacy() -> None:
    long_text = "Call me at 010-1234-5678. " * 40
    event = one([request(description=long_text)])
    assert len(event.description) <= 500 and event.description.endswith("…")
    assert event.title.startswith("Pothole: Call me at") and len(event.title) <= 90
    short = one([request(description=long_text)], options={"max_description_chars": 20})
    assert len(short.description) <= 20 and short.description.endswith("…")
    hidden = one([request(description=long_text)], options={"max_description_chars": 0})
    assert hidden.description == "" and hidden.title == "Pothole"


def test_links_only_when_http() -> None:
    assert one([request(media_url="https://city.example/p.jpg")]).url == (
        "https://city.example/p.jpg"
    )
    assert one([request(media_url="ftp://city.example/p.jpg")]).url is None
    assert one([request(media_url=None, url="http://city.example/r/1")]).url == (
        "http://city.example/r/1"
    )


def test_bad_items_are_skipped_with_reasons() -> None:
    items = [
        request(service_request_id="ok"),
        {"status": "open", "requested_datetime": "2026-11-29T08:00:00+09:00"},  # Chicago
        request(service_request_id="no-time", requested_datetime=""),
        request(service_request_id="bad-time", requested_datetime="yesterday"),
        request(service_request_id="bad-lat", lat="north", long="east"),
        request(service_request_id="swapped", lat=126.9779, long=37.5663),
        "not an object",
    ]
    parsed = parse(orjson.dumps(items))
    assert [e.event_id for e in parsed.events] == ["open311:ok"]
    reasons = "\n".join(parsed.skipped)
    assert "request #1: no service_request_id" in reasons
    assert "no-time: no requested_datetime" in reasons
    assert "bad-time: requested_datetime 'yesterday' is not an ISO 8601 time" in reasons
    assert "bad-lat: long/lat" in reasons and "swapped: long/lat" in reasons
    assert "request #6: request is a JSON string" in reasons


def test_wrappers_and_a_single_request_object() -> None:
    wrapped = parse(orjson.dumps({"service_requests": [request()]}))
    assert len(wrapped.events) == 1
    assert len(parse(orjson.dumps(request())).events) == 1
    assert parse(b"[]").events == []
    assert parse(b"<service_requests/>").events == []


# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html><body>Service Unavailable</body></html>", "HTML page"),
        (b"<html><body>oops</body></html>", "HTML page"),
        (b'[{"service_request_id": "1", "status": "op', "not valid JSON"),
        (b"<service_requests><request><service_request_id>1</service", "not well-formed XML"),
        (b'"requests"', "got a JSON string"),
        (b'{"data": []}', "got an object"),
        (b'{"service_code": "001", "attributes": []}', "service definition"),
        (
            b'[{"code": 403, "description": "Invalid api_key"}]',
            "error response: 403 Invalid api_key",
        ),
        (
            b"<errors><error><code>404</code><description>not found</description></error></errors>",
            "error response: 404 not found",
        ),
        (b"<rss><channel/></rss>", "expected <service_requests>"),
    ],
)
def test_broken_documents_are_rejected(payload: bytes, reason: str) -> None:
    with pytest.raises(FeedRejected, match=reason):
        parse(payload)


def test_options_are_checked() -> None:
    with pytest.raises(ValidationError, match="not one of"):
        adapter("open311", options={"category_map": {"X": "pothole"}})
    with pytest.raises(ValidationError):
        adapter("open311", options={"default_severity": "urgent"})
    with pytest.raises(ValidationError):
        adapter("open311", options={"max_descripton_chars": 10})


def test_an_unreadable_target_date_or_link_is_dropped_with_a_warning() -> None:
    """Mutation finding: a naive expected_datetime (Toronto's real request, offset removed) and
    a media_url that is no link were dropped silently; they are warnings now."""
    payload = (FIXTURES / "open311/requests_single.xml").read_bytes()
    payload = payload.replace(b"2018-08-03T00:01:00-04:00", b"2018-08-03T00:01:00")
    parsed = parse(payload)
    [event] = parsed.events
    assert "expected_at" not in event.extra
    assert parsed.warnings == [
        "101005420892: expected_datetime '2018-08-03T00:01:00' has no time zone: add timezone = "
        '"<Area/City>" to the feed\'s config; ignored'
    ]
    parsed = parse(orjson.dumps([request(media_url="ftp://x/1.jpg", address={"street": "Main"})]))
    [event] = parsed.events
    assert event.url is None and event.area_desc == ""
    assert [w.split(": ", 1)[1] for w in parsed.warnings] == [
        "address is a JSON object, not text; ignored",
        "media_url 'ftp://x/1.jpg' is not an http(s) link; ignored",
    ]
