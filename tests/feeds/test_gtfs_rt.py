"""Golden tests for the GTFS-realtime Alerts adapter (tests/fixtures/gtfs-rt/SOURCES.md).

`alerts.pb` (MBTA production, Dec 2017) is checked against its protobuf text-format twin
`alerts.txtpb`, read independently with `google.protobuf.text_format`. Cases marked *synthetic*
build documents in memory or come from `synthetic_seoul_ko_en.txtpb`.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import orjson
import pytest
from google.protobuf import json_format, text_format
from google.transit import gtfs_realtime_pb2 as rt

from feeds.kit import plain_text, title_text
from feeds.kit.base import Parsed, PollingFeed
from server.errors import FeedRejected
from server.stream.events import Event, Kind, Severity, Status, iso_utc
from tests.feeds.conftest import FIXTURES, RECEIVED_AT, adapter, parse_fixture

HEADER_TS = "2017-12-23T13:00:19Z"  # alerts.pb header.timestamp 1514034019
NO_SERVICE = ["206630", "219466", "220904"]
DETOURS = [
    "193274",
    "202576",
    "202577",
    "202578",
    "215924",
    "217460",
    "218755",
    "219249",
    "220021",
    "221026",
    "221191",
]


def parse(payload: bytes, **config: object) -> Parsed:
    feed = adapter("gtfs-rt", **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse(payload, received_at=RECEIVED_AT)


def by_id(parsed: Parsed) -> dict[str, Event]:
    return {e.event_id.removeprefix("gtfs-rt:"): e for e in parsed.events}


def oracle() -> rt.FeedMessage:
    """alerts.txtpb read by protobuf's own text parser, independently of the adapter."""
    return text_format.Parse((FIXTURES / "gtfs-rt/alerts.txtpb").read_text(), rt.FeedMessage())


def synthetic() -> bytes:
    """*synthetic*: the hand-written Seoul ko/en FeedMessage, encoded to the binary wire format."""
    text = (FIXTURES / "gtfs-rt/synthetic_seoul_ko_en.txtpb").read_text(encoding="utf-8")
    return text_format.Parse(text, rt.FeedMessage()).SerializeToString()


# ---------------------------------------------------------------------------- alerts.pb


def test_alerts_pb_golden() -> None:
    parsed = parse_fixture("gtfs-rt", "gtfs-rt/alerts.pb")
    assert parsed.skipped == []
    assert len(parsed.events) == 51
    events = by_id(parsed)
    ids = list(events)
    assert ids[:3] == ["105025", "144368", "169844"] and ids[-1] == "221210"
    assert {e.kind for e in parsed.events} == {Kind.TRAFFIC}
    assert {e.category for e in parsed.events} == {"traffic.transit_disruption"}
    assert {e.status for e in parsed.events} == {Status.ACTIVE}  # none ended before 13:00:19Z
    assert all(e.geometry is None and e.district is None for e in parsed.events)
    # GTFS-rt 1.0: no severity_level, so severity comes from the effect
    assert Counter(e.severity for e in parsed.events) == {
        Severity.SEVERE: 3,
        Severity.MODERATE: 11,
        Severity.MINOR: 37,
    }
    assert sorted(i for i, e in events.items() if e.severity is Severity.SEVERE) == NO_SERVICE
    assert sorted(i for i, e in events.items() if e.severity is Severity.MODERATE) == DETOURS
    assert {iso_utc(e.updated_at) for e in parsed.events if e.updated_at} == {HEADER_TS}
    assert {e.version for e in parsed.events} == {1514034019}

    elevator = events["105025"]  # one open-ended period, stops only
    assert elevator.title == "elevator unavailable"
    assert iso_utc(elevator.sent_at) == "2016-01-02T09:30:00Z" and elevator.expires_at is None
    assert elevator.area_desc == "Stops: 70026, 70027, 70205, 70206"
    assert elevator.extra == {
        "effect": "OTHER_EFFECT",
        "cause": "CONSTRUCTION",
        "stop_ids": ["70026", "70027", "70205", "70206"],
    }

    worcester = events["191524"]  # 260 bounded periods: earliest start, end of the last
    assert iso_utc(worcester.sent_at) == "2017-12-25T20:30:00Z"
    assert worcester.expires_at is not None
    assert iso_utc(worcester.expires_at) == "2018-12-22T02:15:00Z"
    assert worcester.extra["periods"] == 260 and worcester.area_desc == "Routes: CR-Worcester"

    fitchburg = events["221202"]  # ends 14:00Z, after the header time: still active
    assert fitchburg.expires_at is not None and iso_utc(fitchburg.expires_at) == (
        "2017-12-23T14:00:00Z"
    )
    assert fitchburg.status is Status.ACTIVE
    assert events["169844"].area_desc.startswith("Routes: Red, CR-Kingston, CR-Middleborough")


