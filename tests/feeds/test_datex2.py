"""Golden tests for the DATEX II adapter on real national feeds (tests/fixtures/datex2/SOURCES.md).

srti.xml is v3 (NDW, NL); events.xml (Bison Futé, FR) and roadworks.xml (Fintraffic, FI) are v2.
Cases marked *synthetic* edit a copy of a real file in memory (lifeCycleManagement, more
situations, other locations, other publications); no synthetic file is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.kit import version_of
from feeds.kit.base import Parsed, PollingFeed
from server.errors import FeedRejected
from server.stream.events import Event, Kind, Status
from tests.feeds.conftest import FIXTURES, RECEIVED_AT, adapter, parse_fixture

NL_ID = "NDW08_9d8afcc1-fd11-44f5-9653-0efae246856a_SIT"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def raw(name: str) -> bytes:
    return (FIXTURES / "datex2" / name).read_bytes()


def parse_bytes(payload: bytes, received_at: datetime = RECEIVED_AT, **config: Any) -> Parsed:
    feed = adapter("datex2", **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse(payload, received_at=received_at)


def edit(name: str, *pairs: tuple[bytes, bytes]) -> bytes:
    """A fixture with each `old` replaced by `new` (each must occur)."""
    payload = raw(name)
    for old, new in pairs:
        assert old in payload, old
        payload = payload.replace(old, new)
    return payload


def only(parsed: Parsed) -> Event:
    assert parsed.skipped == []
    (event,) = parsed.events
    return event


def assert_europe(event: Event) -> None:
    assert event.point is not None
    lon, lat = event.point
    assert 2 < lon < 30 and 40 < lat < 70  # lon/lat order, in Europe


# ------------------------------------------------------------------------------ golden


def test_srti_v3_netherlands() -> None:
    event = only(parse_fixture("datex2", "datex2/srti.xml"))
    assert event.event_id == f"datex2:{NL_ID}"
    assert event.kind is Kind.TRAFFIC
    assert event.category == "traffic.hazard"  # sit:VehicleObstruction
    assert event.severity.value == "info"  # overallSeverity unknown, no record severity
    assert event.status is Status.ACTIVE
    assert event.title == "Vehicle obstruction"  # vehicleObstructionType "other" adds nothing
    assert event.description == "Botsabsorber"  # lang="nl", the publication's language
    moment = utc("2026-07-24T20:05:00.043328Z")  # nanoseconds in the source, truncated to µs
    assert event.sent_at == event.updated_at == moment
    assert event.version == version_of(moment)  # v3 situations have no version attribute
    assert event.expires_at is None  # no overallEndTime
    assert event.geometry is not None and event.geometry.type == "Point"
    assert event.geometry.coordinates == (4.0216646, 51.46491)  # pointByCoordinates, lon/lat
    assert_europe(event)
    assert event.extra == {
        "datex2_version": "3",
        "planned": False,
        "record_types": ["VehicleObstruction"],
        "starts_at": "2026-07-24T20:05:00.043328Z",
    }


def test_events_v2_france() -> None:
    event = only(parse_fixture("datex2", "datex2/events.xml"))
    assert event.event_id == "datex2:260724-000456"
    assert event.version == 1  # situation/@version
    assert (event.category, event.severity.value) == ("traffic.hazard", "moderate")  # medium
    assert event.status is Status.ACTIVE
    assert event.title == "Vehicle obstruction: broken down vehicle — A0004"
    assert event.description == "Sur 500 m"
    assert event.area_desc == (
        "situé 582 m à l'est de Paris - Porte de Bercy; Hors voie de "
        "circulation; DIR Île-de-France; De Strasbourg vers Paris"
    )
    assert event.translations == {}
    assert event.sent_at == utc("2026-07-24T06:04:50Z")  # creation time, +02:00 in the source
    assert event.updated_at == utc("2026-07-24T06:06:04.287Z")
    assert event.expires_at is None
    assert event.geometry is not None and event.geometry.type == "Point"
    assert event.geometry.coordinates == (2.3988867, 48.821583)  # TPEG point, lon/lat
    assert_europe(event)
    assert event.extra["datex2_version"] == "2"


def test_roadworks_v2_finland() -> None:
    """Fintraffic's file is DATEX II v2 (2.2.3 national profile), not v3."""
    event = only(parse_fixture("datex2", "datex2/roadworks.xml"))
    assert event.event_id == "datex2:GUID50467344"
    assert event.version == 1
    # three records, all severity highest: the first (MaintenanceWorks) decides the category
    assert (event.category, event.severity.value) == ("traffic.roadwork", "extreme")
    assert event.title == "Maintenance works: roadworks"
    assert event.extra["record_types"] == [
        "MaintenanceWorks",
        "RoadOrCarriagewayOrLaneManagement",
        "ReroutingManagement",
    ]
    assert event.description.startswith("Tie 11698, eli Sipoonkirkontie, Sipoo. Tietyö.")
    assert "Kiertotie käytössä" in event.description  # one comment, newlines kept
    assert event.sent_at == utc("2026-07-14T14:04:02.057Z")  # version time 1 ms before creation
    assert event.updated_at == utc("2026-07-14T14:04:02.057Z")
    assert event.expires_at == utc("2026-07-31T20:59:59.999Z")
    assert event.extra["starts_at"] == "2026-07-19T21:00:00Z"
    assert event.geometry is None and event.point is None  # ALERT-C references only
    assert event.status is Status.ACTIVE


