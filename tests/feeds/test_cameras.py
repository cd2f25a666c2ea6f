"""The `cameras` adapter (GeoJSON and CSV camera lists) and cameras through the `mapping`
adapter (the shipped Korea ITS CCTV configuration): what is kept, warned and refused."""

from __future__ import annotations

from typing import Any

import pytest

from feeds.kit import FeedRejected
from feeds.kit.base import Parsed, PollingFeed
from tests.feeds.conftest import RECEIVED_AT, adapter, parse_fixture
from tests.feeds.test_mapping import run


def media(parsed: Parsed) -> dict[str, dict[str, Any]]:
    return {e.event_id: e.extra["camera"] for e in parsed.events}


def cameras(payload: bytes, **options: Any) -> Parsed:
    feed = adapter("cameras", options=options)
    assert isinstance(feed, PollingFeed)
    return feed.parse(payload, received_at=RECEIVED_AT)


def test_a_geojson_camera_list() -> None:
    parsed = parse_fixture("cameras", "cameras/seoul-cameras.geojson")
    assert media(parsed) == {
        "cameras:cctv-0001": {
            "hls_url": "https://cctv.example.go.kr/live/0001/index.m3u8",
            "public": True,
        },
        "cameras:cctv-0002": {
            "mjpeg_url": "https://cctv.example.go.kr/mjpeg/0002",
            "snapshot_url": "https://cctv.example.go.kr/snap/0002.jpg",
            "refresh_seconds": 10.0,
            "public": False,
        },
        "cameras:cctv-0003": {
            "snapshot_url": "https://cctv.example.go.kr/snap/0003.jpg",
            "public": True,
        },
        "cameras:cctv-0006": {
            "hls_url": "https://cctv.example.go.kr/live/0006/index.m3u8",
            "mjpeg_url": "https://cctv.example.go.kr/mjpeg/0006",
            "public": False,
        },
    }
    first = parsed.events[0]
    assert (first.kind, first.category, first.severity) == ("camera", "camera.cctv", "info")
    assert first.title == "시청앞 교차로 (City Hall crossing)"
    assert first.point == (126.9769, 37.5664)
    assert first.time_basis == "fetched" and first.sent_at == RECEIVED_AT
    assert parsed.events[-1].title == "cctv-0006", "no name: the id names it"
    assert parsed.skipped == [
        "camera cctv-0004: hls_url 'rtsp://10.20.0.4:554/stream1' is not an http(s) URL a"
        " browser can play",
        "camera cctv-0005: no position: a camera needs a Point (lon, lat)",
    ]
    assert parsed.warnings == [
        "camera cctv-0003: refresh_seconds 'fast' is not a number; the server's default is used",
        "camera cctv-0006: name missing; the id names the camera",
        "camera cctv-0006: public 'maybe' is not true or false; the camera stays private",
    ]


def test_a_csv_camera_list() -> None:
    parsed = parse_fixture("cameras", "cameras/seoul-cameras.csv")
    assert media(parsed) == {
        "cameras:cctv-1001": {
            "snapshot_url": "https://cctv.example.go.kr/snap/1001.jpg",
            "refresh_seconds": 5.0,
            "public": True,
        },
        "cameras:cctv-1002": {
            "mjpeg_url": "https://cctv.example.go.kr/mjpeg/1002",
            "public": False,
        },
        "cameras:cctv-1003": {
            "hls_url": "https://cctv.example.go.kr/live/1003/index.m3u8",
            "public": False,
        },
    }
    assert parsed.events[0].title == "청계광장, 동측"
    assert parsed.events[0].point == (126.9789, 37.5692)
    assert [reason.split(":")[0] for reason in parsed.skipped] == [
        "camera cctv-1004",
        "camera cctv-1005",
    ]
    assert "no media URL" in parsed.skipped[1]


def test_the_public_option_covers_cameras_that_do_not_say() -> None:
    payload = b"id,name,lat,lon,snapshot_url\nc1,One,37.5,126.9,http://c/1.jpg\n"
    assert media(cameras(payload))["cameras:c1"]["public"] is False
    assert media(cameras(payload, public=True))["cameras:c1"]["public"] is True


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty document"),
        (b"<html>login</html>", "HTML"),
        (b"name,lat,lon\nx,1,2\n", "no column 'id'"),
        (b'{"type": "FeatureCollection", "features": "x"}', "features"),
        (b"id,lat,lon,hls_url\nc1,37.5,126.9,ftp://x/1.m3u8\n", "none of the 1 rows could be used"),
    ],
)
def test_an_unusable_list_is_rejected_whole(payload: bytes, reason: str) -> None:
    with pytest.raises(FeedRejected, match=reason):
        cameras(payload)


def test_cameras_from_the_korea_its_cctv_service_through_mapping() -> None:
    parsed = run("korea-its-cctv.toml")
    assert [e.title for e in parsed.events] == [
        "[올림픽대로] 한남대교남단",
        "[올림픽대로] 여의상류IC",
        "[강남대로] 강남역",
    ]
    hannam = parsed.events[0]
    assert (hannam.kind, hannam.category, hannam.severity) == ("camera", "camera.cctv", "info")
    assert hannam.point == (126.9952, 37.5271)
    assert hannam.extra == {
        "camera": {
            "hls_url": "https://cctvsec.example.go.kr/cctv/live/hannam-s/playlist.m3u8",
            "public": False,
        }
    }
    assert hannam.time_basis == "fetched", "the service dates nothing: the fetch does"
    assert len(parsed.skipped) == 2
    assert "rtsp://" in parsed.skipped[1] and "http(s) URL" in parsed.skipped[1]


def test_a_camera_mapping_needs_its_media_table() -> None:
    fields = {"id": "n", "kind": "camera", "lon": "x", "lat": "y"}
    with pytest.raises(Exception, match="go together"):
        adapter("mapping", options={"fields": fields})
    with pytest.raises(Exception, match="at least one of"):
        adapter("mapping", options={"fields": {**fields, "camera": {"public": True}}})
    with pytest.raises(Exception, match="time is needed"):
        adapter("mapping", options={"fields": {"id": "n", "kind": "traffic"}})
