"""Golden tests for the `cap` adapter on real CAP alerts and CAP ATOM/RSS indexes.

Fixtures: tests/fixtures/cap/ and tests/fixtures/cap-feeds/ (provenance in their SOURCES.md).
Each golden test states what the document must yield: count, ids, kind, category, severity,
status, UTC times and geometry in lon/lat order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from feeds.cap import CapFeed
from feeds.kit import MAX_REFS, version_of
from feeds.kit.base import Parsed, PollingFeed
from feeds.kit.cap import cap_category, chain_key, parse_references, reference_ids
from feeds.kit.http import Fetcher, SharedSession
from server.errors import FeedRejected
from server.stream.events import Event
from tests.conftest import feed_context
from tests.feeds.conftest import FIXTURES, RECEIVED_AT, adapter, parse_fixture


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def one(relpath: str, **config: Any) -> Event:
    """The single event a fixture must yield, with nothing skipped."""
    parsed = parse_fixture("cap", relpath, **config)
    assert parsed.skipped == []
    [event] = parsed.events
    return event


def parse_bytes(payload: bytes, **config: Any) -> Parsed:
    feed = adapter("cap", **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse(payload, received_at=RECEIVED_AT)


def fixture(relpath: str) -> bytes:
    return (FIXTURES / relpath).read_bytes()


def first_position(event: Event) -> tuple[float, float]:
    geometry = event.geometry
    assert geometry is not None
    coords: Any = geometry.coordinates
    while isinstance(coords[0], list | tuple):
        coords = coords[0]
    return (coords[0], coords[1])


# ----------------------------------------------------------------- single CAP alerts


@pytest.mark.parametrize("relpath", ["cap/Oasis_HomelandAlert.xml", "cap/43b080713727.cap"])
def test_homeland_security_advisory(relpath: str) -> None:
    """OASIS example A.1 (as published and as shipped by the Google validator): no area shape."""
    e = one(relpath)
    assert e.event_id == "cap:hsas@dhs.gov,43b080713727"
    assert (e.kind.value, e.category, e.severity.value, e.status.value) == (
        "disaster",
        "disaster.civil_defense",
        "severe",
        "active",
    )
    assert e.title == "Homeland Security Sets Code ORANGE"
    assert e.sent_at == e.updated_at == utc(2003, 4, 2, 19, 39, 1), "-05:00 became UTC"
    assert e.version == version_of(e.sent_at)
    assert e.expires_at is None and e.geometry is None and e.point is None
    assert e.area_desc == "U.S. nationwide and interests worldwide"
    assert e.url == "http://www.dhs.gov/dhspublic/display?theme=29"
    assert e.description.startswith("The Department of Homeland Security has elevated")
    assert "\n\nA High Condition is declared" in e.description, "instruction after a blank line"
    assert e.refs == [] and e.translations == {}


@pytest.mark.parametrize("relpath", ["cap/KAR0-0306112239-SW.cap", "cap/Oasis_AmberAlert.xml"])
def test_amber_alert(relpath: str) -> None:
    """OASIS example A.4, as CAP 1.1 (validator copy) and CAP 1.2 with an es-US info block."""
    e = one(relpath)
    assert e.event_id == "cap:KARO@CLETS.DOJ.CA.GOV,KAR0-0306112239-SW"
    assert (e.kind.value, e.category, e.severity.value, e.status.value) == (
        "disaster",
        "disaster.missing_person",
        "severe",
        "active",
    )
    assert e.sent_at == utc(2003, 6, 12, 5, 39)
    assert e.area_desc == "Los Angeles County" and e.geometry is None
    if relpath.endswith(".xml"):
        assert e.title == "Amber Alert in Los Angeles County"
        assert list(e.translations) == ["es"]
        assert e.translations["es"].title == "Alerta Amber en el condado de Los Ángeles"
    else:
        assert e.title == "AMBER ALERT" and e.translations == {}


@pytest.mark.parametrize("relpath", ["cap/Oasis_ThunderstormWarning.xml", "cap/thunderstorm.cap"])
def test_severe_thunderstorm_polygon_is_lon_lat(relpath: str) -> None:
    """OASIS example A.2: one polygon, written lat,lon in CAP, must come out lon,lat."""
    e = one(relpath)
    assert e.event_id == "cap:KSTO@NWS.NOAA.GOV,KSTO1055887203"
    assert (e.category, e.severity.value, e.status.value) == ("disaster.storm", "severe", "active")
    assert e.title == "SEVERE THUNDERSTORM WARNING"
    assert e.sent_at == utc(2003, 6, 17, 21, 57) and e.expires_at == utc(2003, 6, 17, 23, 0)
    assert e.geometry is not None and e.geometry.type == "Polygon"
    ring = e.geometry.coordinates[0]
    assert list(ring[0]) == [-120.14, 38.47] and ring[0] == ring[-1] and len(ring) == 5
    lon, lat = first_position(e)
    assert lon < 0 < lat, "a Californian alert: west of Greenwich, north of the equator"
    assert e.point is not None and -121 < e.point[0] < -119 and 38 < e.point[1] < 39
    assert e.description.endswith("TAKE COVER IN A SUBSTANTIAL SHELTER UNTIL THE STORM PASSES.")


def test_earthquake_report_update_joins_its_chain() -> None:
    """OASIS example A.3: an Update whose references name the first report (TRI13970876.1)."""
    e = one("cap/Oasis_EarthquakeReport.xml")
    assert e.event_id == "cap:trinet@caltech.edu,TRI13970876.1", "id of the chain's first alert"
    assert e.refs == ["cap:trinet@caltech.edu,TRI13970876.1"]
    assert e.extra["identifier"] == "TRI13970876.2" and e.extra["msg_type"] == "Update"
    assert (e.category, e.severity.value, e.status.value) == (
        "disaster.earthquake",
        "minor",
        "active",
    )
    assert e.sent_at == utc(2003, 6, 12, 3, 56)
    assert e.version == version_of(utc(2003, 6, 12, 3, 56))
    assert e.version > version_of(utc(2003, 6, 12, 3, 30)), "newer than the referenced report"
    assert e.geometry is not None and e.geometry.type == "Point", "circle of radius 0"
    assert list(e.geometry.coordinates) == [-115.5527, 32.9525]


def test_canada_update_two_languages_four_polygons() -> None:
    e = one("cap/canada.cap")
    assert e.event_id == "cap:cap@ec.gc.ca,2.49.0.1.124.a3f342a4.2012", "earliest reference"
    assert e.refs == [
        "cap:cap@ec.gc.ca,2.49.0.1.124.a3f342a4.2012",
        "cap:cap@ec.gc.ca,2.49.0.1.124.60f31a3a.2012",
    ]
    assert (e.category, e.severity.value, e.status.value) == ("disaster.storm", "minor", "active")
    assert e.title == "severe thunderstorm watch"  # no "ko" info: the first (en-CA) is shown
    assert e.description.endswith("\n\nMonitor local conditions and take appropriate precautions")
    assert list(e.translations) == ["fr"]
    assert e.translations["fr"].title == "veille d'orages violents"
    assert e.translations["fr"].description.endswith("prendre les précautions qui s'imposent")
    assert e.area_desc == "Windsor - Leamington - Essex County, Chatham-Kent - Rondeau Park"
    assert e.translations["fr"].area_desc == (
        "Windsor - Leamington - comté d'Essex, Chatham-Kent - parc Rondeau"
    ), "where, in the translation's own language"
    assert e.sent_at == utc(2012, 5, 2, 23, 21, 4), "-00:00 is UTC"
    assert e.expires_at == utc(2012, 5, 3, 0, 20)
    assert e.geometry is not None and e.geometry.type == "MultiPolygon"
    assert len(e.geometry.coordinates) == 2, "the chosen info's two areas (not both languages')"
    assert first_position(e) == (-82.9314, 42.3481)
    assert e.area_desc == "Windsor - Leamington - Essex County, Chatham-Kent - Rondeau Park"
    assert e.url == "http://www.weatheroffice.gc.ca/warnings/warnings_e.html"


def test_canada_in_french_keeps_english_as_translation() -> None:
    e = one("cap/canada.cap", options={"language": "fr"})
    assert e.title == "veille d'orages violents"
    assert e.area_desc.startswith("Windsor - Leamington - comté d'Essex")
    assert list(e.translations) == ["en"]
    assert e.translations["en"].title == "severe thunderstorm watch"
    assert e.event_id == "cap:cap@ec.gc.ca,2.49.0.1.124.a3f342a4.2012", "language changes no id"


def test_usgs_earthquake_cap_1_1() -> None:
    e = one("cap/earthquake.cap")
    assert e.event_id == (
        "cap:http://earthquake.usgs.gov/research/monitoring/anss/neic/,"
        "USGS-earthquakes-us2010apcd.6.20100831T000925.496Z"
    )
    assert (e.category, e.severity.value, e.status.value) == (
        "disaster.earthquake",
        "info",
        "active",
    ), "severity Unknown → info"
    assert e.sent_at == utc(2010, 8, 31, 5, 9, 25)
    assert e.expires_at == utc(2010, 9, 2, 5, 9, 25)
    assert e.geometry is not None and e.geometry.type == "Point"
    assert list(e.geometry.coordinates) == [-173.274, -16.053], "Tonga: lon first"


def test_nws_flash_flood_watch_has_geocodes_only() -> None:
    e = one("cap/weather.cap")
    assert e.event_id == (
        "cap:w-nws.webmaster@noaa.gov,"
        "NOAA-NWS-ALERTS-MT20100830100700TFXFlashFloodWatchTFX20100830180000MT"
    )
    assert (e.category, e.severity.value, e.status.value) == ("disaster.flood", "severe", "active")
    assert e.sent_at == utc(2010, 8, 30, 10, 7) and e.expires_at == utc(2010, 8, 30, 18, 0)
    assert e.geometry is None and e.point is None and e.district is None, "FIPS/UGC: not ours"
    assert e.area_desc == "Central and Southern Lewis and Clark; Lewis and Clark"


def test_australia_prefixed_namespace_fire_circle() -> None:
    """`cap:alert` with a prefix; categories Fire + Met; two en-AU info blocks; a 25 km circle."""
    e = one("cap/australia.cap")
    assert e.event_id == "cap:webmaster@rfs.nsw.gov.au,tag:www.rfs.nsw.gov.au2011-10-06:40184"
    assert (e.category, e.severity.value, e.status.value) == ("disaster.fire", "minor", "active")
    assert e.title == "Yerong Creek Structure Fire"
    assert e.sent_at == utc(2011, 10, 5, 13, 4) and e.expires_at == utc(2011, 10, 6, 13, 4)
    assert e.translations == {}, "the second info is the same language, not a translation"
    assert e.geometry is not None and e.geometry.type == "Polygon"
    assert len(e.geometry.coordinates[0]) == 33, "32-sided circle, closed"
    lon, lat = first_position(e)
    assert lon > 0 > lat, "New South Wales: east of Greenwich, south of the equator"
    assert e.point is not None
    assert abs(e.point[0] - 147.0598) < 0.01 and abs(e.point[1] + 35.3888) < 0.01
    assert e.description.startswith("ALERT LEVEL: Not Applicable\nLOCATION: 12 Cox Street"), (
        "<br /> in the escaped HTML became a line break"
    )


def test_australia_bom_unknown_severity_no_shapes() -> None:
    e = one("cap/australia_bom.cap")
    assert e.event_id == "cap:CAP.Message@bom.gov.au,AusBoM-IDN21033-2019-01-16T03:15:58+00:00"
    assert (e.category, e.severity.value, e.status.value) == ("disaster.storm", "info", "active")
    assert e.title.startswith("Severe Thunderstorm Warning for Mid North Coast")
    assert e.sent_at == utc(2019, 1, 16, 3, 15, 58) and e.expires_at == utc(2019, 1, 16, 6, 15, 52)
    assert e.geometry is None
    assert e.description.startswith("Severe thunderstorms are likely")


def test_seychelles_signed_alert() -> None:
    """valid.xml carries an XML-DSig <Signature>; it is ignored, the alert read as usual."""
    e = one("cap/valid.xml")
    assert e.event_id == "cap:info@meteo.gov.sc,urn:oid:2.49.0.0.690.0.2024.5.19.13.18.0"
    assert (e.category, e.severity.value, e.status.value) == (
        "disaster.storm",
        "moderate",
        "active",
    )
    assert e.sent_at == utc(2024, 5, 19, 13, 18) and e.expires_at == utc(2024, 5, 19, 19, 30)
    assert e.geometry is not None and e.geometry.type == "Polygon"
    assert first_position(e) == (46.078276, -9.186965)
    assert e.extra["onset"] == "2024-05-19T13:30:00Z"


def test_sweden_nonstandard_area_shapes_are_ignored() -> None:
    """sweden.cap has <Polygon><Polygons>lon,lat</Polygons> (not CAP, and lon first): no shape."""
    e = one("cap/sweden.cap")
    assert e.event_id == "cap:https://www.krisinformation.se/,11337sv"
    assert (e.category, e.severity.value, e.status.value) == ("disaster.other", "info", "active")
    assert e.title == "Viktigt meddelande till allmänheten i Gävle"
    assert e.sent_at == utc(2018, 11, 21, 9, 26, 11)
    assert e.geometry is None and e.area_desc == "Gävleborgs län, Gävle"


def test_edxl_de_wrapped_alert() -> None:
    """rfs.xml is an EDXL-DE distribution carrying one prefixed CAP alert."""
    e = one("cap/rfs.xml")
    assert e.event_id == "cap:webmaster@rfs.nsw.gov.au,2014-05-08T10:31:00-00:00:160068"
    assert (e.category, e.severity.value, e.status.value) == ("disaster.other", "minor", "active")
    assert e.title == "MVA Gwandalan"
    assert e.sent_at == utc(2014, 5, 8, 10, 31) and e.expires_at == utc(2014, 5, 9, 10, 31)
    assert e.geometry is not None and e.geometry.type == "Point"
    assert list(e.geometry.coordinates) == [151.558, -33.1347]


def test_cancel_without_info_is_accepted() -> None:
    """no_info_tag.cap is a signed IPAWS Cancel with no <info>. CAP allows that and a Cancel
    needs nothing but its references, so it is accepted: it cancels the referenced alert."""
    e = one("cap/no_info_tag.cap")
    assert e.event_id == "cap:AtHoc,1017033100951096-517189320160225203219800"
    assert e.refs == ["cap:AtHoc,1017033100951096-517189320160225203219800"]
    assert e.status.value == "cancelled"
    assert (e.category, e.severity.value, e.title) == ("disaster.other", "info", "Cancelled")
    assert e.sent_at == utc(2016, 2, 25, 20, 47, 9)
    assert e.version > version_of(utc(2016, 2, 25, 20, 32, 19)), "supersedes the alert"


# --------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("relpath", "expected"),
    [
        # the file's own comment: "Missing required Scope"
        ("cap/invalid.cap", ["invalid CAP alert sender,12345", "<scope> is missing"]),
        # root in urn:oasis:names:tc:emergency:alerts:1.2, which is no CAP namespace
        ("cap/invalid_xmlns.cap", ["'urn:oasis:names:tc:emergency:alerts:1.2', not CAP"]),
        # it is the CAP 1.2 XSD itself, not an alert
        ("cap/invalid_schema.xml", ["root element <schema> is not a CAP <alert>"]),
        # an empty <polygon> (its empty urgency/severity/certainty and <references> only warn)
        ("cap/noaa_errors.cap", ["area 1: <polygon> is empty"]),
        # an Alert with no <info>: no event, severity or area to show (a Cancel may omit it)
        ("cap/no_optional_fields.cap", ["msgType Alert without any <info> block"]),
        # DTD with external entities, XInclude, remote stylesheet: refused before any of it resolves
        ("cap/xee.cap", ["unsafe XML refused (DTDForbidden)"]),
    ],
)
def test_broken_documents_are_rejected_with_the_reason(relpath: str, expected: list[str]) -> None:
    with pytest.raises(FeedRejected) as caught:
        parse_fixture("cap", relpath)
    for part in expected:
        assert part in caught.value.message
    assert "passwd" not in caught.value.message


def test_xee_is_refused_by_the_xml_layer_without_reading_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    payload = fixture("cap/xee.cap")

    def no_open(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the parser tried to open {args!r}")

    monkeypatch.setattr("builtins.open", no_open)
    monkeypatch.setattr("urllib.request.urlopen", no_open)
    with pytest.raises(FeedRejected, match="DTDForbidden"):
        parse_bytes(payload)


THUNDER = fixture("cap/thunderstorm.cap")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"", "empty document"),
        (b"this is not xml", "not well-formed XML"),
        (b"<html><body>503</body></html>", "root element <html> is not a CAP <alert>"),
        (
            THUNDER.replace(b"<identifier>KSTO1055887203</identifier>", b""),
            "<identifier> is missing or empty",
        ),
        (
            THUNDER.replace(b"2003-06-17T14:57:00-07:00", b"2003-06-17 lunchtime"),
            "<sent> '2003-06-17 lunchtime' is not an ISO 8601 time",
        ),
        (THUNDER.replace(b"2003-06-17T14:57:00-07:00", b"2003-06-17T14:57:00"), "has no time zone"),
        (
            THUNDER.replace(b"<msgType>Alert</msgType>", b"<msgType>Alarm</msgType>"),
            "<msgType> 'Alarm' is not one of Alert, Update",
        ),
        (
            THUNDER.replace(b"<event>SEVERE THUNDERSTORM</event>", b"").replace(
                b"<headline>SEVERE THUNDERSTORM WARNING</headline>", b""
            ),
            "info 1: neither <event> nor <headline>",
        ),
        (
            THUNDER.replace(b"38.47,-120.14 38.34", b"38.47;-120.14 38.34"),
            "<polygon> has a bad 'lat,lon' pair",
        ),
        (
            THUNDER.replace(b"<areaDesc>", b"<circle>38.4,-120.1 -5</circle><areaDesc>"),
            "radius '-5' is not between 0 and",
        ),
    ],
)
def test_invalid_alerts_name_the_problem(payload: bytes, expected: str) -> None:
    with pytest.raises(FeedRejected) as caught:
        parse_bytes(payload)
    assert expected in caught.value.message


# ------------------------------------------------- secondary fields (warnings, not rejections)


def test_an_update_with_empty_references_keeps_the_alert_and_warns() -> None:
    """canada_errors.cap is a real Environment Canada Update with `<references/>` (CAP wants at
    least one triple). The references cannot be read, so they are dropped with a warning naming
    the field; the alert is shown (it starts its own chain, as an Update referencing nothing)."""
    parsed = parse_fixture("cap", "cap/canada_errors.cap")
    assert parsed.skipped == []
    [e] = parsed.events
    assert e.event_id == "cap:cap@ec.gc.ca,2.49.0.1.124.6bddbc91.2012" and e.refs == []
    assert (e.category, e.severity.value, e.status.value) == ("disaster.storm", "minor", "active")
    assert e.sent_at == utc(2012, 5, 2, 23, 21, 4) and e.expires_at == utc(2012, 5, 3, 0, 20)
    assert e.geometry is not None and e.geometry.type == "Polygon"
    assert parsed.warnings == [
        "cap@ec.gc.ca,2.49.0.1.124.6bddbc91.2012: <references> is empty; ignored"
    ]


@pytest.mark.parametrize(
    ("old", "new", "warning"),
    [
        (
            b"<scope>Public</scope>",
            b"<scope>Public</scope><references>x,y</references>",
            "<references> entry 'x,y' is not 'sender,identifier,sent'; ignored",
        ),
        (
            b"<scope>Public</scope>",
            b"<scope>Public</scope><references>KSTO@NWS.NOAA.GOV,KSTO1,yesterday</references>",
            "<references> sent 'yesterday' is not an ISO 8601 time; ignored",
        ),
        (
            b"<expires>",
            b"<onset>soon</onset><expires>",
            "info 1: <onset> 'soon' is not an ISO 8601 time; ignored",
        ),
        (
            b"<expires>",
            b"<effective>2003-06-17 14:57</effective><expires>",
            "info 1: <effective> '2003-06-17 14:57' has no time zone",
        ),
    ],
)
def test_an_unreadable_secondary_field_is_dropped_with_a_warning(
    old: bytes, new: bytes, warning: str
) -> None:
    parsed = parse_bytes(THUNDER.replace(old, new))
    assert parsed.skipped == []
    [e] = parsed.events
    assert e.title == "SEVERE THUNDERSTORM WARNING" and e.refs == []
    assert "onset" not in e.extra and "effective" not in e.extra
    [note] = parsed.warnings
    assert note.startswith("KSTO@NWS.NOAA.GOV,KSTO1055887203: ") and warning in note


def test_readable_references_are_kept_beside_a_broken_one() -> None:
    payload = THUNDER.replace(b"<msgType>Alert</msgType>", b"<msgType>Update</msgType>").replace(
        b"<scope>Public</scope>",
        b"<scope>Public</scope><references>junk "
        b"KSTO@NWS.NOAA.GOV,KSTO1055887100,2003-06-17T14:00:00-07:00</references>",
    )
    parsed = parse_bytes(payload)
    [e] = parsed.events
    assert e.event_id == "cap:KSTO@NWS.NOAA.GOV,KSTO1055887100", "still joins its chain"
    [note] = parsed.warnings
    assert "<references> entry 'junk'" in note


def test_an_index_entry_with_unreadable_inline_references_keeps_the_entry() -> None:
    payload = (
        b'<feed xmlns="http://www.w3.org/2005/Atom" '
        b'xmlns:cap="urn:oasis:names:tc:emergency:cap:1.1"><entry><id>urn:e:1</id>'
        b"<title>Flood Warning</title><updated>2003-06-17T14:00:00-07:00</updated>"
        b"<cap:msgType>Update</cap:msgType><cap:references>junk</cap:references></entry></feed>"
    )
    parsed = parse_bytes(payload)
    [e] = parsed.events
    assert e.event_id == "cap:urn:e:1" and e.refs == [] and parsed.skipped == []
    [note] = parsed.warnings
    assert note.endswith(": <references> entry 'junk' is not 'sender,identifier,sent'; ignored")


def test_a_rejected_alert_brings_no_warnings() -> None:
    payload = THUNDER.replace(b"<scope>Public</scope>", b"<scope>Public</scope><references/>")
    parsed = parse_bytes(payload.replace(b"<status>Actual</status>", b"<status>Draft</status>"))
    assert parsed.events == [] and parsed.warnings == []


def test_a_naive_time_is_read_in_the_configured_zone() -> None:
    payload = THUNDER.replace(b"2003-06-17T14:57:00-07:00", b"2003-06-17T14:57:00")
    [e] = parse_bytes(payload, timezone="Asia/Seoul").events
    assert e.sent_at == utc(2003, 6, 17, 5, 57)


# ----------------------------------------------------------------- policy (skipped items)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b"<status>Actual</status>", b"<status>Test</status>", "status Test: only Actual alerts"),
        (b"<status>Actual</status>", b"<status>Exercise</status>", "status Exercise"),
        (b"<scope>Public</scope>", b"<scope>Restricted</scope>", "scope Restricted: not a public"),
        (b"<msgType>Alert</msgType>", b"<msgType>Ack</msgType>", "msgType Ack answers another"),
    ],
)
def test_non_public_or_non_actual_alerts_are_filtered_not_rejected(
    old: bytes, new: bytes, reason: str
) -> None:
    """Policy, not failure: the alert is well formed, the board just does not show it."""
    parsed = parse_bytes(THUNDER.replace(old, new))
    assert parsed.events == [] and parsed.skipped == []
    [filtered] = parsed.filtered
    assert filtered.startswith("KSTO@NWS.NOAA.GOV,KSTO1055887203: ") and reason in filtered
    assert not parsed.unusable, "a document of filtered alerts is a healthy one"


def test_an_index_of_test_alerts_is_filtered_not_unusable() -> None:
    """weather_index.atom (NWS) with every entry's cap:status set to Test."""
    payload = fixture("cap-feeds/weather_index.atom").replace(
        b"<cap:status>Actual</cap:status>", b"<cap:status>Test</cap:status>"
    )
    parsed = parse_bytes(payload)
    assert parsed.events == [] and parsed.skipped == [] and not parsed.unusable
    assert len(parsed.filtered) == 2
    assert all("status Test: only Actual alerts" in reason for reason in parsed.filtered)


