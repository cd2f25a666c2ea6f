"""The declarative mapping adapter and the shipped Korean configurations (feeds/configs/).

Every fixture in tests/fixtures/mapping/ is *synthetic* (see its SOURCES.md): no licensed real
response of these Korean APIs exists. The TOPIS fixture carries Seoul City Hall's position in
EPSG:5181 so the reprojection is checked against a landmark.
"""

from __future__ import annotations

import math
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from feeds import registry
from feeds.kit import version_of
from feeds.kit.base import FeedConfig, Parsed, PollingFeed
from server.errors import ConfigError, FeedRejected
from server.stream.events import Event, Kind, Severity, Status, TimeBasis, iso_utc
from tests.conftest import DISTRICTS
from tests.feeds.conftest import FIXTURES, RECEIVED_AT, adapter

CONFIGS = Path(__file__).resolve().parents[2] / "feeds" / "configs"
CITY_HALL = (126.9779, 37.5663)  # Seoul City Hall, lon/lat
CITY_HALL_5181 = (198047.527, 451862.835)  # the same point in EPSG:5181 (in the TOPIS fixture)
FIXTURE_OF = {
    "mois-disaster-text.toml": "mapping/mois-disaster-text.json",
    "seoul-topis-accinfo.toml": "mapping/seoul-topis-accinfo.json",
    "seoul-civil-complaints-open311.toml": "mapping/seoul-civil-complaints-open311.json",
    "korea-its-cctv.toml": "mapping/korea-its-cctv.json",
}


def shipped(name: str) -> dict[str, Any]:
    """One shipped configuration: its single [[feeds]] table."""
    tables = tomllib.loads((CONFIGS / name).read_text(encoding="utf-8"))["feeds"]
    assert len(tables) == 1
    return dict(tables[0])


def build(table: dict[str, Any]) -> PollingFeed:
    """The adapter as `adapter(...)` builds it, with every setting of the shipped table."""
    settings = {k: v for k, v in table.items() if k not in ("adapter", "name")}
    feed = adapter(table["adapter"], **settings)
    assert isinstance(feed, PollingFeed)
    return feed


def run(config: str, fixture: str | None = None) -> Parsed:
    feed = build(shipped(config))
    return feed.parse(
        (FIXTURES / (fixture or FIXTURE_OF[config])).read_bytes(), received_at=RECEIVED_AT
    )


