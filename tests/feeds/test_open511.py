"""Golden tests for the Open511 adapter (tests/fixtures/open511/SOURCES.md).

tmdd-output-1/-2.json are Open511 JSON written by Open511's TMDD converter; tmdd-input-1.xml is that
converter's TMDD input (rejected); five.json is the legacy open511-server fixture. No real Open511
XML with a usable licence exists, so the XML cases use the inline, *synthetic* document below.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds import registry
from feeds.kit import version_of
from feeds.kit.base import Parsed, PollingFeed
from server.errors import FeedRejected
from server.stream.events import Event, Kind, Status
from tests.conftest import feed_context
from tests.feeds.conftest import (
    FIXTURES,
    RECEIVED_AT,
    adapter,
    damaged,
    json_paths,
    json_values,
    parse_fixture,
)

LA = {"timezone": "America/Los_Angeles"}  # the converter's example jurisdiction is in -07:00
NY = {"timezone": "America/New_York"}  # tmdd-output-2 carries -04:00 (April, EDT)
MONTREAL = {"timezone": "America/Montreal"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def parse_bytes(payload: bytes, received_at: datetime = RECEIVED_AT, **config: Any) -> Parsed:
    feed = adapter("open511", **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse(payload, received_at=received_at)


def parse_doc(doc: Any, **config: Any) -> Parsed:
    return parse_bytes(json.dumps(doc).encode(), **config)


def load(name: str) -> Any:
    return orjson.loads((FIXTURES / "open511" / name).read_bytes())


def by_id(parsed: Parsed) -> dict[str, Event]:
    return {e.event_id.removeprefix("open511:"): e for e in parsed.events}


# ------------------------------------------------------------------------- tmdd-output-1


def test_tmdd_output_1() -> None:
    parsed = parse_fixture("open511", "open511/tmdd-output-1.json", **LA)
    assert parsed.skipped == []
    events = by_id(parsed)
    assert list(events) == [
        "example.jurisdiction/1681",
        "example.jurisdiction/1690",
        "example.jurisdiction/1699",
        "example.jurisdiction/1486",
        "example.jurisdiction/1006",
    ]
    assert [e.category for e in parsed.events] == ["traffic.event"] + ["traffic.accident"] * 4
    assert {e.severity.value for e in parsed.events} == {"minor"}
    assert {e.status for e in parsed.events} == {Status.ACTIVE}
    assert {e.kind for e in parsed.events} == {Kind.TRAFFIC}
    for event in parsed.events:
        assert event.sent_at == event.updated_at == utc("2012-04-16T16:07:00Z")  # 09:07-07:00
        assert event.version == version_of(utc("2012-04-16T16:07:00Z"))
        assert event.geometry is not None and event.geometry.type == "Point"
        lon, lat = event.point or (0.0, 0.0)
        assert -118 < lon < -117 and 32 < lat < 34  # San Diego area, lon/lat order
        assert event.url == f"https://example.org/events/{event.event_id.split(':', 1)[1]}"
    # intervals are naive ("2012-04-16T08:56") and read in the configured zone (PDT, -07:00)
    expected_ends = {
        "example.jurisdiction/1681": None,  # "2012-04-16T09:07/": open-ended
        "example.jurisdiction/1690": utc("2012-04-16T16:41:00Z"),
        "example.jurisdiction/1699": utc("2012-04-16T17:05:00Z"),
        "example.jurisdiction/1486": utc("2012-04-16T17:06:00Z"),
        "example.jurisdiction/1006": utc("2012-04-16T16:14:00Z"),
    }
    assert {k: e.expires_at for k, e in events.items()} == expected_ends
    special = events["example.jurisdiction/1681"]
    assert special.title == "Special Event on I-1 S"
    assert special.area_desc == "I-1 S from INTERSECTION HWY"
    assert special.geometry is not None and special.geometry.coordinates == (-117.070234, 33.07385)
    assert special.extra == {"planned": False, "starts_at": "2012-04-16T16:07:00Z"}
    assert events["example.jurisdiction/1690"].extra["starts_at"] == "2012-04-16T15:56:00Z"


def test_naive_intervals_without_a_configured_zone_take_the_records_offset() -> None:
    """Every record's created/updated carries -07:00, which reads its naive intervals (PDT, as
    the Los Angeles zone would); no `timezone` is needed. (A record with no offset to go by is
    refused: see test_a_schedule_is_still_the_main_time_of_a_record_without_created_or_updated.)"""
    parsed = parse_fixture("open511", "open511/tmdd-output-1.json")
    assert parsed.skipped == [] and parsed.warnings == []
    assert parsed.events == parse_fixture("open511", "open511/tmdd-output-1.json", **LA).events


def test_an_events_own_timezone_reads_its_naive_times() -> None:
    """Synthetic: tmdd-output-1 with `timezone` on each event (Open511 allows it), no config
    zone; an unknown zone name skips just that event."""
    doc = load("tmdd-output-1.json")
    for event in doc["events"]:
        event["timezone"] = "America/Los_Angeles"
    assert (
        parse_doc(doc).events == parse_fixture("open511", "open511/tmdd-output-1.json", **LA).events
    )
    for index, name in enumerate(["Mars/Olympus_Mons", "America", "../../etc/passwd", "x" * 300]):
        doc["events"][index]["timezone"] = name
    parsed = parse_doc(doc)
    assert len(parsed.events) == 1
    assert len(parsed.skipped) == 4
    assert all("is not a known zone" in reason for reason in parsed.skipped)


# ------------------------------------------------------------------------- tmdd-output-2


def test_tmdd_output_2() -> None:
    (event,) = parse_fixture("open511", "open511/tmdd-output-2.json", **NY).events
    assert event.event_id == "open511:example.jurisdiction/91"
    assert (event.category, event.severity.value, event.status) == (
        "traffic.accident",
        "severe",
        Status.ACTIVE,
    )  # INCIDENT, MAJOR, ACTIVE
    assert event.title == "Test Incident 1234"
    assert event.description == "Test -- accident on I-1"
    assert event.area_desc == "I-1 W from Mile 1 to Mile 2"
    assert event.sent_at == event.updated_at == utc("2010-04-21T13:21:05Z")
    assert event.expires_at == utc("2010-04-21T14:20:00Z")  # 10:20 EDT
    assert event.extra == {
        "planned": False,
        "starts_at": "2010-04-21T13:00:00Z",
        "event_subtypes": ["ACCIDENT"],
    }
    assert event.geometry is not None and event.geometry.coordinates == (-111.153118, 34.00963)


def test_tmdd_input_is_not_open511() -> None:
    """tmdd-input-1.xml is the TMDD 3 FEU (SOAP) message the converter reads, not Open511."""
    with pytest.raises(FeedRejected, match=r"a TMDD message .* not Open511"):
        parse_fixture("open511", "open511/tmdd-input-1.xml", **LA)


@pytest.mark.parametrize(
    ("field", "value", "attribute", "expected"),
    [
        ("event_type", "CONSTRUCTION", "category", "traffic.roadwork"),
        ("event_type", "SPECIAL_EVENT", "category", "traffic.event"),
        ("event_type", "WEATHER_CONDITION", "category", "traffic.weather"),
        ("event_type", "ROAD_CONDITION", "category", "traffic.hazard"),
        ("event_type", "SOMETHING_NEW", "category", "traffic.other"),
        ("severity", "MINOR", "severity", "minor"),
        ("severity", "MODERATE", "severity", "moderate"),
        ("severity", "UNKNOWN", "severity", "info"),
        ("severity", None, "severity", "info"),
        ("status", "ARCHIVED", "status", "resolved"),
    ],
)
def test_mapping_tables(field: str, value: str | None, attribute: str, expected: str) -> None:
    """Synthetic: tmdd-output-2's event with one field replaced."""
    doc = load("tmdd-output-2.json")
    doc["events"][0][field] = value
    (event,) = parse_doc(doc, **NY).events
    assert (
        str(getattr(event, attribute).value if attribute != "category" else event.category)
        == expected
    )