def test_alerts_pb_agrees_with_its_text_format_oracle() -> None:
    truth = oracle()
    raw = rt.FeedMessage()
    raw.ParseFromString((FIXTURES / "gtfs-rt/alerts.pb").read_bytes())
    assert raw == truth, "the .pb and its .txtpb are the same message"
    parsed = parse_fixture("gtfs-rt", "gtfs-rt/alerts.pb")
    events = by_id(parsed)
    alerts = [e for e in truth.entity if e.HasField("alert")]
    assert list(events) == [e.id for e in alerts]
    for entity in alerts:
        event, alert = events[entity.id], entity.alert
        assert event.title == title_text(alert.header_text.translation[0].text)
        description = alert.description_text.translation
        assert event.description == (plain_text(description[0].text) if description else "")
        starts = [p.start for p in alert.active_period if p.HasField("start")]
        assert event.sent_at == datetime.fromtimestamp(min(starts), UTC)
        ends = [p.end for p in alert.active_period if p.HasField("end")]
        if len(ends) == len(alert.active_period):
            assert event.expires_at == datetime.fromtimestamp(max(ends), UTC)
        else:
            assert event.expires_at is None
        routes = {i.route_id for i in alert.informed_entity if i.route_id}
        assert set(event.extra.get("route_ids", [])) == routes or len(routes) > 50


@pytest.mark.parametrize("fmt", ["auto", "json"])
@pytest.mark.parametrize("snake_case", [True, False])
def test_proto3_json_of_alerts_pb_maps_like_the_protobuf(fmt: str, snake_case: bool) -> None:
    """The proto3 JSON mapping (camelCase by default, uint64 as strings) gives the same events."""
    payload = json_format.MessageToJson(oracle(), preserving_proto_field_name=snake_case)
    from_json = parse(payload.encode(), options={"format": fmt}).events
    from_pb = parse_fixture("gtfs-rt", "gtfs-rt/alerts.pb").events
    assert [e.model_dump(exclude={"received_at"}) for e in from_json] == [
        e.model_dump(exclude={"received_at"}) for e in from_pb
    ]


# ------------------------------------------------------------------- alerts_enhanced.json


def test_alerts_enhanced_json_golden() -> None:
    parsed = parse_fixture("gtfs-rt", "gtfs-rt/alerts_enhanced.json")
    assert parsed.skipped == []
    events = by_id(parsed)
    assert list(events) == ["116292", "116369", "116373", "116374", "116375", "116376"]
    assert [e.severity.value for e in events.values()] == [
        "severe",
        "minor",
        "minor",
        "minor",
        "severe",
        "severe",
    ]
    lechmere = events["116292"]  # NO_SERVICE, 8 weekend periods, MBTA list-shaped texts
    assert lechmere.title.startswith("Lechmere closed until Sun Jan 21")
    assert lechmere.description == (
        "Affected routes:\nGreen Line B branch\nGreen Line C branch\nGreen Line D branch\n"
        "Green Line E branch"
    )
    assert iso_utc(lechmere.sent_at) == "2017-12-30T09:30:00Z"
    assert lechmere.expires_at is not None
    assert iso_utc(lechmere.expires_at) == "2018-01-22T07:30:00Z"
    assert lechmere.extra["periods"] == 8
    assert lechmere.area_desc == "Routes: Green-B, Green-C, Green-D, Green-E"
    # MBTA's per-alert last_modified_timestamp is the change time, so versions are stable per poll
    assert lechmere.updated_at is not None
    assert iso_utc(lechmere.updated_at) == "2017-12-21T18:30:02Z"
    assert lechmere.version == 1513881002
    assert events["116373"].area_desc == ""  # no informed_entity
    assert iso_utc(events["116376"].sent_at) == "2017-12-29T15:15:00Z"
    assert all(e.status is Status.ACTIVE for e in events.values())


# ------------------------------------------------------------- synthetic: ko/en, lifecycle