def test_an_edxl_distribution_of_exercises_beside_a_broken_alert_is_not_unusable() -> None:
    exercise = THUNDER.split(b"?>", 1)[1].replace(
        b"<status>Actual</status>", b"<status>Exercise</status>"
    )
    broken = exercise.replace(b"<scope>Public</scope>", b"")
    payload = (
        b'<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0"><contentObject>'
        b"<xmlContent><embeddedXMLContent>"
        + exercise
        + broken
        + b"</embeddedXMLContent></xmlContent></contentObject></EDXLDistribution>"
    )
    parsed = parse_bytes(payload)
    assert parsed.events == [] and len(parsed.filtered) == 1 and len(parsed.skipped) == 1
    assert not parsed.unusable


def test_include_non_actual_shows_a_test_alert_marked_as_such() -> None:
    payload = THUNDER.replace(b"<status>Actual</status>", b"<status>Test</status>")
    [e] = parse_bytes(payload, options={"include_non_actual": True}).events
    assert e.title == "[Test] SEVERE THUNDERSTORM WARNING"
    [e] = parse_bytes(
        THUNDER.replace(b"<scope>Public</scope>", b"<scope>Private</scope>"),
        options={"include_restricted": True},
    ).events
    assert e.title == "SEVERE THUNDERSTORM WARNING"