def mapping(payload: bytes, options: dict[str, Any], **config: Any) -> Parsed:
    feed = adapter("mapping", options=options, **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse(payload, received_at=RECEIVED_AT)


def ids(parsed: Parsed) -> list[str]:
    return [e.event_id.split(":", 1)[1] for e in parsed.events]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two lon/lat points (haversine, mean Earth radius)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


# ---------------------------------------------------------------- shipped configurations


def test_every_shipped_configuration_is_listed_here() -> None:
    assert sorted(p.name for p in CONFIGS.glob("*.toml")) == sorted(FIXTURE_OF)


@pytest.mark.parametrize("name", sorted(FIXTURE_OF))
def test_shipped_configuration_loads(name: str) -> None:
    table = shipped(name)
    config = FeedConfig.model_validate(table)  # the [[feeds]] table as the server reads it
    assert config.timezone == "Asia/Seoul"
    assert config.url is not None and config.url.startswith("http")
    assert "KEY" in config.url or "example" in config.url, "a placeholder, never a real key"
    feed = build(table)
    assert type(feed) is registry.load(table["adapter"])
    assert feed.options.model_dump() != type(feed.options)().model_dump()


def test_disaster_text_golden() -> None:
    parsed = run("mois-disaster-text.toml")
    # 900004 (부산광역시 중구) is another city's message: filtered (keep_regions), not skipped
    assert ids(parsed) == ["900001", "900002", "900003", "900005"]
    assert parsed.filtered == [
        "900004: region '부산광역시 중구' names none of our districts nor 서울 "
        "(option keep_regions)"
    ]
    assert parsed.skipped == [
        "900006: time '어제 저녁' matches none of time_format "
        "['%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M:%S.%f']"
    ]
    quake, rain, cold, missing = parsed.events
    assert {e.kind for e in parsed.events} == {Kind.DISASTER}
    assert [e.category for e in parsed.events] == [
        "disaster.earthquake",
        "disaster.heavy_rain",
        "disaster.cold",
        "disaster.other",
    ]
    assert [e.severity for e in parsed.events] == [
        Severity.EXTREME,
        Severity.SEVERE,
        Severity.MINOR,
        Severity.MINOR,
    ]
    assert [e.district for e in parsed.events] == ["11110", "11440", None, "11710"]
    # "2026/11/29 09:12:00" KST == 00:12Z; the nanosecond form parses too
    assert [iso_utc(e.sent_at) for e in parsed.events] == [
        "2026-11-29T00:12:00Z",
        "2026-11-28T23:30:00Z",
        "2026-11-28T22:00:00Z",
        "2026-11-28T21:10:00Z",
    ]
    assert quake.expires_at is not None and iso_utc(quake.expires_at) == "2026-11-29T12:12:00Z"
    assert quake.version == 1795911120 and quake.geometry is None
    assert quake.area_desc == "서울특별시 종로구, 서울특별시 중구"
    assert quake.title == "[행정안전부] 11.29 09:10 서울 종로구 북쪽 2km 지역 규모 4.9 지진 발생"
    assert quake.description.endswith(
        "\n낙하물로부터 몸 보호, 진동 멈춘 후 야외 대피하며 여진 주의"
    )
    assert rain.area_desc == "서울특별시 마포구"
    assert cold.area_desc == "서울특별시 전체"
    assert missing.area_desc == "경기도 성남시 수정구, 서울특별시 송파구"
    assert len(missing.title) == 120 and missing.title.endswith("…")
    assert "\n" not in missing.title and missing.description.endswith("설명에만 남습니다.")


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        (
            {
                "header": {"resultCode": "00", "resultMsg": "NORMAL SERVICE"},
                "totalCount": 0,
                "body": None,
            },
            0,
        ),
        (
            {
                "header": {
                    "resultMsg": "SERVICE KEY IS NOT REGISTERED ERROR",
                    "resultCode": "30",
                    "errorMsg": "등록되지 않은 서비스키",
                },
                "body": None,
            },
            "the source answered '30': 등록되지 않은 서비스키",
        ),
        (
            {"header": {"resultCode": "99", "resultMsg": "UNKNOWN ERROR", "errorMsg": None}},
            "the source answered '99': UNKNOWN ERROR",
        ),
        ({"header": {"resultCode": "00"}, "body": 5}, "body is a JSON number, not an array"),
        ({"header": {"resultCode": "00"}}, "no item list at 'body'"),
    ],
)
def test_disaster_text_result_codes(body: dict[str, Any], outcome: int | str) -> None:
    """*synthetic*: the API's empty and error answers (shapes from public client code)."""
    feed = build(shipped("mois-disaster-text.toml"))
    if isinstance(outcome, int):
        assert len(feed.parse(orjson.dumps(body), received_at=RECEIVED_AT).events) == outcome
    else:
        with pytest.raises(FeedRejected, match=outcome):
            feed.parse(orjson.dumps(body), received_at=RECEIVED_AT)