def test_synthetic_translations_severity_level_and_lifecycle() -> None:
    parsed = parse(synthetic())
    assert parsed.skipped == []
    events = by_id(parsed)
    assert list(events) == ["line2-signal", "bus-472-detour", "line1-closed", "withdrawn"]

    line2 = events["line2-signal"]
    assert line2.title == "2호선 신호장애로 시청~을지로입구 열차 지연"
    assert line2.description == "신호장애로 열차 운행이 지연되고 있습니다.\n이용에 참고 바랍니다."
    assert line2.translations["en"].title.startswith("Line 2 delays")
    assert line2.translations["en"].description == "Trains are delayed by a signal failure."
    assert line2.severity is Severity.MODERATE  # severity_level WARNING
    assert line2.url == "https://example.seoulmetro.co.kr/notice/2"
    assert iso_utc(line2.sent_at) == "2026-11-29T00:00:00Z"
    assert line2.expires_at is not None and iso_utc(line2.expires_at) == "2026-11-29T03:00:00Z"
    assert line2.extra["route_ids"] == ["2"] and line2.extra["agency_ids"] == ["seoulmetro"]
    assert line2.extra["stop_ids"] == ["0201"] and line2.area_desc == "Routes: 2"

    detour = events["bus-472-detour"]  # no "ko": English ("EN") before the untranslated text
    assert detour.title == "Bus 472 detour" and detour.severity is Severity.MODERATE
    assert iso_utc(detour.sent_at) == "2026-11-28T22:00:00Z" and detour.expires_at is None

    closed = events["line1-closed"]  # its only period ended before the header time
    assert closed.status is Status.EXPIRED and closed.severity is Severity.SEVERE

    withdrawn = events["withdrawn"]  # is_deleted, no period: sent at the header time
    assert withdrawn.status is Status.CANCELLED and withdrawn.severity is Severity.SEVERE
    assert iso_utc(withdrawn.sent_at) == "2026-11-29T00:30:00Z"


def test_language_option_picks_the_board_language() -> None:
    events = by_id(parse(synthetic(), options={"language": "en"}))
    line2 = events["line2-signal"]
    assert line2.title.startswith("Line 2 delays")
    assert line2.translations["ko"].title == "2호선 신호장애로 시청~을지로입구 열차 지연"
    assert events["bus-472-detour"].title == "Bus 472 detour"


def test_untranslated_text_is_used_when_neither_language_is_there() -> None:
    """*synthetic* JSON: MBTA-style list texts, cause_detail as a bare string, no language."""
    doc = {
        "header": {"gtfs_realtime_version": "2.0", "timestamp": "1795912200"},
        "entity": [
            {
                "id": "a1",
                "alert": {
                    "headerText": [{"translation": {"text": "운행 중단"}}],
                    "effect_detail": "STATION_CLOSURE",
                    "effect": "NO_SERVICE",
                    "activePeriod": [{"start": "1795910400"}],
                },
            }
        ],
    }
    event = parse(orjson.dumps(doc)).events[0]
    assert event.title == "운행 중단" and event.severity is Severity.SEVERE
    assert iso_utc(event.sent_at) == "2026-11-29T00:00:00Z"


def test_severity_from_level_beats_effect() -> None:
    """*synthetic*: severity_level INFO on a NO_SERVICE alert → info."""
    doc = {
        "header": {"gtfs_realtime_version": "2.0", "timestamp": 1795912200},
        "entity": [
            {
                "id": "x",
                "alert": {
                    "effect": "NO_SERVICE",
                    "severity_level": "INFO",
                    "header_text": {"translation": [{"text": "t"}]},
                },
            },
            {
                "id": "y",
                "alert": {
                    "effect": "NO_SERVICE",
                    "severity_level": "UNKNOWN_SEVERITY",
                    "header_text": {"translation": [{"text": "t"}]},
                },
            },
        ],
    }
    events = by_id(parse(orjson.dumps(doc)))
    assert events["x"].severity is Severity.INFO
    assert events["y"].severity is Severity.SEVERE


# --------------------------------------------------------------------------- rejections