def test_a_bare_event_list_is_accepted() -> None:
    doc = load("tmdd-output-2.json")
    assert parse_doc(doc["events"], **NY).events == parse_doc(doc, **NY).events


def test_an_event_without_headline_gets_a_title_from_type_and_road() -> None:
    doc = load("tmdd-output-2.json")
    del doc["events"][0]["headline"]
    assert parse_doc(doc, **NY).events[0].title == "Incident on I-1 W from Mile 1 to Mile 2"


def test_a_bad_event_costs_only_itself() -> None:
    """Synthetic: tmdd-output-1 with four broken events; the intact one is still read."""
    doc = load("tmdd-output-1.json")
    events = doc["events"]
    del events[0]["id"]
    events[1]["schedule"]["intervals"] = ["tomorrow"]
    events[2]["geography"] = {"type": "Point", "coordinates": [33.2, -217.1]}
    events[3]["created"] = "16 April 2012"
    parsed = parse_doc(doc, **LA)
    assert [e.event_id for e in parsed.events] == ["open511:example.jurisdiction/1006"]
    assert parsed.skipped[0].startswith("events[0]: an event without an `id`")
    assert "'tomorrow' is not 'start/end'" in parsed.skipped[1]
    assert "longitude -217.1" in parsed.skipped[2] or "latitude" in parsed.skipped[2]
    assert "created '16 April 2012' is not an ISO 8601 time" in parsed.skipped[3]