def test_a_situation_without_coordinates_is_kept_and_says_so() -> None:
    """Fintraffic locates its roadworks by ALERT-C codes only: the event is shown in the lists,
    and the feed's health says why it is not on the map."""
    parsed = parse_fixture("datex2", "datex2/roadworks.xml")
    only(parsed)
    assert parsed.warnings == [
        "GUID50467344: location has no coordinates (ALERT-C or other network references are"
        " not resolved); shown without a place on the map"
    ]


def test_roadworks_announced_before_they_start_are_planned() -> None:
    event = only(parse_bytes(raw("roadworks.xml"), received_at=utc("2026-07-15T00:00:00Z")))
    assert event.extra["planned"] is True
    assert event.status is Status.ACTIVE


# ----------------------------------------------------------------------- lifecycle


def _life(flag: str) -> bytes:
    return b"<management><lifeCycleManagement><%s>true</%s></lifeCycleManagement></management>" % (
        flag.encode(),
        flag.encode(),
    )


@pytest.mark.parametrize(
    ("flag", "status"), [("cancel", Status.CANCELLED), ("end", Status.RESOLVED)]
)
def test_life_cycle_management_closes_the_situation(flag: str, status: Status) -> None:
    """Synthetic: events.xml with a v2 management/lifeCycleManagement block in its record."""
    payload = edit(
        "events.xml", (b"<probabilityOfOccurrence>", _life(flag) + b"<probabilityOfOccurrence>")
    )
    assert only(parse_bytes(payload)).status is status


def test_a_situation_ends_only_when_every_record_has() -> None:
    """Synthetic: roadworks.xml, where one of three records says end, then all three."""
    one = edit(
        "roadworks.xml",
        (
            b'<situationRecord xsi:type="MaintenanceWorks" id="GUID5047012301" version="1">',
            b'<situationRecord xsi:type="MaintenanceWorks" id="GUID5047012301"'
            b' version="1">' + _life("end"),
        ),
    )
    assert only(parse_bytes(one)).status is Status.ACTIVE
    every = raw("roadworks.xml").replace(
        b"<probabilityOfOccurrence>", _life("end") + b"<probabilityOfOccurrence>"
    )
    assert only(parse_bytes(every)).status is Status.RESOLVED


def test_a_non_numeric_version_falls_back_to_the_record_time() -> None:
    payload = edit(
        "events.xml", (b'id="260724-000456" version="1"', b'id="260724-000456" version="v1"')
    )
    assert only(parse_bytes(payload)).version == version_of(utc("2026-07-24T06:06:04.287Z"))