def test_cancel_of_an_alert_with_info_is_cancelled_and_keeps_the_chain_id() -> None:
    payload = THUNDER.replace(b"<msgType>Alert</msgType>", b"<msgType>Cancel</msgType>").replace(
        b"<scope>Public</scope>",
        b"<scope>Public</scope><references>KSTO@NWS.NOAA.GOV,KSTO1055887100,"
        b"2003-06-17T14:40:00-07:00 KSTO@NWS.NOAA.GOV,KSTO1055887000,2003-06-17T14:30:00-07:00"
        b"</references>",
    )
    [e] = parse_bytes(payload).events
    assert e.status.value == "cancelled"
    assert e.event_id == "cap:KSTO@NWS.NOAA.GOV,KSTO1055887000", "earliest sent, not first listed"
    assert e.refs == [
        "cap:KSTO@NWS.NOAA.GOV,KSTO1055887100",
        "cap:KSTO@NWS.NOAA.GOV,KSTO1055887000",
    ]


def test_korean_area_code_geocode_fills_the_district() -> None:
    payload = THUNDER.replace(
        b"<polygon>38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14</polygon>",
        "<geocode><valueName>행정구역코드</valueName><value>1111000000</value></geocode>".encode(),
    )
    [e] = parse_bytes(payload).events
    assert e.geometry is None and e.district == "11110"
    not_ours = payload.replace(b"1111000000", b"2611000000")  # Busan Jung-gu
    [e] = parse_bytes(not_ours).events
    assert e.district is None