def test_recurring_schedules_end_at_their_last_day() -> None:
    doc = load("tmdd-output-2.json")
    doc["events"][0]["schedule"] = {
        "recurring_schedules": [
            {
                "start_date": "2010-04-21",
                "end_date": "2010-04-30",
                "daily_start_time": "09:00",
                "daily_end_time": "15:00",
            },
            {"start_date": "2010-05-03", "end_date": "2010-05-04"},
        ]
    }
    (event,) = parse_doc(doc, **NY).events
    assert event.extra["starts_at"] == "2010-04-21T13:00:00Z"
    assert event.expires_at == utc("2010-05-05T04:00:00Z")  # the end of 4 May, EDT


# ------------------------------------------------- schedules in local time (no offset of their own)


def test_naive_intervals_take_the_records_own_offset() -> None:
    """tmdd-output-2 as the converter wrote it: created/updated carry -04:00, the interval
    "2010-04-21T09:00/2010-04-21T10:20" none (Open511 schedules are local time). With no
    `timezone` configured the record's own offset reads it, as the New York zone would."""
    parsed = parse_fixture("open511", "open511/tmdd-output-2.json")
    assert parsed.skipped == [] and parsed.warnings == []
    (event,) = parsed.events
    assert event.extra["starts_at"] == "2010-04-21T13:00:00Z"
    assert event.expires_at == utc("2010-04-21T14:20:00Z")
    assert parsed.events == parse_fixture("open511", "open511/tmdd-output-2.json", **NY).events


def test_the_feeds_zone_reads_intervals_when_it_agrees_with_the_records_offset() -> None:
    """Created in March (EST, -05:00), scheduled in April (EDT): the feed's zone, which gives
    -05:00 in March too, knows the April offset; a zone that disagrees is not used."""
    doc = load("tmdd-output-2.json")
    doc["events"][0]["created"] = doc["events"][0]["updated"] = "2010-03-01T09:00:00-05:00"
    (event,) = parse_doc(doc, **NY).events
    assert event.extra["starts_at"] == "2010-04-21T13:00:00Z", "09:00 EDT"
    for config in ({}, LA):
        (event,) = parse_doc(doc, **config).events
        assert event.extra["starts_at"] == "2010-04-21T14:00:00Z", "09:00 at the record's -05:00"