# ------------------------------------------------------------------- mapping tables


@pytest.mark.parametrize(
    ("overall", "severity"),
    [
        (b"lowest", "minor"),
        (b"low", "minor"),
        (b"medium", "moderate"),
        (b"high", "severe"),
        (b"highest", "extreme"),
        (b"unknown", "info"),
        (b"none", "info"),
    ],
)
def test_severity(overall: bytes, severity: str) -> None:
    payload = edit(
        "events.xml",
        (
            b"<overallSeverity>medium</overallSeverity>",
            b"<overallSeverity>%s</overallSeverity>" % overall,
        ),
    )
    assert only(parse_bytes(payload)).severity.value == severity


@pytest.mark.parametrize(
    ("record_type", "category"),
    [
        (b"Accident", "traffic.accident"),
        (b"MaintenanceWorks", "traffic.roadwork"),
        (b"ConstructionWorks", "traffic.roadwork"),
        (b"AbnormalTraffic", "traffic.congestion"),
        (b"RoadOrCarriagewayOrLaneManagement", "traffic.closure"),
        (b"ReroutingManagement", "traffic.closure"),
        (b"PoorEnvironmentConditions", "traffic.weather"),
        (b"WeatherRelatedRoadConditions", "traffic.weather"),
        (b"GeneralObstruction", "traffic.hazard"),
        (b"AnimalPresenceObstruction", "traffic.hazard"),
        (b"PublicEvent", "traffic.event"),
        (b"SpeedManagement", "traffic.other"),
    ],
)
def test_category(record_type: bytes, category: str) -> None:
    """Synthetic: srti.xml (v3, prefixed xsi:type) with its record type replaced."""
    payload = edit(
        "srti.xml", (b'xsi:type="sit:VehicleObstruction"', b'xsi:type="sit:%s"' % record_type)
    )
    assert only(parse_bytes(payload)).category == category


def test_the_most_severe_record_decides_and_severity_is_the_maximum() -> None:
    """Synthetic: a low Accident record ahead of a high AbnormalTraffic one in srti.xml."""
    record_start = b'<sit:situationRecord xsi:type="sit:VehicleObstruction"'
    payload = edit(
        "srti.xml",
        (
            b"</sit:situationRecord>",
            b"</sit:situationRecord>"
            + record_start.replace(b"VehicleObstruction", b"AbnormalTraffic")
            + b' id="q" version="1"><sit:severity>high</sit:severity>'
            b"<sit:situationRecordVersionTime>2026-07-24T20:30:00Z"
            b"</sit:situationRecordVersionTime><sit:abnormalTrafficType>queuingTraffic"
            b"</sit:abnormalTrafficType></sit:situationRecord>",
        ),
        (
            b"<sit:probabilityOfOccurrence>",
            b"<sit:severity>low</sit:severity><sit:probabilityOfOccurrence>",
        ),
    )
    event = only(parse_bytes(payload))
    assert (event.category, event.severity.value) == ("traffic.congestion", "severe")
    assert event.title == "Abnormal traffic: queuing traffic"
    assert event.updated_at == utc("2026-07-24T20:30:00Z")  # the latest record version time
    assert event.geometry is not None  # the primary record has none; the other record's is used
    assert event.extra["record_types"] == ["VehicleObstruction", "AbnormalTraffic"]


# ------------------------------------------------------------------------- locations