def test_topis_accidents_golden_with_the_city_hall_landmark() -> None:
    parsed = run("seoul-topis-accinfo.toml")
    assert ids(parsed) == ["990001", "990002", "990003"]
    assert parsed.skipped == ["990004: grs80tm_x/grs80tm_y (abc, 447000) is not numeric"]
    works, crash, rally = parsed.events
    assert [e.category for e in parsed.events] == [
        "traffic.roadwork",
        "traffic.accident",
        "traffic.event",
    ]
    assert [e.severity for e in parsed.events] == [
        Severity.MODERATE,
        Severity.SEVERE,
        Severity.MINOR,
    ]

    # the landmark: City Hall's EPSG:5181 figures come back to its lon/lat within 5 m
    assert works.point is not None
    assert metres(works.point, CITY_HALL) < 5
    feed = build(shipped("seoul-topis-accinfo.toml"))
    assert feed.context.districts.locate(*works.point) == "11140"  # Jung-gu, as the runner sets
    assert crash.point is not None and feed.context.districts.locate(*crash.point) == "11560"
    assert rally.geometry is None and rally.expires_at is None

    assert iso_utc(works.sent_at) == "2026-11-28T23:30:00Z"  # 20261129 083000 KST
    assert works.expires_at is not None and iso_utc(works.expires_at) == "2026-11-29T09:00:00Z"
    assert iso_utc(crash.sent_at) == "2026-11-29T00:15:00Z"  # "0915": HHMM, not 09:01:05
    assert crash.expires_at is not None and iso_utc(crash.expires_at) == "2026-11-29T01:30:00Z"
    assert works.title == "세종대로 서울시청 앞 시설물 보수 작업으로 2개 차로 부분 통제"
    assert works.description.endswith("\n우회 바랍니다")
    assert works.extra == {"acc_type": "A04", "acc_dtype": "04B01", "link_id": "1000000001"}


def test_epsg_5186_would_put_city_hall_100_km_south() -> None:
    """Why 5181: the same TM figures read as EPSG:5186 (false northing 600 000) leave Seoul."""
    point = {
        "id": "x",
        "t": "2026-11-29T09:00:00+09:00",
        "x": CITY_HALL_5181[0],
        "y": CITY_HALL_5181[1],
    }
    fields = {"id": "id", "kind": "traffic", "title": "id", "time": "t", "lon": "x", "lat": "y"}
    for crs, far in (("EPSG:5181", False), ("EPSG:5186", True)):
        [event] = mapping(orjson.dumps([point]), {"fields": {**fields, "crs": crs}}).events
        assert event.point is not None
        assert (metres(event.point, CITY_HALL) > 90_000) is far
        assert (event.point[1] < 37.0) is far


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        ({"RESULT": {"CODE": "INFO-200", "MESSAGE": "해당하는 데이터가 없습니다."}}, 0),
        ({"AccInfo": {"list_total_count": 0, "RESULT": {"CODE": "INFO-000"}, "row": []}}, 0),
        (
            {"RESULT": {"CODE": "ERROR-300", "MESSAGE": "필수 값이 누락되어 있습니다."}},
            "the source answered 'ERROR-300': 필수 값이 누락되어 있습니다.",
        ),
        ({"RESULT": {"CODE": "INFO-100", "MESSAGE": "인증키가 유효하지 않습니다."}}, "'INFO-100'"),
    ],
)
def test_topis_result_codes(body: dict[str, Any], outcome: int | str) -> None:
    """*synthetic*: Seoul Open Data's 'no data' and error answers come without the wrapper."""
    feed = build(shipped("seoul-topis-accinfo.toml"))
    if isinstance(outcome, int):
        assert len(feed.parse(orjson.dumps(body), received_at=RECEIVED_AT).events) == outcome
    else:
        with pytest.raises(FeedRejected, match=outcome):
            feed.parse(orjson.dumps(body), received_at=RECEIVED_AT)