def test_a_utc_record_with_local_intervals_and_no_zone_drops_the_schedule_with_a_warning() -> None:
    """A server that writes created/updated in UTC says nothing about the local offset of its
    schedule: without a `timezone` the schedule is dropped, the event kept, the setting named."""
    doc = load("tmdd-output-2.json")
    doc["events"][0]["created"] = doc["events"][0]["updated"] = "2010-04-21T13:21:05Z"
    parsed = parse_doc(doc)
    (event,) = parsed.events
    assert event.sent_at == utc("2010-04-21T13:21:05Z") and event.expires_at is None
    assert "starts_at" not in event.extra
    [warning] = parsed.warnings
    assert warning.startswith("example.jurisdiction/91: schedule interval start '2010-04-21T09:00'")
    assert 'add timezone = "<Area/City>" to the feed\'s config' in warning
    assert warning.endswith("; schedule ignored")
    (event,) = parse_doc(doc, **NY).events
    assert event.expires_at == utc("2010-04-21T14:20:00Z")


def test_naive_recurring_schedules_take_the_records_own_offset() -> None:
    doc = load("tmdd-output-2.json")
    doc["events"][0]["schedule"] = {
        "recurring_schedules": [{"start_date": "2010-04-21", "end_date": "2010-04-30"}]
    }
    (event,) = parse_doc(doc).events
    assert event.extra["starts_at"] == "2010-04-21T04:00:00Z"
    assert event.expires_at == utc("2010-05-01T04:00:00Z")


def test_a_schedule_is_still_the_main_time_of_a_record_without_created_or_updated() -> None:
    doc = load("tmdd-output-2.json")
    del doc["events"][0]["created"], doc["events"][0]["updated"]
    with pytest.raises(FeedRejected, match="has no time zone: add timezone"):
        parse_doc(doc)


# ----------------------------------------------------------------------------------- XML

SYNTHETIC_XML = """<?xml version="1.0" encoding="UTF-8"?>
<open511 xmlns:gml="http://www.opengis.net/gml" xml:lang="en" version="v1">
  <events>
    <event>
      <link rel="self" href="https://example.org/events/example.jurisdiction/91"/>
      <link rel="jurisdiction" href="https://example.org/example-jurisdiction"/>
      <id>example.jurisdiction/91</id>
      <status>ACTIVE</status>
      <headline>Test Incident 1234</headline>
      <description>Test -- accident on I-1</description>
      <event_type>INCIDENT</event_type>
      <event_subtypes><event_subtype>ACCIDENT</event_subtype></event_subtypes>
      <severity>MAJOR</severity>
      <created>2010-04-21T09:21:05-04:00</created>
      <updated>2010-04-21T09:21:05-04:00</updated>
      <geography>
        <gml:Point srsName="urn:ogc:def:crs:EPSG::4326">
          <gml:pos>34.00963 -111.153118</gml:pos>
        </gml:Point>
      </geography>
      <roads>
        <road><name>I-1</name><from>Mile 1</from><to>Mile 2</to><direction>W</direction></road>
      </roads>
      <schedule><intervals><interval>2010-04-21T09:00/2010-04-21T10:20</interval></intervals></schedule>
    </event>
    <event xml:lang="fr">
      <link rel="self" href="https://example.org/events/example.jurisdiction/92"/>
      <id>example.jurisdiction/92</id>
      <status>ARCHIVED</status>
      <headline>Travaux sur le boulevard</headline>
      <headline xml:lang="en">Roadwork on the boulevard</headline>
      <description>Une voie fermée.</description>
      <description xml:lang="en">One lane closed.</description>
      <event_type>CONSTRUCTION</event_type>
      <severity>MODERATE</severity>
      <created>2024-04-20T08:00:00-04:00</created>
      <updated>2024-05-02T18:30:00-04:00</updated>
      <timezone>America/Montreal</timezone>
      <geography>
        <gml:LineString srsName="urn:ogc:def:crs:EPSG::4326">
          <gml:posList>45.5703 -73.6586 45.5729 -73.6573 45.5744 -73.6564</gml:posList>
        </gml:LineString>
      </geography>
      <roads>
        <road><name>Boulevard Henri-Bourassa</name><state>SOME_LANES_CLOSED</state></road>
      </roads>
      <areas><area><id>example.jurisdiction/ahuntsic</id><name>Ahuntsic</name></area></areas>
      <detour>Rue Lachapelle</detour>
      <schedule><intervals>
        <interval>2024-05-01T07:00/2024-05-01T19:00</interval>
        <interval>2024-05-02T07:00/2024-05-02T19:00</interval>
      </intervals></schedule>
    </event>
    <event>
      <id>example.jurisdiction/93</id>
      <status>ACTIVE</status>
      <headline>Fog</headline>
      <event_type>WEATHER_CONDITION</event_type>
      <severity>UNKNOWN</severity>
      <created>2024-05-03T06:00:00Z</created>
      <updated>2024-05-03T06:30:00Z</updated>
      <geography>
        <gml:LineString srsName="EPSG:4326">
          <gml:coordinates>-123.10,49.28 -123.00,49.30</gml:coordinates>
        </gml:LineString>
      </geography>
      <schedule><intervals><interval>2024-05-03T05:00/</interval></intervals></schedule>
    </event>
  </events>
</open511>
""".encode()