def test_expires_before_sent_is_dropped() -> None:
    payload = THUNDER.replace(
        b"<expires>2003-06-17T16:00:00-07:00", b"<expires>2003-06-17T10:00:00-07:00"
    )
    [e] = parse_bytes(payload).events
    assert e.expires_at is None


def test_references_split_on_the_last_two_commas() -> None:
    [ref] = parse_references("a,b@example.org,ID-1,2003-06-17T14:30:00-07:00")
    assert (ref.sender, ref.identifier) == ("a,b@example.org", "ID-1")
    assert ref.sent == utc(2003, 6, 17, 21, 30)
    assert chain_key("Alert", "s", "i", [ref]) == "s,i", "an Alert starts its own chain"
    assert chain_key("Update", "s", "i", [ref]) == "a,b@example.org,ID-1"


def test_reference_ids_name_each_referenced_event_once_within_the_limit() -> None:
    refs = parse_references(" ".join(f"s,id-{n % 60},2003-06-17T14:30:00-07:00" for n in range(70)))
    ids = reference_ids("kma", refs)
    assert ids[:2] == ["kma:s,id-0", "kma:s,id-1"] and len(set(ids)) == len(ids)
    assert len(ids) == MAX_REFS, "60 distinct references, capped at the model's limit"


@pytest.mark.parametrize(
    ("categories", "texts", "expected"),
    [
        (["Met"], ("호우경보",), "disaster.heavy_rain"),
        (["Met"], ("대설주의보",), "disaster.snow"),
        (["Met"], ("Winter Storm Warning",), "disaster.snow"),
        (["Met"], ("Wind Chill Advisory",), "disaster.cold"),
        (["Met"], ("Hurricane Warning",), "disaster.typhoon"),
        (["Met"], ("Excessive Heat Warning",), "disaster.heat"),
        (["Met"], ("Dense Fog Advisory",), "disaster.other"),
        (["Met"], ("Special Weather Statement", "Rain on the terrain"), "disaster.heavy_rain"),
        (["Geo"], ("지진해일 경보",), "disaster.tsunami"),
        (["Geo"], ("Volcano",), "disaster.other"),
        (["Fire"], ("Grass Fire",), "disaster.wildfire"),
        (["Health"], ("Outbreak",), "disaster.infectious_disease"),
        (["Env"], ("Pollution",), "disaster.air_quality"),
        (["Infra"], ("Outage",), "disaster.power_outage"),
        (["CBRNE"], ("Chemical leak",), "disaster.chemical"),
        (["Safety"], ("실종자 찾기",), "disaster.missing_person"),
        (["Security"], ("민방위 경보",), "disaster.civil_defense"),
        (["Other"], ("News",), "disaster.other"),
        ([], ("AMBER ALERT",), "disaster.missing_person"),
        ([], ("M 5.3, Tonga",), "disaster.other"),
    ],
)
def test_category_table(categories: list[str], texts: tuple[str, ...], expected: str) -> None:
    assert cap_category(categories, *texts) == ("disaster", expected)