def test_civil_complaints_open311_golden() -> None:
    parsed = run("seoul-civil-complaints-open311.toml")
    assert ids(parsed) == ["SEOUL-2026-000101", "SEOUL-2026-000102", "SEOUL-2026-000103"]
    assert parsed.skipped == ["request #3: no service_request_id (not yet assigned by the server)"]
    parking, light, sinkhole = parsed.events
    assert [e.category for e in parsed.events] == [
        "complaint.illegal_parking",
        "complaint.streetlight",
        "complaint.safety",
    ]
    assert [e.severity for e in parsed.events] == [Severity.MINOR, Severity.MINOR, Severity.SEVERE]
    assert [e.status for e in parsed.events] == [Status.ACTIVE, Status.RESOLVED, Status.ACTIVE]
    assert iso_utc(parking.sent_at) == "2026-11-28T23:05:00Z"  # +09:00 offset
    assert iso_utc(light.sent_at) == "2026-11-28T12:40:00Z"  # naive, read as Asia/Seoul
    assert light.updated_at is not None and iso_utc(light.updated_at) == "2026-11-28T22:30:00Z"
    assert parking.point == (126.9823, 37.5701)  # lat/long given as strings
    assert parking.title == "불법주정차: 소방차 전용구역에 차량이 장시간 주차되어 있습니다."
    assert parking.description == "소방차 전용구역에 차량이 장시간 주차되어 있습니다."
    assert parking.url == "https://example.seoul.go.kr/media/000101.jpg"
    assert sinkhole.geometry is None and sinkhole.district == "11710"  # from its address
    assert light.extra["status_notes"] == "보수 완료"


# ------------------------------------------------------------------ CSV (synthetic, cp949)

CSV_OPTIONS: dict[str, Any] = {
    "format": "csv",
    "csv_encoding": "cp949",
    "fields": {
        "id": "접수번호",
        "kind": "complaint",
        "category": "illegal_parking",
        "title": "{구명} {위반내용}",
        "description": "위반내용",
        "time": ["발생일자", "발생시각"],
        "join_with": " ",
        "time_format": "%Y-%m-%d %H:%M",
        "lon": "경도",
        "lat": "위도",
        "region": "구명",
        "status_path": "처리상태",
        "status_map": {"완료": "resolved"},
    },
}


def test_cp949_csv_with_joined_date_and_time() -> None:
    payload = (FIXTURES / "mapping/ward-parking-cp949.csv").read_bytes()
    parsed = mapping(payload, CSV_OPTIONS, timezone="Asia/Seoul")
    assert parsed.skipped == []
    assert ids(parsed) == ["P-0001", "P-0002", "P-0003"]
    crossing, hydrant, school = parsed.events
    assert {e.category for e in parsed.events} == {"complaint.illegal_parking"}
    assert crossing.point == (127.049, 37.5045)
    assert crossing.district is None, "with a point, the runner locates it on our boundaries"
    assert DISTRICTS.locate(*crossing.point) == "11680"
    assert hydrant.geometry is None and hydrant.district == "11650"
    assert hydrant.status is Status.RESOLVED and crossing.status is Status.ACTIVE
    assert school.geometry is None  # 0,0 is no position
    assert school.title == "서울특별시 강남구 어린이보호구역 주정차, 반복 신고"
    assert [iso_utc(e.sent_at) for e in parsed.events] == [
        "2026-11-28T23:10:00Z",
        "2026-11-28T23:40:00Z",
        "2026-11-29T00:05:00Z",
    ]


def test_csv_in_the_wrong_encoding_says_which_to_set() -> None:
    payload = (FIXTURES / "mapping/ward-parking-cp949.csv").read_bytes()
    with pytest.raises(FeedRejected, match=r"not utf-8 text .* set csv_encoding"):
        mapping(payload, {**CSV_OPTIONS, "csv_encoding": "utf-8"}, timezone="Asia/Seoul")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty document"),
        ("접수번호,구명\nP-1,강남구\nP-2,서", "no column '발생일자'"),
        ("접수번호,발생일자,발생시각\nP-1,2026-11-29,08:10\nP-2,2026-11", "CSV is truncated"),
        ('접수번호,발생일자,발생시각\nP-1,"2026-11-29,08:10\n', "not valid CSV"),
        ("<!DOCTYPE html><html></html>", "HTML or XML page"),
    ],
)
def test_broken_csv_is_rejected(text: str, reason: str) -> None:
    with pytest.raises(FeedRejected, match=reason):
        mapping(text.encode("cp949"), CSV_OPTIONS, timezone="Asia/Seoul")