def test_xml_event_equals_its_json_form() -> None:
    """Synthetic XML: event 91 is tmdd-output-2's event written as the reference converter would
    (GML 3 gml:pos in lat lon order under urn:ogc:def:crs:EPSG::4326)."""
    from_xml = by_id(parse_bytes(SYNTHETIC_XML, **NY))["example.jurisdiction/91"]
    (from_json,) = parse_fixture("open511", "open511/tmdd-output-2.json", **NY).events
    assert from_xml == from_json


def test_xml_languages_gml_axis_order_and_archived_status() -> None:
    events = by_id(parse_bytes(SYNTHETIC_XML, **NY))
    works = events["example.jurisdiction/92"]
    assert works.status is Status.RESOLVED  # ARCHIVED
    assert (works.category, works.severity.value) == ("traffic.roadwork", "moderate")
    assert works.title == "Travaux sur le boulevard"  # the event's own xml:lang (fr)
    assert works.description == "Une voie fermée.\n\nDetour: Rue Lachapelle"
    assert works.translations["en"].title == "Roadwork on the boulevard"
    assert works.translations["en"].description == "One lane closed."
    assert works.area_desc == "Boulevard Henri-Bourassa (some lanes closed); Ahuntsic"
    assert works.geometry is not None and works.geometry.type == "LineString"
    assert works.geometry.coordinates[0] == (-73.6586, 45.5703)  # swapped to lon/lat
    # the event's own <timezone> (Montreal, EDT) reads its naive intervals, not the config's NY
    assert works.extra["starts_at"] == "2024-05-01T11:00:00Z"
    assert works.expires_at == utc("2024-05-02T23:00:00Z")  # the end of the last interval
    assert works.updated_at == utc("2024-05-02T22:30:00Z")

    fog = events["example.jurisdiction/93"]
    assert (fog.category, fog.severity.value) == ("traffic.weather", "info")
    assert fog.geometry is not None
    assert fog.geometry.coordinates[0] == (-123.10, 49.28)  # GML 2 coordinates are lon,lat
    assert fog.expires_at is None  # open-ended interval
    assert fog.url is None


def test_gml_in_an_unknown_crs_skips_the_event() -> None:
    doc = SYNTHETIC_XML.replace(b'srsName="EPSG:4326"', b'srsName="EPSG:3857"')
    parsed = parse_bytes(doc, **NY)
    assert len(parsed.events) == 2
    assert parsed.skipped == [
        "example.jurisdiction/93: geography srsName 'EPSG:3857' is not WGS 84 (EPSG:4326)"
    ]


def test_an_open511_document_without_events_is_rejected() -> None:
    doc = b'<open511 version="v1"><jurisdictions><jurisdiction/></jurisdictions></open511>'
    with pytest.raises(FeedRejected, match="no <events>; it has: jurisdictions"):
        parse_bytes(doc)


# -------------------------------------------------------------------------------- legacy