def test_transport_is_a_traffic_hazard() -> None:
    assert cap_category(["Transport"], "Road closed") == ("traffic", "traffic.hazard")
    payload = THUNDER.replace(b"<category>Met</category>", b"<category>Transport</category>")
    [e] = parse_bytes(payload).events
    assert (e.kind.value, e.category) == ("traffic", "traffic.hazard")


# ------------------------------------------------------------------- ATOM / RSS indexes


def test_nws_atom_with_an_embedded_alert_uses_the_alert() -> None:
    """weather.atom embeds a full CAP alert in <content>; it is the entry's own data and carries
    more than the entry (identity, severity, expiry), so the alert is used. (Google's test file
    pairs an Air Quality entry title with a Flash Flood Watch alert; the alert is what we show.)"""
    e = one("cap-feeds/weather.atom")
    assert e.event_id == (
        "cap:w-nws.webmaster@noaa.gov,"
        "NOAA-NWS-ALERTS-MT20120830100700TFXFlashFloodWatchTFX20120830180000MT"
    )
    assert (e.category, e.severity.value, e.status.value) == ("disaster.flood", "severe", "active")
    assert e.sent_at == utc(2012, 8, 30, 10, 7) and e.expires_at == utc(2012, 8, 30, 18, 0)
    assert e.url == (
        "http://www.weather.gov/alerts-beta/wwacapget.php"
        "?x=DC20120829202900LWXAirQualityAlertLWX20120831040000DC"
    )