def test_a_short_csv_row_in_the_middle_is_skipped() -> None:
    text = "접수번호,발생일자,발생시각\nP-1,2026-11-29\nP-2,2026-11-29,08:10\n"
    options = {**CSV_OPTIONS, "fields": {**CSV_OPTIONS["fields"], "title": "접수번호"}}
    parsed = mapping(text.encode("cp949"), options, timezone="Asia/Seoul")
    assert ids(parsed) == ["P-2"]
    assert parsed.skipped == ["row 2: 2 columns, the header has 3"]


# ------------------------------------------------------------------ JSON mapping features

ITEM_FIELDS = {
    "id": "{office}-{no}",
    "kind": "traffic",
    "title": "info.title",
    "time": "at",
    "time_format": "epoch_ms",
    "point": "pos",
    "coordinate_order": "latlon",
    "category_path": "type",
    "category_map": {"WORK": "roadwork"},
    "severity_path": "level",
    "severity_map": {"HIGH": "severe"},
    "status_path": "state",
    "status_map": {"done": "resolved", "void": "cancelled"},
    "url": "https://city.example/r/{no}",
    "version": "rev",
    "extra": {"office": "office"},
}


def test_an_empty_template_is_empty() -> None:
    fields = {
        "id": "{office}-{no}",
        "kind": "traffic",
        "title": "{a} {b}",
        "time": "at",
        "url": "https://city.example/r/{no}",
    }
    rows = [
        {"office": "", "no": "", "a": "t", "at": "2026-11-29T00:00:00Z"},
        {"office": "JN", "no": "", "a": "", "b": "only b", "at": "2026-11-29T00:00:00Z"},
    ]
    parsed = mapping(orjson.dumps(rows), {"fields": fields})
    assert parsed.skipped == ["item #0: no id at '{office}-{no}'"]
    [event] = parsed.events
    assert event.event_id == "mapping:JN-" and event.title == "only b" and event.url is None


def test_templates_paths_maps_and_pairs() -> None:
    """*synthetic*: a nested JSON API exercising every kind of reference."""
    doc = {
        "response": {
            "body": {
                "items": {
                    "item": [
                        {
                            "office": "JN",
                            "no": 7,
                            "info": {"title": "Lane closed\nmore"},
                            "at": 1795910400000,
                            "pos": "37.5663, 126.9779",
                            "type": "work",
                            "level": "high",
                            "state": "done",
                            "rev": 4,
                        },
                        {
                            "office": "JN",
                            "no": 8,
                            "info": {"title": "Other"},
                            "at": "1795910400000",
                            "pos": [37.5, 127.0],
                            "type": "???",
                            "state": "open",
                        },
                    ]
                }
            }
        }
    }
    parsed = mapping(
        orjson.dumps(doc), {"items": "response.body.items.item", "fields": ITEM_FIELDS}
    )
    assert parsed.skipped == []
    first, second = parsed.events
    assert first.event_id == "mapping:JN-7" and first.title == "Lane closed"
    assert first.point == (126.9779, 37.5663)  # "lat, lon" read in latlon order
    assert first.category == "traffic.roadwork"  # "work" matches "WORK" ignoring case
    assert first.severity is Severity.SEVERE and first.status is Status.RESOLVED
    assert first.version == 4 and first.url == "https://city.example/r/7"
    assert iso_utc(first.sent_at) == "2026-11-29T00:00:00Z"
    assert first.extra == {"office": "JN"}
    assert second.category == "traffic.other" and second.severity is Severity.MINOR
    assert second.status is Status.ACTIVE and second.point == (127.0, 37.5)


def test_a_single_item_object_and_an_empty_string_list() -> None:
    """*synthetic*: data.go.kr writes one item as an object and none as ""."""
    fields = {"id": "id", "kind": "complaint", "title": "t", "time": "at"}
    one = {"items": {"item": {"id": "1", "t": "x", "at": "2026-11-29T09:00:00+09:00"}}}
    assert ids(mapping(orjson.dumps(one), {"items": "items.item", "fields": fields})) == ["1"]
    none = {"items": ""}
    assert mapping(orjson.dumps(none), {"items": "items.item", "fields": fields}).events == []
    assert mapping(b'{"items": ""}', {"items": "items", "fields": fields}).events == []