FIVE_IDS = [
    "converted.ville.montreal.qc.ca/56d67eaf8f8dab047f6f870078229b1e",
    "converted.ville.montreal.qc.ca/36f11b23ac4d612f82977c418ef86bdf",
    "converted.ville.montreal.qc.ca/2aaacf2f28b7e6c34442980a6698ce96",
    "converted.ville.montreal.qc.ca/d048d9f367a2d5d36d6c4f978ec59e08",
    "converted.ville.montreal.qc.ca/7eb65e39ae52679760d141be14341b63",
]


def test_legacy_montreal_fixture() -> None:
    """five.json is an open511-server Django fixture: rows of {jurisdiction, id, WKT geom, and a
    legacy <RoadEvent xml:lang="fr"> with Title, Description, AffectedRoads, Detour, ExternalURL,
    StartDate, EndDate}. The shape is regular and carries all we need (a stable id, text, dates,
    geometry), so it is supported rather than rejected: id "jurisdiction/id", WKT read as lon/lat,
    dates as whole local days in the feed's timezone. It has no type or severity: severity is
    info, and the type comes from the `default_event_type` option (traffic.other without it).
    """
    parsed = parse_fixture("open511", "open511/five.json", **MONTREAL)
    assert parsed.skipped == []
    assert [e.event_id for e in parsed.events] == [f"open511:{i}" for i in FIVE_IDS]
    assert {e.category for e in parsed.events} == {"traffic.other"}
    assert {e.severity.value for e in parsed.events} == {"info"}
    assert {e.status for e in parsed.events} == {Status.ACTIVE}
    assert [e.geometry.type for e in parsed.events if e.geometry] == [
        "LineString",
        "Point",
        "LineString",
        "LineString",
        "LineString",
    ]
    for event in parsed.events:
        lon, lat = event.point or (0.0, 0.0)
        assert -74 < lon < -73 and 45 < lat < 46  # Montreal, lon/lat order
        assert event.url is not None and event.url.startswith("http://ville.montreal.qc.ca/")

    first = parsed.events[0]
    assert first.title == "Réfection de la chaussée"
    assert first.area_desc == (
        "Boulevard Henri-Bourassa (côté nord) entre Papineau et des Prairies"
    )
    assert first.description.startswith("Circulation maintenue dans les deux sens")
    assert first.geometry is not None
    assert first.geometry.coordinates[0] == (-73.6586093902588033, 45.5703130353666026)
    assert first.sent_at == first.updated_at == utc("2012-05-07T04:00:00Z")  # 00:00 EDT
    assert first.expires_at == utc("2012-06-04T04:00:00Z")  # the end of EndDate 2012-06-03
    assert first.version == version_of(first.sent_at)

    point = parsed.events[1]
    assert point.geometry is not None
    assert point.geometry.coordinates == (-73.6569640999999962, 45.5661765999999986)

    bilingual = parsed.events[3]
    assert bilingual.title == "Réfection d'infrastructures souterraines"
    assert bilingual.translations["en"].title == "Underground infrastructure repair"
    assert bilingual.description == "Detour: Rue Lachapelle"
    assert parsed.events[2].area_desc == ""  # no AffectedRoads


def test_legacy_event_type_option() -> None:
    parsed = parse_fixture(
        "open511", "open511/five.json", options={"default_event_type": "CONSTRUCTION"}, **MONTREAL
    )
    assert {e.category for e in parsed.events} == {"traffic.roadwork"}
    assert parsed.events[0].title == "Réfection de la chaussée"


def test_legacy_dates_need_a_zone() -> None:
    with pytest.raises(FeedRejected, match="has no time zone"):
        parse_fixture("open511", "open511/five.json")


def test_a_bad_legacy_row_costs_only_itself() -> None:
    rows = load("five.json")
    rows[0]["fields"]["xml_data"] = "<RoadEvent><Title>cut"
    rows[1]["fields"]["geom"] = "POINT (-73.6 45.5"
    rows[2]["model"] = "open511.jurisdiction"
    parsed = parse_doc(rows, **MONTREAL)
    assert [e.event_id for e in parsed.events] == [f"open511:{i}" for i in FIVE_IDS[3:]]
    assert "not well-formed XML" in parsed.skipped[0]
    assert "truncated" in parsed.skipped[1]
    assert "not an open511.roadevent" in parsed.skipped[2]