def test_a_linear_tpeg_location_becomes_a_line() -> None:
    """Synthetic: events.xml's point replaced by a v2 Linear TPEG location (from, to)."""
    start = raw("events.xml").index(b'<groupOfLocations xsi:type="Point">')
    end = raw("events.xml").index(b"</groupOfLocations>") + len(b"</groupOfLocations>")
    linear = (
        b'<groupOfLocations xsi:type="Linear"><tpegLinearLocation>'
        b"<tpegDirection>westBound</tpegDirection>"
        b"<to><pointCoordinates><latitude>48.8216</latitude><longitude>2.3900"
        b"</longitude></pointCoordinates></to>"
        b"<from><pointCoordinates><latitude>48.8215</latitude><longitude>2.3989"
        b"</longitude></pointCoordinates></from>"
        b"</tpegLinearLocation><linearWithinLinearElement><linearElement><roadNumber>A4"
        b"</roadNumber></linearElement></linearWithinLinearElement></groupOfLocations>"
    )
    payload = raw("events.xml")[:start] + linear + raw("events.xml")[end:]
    event = only(parse_bytes(payload))
    assert event.geometry is not None and event.geometry.type == "LineString"
    # <to> comes first in the document; the line still runs from → to
    assert event.geometry.coordinates == [(2.3989, 48.8215), (2.39, 48.8216)]
    assert event.title.endswith("— A4")


def test_location_for_display_is_the_fallback() -> None:
    """Synthetic: roadworks.xml (ALERT-C only) given a v2 locationForDisplay."""
    payload = edit(
        "roadworks.xml",
        (
            b'<groupOfLocations xsi:type="Linear">',
            b'<groupOfLocations xsi:type="Linear"><locationForDisplay>'
            b"<latitude>60.40</latitude><longitude>25.27</longitude>"
            b"</locationForDisplay>",
        ),
    )
    event = only(parse_bytes(payload))
    assert event.geometry is not None and event.geometry.type == "Point"
    assert event.geometry.coordinates == (25.27, 60.40)
    assert_europe(event)


# ----------------------------------------------------------------------- many and bad


def test_several_situations_and_a_bad_one() -> None:
    """Synthetic: srti.xml with its situation repeated under two more ids, one of them broken."""
    payload = raw("srti.xml")
    start = payload.index(b"<sit:situation ")
    end = payload.index(b"</sit:situation>") + len(b"</sit:situation>")
    situation = payload[start:end]
    second = situation.replace(NL_ID.encode(), b"NDW08_second_SIT")
    broken = situation.replace(NL_ID.encode(), b"NDW08_broken_SIT").replace(
        b"<sit:situationRecordCreationTime>2026-07-24T20:05:00.043328661Z",
        b"<sit:situationRecordCreationTime>24/07/2026",
    )
    parsed = parse_bytes(payload[:end] + second + broken + payload[end:])
    assert [e.event_id for e in parsed.events] == [f"datex2:{NL_ID}", "datex2:NDW08_second_SIT"]
    assert parsed.skipped == [
        "NDW08_broken_SIT: situationRecordCreationTime '24/07/2026' is not an ISO 8601 time"
    ]


def test_a_publication_whose_situations_are_all_bad_is_rejected() -> None:
    payload = edit(
        "events.xml", (b'<situation id="260724-000456" version="1">', b'<situation version="1">')
    )
    with pytest.raises(FeedRejected, match="none of the 1 situations could be used"):
        parse_bytes(payload)


def test_an_empty_situation_publication_is_an_empty_snapshot() -> None:
    payload = raw("events.xml")
    start = payload.index(b"<situation ")
    end = payload.index(b"</situation>") + len(b"</situation>")
    parsed = parse_bytes(payload[:start] + payload[end:])
    assert parsed.events == [] and parsed.skipped == []


def test_other_publications_are_rejected() -> None:
    payload = edit(
        "events.xml", (b'xsi:type="SituationPublication"', b'xsi:type="MeasuredDataPublication"')
    )
    with pytest.raises(FeedRejected, match="MeasuredDataPublication, not a SituationPublication"):
        parse_bytes(payload)


def test_incremental_v2_deliveries_are_rejected() -> None:
    payload = edit(
        "events.xml",
        (
            b"<updateMethod>allElementUpdate</updateMethod>",
            b"<updateMethod>singleElementUpdate</updateMethod>",
        ),
    )
    with pytest.raises(FeedRejected, match="incremental DATEX II delivery"):
        parse_bytes(payload)