def test_digits_only_times_must_fill_the_pattern() -> None:
    """strptime alone reads '202611290915' with %H%M%S as 09:01:05; that must not pass."""
    fields = {
        "id": "id",
        "kind": "traffic",
        "title": "id",
        "time": ["d", "t"],
        "time_format": "%Y%m%d%H%M%S",
    }
    rows = [{"id": "a", "d": "20261129", "t": "0915"}, {"id": "b", "d": "20261129", "t": "091500"}]
    parsed = mapping(orjson.dumps(rows), {"fields": fields}, timezone="Asia/Seoul")
    assert ids(parsed) == ["b"]
    assert parsed.skipped == ["a: time '202611290915' does not fill the pattern '%Y%m%d%H%M%S'"]


def test_naive_iso_times_without_a_zone_skip_the_item_when_iso_is_configured() -> None:
    fields = {"id": "id", "kind": "traffic", "title": "id", "time": "at", "time_format": "iso"}
    rows = [{"id": "a", "at": "2026-11-29T09:00:00"}, {"id": "b", "at": "2026-11-29T00:00:00Z"}]
    parsed = mapping(orjson.dumps(rows), {"fields": fields})
    assert ids(parsed) == ["b"] and "has no time zone" in parsed.skipped[0]
    assert parsed.warnings == []


def test_without_time_format_a_zoneless_time_is_dated_by_the_fetch() -> None:
    fields = {"id": "id", "kind": "traffic", "title": "id", "time": "at", "expires": "until"}
    rows = [
        {"id": "a", "at": "2026-11-29T09:00:00"},
        {"id": "b", "at": "2026-11-29T00:00:00Z"},
        {"id": "c", "at": "11/29/2026 9:00 AM"},
        {"id": "d", "at": "2026-11-29T00:00:00Z", "until": "soon"},  # not the main time
    ]
    parsed = mapping(orjson.dumps(rows), {"fields": fields})
    a, _, c = parsed.events
    assert [e.time_basis for e in parsed.events] == [
        TimeBasis.FETCHED,
        TimeBasis.SOURCE,
        TimeBasis.FETCHED,
    ]
    assert a.sent_at == a.updated_at == c.sent_at == RECEIVED_AT
    assert a.version == version_of(RECEIVED_AT)
    assert parsed.warnings == [
        "at '2026-11-29T09:00:00' has no time zone: add timezone = \"<Area/City>\" to the feed's "
        "config; fetch time used for 2 events"
    ]
    assert parsed.skipped == [
        "d: until 'soon' is not a time in a layout read without time_format (ISO 8601, RFC 822, "
        "epoch, D/M/YYYY h:mm): set time_format to its strptime pattern"
    ]


def test_city_open_data_times_are_read_without_a_time_format() -> None:
    """Layouts of real city APIs: Socrata floating timestamps (NYC 311), Chicago's month-first
    12-hour clock, an Esri-style epoch in ms, a Korean year-first time."""
    fields = {"id": "id", "kind": "complaint", "title": "id", "time": "created"}
    rows = [
        {"id": "nyc", "created": "2026-11-28T19:15:00.000"},
        {"id": "chi", "created": "11/28/2026 07:15:00 PM"},
        {"id": "esri", "created": 1_795_911_300_000},
        {"id": "kr", "created": "2026/11/28 19:15:00"},
        {"id": "ambiguous", "created": "11/10/2026 07:15:00 PM"},
    ]
    parsed = mapping(orjson.dumps(rows), {"fields": fields}, timezone="America/New_York")
    assert parsed.skipped == []
    times = {e.event_id.split(":")[1]: (e.sent_at, e.time_basis) for e in parsed.events}
    source = datetime(2026, 11, 29, 0, 15, tzinfo=UTC), TimeBasis.SOURCE
    assert times == {
        "nyc": source,
        "chi": source,
        "esri": source,
        "kr": source,
        "ambiguous": (RECEIVED_AT, TimeBasis.FETCHED),
    }
    assert parsed.warnings == [
        "created '11/10/2026 07:15:00 PM' is ambiguous (day-first or month-first): set "
        "time_format, e.g. '%d/%m/%Y %I:%M:%S %p' (day first) or '%m/%d/%Y %I:%M:%S %p' (month "
        "first); fetch time used for 1 event"
    ]


