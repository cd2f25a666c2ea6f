"""Real documents from national and official producers, one table row each (issue 12).

Every fixture is a verbatim copy of a document the producer published (provenance and licence in
the folder's SOURCES.md). Each row states what a person reading the document expects: how many
events it yields, and for its first event the id, title, category, severity, status, main time,
end time and first position (lon, lat), all read from the document itself; then the warnings.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from server.errors import FeedRejected
from server.stream.events import Event
from tests.feeds.conftest import FIXTURES, parse_fixture


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def shipped_config(name: str) -> dict[str, Any]:
    """The settings of a shipped example config (tests/fixtures/configs), as kwargs; the feed
    keeps its adapter's name, so event ids start with the adapter name."""
    [feed] = tomllib.loads((FIXTURES / "configs" / name).read_text())["feeds"]
    return {k: v for k, v in feed.items() if k not in ("adapter", "name")}


@dataclass(frozen=True)
class Doc:
    """One real document and what its first event must be."""

    adapter: str
    path: str
    count: int
    event_id: str
    title: str
    category: str
    severity: str
    sent_at: str  # the main time, as the document writes it
    expires_at: str | None
    position: tuple[float, float] | None  # the first position, lon/lat
    status: str = "active"
    warnings: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)


NSW_RFS = shipped_config("geojson-nsw-rfs.toml")

DOCS = [
    # ---------------------------------------------------------------- CAP, national services
    Doc(
        "cap",
        "cap/at-geosphere-thunderstorm.xml",
        1,
        "cap:cap@zamg.ac.at,2.49.0.0.40.0.AT.20240712093145.4473_3_108",  # Update: chain's first
        "Gewitterwarnung",
        "disaster.other",  # German/"Thunderstormwarning" in one word: no keyword matches
        "moderate",
        "2024-07-12T13:59:49+02:00",
        "2024-07-13T06:00:00+02:00",
        None,  # EMMA_ID geocodes only
    ),
    Doc(
        "cap",
        "cap/be-kmi-irm-rain.xml",
        1,
        "cap:kmi-irm,2.49.0.0.56.0.BE.20240712034751.1592219",
        "Groene waarschuwing voor regen in België - Antwerpen",  # first of nl, fr, en, de
        "disaster.heavy_rain",  # from the English block's words: the chosen nl one has none
        "moderate",
        "2024-07-12T05:50:00+02:00",
        "2024-07-12T14:00:00+02:00",
        None,
    ),
    Doc(
        "cap",
        "cap/bz-nms-small-craft.xml",
        1,
        "cap:drudon@nms.gov.bz,urn:oid:2.49.0.1.84.0.2024.7.13.17.47.4",
        "SMALL CRAFT CAUTION",
        "disaster.other",
        "moderate",
        "2024-07-13T11:47:04-06:00",
        "2024-07-13T17:30:00-06:00",
        (-88.035, 18.4121),
    ),
    Doc(
        "cap",
        "cap/ca-eccc-thunderstorm.xml",
        1,
        "cap:cap-pac@canada.ca,urn:oid:2.49.0.1.124.2627256550.2024",  # first of 4 references
        "severe thunderstorm warning in effect",
        "disaster.storm",
        "moderate",
        "2024-07-12T13:44:28-00:00",
        "2024-07-12T16:41:18-00:00",
        (-107.8105, 50.9607),
    ),
    Doc(
        "cap",
        "cap/cm-meteo-rain-wind.xml",
        1,
        "cap:meteo.cameroon@gmail.com,urn:oid:2.49.0.1.120.0.2024.7.16.13.23.2",
        "Alerte des précipitations modérées à fortes associées à des orages et des vents modérés"
        " à forts",
        "disaster.other",
        "moderate",
        "2024-07-16T15:23:02+02:00",
        "2024-07-17T18:00:00+01:00",
        (11.2720, 6.5991),
    ),
    Doc(
        "cap",
        "cap/cn-baoding-lightning.xml",
        1,
        "cap:Baoding_Meteorological_Observatory,13060041600000_20240712073642",
        "Baoding Meteorological Observatory updates lightning yellow warning [Level III/Heavy]",
        "disaster.other",
        "moderate",
        "2024-07-12T21:31:38+08:00",
        "2024-07-13T03:31:38+08:00",
        None,  # area by geocode only
    ),
    Doc(
        "cap",
        "cap/de-dwd-thunderstorm.xml",
        1,
        "cap:opendata@dwd.de,2.49.0.0.276.0.DWD.PVW.1689142740000."
        "a59b722e-c291-4ab5-923a-d936edf9e317.DEU",
        "Amtliche WARNUNG vor STARKEM GEWITTER",
        "disaster.other",
        "moderate",
        "2023-07-12T08:36:00+02:00",
        "2023-07-12T09:45:00+02:00",
        (11.007721, 51.244739),  # first of 73 areas
    ),
    Doc(
        "cap",
        "cap/dz-onm-heatwave.xml",
        1,
        "cap:www.meteo.dz,cad1270d-9957-4e48-be06-5a49e01a059d",
        "Avertissement De CANICULE Modéré",
        "disaster.other",
        "moderate",
        "2024-07-12T10:54:01+00:00",
        "2024-07-13T06:00:00+00:00",
        (0.22822006400002692, 35.701226818000066),
        warnings=(  # the alert's <web> is a bare host name: no link is guessed from it
            "www.meteo.dz,cad1270d-9957-4e48-be06-5a49e01a059d: <web> 'www.meteo.dz' is not an"
            " http(s) link; ignored",
        ),
    ),
    Doc(
        "cap",
        "cap/tg-anamet-rain.xml",
        1,
        "cap:meteo_togo@yahoo.fr,86d1b8c2-135b-4472-b1d7-8278d2997ce5",
        "Rain/Wet Spell",  # no headline: the event names it
        "disaster.heavy_rain",
        "severe",
        "2024-06-06T15:15:00-00:00",
        "2024-06-06T22:00:00+00:00",
        (1.62681, 8.379891),
    ),
    Doc(
        "cap",
        "cap/us-nws-honolulu-small-craft.xml",
        1,
        "cap:w-nws.webmaster@noaa.gov,"
        "urn:oid:2.49.0.1.840.0.8bcebc3a6938c3fb46d025a2b04b5b04d57efde3.001.1",
        "Small Craft Advisory issued July 12 at 3:24AM HST until July 13 at 6:00PM HST by NWS"
        " Honolulu HI",
        "disaster.other",
        "minor",
        "2024-07-12T03:24:00-10:00",
        "2024-07-12T16:30:00-10:00",
        None,  # marine zones by UGC code only
    ),
    # ---------------------------------------------------------------- DATEX II, road authorities
    Doc(
        "datex2",
        "datex2/ndw-situations.xml",
        2,
        "datex2:RWS01_SM1162215_D2_WWA",
        "Speed management",  # first record: SpeedManagement, 70 km/h for road maintenance
        "traffic.other",
        "moderate",  # overallSeverity medium
        "2026-07-03T08:12:54Z",  # situationRecordCreationTime
        "2026-12-01T11:00:00Z",  # overallEndTime
        (6.207613, 52.693642),  # gmlLineString posList "52.693642 6.207613 …" (lat lon)
    ),
    # ---------------------------------------------------------------- GeoJSON incident feeds
    Doc(
        "geojson",
        "geojson/nsw-rfs-majorincidents-2020-03-19.json",
        12,
        "geojson:https://incidents.rfs.nsw.gov.au/api/v1/incidents/376955",
        "Big Foot HRB",
        "disaster.wildfire",
        "moderate",  # category Advice
        "2020-03-18T23:00:00+11:00",  # pubDate "18/03/2020 11:00:00 PM", Sydney (AEDT)
        None,
        (148.928165585585, -33.4121602297365),
        config=NSW_RFS,
    ),
]