def test_nws_atom_inline_cap_fields() -> None:
    parsed = parse_fixture("cap", "cap-feeds/us_nws_weather.atom")
    assert parsed.skipped == []
    wind, high = parsed.events
    base = "cap:http://alerts.weather.gov/cap/wwacapget.php?x=NM125154019200."
    assert wind.event_id == (
        base + "WindAdvisory.125154105F10NM.ABQNPWABQ.2d2ce3a407282ee33ba256baac0e8f3c"
    )
    assert high.event_id == (
        base + "HighWindWarning.125154105F10NM.ABQNPWABQ.5695225d7518f8d8e2bcfcd1108f98c2"
    )
    assert [e.severity.value for e in parsed.events] == ["minor", "severe"]
    for e in parsed.events:
        assert (e.kind.value, e.category, e.status.value) == (
            "disaster",
            "disaster.storm",
            "active",
        )
        assert e.sent_at == utc(2014, 5, 11, 4, 0) and e.expires_at == utc(2014, 5, 12, 1, 0)
        assert e.geometry is None, "<cap:polygon/> is empty"
        assert e.url == e.event_id.removeprefix("cap:")
    assert wind.title.startswith("Wind Advisory issued May 10")
    assert wind.area_desc.startswith("Chaves County Plains; Chuska Mountains")
    assert wind.description.startswith("...VERY STRONG SOUTHWEST WINDS SUNDAY")


def test_amber_atom_embedded_cap_1_1() -> None:
    e = one("cap-feeds/amber.atom")
    assert e.event_id == "cap:KARO@CLETS.DOJ.DC.GOV,http://doj.dc.gov/amber12345"
    assert (e.category, e.severity.value, e.status.value) == (
        "disaster.missing_person",
        "severe",
        "active",
    )
    assert e.sent_at == utc(2010, 6, 4, 0, 15)
    assert "BLK/BRO 3'0\", 40" in e.description, "doubly escaped entities decoded once more"


def test_amber_rss_item() -> None:
    e = one("cap-feeds/amber.rss")
    assert e.event_id == "cap:KAR0-0306112239-SW", "the RSS guid"
    assert (e.category, e.severity.value, e.status.value) == (
        "disaster.missing_person",
        "info",
        "active",
    ), "no CAP severity in a bare RSS item"
    assert e.title == "AMBER ALERT"
    assert e.sent_at == utc(2003, 6, 12, 5, 39), "pubDate in PDT"
    assert e.url == "http://cap-validator.appspot.com/examples/KAR0-0306112239-SW.cap"


def test_usgs_earthquake_index_georss_point_is_lat_lon() -> None:
    e = one("cap-feeds/earthquake_index.atom")
    assert e.event_id == "cap:urn:earthquake-usgs-gov:us:2010apcd"
    assert (e.category, e.severity.value) == ("disaster.other", "info")
    assert e.title == "M 5.3, Tonga" and e.sent_at == utc(2010, 8, 30, 23, 25, 40)
    assert e.geometry is not None and list(e.geometry.coordinates) == [-173.2739, -16.0529]
    assert e.url == "http://earthquake.usgs.gov/earthquakes/recenteqsww/Quakes/us2010apcd.php"


def test_nws_index_entries() -> None:
    parsed = parse_fixture("cap", "cap-feeds/weather_index.atom")
    assert parsed.skipped == []
    ct, dc = parsed.events
    assert ct.event_id == (
        "cap:http://www.weather.gov/alerts-beta/wwacapget.php"
        "?x=CT20100831030400OKXAirQualityAlertOKX20100901031500CT"
    )
    for e in parsed.events:
        assert (e.category, e.severity.value, e.status.value) == (
            "disaster.air_quality",
            "info",
            "active",
        )
    assert ct.sent_at == utc(2010, 8, 31, 3, 4) and ct.expires_at == utc(2010, 9, 1, 3, 15)
    assert dc.sent_at == utc(2010, 8, 30, 20, 33) and dc.expires_at == utc(2010, 9, 1, 4, 0)
    assert dc.area_desc == "Arlington; District of Columbia; Fairfax; Montgomery; Prince Georges"


def test_oregon_index_with_a_broken_inline_alert_uses_the_entry_fields() -> None:
    """The entry wraps its cap: fields in an <alert> with identifier '!', no scope and no info:
    not a valid CAP alert, so the entry's own fields (and those cap: fields) are used."""
    parsed = parse_fixture("cap", "cap-feeds/oregon_nws.atom")
    [e] = parsed.events
    [note] = parsed.warnings  # the index is fine: a warning, not a rejected item
    assert parsed.skipped == [] and not parsed.unusable
    assert note.startswith("http://alerts.weather.gov/cap/wwacapget.php?x=OR125153E5")
    assert "embedded CAP alert not used" in note and "<scope> is missing" in note
    assert e.event_id.startswith("cap:http://alerts.weather.gov/cap/wwacapget.php?x=OR125153E5")
    assert (e.category, e.severity.value, e.status.value) == ("disaster.other", "minor", "active")
    assert e.sent_at == utc(2014, 5, 9, 21, 38), "cap sent"
    assert e.updated_at == utc(2014, 5, 9, 22, 38), "entry updated"
    assert e.expires_at == utc(2014, 5, 10, 22, 38)
    assert e.area_desc.startswith("Central Willamette Valley")


@pytest.mark.parametrize(
    "relpath", ["cap-feeds/empty_weather_index.atom", "cap-feeds/no_entries.atom"]
)
def test_indexes_without_entries_are_empty_not_rejected(relpath: str) -> None:
    """No entries means no current alerts. no_entries.atom has an <alert> outside any <entry>:
    foreign markup in the feed, as its own comment says, so it is not read."""
    parsed = parse_fixture("cap", relpath)
    assert parsed.events == [] and parsed.skipped == []


def test_entry_without_id_or_link_is_skipped() -> None:
    parsed = parse_fixture("cap", "cap-feeds/no_id.atom")
    assert parsed.events == []
    assert parsed.skipped == ["entry 1: entry has neither an id nor a link"]


def test_entry_without_link_keeps_its_id() -> None:
    e = one("cap-feeds/no_link.atom")
    assert e.event_id == (
        "cap:http://www.weather.gov/alerts-beta/wwacapget.php"
        "?x=DC20100829202900LWXAirQualityAlertLWX20100831040000DC"
    )
    assert e.url is None and e.title == "Title" and e.sent_at == utc(2010, 8, 29, 20, 29)
    assert (e.category, e.severity.value) == ("disaster.other", "info")


# ------------------------------------------------------ poll(): linked alerts over HTTP


INDEX_ENTRY = """<entry><id>{id}</id><title>{title}</title>
<updated>2003-06-17T14:00:00-07:00</updated>{link}{cap}</entry>"""


def atom_index(*entries: str) -> bytes:
    body = "".join(entries)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        f'xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2"><id>urn:test</id>'
        f"<title>test index</title><updated>2003-06-17T14:00:00-07:00</updated>{body}"
        f"</feed>"
    ).encode()


def entry(n: int, href: str | None, *, kind: str = "", cap: str = "") -> str:
    link = "" if href is None else f'<link href="{href}"{f" type={kind!r}" if kind else ""}/>'
    return INDEX_ENTRY.format(id=f"urn:entry:{n}", title=f"Entry {n}", link=link, cap=cap)