# ---------------------------------------------------------------------------- pagination


class Pages:
    """A stand-in for the runner's HTTP client: fixed bodies by URL, calls recorded."""

    def __init__(self, pages: dict[str, bytes | None]) -> None:
        self.pages = pages
        self.calls: list[tuple[str, bool]] = []

    async def get(self, url: str, *, conditional: bool = True) -> bytes | None:
        self.calls.append((url, conditional))
        return self.pages[url]


def paged_feed(pages: Pages, **config: Any) -> PollingFeed:
    http: Any = pages  # duck-typed like feeds.kit.http.Fetcher.get
    context = feed_context("open511", url="https://example.org/api/events", http=http, **config)
    feed = registry.load("open511")(context)
    assert isinstance(feed, PollingFeed)
    return feed


def page(events: list[Any], next_url: str | None) -> bytes:
    return json.dumps(
        {
            "events": events,
            "pagination": {"offset": 0, "next_url": next_url},
            "meta": {"version": "v1"},
        }
    ).encode()


async def test_a_paginated_response_is_read_whole() -> None:
    """Synthetic: tmdd-output-1 served as two pages (relative next_url, as Open511 APIs do)."""
    events = load("tmdd-output-1.json")["events"]
    pages = Pages(
        {
            "https://example.org/api/events": page(events[:3], "/api/events?offset=3"),
            "https://example.org/api/events?offset=3": page(events[3:], None),
        }
    )
    feed = paged_feed(pages, **LA)
    parsed = await feed.poll(RECEIVED_AT)
    assert parsed is not None
    assert parsed.events == parse_fixture("open511", "open511/tmdd-output-1.json", **LA).events
    await feed.poll(RECEIVED_AT)
    assert pages.calls == [
        ("https://example.org/api/events", True),
        ("https://example.org/api/events?offset=3", False),
        ("https://example.org/api/events", False),  # page 1 may be unchanged
        ("https://example.org/api/events?offset=3", False),
    ]


async def test_pagination_limits() -> None:
    events = load("tmdd-output-1.json")["events"]
    looping = Pages(
        {
            "https://example.org/api/events": page(events[:1], "?offset=1"),
            "https://example.org/api/events?offset=1": page(events[1:2], "events"),
        }
    )
    with pytest.raises(FeedRejected, match="pagination loops back"):
        await paged_feed(looping, **LA).poll(RECEIVED_AT)
    endless = Pages(
        {
            "https://example.org/api/events": page(events[:1], "?offset=1"),
            "https://example.org/api/events?offset=1": page(events[1:2], "?offset=2"),
        }
    )
    with pytest.raises(FeedRejected, match="more than 2 pages"):
        await paged_feed(endless, options={"max_pages": 2}, **LA).poll(RECEIVED_AT)
    unchanged = Pages({"https://example.org/api/events": None})
    assert await paged_feed(unchanged, **LA).poll(RECEIVED_AT) is None


# ----------------------------------------------------------------------- bad documents


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty document"),
        (b"  \n", "empty document"),
        (b"<html><body>502 Bad Gateway</body></html>", "an HTML page"),
        (b'{"events": [{"id": "example.jurisdiction/1", "status": "ACT', "not valid JSON"),
        (b"<open511><events><event><id>x</id>", "not well-formed XML"),
        (b'"a string"', "got a JSON str"),
        (b"3.5", "got a JSON float"),
        (b'{"meta": {"version": "v1"}, "jurisdictions": []}', "needs an `events` list"),
        (b'{"events": {"id": "x"}}', "`events` is not a list"),
        (b"<rss><channel/></rss>", "<rss> is not an Open511 document"),
        (b"<RoadEvent><Title>x</Title></RoadEvent>", "carries no id"),
    ],
)
def test_malformed_documents_are_rejected(payload: bytes, reason: str) -> None:
    with pytest.raises(FeedRejected, match=reason):
        parse_bytes(payload, **LA)


def test_empty_event_lists_are_empty_snapshots() -> None:
    assert parse_bytes(b'{"events": []}').events == []
    assert parse_bytes(b"[]").events == []
    assert parse_bytes(b"<open511><events/></open511>").events == []