def first_position(event: Event) -> tuple[float, float] | None:
    if event.geometry is None:
        return None
    coords: Any = event.geometry.coordinates
    while isinstance(coords[0], list | tuple):
        coords = coords[0]
    return (coords[0], coords[1])


@pytest.mark.parametrize("doc", DOCS, ids=[d.path for d in DOCS])
def test_real_document(doc: Doc) -> None:
    parsed = parse_fixture(doc.adapter, doc.path, **doc.config)
    assert parsed.skipped == [] and parsed.filtered == []
    assert len(parsed.events) == doc.count
    event = parsed.events[0]
    assert event.event_id == doc.event_id
    assert event.title == doc.title
    assert (event.category, event.severity.value, event.status.value) == (
        doc.category,
        doc.severity,
        doc.status,
    )
    assert event.sent_at == utc(doc.sent_at)
    assert event.expires_at == (utc(doc.expires_at) if doc.expires_at else None)
    assert first_position(event) == doc.position
    assert tuple(parsed.warnings) == doc.warnings


def test_datex2_traffic_regulations_are_refused_with_a_reason() -> None:
    """DiaLog's DATEX II v3 TrafficRegulationPublication (French road orders) is a sound
    document of another publication: refused whole, naming what it is."""
    with pytest.raises(FeedRejected, match="TrafficRegulationPublication"):
        parse_fixture("datex2", "datex2/dialog-regulations.xml")
