"""Golden tests for the `gdacs` adapter (GDACS RSS with GeoRSS and gdacs: elements).

gdacs-rss.xml is a real rss.xml snapshot (30 Dec 2019); gdacs-1.xml its first items; gdacs-2.xml an
item with only a bounding box and no gdacs:eventtype/eventid/alertlevel. All three start with the
UTF-8 BOM the live feed sends. Hazard types absent from the samples and the episode ordering are
pinned on copies of a sample item edited here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from feeds.kit import version_of
from feeds.kit.base import PollingFeed
from server.errors import FeedRejected
from server.stream.events import Event, Kind, Severity, Status
from tests.feeds.conftest import FIXTURES, RECEIVED_AT, adapter, parse_fixture

BOM = b"\xef\xbb\xbf"
RSS_IDS = [
    "TC1000643",
    "EQ1199929",
    "TC1000642",
    "EQ1199647",
    "TC1000641",
    "DR1013682",
    "DR1013588",
    "DR1013281",
    "DR1013282",
    "DR1013280",
    "DR1013258",
    "DR1012926",
    "DR1012806",
    "DR1012728",
    "DR1012686",
    "DR1012649",
]
NOT_CURRENT = RSS_IDS[7:]  # the droughts GDACS marks iscurrent=false
ORANGE = {
    "TC1000641",
    "DR1013281",
    "DR1013282",
    "DR1013258",
    "DR1012926",
    "DR1012806",
    "DR1012728",
    "DR1012649",
}


def parse(payload: bytes, **config: Any) -> Any:
    feed = adapter("gdacs", **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse(payload, received_at=RECEIVED_AT)


def by_id(events: list[Event]) -> dict[str, Event]:
    return {e.event_id.removeprefix("gdacs:"): e for e in events}


def sample(name: str = "gdacs-1.xml") -> bytes:
    return (FIXTURES / "gdacs" / name).read_bytes()


def first_item_only() -> bytes:
    """gdacs-1.xml cut to its first item (TC1000643, CALVINIA-19), for editing one field."""
    data = sample()
    start = data.index(b"<item>")
    second = data.index(b"<item>", start + 1)
    return data[:second] + data[data.rindex(b"</channel>") :]


def edit(data: bytes, element: str, value: str) -> bytes:
    pattern = rb"(<" + element.encode() + rb">)[^<]*(</" + element.encode() + rb">)"
    edited, count = re.subn(pattern, rb"\g<1>" + value.encode() + rb"\g<2>", data)
    assert count >= 1, element
    return edited


# --------------------------------------------------------------------------- saved samples


def test_samples_start_with_a_bom() -> None:
    for name in ("gdacs-1.xml", "gdacs-2.xml", "gdacs-rss.xml"):
        assert sample(name).startswith(BOM)
    assert parse(sample().removeprefix(BOM)).events == parse(sample()).events


def test_gdacs_1() -> None:
    parsed = parse_fixture("gdacs", "gdacs/gdacs-1.xml")
    assert parsed.skipped == []
    events = by_id(parsed.events)
    assert list(events) == ["TC1000643", "EQ1199929", "DR1013682", "DR1013588"]
    assert {k: e.category for k, e in events.items()} == {
        "TC1000643": "disaster.typhoon",
        "EQ1199929": "disaster.earthquake",
        "DR1013682": "disaster.other",
        "DR1013588": "disaster.other",
    }
    for event in events.values():
        assert event.kind is Kind.DISASTER
        assert event.severity is Severity.MINOR  # all Green
        assert event.status is Status.ACTIVE and event.expires_at is None
        assert event.version == version_of(event.updated_at)  # type: ignore[arg-type]
        assert event.extra["alertlevel"] == "Green"

    tc = events["TC1000643"]
    assert tc.title.startswith("Green alert for tropical cyclone CALVINIA-19.")
    assert tc.description.startswith("From 29/12/2019 to 29/12/2019, a Tropical Storm")
    assert tc.sent_at == tc.updated_at == datetime(2019, 12, 29, 12, 0, tzinfo=UTC)
    assert tc.version == 1_577_620_800
    assert tc.point == (59.8, -19.4)  # georss:point "-19.4 59.8" is lat first
    assert tc.area_desc == "Mauritius"
    assert tc.url == "http://www.gdacs.org/report.aspx?eventtype=TC&eventid=1000643"
    assert tc.extra == {
        "eventtype": "TC",
        "eventid": "1000643",
        "episodeid": 1,
        "gdacs_version": 1,
        "alertlevel": "Green",
        "alertscore": 1.0,
        "episodealertlevel": "Green",
        "eventname": "CALVINIA-19",
        "iso3": "MUS",
        "severity_text": "Tropical Storm (maximum wind speed of 93 km/h)",
        # gdacs:bbox "lonmin lonmax latmin latmax" → GeoJSON [W, S, E, N]
        "bbox": [55.0780533046962, -46.7828750315965, 81.0780533046962, -20.7828750315965],
    }

    eq = events["EQ1199929"]
    assert eq.point == (37.087, -44.5653)
    assert eq.sent_at == datetime(2019, 12, 28, 15, 36, 35, tzinfo=UTC)
    assert eq.extra["alertscore"] == 0.01 and eq.extra["episodeid"] == 1_287_798

    drought = events["DR1013588"]  # current for months: todate must not expire it
    assert drought.sent_at == datetime(2019, 9, 21, tzinfo=UTC)
    assert drought.updated_at == datetime(2019, 12, 30, 1, 27, tzinfo=UTC)
    assert drought.point == (117.197, -31.67)
    assert drought.extra["gdacs_version"] == 0


def test_gdacs_2_bbox_only_item_without_gdacs_ids() -> None:
    parsed = parse_fixture("gdacs", "gdacs/gdacs-2.xml")
    assert parsed.skipped == []
    (event,) = parsed.events
    assert event.event_id == "gdacs:TC1000643"  # from the guid: no gdacs:eventtype/eventid
    assert event.category == "disaster.typhoon"
    assert event.severity is Severity.INFO  # no gdacs:alertlevel
    assert event.geometry is None and event.point is None  # the bbox is not drawn
    assert event.extra == {
        "eventtype": "TC",
        "eventid": "1000643",
        "bbox": [55.0780533046962, -46.7828750315965, 81.0780533046962, -20.7828750315965],
    }
    assert event.title == "Entry with only bounding box geometry to be discarded"
    assert event.status is Status.ACTIVE


def test_gdacs_rss_snapshot() -> None:
    parsed = parse_fixture("gdacs", "gdacs/gdacs-rss.xml")
    assert parsed.skipped == []
    events = by_id(parsed.events)
    assert list(events) == RSS_IDS
    assert sorted(k for k, e in events.items() if e.status is Status.EXPIRED) == sorted(NOT_CURRENT)
    assert {k for k, e in events.items() if e.severity is Severity.SEVERE} == ORANGE
    assert {e.severity for k, e in events.items() if k not in ORANGE} == {Severity.MINOR}
    assert all(e.geometry is not None for e in events.values())

    phanfone = events["TC1000641"]
    assert phanfone.severity is Severity.SEVERE
    assert phanfone.extra["alertlevel"] == "Orange"
    assert phanfone.extra["episodealertlevel"] == "Green"  # the event's level wins
    assert phanfone.extra["episodeid"] == 29 and phanfone.extra["gdacs_version"] == 29
    assert phanfone.sent_at == datetime(2019, 12, 21, 18, 0, tzinfo=UTC)
    assert phanfone.updated_at == datetime(2019, 12, 28, 18, 0, tzinfo=UTC)
    assert phanfone.point == (112.1, 14.6)

    sarai = events["TC1000642"]
    assert sarai.point == (-178.8, -20.5)  # west of the antimeridian: negative longitude

    for key in NOT_CURRENT:  # finished droughts end at todate
        event = events[key]
        assert event.expires_at is not None and event.expires_at >= event.sent_at
    assert events["DR1013281"].expires_at == datetime(2019, 12, 30, 1, 27, tzinfo=UTC)
    assert events["DR1012728"].expires_at == datetime(2019, 12, 30, 1, 37, tzinfo=UTC)
    assert events["DR1012728"].sent_at == datetime(2018, 10, 21, tzinfo=UTC)  # over a year
    assert all(events[k].expires_at is None for k in RSS_IDS if k not in NOT_CURRENT)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("Green", len(RSS_IDS)),
        ("orange", len(ORANGE)),
        ("RED", 0),
    ],
)
def test_min_alert_level(level: str, expected: int) -> None:
    parsed = parse_fixture("gdacs", "gdacs/gdacs-rss.xml", options={"min_alert_level": level})
    assert len(parsed.events) == expected and parsed.skipped == []  # filtered, not rejected
    assert len(parsed.filtered) == len(RSS_IDS) - expected
    assert all("below min_alert_level" in reason for reason in parsed.filtered)


def test_min_alert_level_drops_items_without_a_level() -> None:
    assert (
        parse_fixture("gdacs", "gdacs/gdacs-2.xml", options={"min_alert_level": "Orange"}).events
        == []
    )


def test_bad_min_alert_level_fails_at_configuration() -> None:
    with pytest.raises(ValidationError):
        adapter("gdacs", options={"min_alert_level": "Yellow"})


# ----------------------------------------------------------------------- edited sample items


@pytest.mark.parametrize(
    ("hazard", "category"),
    [
        ("EQ", "disaster.earthquake"),
        ("TC", "disaster.typhoon"),
        ("FL", "disaster.flood"),
        ("VO", "disaster.other"),
        ("DR", "disaster.other"),
        ("WF", "disaster.wildfire"),
        ("TS", "disaster.tsunami"),
        ("XX", "disaster.other"),
    ],
)
def test_hazard_categories(hazard: str, category: str) -> None:
    (event,) = parse(edit(first_item_only(), "gdacs:eventtype", hazard)).events
    assert event.event_id == f"gdacs:{hazard}1000643" and event.category == category


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        ("Green", "minor"),
        ("Orange", "severe"),
        ("Red", "extreme"),
        ("", "info"),
        ("Blue", "info"),
    ],
)
def test_alert_level_severity(level: str, severity: str) -> None:
    (event,) = parse(edit(first_item_only(), "gdacs:alertlevel", level)).events
    assert event.severity == severity


def test_a_later_episode_has_a_larger_version() -> None:
    first = parse(first_item_only()).events[0]
    data = edit(first_item_only(), "gdacs:episodeid", "2")
    data = edit(data, "pubDate", "Sun, 29 Dec 2019 18:00:00 GMT")
    later = parse(data).events[0]
    assert later.event_id == first.event_id
    assert later.version > first.version
    assert later.sent_at == first.sent_at  # fromdate: the event's start does not move


def test_a_bad_geo_point_falls_back_to_georss_point() -> None:
    (event,) = parse(edit(first_item_only(), "geo:lat", "159.8")).events
    assert event.point == (59.8, -19.4)


def test_georss_point_alone_is_read_lat_first() -> None:
    data = re.sub(rb"<geo:Point>.*?</geo:Point>", b"", first_item_only(), flags=re.S)
    assert b"<geo:Point>" not in data
    (event,) = parse(data).events
    assert event.point == (59.8, -19.4)


def test_not_current_item_expires_at_todate() -> None:
    data = edit(first_item_only(), "gdacs:iscurrent", "false")
    data = edit(data, "gdacs:todate", "Mon, 30 Dec 2019 06:00:00 GMT")
    (event,) = parse(data).events
    assert event.status is Status.EXPIRED
    assert event.expires_at == datetime(2019, 12, 30, 6, 0, tzinfo=UTC)


def test_bad_items_are_skipped_one_by_one() -> None:
    good = first_item_only()
    no_id = re.sub(rb"<guid[^>]*>[^<]*</guid>", b"", edit(good, "gdacs:eventid", ""))
    bad_date = edit(edit(good, "gdacs:eventid", "2"), "pubDate", "yesterday")
    bad_point = edit(
        edit(edit(good, "gdacs:eventid", "3"), "geo:lat", "159.8"), "georss:point", "159.8 59.8"
    )
    item = rb"<item>.*?</item>"
    items = [
        re.search(item, d, re.S).group(0)  # type: ignore[union-attr]
        for d in (no_id, bad_date, bad_point, good)
    ]
    head, tail = good.split(b"<item>", 1)[0], good[good.rindex(b"</channel>") :]
    parsed = parse(head + b"".join(items) + tail)
    assert [e.event_id for e in parsed.events] == ["gdacs:TC1000643"]
    assert parsed.skipped == [
        "item 0: no gdacs:eventtype + gdacs:eventid, and no guid like 'EQ1234'",
        "item TC1000643: pubDate 'yesterday' is not an RFC 822 date",
        "item TC1000643: geo:lat/geo:long 159.8, 59.8 out of range; "
        "georss:point '159.8 59.8' is not 'lat lon' in range",
    ]
    with pytest.raises(FeedRejected, match="none of the 3 items could be used"):
        parse(head + b"".join(items[:3]) + tail)


# ----------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty document"),
        (BOM, "not well-formed XML"),
        (b"<html><body>502 Bad Gateway", "not well-formed XML"),
        (b"<!DOCTYPE html><html><body>502</body></html>", "unsafe XML refused"),
        (b"<html><body>502 Bad Gateway</body></html>", "expected an RSS document, got <html>"),
        (sample()[:5000], "not well-formed XML"),
        (b'[{"guid": "EQ1"}]', "not well-formed XML"),
        (b'"rss"', "not well-formed XML"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', "got <feed>"),
        (b'<rss version="2.0"></rss>', "without a <channel>"),
    ],
)
def test_broken_documents_are_rejected(payload: bytes, reason: str) -> None:
    with pytest.raises(FeedRejected) as caught:
        parse(payload)
    assert reason in caught.value.message


def test_empty_channel_is_an_empty_snapshot() -> None:
    parsed = parse(
        BOM + b'<?xml version="1.0" encoding="utf-8"?><rss><channel>'
        b"<title>GDACS</title></channel></rss>"
    )
    assert parsed.events == [] and parsed.skipped == []


def damaged_first_item(old: bytes, new: bytes) -> Any:
    """gdacs-1.xml (the real feed's first items) with one value of its first item replaced."""
    payload = sample()
    assert old in payload
    return parse(payload.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "field", "named"),
    [
        (b"<gdacs:alertscore>1<", b"<gdacs:alertscore>NaN<", "alertscore", "gdacs:alertscore"),
        (b"<gdacs:alertscore>1<", b"<gdacs:alertscore>inf<", "alertscore", "gdacs:alertscore"),
        (b"<gdacs:bbox>55.0780533046962 ", b"<gdacs:bbox>nan ", "bbox", "gdacs:bbox"),
        (b"<gdacs:bbox>55.0780533046962 ", b"<gdacs:bbox>", "bbox", "gdacs:bbox"),
        (b"<gdacs:version>1<", b"<gdacs:version>one<", "gdacs_version", "gdacs:version"),
        (b"<link>http://www.gdacs.org/report", b"<link>www.gdacs.org/report", "url", "link"),
    ],
)
def test_an_unreadable_secondary_value_is_dropped_with_a_warning(
    old: bytes, new: bytes, field: str, named: str
) -> None:
    """Mutation finding: these were dropped silently (a NaN alertscore, a bbox of three or
    non-finite numbers, a non-numeric version, a relative link)."""
    parsed = damaged_first_item(old, new)
    event = by_id(parsed.events)["TC1000643"]
    assert event.url is None if field == "url" else field not in event.extra
    assert len(parsed.events) == len(by_id(parse(sample()).events))
    (warning,) = parsed.warnings
    assert warning.startswith("item TC1000643: ") and named in warning
    assert warning.endswith("; ignored")


def test_a_non_finite_position_refuses_only_its_item() -> None:
    """Mutation finding: a NaN geo:lat with no georss:point was read as no position at all,
    and the item was kept without one; it is refused (never drawn in the wrong place)."""
    payload = sample().replace(b"<geo:lat>-19.4<", b"<geo:lat>NaN<", 1)
    payload = payload.replace(b"<georss:point>-19.4 59.8</georss:point>", b"", 1)
    parsed = parse(payload)
    assert "TC1000643" not in by_id(parsed.events) and len(parsed.events) == 3
    (reason,) = parsed.skipped
    assert reason == "item TC1000643: geo:lat 'NaN' is not a finite number"
    fallback = by_id(damaged_first_item(b"<geo:lat>-19.4<", b"<geo:lat>NaN<").events)
    assert fallback["TC1000643"].point == (59.8, -19.4)