JSON_VALUES = json_values(text_size=8)


BASES = [load("tmdd-output-2.json"), load("five.json")[:2]]
DAMAGE = st.sampled_from(range(len(BASES))).flatmap(
    lambda b: st.tuples(
        st.just(b),
        st.lists(
            st.tuples(
                st.sampled_from([p for p in json_paths(BASES[b], items=2) if p]), JSON_VALUES
            ),
            min_size=1,
            max_size=3,
        ),
    )
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DAMAGE)
def test_any_damaged_document_yields_events_or_feed_rejected(
    damage: tuple[int, list[tuple[Any, Any]]],
) -> None:
    """Fuzz: replace parts of real documents with arbitrary JSON; only FeedRejected escapes."""
    base, replacements = damage
    try:
        parsed = parse_doc(damaged(BASES[base], replacements), **MONTREAL)
    except FeedRejected:
        return
    assert all(e.event_id.startswith("open511:") for e in parsed.events)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=len(SYNTHETIC_XML)), st.binary(max_size=12))
def test_any_damaged_xml_yields_events_or_feed_rejected(cut: int, junk: bytes) -> None:
    """Fuzz: splice junk into the synthetic XML; only FeedRejected escapes."""
    try:
        parse_bytes(SYNTHETIC_XML[:cut] + junk + SYNTHETIC_XML[cut + len(junk) :], **NY)
    except FeedRejected:
        pass


def test_wrongly_typed_secondary_fields_are_dropped_with_warnings() -> None:
    """Mutation finding: roads, a road's name, url or event_subtypes of the wrong JSON type were
    dropped silently (the area text and link vanished); now each is a warning naming it."""
    doc = load("tmdd-output-1.json")
    first = doc["events"][0]
    first["roads"][0]["name"] = ["I-1"]
    first["url"] = 7
    first["event_subtypes"] = "ROAD_CLOSED"
    doc["events"][1]["roads"] = {"name": "I-1"}
    parsed = parse_doc(doc, **LA)
    events = by_id(parsed)
    assert set(events) == set(by_id(parse_doc(load("tmdd-output-1.json"), **LA)))
    assert events["example.jurisdiction/1681"].url is None
    assert events["example.jurisdiction/1681"].area_desc == "S from INTERSECTION HWY"
    label = doc["events"][1]["id"]
    assert events[label].area_desc == "" and parsed.skipped == []
    assert parsed.warnings == [
        "example.jurisdiction/1681: roads.name is a JSON array, not text; ignored",
        "example.jurisdiction/1681: event_subtypes is a JSON string, not an array; ignored",
        "example.jurisdiction/1681: url '7' is not an http(s) link; ignored",
        f"{label}: roads is a JSON object, not an array; ignored",
    ]


def test_a_legacy_row_whose_geometry_is_not_wkt_text_is_refused() -> None:
    """Mutation finding: a `geom` of the wrong type was read as no position at all."""
    rows = load("five.json")
    rows[0]["fields"]["geom"] = 45.5
    parsed = parse_doc(rows, **MONTREAL)
    assert len(parsed.events) == 4
    [reason] = parsed.skipped
    assert reason.endswith("fields.geom is a JSON number, not WKT text")


def test_a_broken_legacy_row_costs_only_itself() -> None:
    """Mutation finding: one Montreal row without `fields` made the whole list read as Open511
    JSON, and every row was refused; and a road that is not an object vanished silently."""
    rows = load("five.json")
    del rows[0]["fields"]
    parsed = parse_doc(rows, **MONTREAL)
    assert len(parsed.events) == 4
    [reason] = parsed.skipped
    assert reason == "events[0]: a fixture row that is not an open511.roadevent"
    doc = load("tmdd-output-1.json")
    doc["events"][0]["roads"] = [["I-1"]]
    parsed = parse_doc(doc, **LA)
    assert parsed.warnings == [
        "example.jurisdiction/1681: roads[0] is a JSON array, not an object; ignored"
    ]