def test_differential_feeds_are_refused() -> None:
    message = text_format.Parse(
        'header { gtfs_realtime_version: "2.0" incrementality: DIFFERENTIAL timestamp: 1 }',
        rt.FeedMessage(),
    )
    with pytest.raises(FeedRejected, match="DIFFERENTIAL"):
        parse(message.SerializeToString())


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML"),
        (
            b'{"header": {"gtfs_realtime_version": "2.0"}, "entity": [{"id": "1", "al',
            "not valid JSON",
        ),
        (b'[{"id": "1"}]', "got a JSON array"),
        (b'{"entity": []}', "no header"),
        (b'{"header": {"gtfs_realtime_version": "2.0"}, "entity": {"id": "1"}}', "not an array"),
        (b'{"header": {"timestamp": "soon"}}', "bad GTFS-realtime header"),
        (b"\x0a\x05\x0a\x031.0\x12", "not a GTFS-realtime protobuf"),
        (b"hello world", "not a GTFS-realtime protobuf"),
    ],
)
def test_broken_documents_are_rejected(payload: bytes, reason: str) -> None:
    with pytest.raises(FeedRejected, match=reason):
        parse(payload)


def test_truncated_protobuf_is_rejected() -> None:
    payload = (FIXTURES / "gtfs-rt/alerts.pb").read_bytes()
    with pytest.raises(FeedRejected, match="not a GTFS-realtime protobuf FeedMessage"):
        parse(payload[:1000])
    with pytest.raises(FeedRejected):
        parse(payload, options={"format": "json"})  # binary forced through the JSON reader


def test_a_bad_entity_costs_only_itself() -> None:
    """*synthetic* JSON with one good alert and three bad entities."""
    doc = {
        "header": {"gtfs_realtime_version": "2.0", "timestamp": 1795912200},
        "entity": [
            {"id": "ok", "alert": {"header_text": {"translation": [{"text": "fine"}]}}},
            {"id": "text", "alert": "not an object"},
            {"id": "period", "alert": {"active_period": [{"start": "soon"}]}},
            {"alert": {"header_text": {"translation": [{"text": "no id"}]}}},
            {
                "id": "ends-first",
                "alert": {
                    "active_period": [{"start": 20, "end": 10}],
                    "header_text": {"translation": [{"text": "x"}]},
                },
            },
            {"id": "vehicle", "vehicle": {"vehicle": {"id": "v"}}},
            "a string",
        ],
    }
    parsed = parse(orjson.dumps(doc))
    assert [e.event_id for e in parsed.events] == ["gtfs-rt:ok"]
    assert len(parsed.skipped) == 5
    assert parsed.skipped[0].startswith("text: alert is a JSON string")
    assert (
        parsed.skipped[1]
        == "period: alert.active_period.start 'soon' is not a whole number in range"
    )
    assert "entity has no id" in parsed.skipped[2]


def test_a_secondary_field_of_the_wrong_type_costs_only_itself() -> None:
    """Mutation finding: in JSON, one wrongly typed secondary field (a numeric route_id, an
    unknown severity_level word, a cause_detail object) refused the whole alert; now the field
    is dropped with a warning naming it and the alert stays (MBTA's real enhanced JSON)."""
    doc = orjson.loads((FIXTURES / "gtfs-rt/alerts_enhanced.json").read_bytes())
    before = by_id(parse(orjson.dumps(doc)))
    alert = doc["entity"][0]["alert"]
    alert["informed_entity"][0]["route_id"] = 7
    alert["severity_level"] = "CATASTROPHIC"
    alert["cause_detail"] = 12
    parsed = parse(orjson.dumps(doc))
    assert set(by_id(parsed)) == set(before) and parsed.skipped == []
    assert [w for w in parsed.warnings if w.startswith("116292: ")] == [
        "116292: alert.cause_detail is a JSON number, not an object; ignored",
        "116292: alert.informed_entity.route_id is a JSON number, not text; ignored",
        "116292: alert.severity_level 'CATASTROPHIC' is not a SeverityLevel; ignored",
    ]
    doc["entity"][0]["alert"]["active_period"] = [{"start": "soon"}]
    parsed = parse(orjson.dumps(doc))
    assert "gtfs-rt:116292" not in by_id(parsed), "a main time that cannot be read refuses it"


def test_a_translation_whose_language_is_no_tag_is_dropped_with_a_warning() -> None:
    """Mutation finding: a header_text translation in language 'Zzyzx' vanished silently."""
    text = (FIXTURES / "gtfs-rt/synthetic_seoul_ko_en.txtpb").read_text(encoding="utf-8")
    text = text.replace(
        'signal failure)"\n        language: "en"', 'signal failure)"\n        language: "Zzyzx"', 1
    )
    parsed = parse(text_format.Parse(text, rt.FeedMessage()).SerializeToString())
    assert by_id(parsed)["line2-signal"].translations == {}
    assert parsed.warnings == [
        "line2-signal: alert.header_text.translation.language 'Zzyzx' is not a language tag; "
        "ignored"
    ]