def test_expires_after_hours_and_region_lists() -> None:
    fields = {
        "id": "id",
        "kind": "disaster",
        "title": "id",
        "time": "at",
        "expires_after_hours": 1.5,
        "region": "where",
    }
    rows = [
        {"id": "a", "at": "2026-11-29T00:00:00Z", "where": "종로구 중구"},
        {"id": "b", "at": "2026-11-29T00:00:00Z", "where": "Jung-gu; Mapo-gu"},
    ]
    a, b = mapping(orjson.dumps(rows), {"fields": fields}).events
    assert a.district == "11110" and a.area_desc == "종로구 중구"
    assert b.district == "11140" and b.area_desc == "Jung-gu, Mapo-gu"
    assert a.expires_at is not None and iso_utc(a.expires_at) == "2026-11-29T01:30:00Z"


def test_bad_items_are_skipped() -> None:
    fields = {
        "id": "id",
        "kind": "traffic",
        "title": "t",
        "time": "at",
        "lon": "x",
        "lat": "y",
        "version": "rev",
    }
    rows = [
        {"id": "ok", "t": "fine", "at": "2026-11-29T00:00:00Z"},
        {"t": "no id", "at": "2026-11-29T00:00:00Z"},
        {"id": "no-time", "t": "x"},
        {"id": "no-title", "t": "", "at": "2026-11-29T00:00:00Z"},
        {"id": "far", "t": "x", "at": "2026-11-29T00:00:00Z", "x": 500, "y": 37},
        {"id": "rev", "t": "x", "at": "2026-11-29T00:00:00Z", "rev": "v2"},
        ["not", "an", "object"],
    ]
    parsed = mapping(orjson.dumps(rows), {"fields": fields})
    assert ids(parsed) == ["ok"]
    assert [s.split(":")[0] for s in parsed.skipped] == [
        "item #1",
        "no-time",
        "no-title",
        "far",
        "rev",
        "item #6",
    ]


# ------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty document"),
        (b"<!DOCTYPE html><html><title>502</title></html>", "HTML page"),
        (b"<OpenAPI_ServiceResponse><cmmMsgHeader/></OpenAPI_ServiceResponse>", "got XML"),
        (b'{"header": {"resultCode": "00"}, "body": [{"SN": 1, "CR', "not valid JSON"),
        (b'"body"', "expected a JSON object or array, got a JSON string"),
        (b"[1, 2]", "no item list at 'body'"),
    ],
)
def test_broken_json_is_rejected(payload: bytes, reason: str) -> None:
    feed = build(shipped("mois-disaster-text.toml"))
    with pytest.raises(FeedRejected, match=reason):
        feed.parse(payload, received_at=RECEIVED_AT)


def test_root_that_is_not_a_list() -> None:
    fields = {"id": "id", "kind": "traffic", "title": "id", "time": "at"}
    for payload in (b"5", b"true", b'"text"'):
        with pytest.raises(FeedRejected, match="expected a JSON object or array"):
            mapping(payload, {"fields": fields})
    with pytest.raises(FeedRejected, match=r"rows\.a\.b is a JSON number"):
        mapping(b'{"rows": {"a": {"b": 1}}}', {"items": "rows.a.b", "fields": fields})


def test_unconfigured_mapping_rejects_every_document() -> None:
    with pytest.raises(FeedRejected, match=r"no \[feeds\.options\.fields\] configured"):
        mapping(b"[]", {})


# ----------------------------------------------------------------------- configuration