class Upstream:
    """A loopback server for an index and the CAP files it links to; records what was asked."""

    def __init__(self) -> None:
        self.index = b""
        self.requests: list[str] = []
        self.in_flight = 0
        self.peak = 0
        self.delay = 0.0
        self.etag: str | None = None
        app = web.Application()
        app.router.add_get("/index.atom", self.serve_index)
        app.router.add_get("/alerts/{name}", self.serve_alert)
        self.server = TestServer(app, host="127.0.0.1", port=0)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def serve_index(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        return web.Response(body=self.index, content_type="application/atom+xml")

    async def serve_alert(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            path = FIXTURES / "cap" / request.match_info["name"]
            if not path.is_file():
                return web.Response(status=404, text="no such alert")
            if self.etag and request.headers.get("If-None-Match") == self.etag:
                return web.Response(status=304)
            headers = {"ETag": self.etag} if self.etag else {}
            return web.Response(
                body=path.read_bytes(), content_type="application/cap+xml", headers=headers
            )
        finally:
            self.in_flight -= 1


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    up = Upstream()
    await up.server.start_server()
    yield up
    await up.server.close()


Poller = Callable[..., Awaitable[tuple[CapFeed, SharedSession]]]


@pytest.fixture
async def make_feed(upstream: Upstream) -> AsyncIterator[Poller]:
    sessions: list[SharedSession] = []

    async def make(path: str = "/index.atom", **config: Any) -> tuple[CapFeed, SharedSession]:
        session = SharedSession()
        sessions.append(session)
        http = Fetcher(session, timeout_seconds=5, max_body_bytes=10**7)
        feed = CapFeed(feed_context("cap", url=upstream.url(path), http=http, **config))
        return feed, session

    yield make
    for session in sessions:
        await session.close()


async def test_poll_replaces_linked_entries_with_their_alerts(
    upstream: Upstream, make_feed: Poller
) -> None:
    inline = (
        "<cap:event>Flood Warning</cap:event><cap:category>Met</cap:category>"
        "<cap:severity>Moderate</cap:severity>"
        "<cap:expires>2003-06-18T14:00:00-07:00</cap:expires>"
    )
    upstream.index = atom_index(
        entry(1, upstream.url("/alerts/Oasis_ThunderstormWarning.xml"), kind="application/cap+xml"),
        entry(2, "/alerts/Oasis_EarthquakeReport.xml"),  # relative, found by its .xml suffix
        entry(3, "/alerts/gone.cap", cap=inline),  # 404: the entry's own fields are used
        entry(4, "http://example.invalid/page.html", kind="text/html"),  # a web page: not fetched
    )
    feed, _ = await make_feed()
    parsed = await feed.poll(RECEIVED_AT)
    assert parsed is not None
    ids = [e.event_id for e in parsed.events]
    assert ids == [
        "cap:KSTO@NWS.NOAA.GOV,KSTO1055887203",
        "cap:trinet@caltech.edu,TRI13970876.1",
        "cap:urn:entry:3",
        "cap:urn:entry:4",
    ]
    storm, quake, fallback, page = parsed.events
    assert storm.geometry is not None and storm.geometry.type == "Polygon"
    assert storm.url == upstream.url("/alerts/Oasis_ThunderstormWarning.xml"), "no <web>: the link"
    assert quake.refs == ["cap:trinet@caltech.edu,TRI13970876.1"]
    assert quake.url == "http://www.trinet.org/scsn/scsn.html", "the alert's own <web>"
    assert (fallback.title, fallback.category, fallback.severity.value) == (
        "Entry 3",
        "disaster.flood",
        "moderate",
    )
    assert fallback.expires_at == utc(2003, 6, 18, 21, 0)
    assert page.url == "http://example.invalid/page.html"
    [reason] = parsed.warnings
    assert parsed.skipped == []
    assert reason.startswith("urn:entry:3: linked alert ") and "HTTP 404" in reason
    assert "used the entry's own fields" in reason
    assert sorted(upstream.requests) == [
        "/alerts/Oasis_EarthquakeReport.xml",
        "/alerts/Oasis_ThunderstormWarning.xml",
        "/alerts/gone.cap",
        "/index.atom",
    ]


async def test_poll_bounds_concurrency_and_the_number_of_linked_alerts(
    upstream: Upstream, make_feed: Poller
) -> None:
    upstream.delay = 0.05
    upstream.index = atom_index(*(entry(n, f"/alerts/thunderstorm.cap?n={n}") for n in range(6)))
    feed, _ = await make_feed(max_concurrent_fetches=2, options={"max_linked_alerts": 4})
    parsed = await feed.poll(RECEIVED_AT)
    assert parsed is not None
    assert upstream.peak == 2, "never more than max_concurrent_fetches at once"
    assert len([r for r in upstream.requests if r.startswith("/alerts/")]) == 4
    # four fetched copies of one alert collapse into one event; two entries were not fetched
    assert [e.event_id for e in parsed.events] == [
        "cap:KSTO@NWS.NOAA.GOV,KSTO1055887203",
        "cap:urn:entry:4",
        "cap:urn:entry:5",
    ]
    assert parsed.skipped == []
    assert parsed.warnings == [
        "2 linked alert(s) not fetched this poll (max_linked_alerts = 4); "
        "used the entries' own fields"
    ]


async def test_poll_follow_links_off_fetches_only_cap_links(
    upstream: Upstream, make_feed: Poller
) -> None:
    upstream.index = atom_index(entry(1, "/alerts/thunderstorm.cap"), entry(2, "/alerts/other?x=1"))
    feed, _ = await make_feed(options={"follow_links": False})
    parsed = await feed.poll(RECEIVED_AT)
    assert parsed is not None
    assert [e.event_id for e in parsed.events] == [
        "cap:KSTO@NWS.NOAA.GOV,KSTO1055887203",
        "cap:urn:entry:2",
    ]
    assert upstream.requests == ["/index.atom", "/alerts/thunderstorm.cap"]


async def test_poll_an_unchanged_linked_alert_yields_nothing(
    upstream: Upstream, make_feed: Poller
) -> None:
    upstream.etag = '"v1"'
    upstream.index = atom_index(entry(1, "/alerts/thunderstorm.cap"))
    feed, _ = await make_feed()
    first = await feed.poll(RECEIVED_AT)
    assert first is not None and len(first.events) == 1
    again = await feed.poll(RECEIVED_AT)
    assert again is not None and again.events == [] and again.skipped == [], (
        "304 on the link: the runner already has the alert; the entry must not stand in for it"
    )


async def test_poll_a_single_alert_url_parses_it_directly(
    upstream: Upstream, make_feed: Poller
) -> None:
    feed, _ = await make_feed("/alerts/canada.cap")
    parsed = await feed.poll(RECEIVED_AT)
    assert parsed is not None
    [e] = parsed.events
    assert e.event_id == "cap:cap@ec.gc.ca,2.49.0.1.124.a3f342a4.2012"
    assert upstream.requests == ["/alerts/canada.cap"]


async def test_poll_a_linked_document_that_is_not_an_alert_falls_back(
    upstream: Upstream, make_feed: Poller
) -> None:
    upstream.index = atom_index(entry(1, "/alerts/invalid.cap"), entry(2, "/alerts/xee.cap"))
    feed, _ = await make_feed()
    parsed = await feed.poll(RECEIVED_AT)
    assert parsed is not None
    assert [e.event_id for e in parsed.events] == ["cap:urn:entry:1", "cap:urn:entry:2"]
    first, second = parsed.warnings
    assert parsed.skipped == []
    assert "<scope> is missing" in first and "DTDForbidden" in second


async def test_poll_rss_follows_a_cap_enclosure(upstream: Upstream, make_feed: Poller) -> None:
    upstream.index = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Storm</title><guid>item-1</guid><link>http://example.invalid/1.html</link>"
        b'<enclosure url="/alerts/thunderstorm.cap" type="application/cap+xml" length="1"/>'
        b"<pubDate>Tue, 17 Jun 2003 14:57:00 -0700</pubDate></item></channel></rss>"
    )
    feed, _ = await make_feed(options={"follow_links": False})
    parsed = await feed.poll(RECEIVED_AT)
    assert parsed is not None and parsed.skipped == []
    [e] = parsed.events
    assert e.event_id == "cap:KSTO@NWS.NOAA.GOV,KSTO1055887203"
    assert e.url == "http://example.invalid/1.html", "the item's page, the alert having no <web>"
    assert upstream.requests == ["/index.atom", "/alerts/thunderstorm.cap"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Window cleaning", "disaster.other"),
        ("Rain on the terrain", "disaster.heavy_rain"),
        ("Drain works", "disaster.other"),
        ("Flooding on the river", "disaster.flood"),
        ("Freezing Rain Advisory", "disaster.cold"),
    ],
)
def test_english_keywords_match_whole_words(text: str, expected: str) -> None:
    assert cap_category([], text) == ("disaster", expected)