def test_the_feed_body_cap_also_caps_parsing() -> None:
    """National feeds exceed 20 MiB: the XML cap follows the feed's max_body_bytes setting."""
    with pytest.raises(FeedRejected, match="the limit is 2048"):
        parse_bytes(raw("roadworks.xml"), max_body_bytes=2048)
    assert only(parse_bytes(raw("roadworks.xml"), max_body_bytes=64 * 1024 * 1024))


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty document"),
        (b"<html><body>502 Bad Gateway</body></html>", "an HTML page"),
        (
            b'<?xml version="1.0"?><d2LogicalModel xmlns="http://datex2.eu/schema/2/2_0"><payloadPub',
            "not well-formed XML",
        ),
        (b'{"situations": []}', "not well-formed XML"),
        (b'"a string"', "not well-formed XML"),
        (b"42", "not well-formed XML"),
        (b"<rss><channel/></rss>", "is not DATEX II"),
        (b'<d2LogicalModel xmlns="http://datex2.eu/schema/1_0/1_0"/>', "unsupported DATEX II"),
        (b'<d2LogicalModel xmlns="http://datex2.eu/schema/2/2_0"/>', "no payload"),
    ],
)
def test_malformed_documents_are_rejected(payload: bytes, reason: str) -> None:
    with pytest.raises(FeedRejected, match=reason):
        parse_bytes(payload)


SOURCES = [raw("srti.xml"), raw("events.xml"), raw("roadworks.xml")]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(range(3)),
    st.integers(min_value=0, max_value=9000),
    st.integers(min_value=0, max_value=400),
    st.sampled_from(
        [
            b"",
            b"x",
            b"<",
            b"</situation>",
            b'xsi:type="Accident"',
            b"-99",
            b"<latitude>95</latitude>",
            b"true",
            b"2026-13-01T00:00:00Z",
        ]
    ),
)
def test_any_damaged_document_yields_events_or_feed_rejected(
    source: int, at: int, cut: int, junk: bytes
) -> None:
    """Fuzz: cut a stretch out of a real file and splice junk in; only FeedRejected escapes."""
    payload = SOURCES[source]
    at = at % (len(payload) + 1)
    try:
        parse_bytes(payload[:at] + junk + payload[at + cut :])
    except FeedRejected:
        pass


@pytest.mark.parametrize("value", [b"nan", b"inf", b"-Infinity"])
def test_a_non_finite_coordinate_refuses_only_its_situation(value: bytes) -> None:
    payload = edit(
        "events.xml", (b"<latitude>48.821583</latitude>", b"<latitude>" + value + b"</latitude>")
    )
    with pytest.raises(FeedRejected, match=r"latitude .* is not a finite number"):
        parse_bytes(payload)  # events.xml has one situation: refused, so the document is unusable


def test_a_comment_with_an_unreadable_language_keeps_its_text() -> None:
    """Mutation finding: Bison Futé's description with lang="Zzyzx" became a translation that
    failed the language check, and the description vanished without a word."""
    before = only(parse_bytes(raw("events.xml")))
    damaged = raw("events.xml").replace(
        b'<value lang="fr">Sur 500 m', b'<value lang="Zzyzx">Sur 500 m'
    )
    parsed = parse_bytes(damaged)
    event = only(parsed)
    assert event.description == before.description and event.description.startswith("Sur 500 m")
    assert parsed.warnings == [
        "260724-000456: generalPublicComment lang 'Zzyzx' is not a language tag; "
        "read in the publication's language"
    ]


def test_a_comment_without_values_is_a_warning() -> None:
    """Mutation finding: a generalPublicComment holding bare text instead of comment values was
    dropped silently."""
    payload = raw("roadworks.xml")
    start = payload.index(b"<generalPublicComment>")
    end = payload.index(b"</generalPublicComment>", start)
    parsed = parse_bytes(payload[:start] + b"<generalPublicComment>abc" + payload[end:])
    only(parsed)
    assert [w.split(": ", 1)[1] for w in parsed.warnings] == [
        "generalPublicComment without a comment value; ignored",
        "location has no coordinates (ALERT-C or other network references are not resolved);"
        " shown without a place on the map",
    ]