def test_a_naive_pattern_needs_the_feed_timezone() -> None:
    fields = {"id": "id", "kind": "traffic", "time": "at", "time_format": "%Y%m%d%H%M%S"}
    with pytest.raises(ConfigError, match="set `timezone`"):
        adapter("mapping", options={"fields": fields})
    adapter("mapping", options={"fields": fields}, timezone="Asia/Seoul")
    adapter("mapping", options={"fields": {**fields, "time_format": "%Y%m%d%H%M%S%z"}})


def test_an_unknown_crs_and_a_missing_pyproj_are_config_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fields = {"id": "id", "kind": "traffic", "time": "at", "lon": "x", "lat": "y"}
    with pytest.raises(ConfigError, match="is not a known CRS"):
        adapter("mapping", options={"fields": {**fields, "crs": "EPSG:999999"}})
    monkeypatch.setitem(sys.modules, "pyproj", None)  # import pyproj → ImportError
    with pytest.raises(ConfigError, match="needs pyproj"):
        adapter("mapping", options={"fields": {**fields, "crs": "EPSG:5181"}})
    adapter("mapping", options={"fields": fields})  # WGS84 needs no pyproj


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"fields": {"id": "id", "time": "at"}}, "kind"),
        (
            {"fields": {"id": "id", "kind": "traffic", "time": "at", "category": "flood"}},
            "not one of",
        ),
        (
            {
                "fields": {
                    "id": "id",
                    "kind": "disaster",
                    "time": "at",
                    "category_path": "k",
                    "category_map": {"호우": "rain"},
                }
            },
            "not one of",
        ),
        (
            {
                "fields": {
                    "id": "id",
                    "kind": "traffic",
                    "time": "at",
                    "severity_map": {"a": "severe"},
                }
            },
            "severity_map needs severity_path",
        ),
        ({"fields": {"id": "id", "kind": "traffic", "time": "at", "lon": "x"}}, "lon and lat"),
        (
            {"fields": {"id": "id", "kind": "traffic", "time": "at", "crs": "EPSG:5181"}},
            "no lon/lat or point",
        ),
        (
            {"fields": {"id": "id", "kind": "traffic", "time": "at", "time_format": "yyyymmdd"}},
            "strftime pattern",
        ),
        (
            {
                "fields": {
                    "id": "id",
                    "kind": "traffic",
                    "time": "at",
                    "time_format": ["auto", "iso"],
                }
            },
            "'auto' stands alone",
        ),
        (
            {"fields": {"id": "id", "kind": "traffic", "time": "at", "title_max_chars": "120"}},
            "valid integer",
        ),
        ({"fields": {"id": "id", "kind": "traffic", "time": "at", "titel": "x"}}, "Extra inputs"),
        ({"format": "xml"}, "'json' or 'csv'"),
        ({"csv_encoding": "latin-1"}, "cp949"),
        ({"keep_regions": ["서울"]}, "keep_regions needs fields.region"),
    ],
)
def test_options_are_strict(options: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        adapter("mapping", options=options)


def test_event_model_round_trip_of_a_shipped_config() -> None:
    """What the board stores: the JSON dump of a mapped event validates back unchanged."""
    event = run("mois-disaster-text.toml").events[0]
    assert Event.model_validate_json(event.dump()) == event


@pytest.mark.parametrize("crs", [None, "EPSG:5181"])
@pytest.mark.parametrize("bad", ["nan", "inf", "-Infinity"])
def test_a_non_finite_coordinate_refuses_only_its_item(crs: str | None, bad: str) -> None:
    x, y = CITY_HALL_5181 if crs else CITY_HALL
    rows = [
        {"id": "bad", "t": "2026-11-29T09:00:00+09:00", "x": bad, "y": str(y)},
        {"id": "good", "t": "2026-11-29T09:00:00+09:00", "x": str(x), "y": str(y)},
    ]
    fields = {"id": "id", "kind": "traffic", "title": "id", "time": "t", "lon": "x", "lat": "y"}
    if crs:
        fields["crs"] = crs
    parsed = mapping(orjson.dumps(rows), {"fields": fields})
    assert ids(parsed) == ["good"]
    [reason] = parsed.skipped
    assert f"'{bad}'" in reason and "is not a finite number" in reason, reason