async def test_poll_follows_links_only_to_the_index_host_unless_allowed(
    upstream: Upstream, make_feed: Poller
) -> None:
    """A hostile index must not make the server fetch other hosts (e.g. internal services)."""
    foreign = upstream.url("/alerts/thunderstorm.cap").replace("127.0.0.1", "localhost")
    upstream.index = atom_index(entry(1, foreign, kind="application/cap+xml"))
    feed, _ = await make_feed()
    parsed = await feed.poll(RECEIVED_AT)
    assert parsed is not None and [e.event_id for e in parsed.events] == ["cap:urn:entry:1"]
    assert upstream.requests == ["/index.atom"], "the other host was not fetched"
    feed, _ = await make_feed(options={"link_hosts": ["localhost"]})
    parsed = await feed.poll(RECEIVED_AT)
    assert parsed is not None
    assert [e.event_id for e in parsed.events] == ["cap:KSTO@NWS.NOAA.GOV,KSTO1055887203"]


@pytest.mark.parametrize(
    ("circle", "expected"),
    [
        (b"<circle>nan,-173.274 0.0</circle>", "is not a finite number"),
        (b"<circle>-16.053,inf 0.0</circle>", "is not a finite number"),
        (b"<circle>-16.053,-173.274 nan</circle>", "radius 'nan' is not a finite number"),
        (b"<circle>-16.053,-173.274 -inf</circle>", "radius '-inf' is not a finite number"),
    ],
)
def test_a_non_finite_circle_refuses_its_alert_with_the_reason(
    circle: bytes, expected: str
) -> None:
    payload = fixture("cap/earthquake.cap").replace(
        b"<circle>-16.053,-173.274 0.0</circle>", circle
    )
    with pytest.raises(FeedRejected) as info:
        parse_bytes(payload)
    assert expected in str(info.value)
    assert "GeoJSON order" not in str(info.value), "refused by the reader, not by the model"


def test_an_unreadable_web_link_or_language_is_dropped_with_a_warning() -> None:
    """Mutation finding: Environment Canada's alert with a <web> that is no link, or with its
    French info block in language 'Zzyzx', lost the link or the translation without a word."""
    payload = fixture("cap/canada.cap")
    payload = payload.replace(
        b"<web>http://www.weatheroffice.gc.ca/warnings/warnings_e.html", b"<web>12.5"
    )
    payload = payload.replace(b"<language>fr-CA</language>", b"<language>Zzyzx</language>")
    parsed = parse_bytes(payload)
    [event] = parsed.events
    assert event.url is None and event.translations == {}
    label = "cap@ec.gc.ca,2.49.0.1.124.6bddbc91.2012"  # the Update (its event: the chain)
    assert parsed.warnings == [
        f"{label}: <language> 'Zzyzx' is not a language tag, so that info block is no "
        "translation; ignored",
        f"{label}: <web> '12.5' is not an http(s) link; ignored",
    ]


def test_grades_and_categories_outside_caps_words_cost_only_themselves() -> None:
    """A misspelt severity, urgency or certainty is read as CAP's own Unknown, an unknown category
    word is ignored, each with a warning naming it: the alert is still shown."""
    payload = (
        THUNDER.replace(b"<severity>Severe</severity>", b"<severity>Bad</severity>")
        .replace(b"<urgency>Immediate</urgency>", b"<urgency>NOW</urgency>")
        .replace(b"<certainty>Observed</certainty>", b"<certainty>observed</certainty>")
        .replace(b"<category>Met</category>", b"<category>Weather</category>")
    )
    parsed = parse_bytes(payload)
    [event] = parsed.events
    assert event.severity == "info", "CAP's Unknown severity"
    assert event.category == "disaster.storm", "the event's words still say thunderstorm"
    joined = " | ".join(parsed.warnings)
    assert "<severity> 'Bad' is not one of" in joined and "read as Unknown" in joined
    assert "<urgency> 'NOW'" in joined and "<category> 'Weather'" in joined
    assert "certainty" not in joined, "another letter case of a CAP word is that word"
