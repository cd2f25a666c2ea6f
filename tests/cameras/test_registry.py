"""The camera registry: a fold of camera entries, nearest first within a radius."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from server.cameras.registry import MAX_CAMERA_RADIUS_M, CameraRegistry
from server.stream.events import CameraMedia, Event
from tests.cameras.builders import CITY_HALL, camera_dict
from tests.conftest import T0


def body(n: int | str, metres: float, **fields: Any) -> dict[str, Any]:
    """A camera as the log stores it (validated, so what the registry folds is real)."""
    data = camera_dict(n, metres, **fields)
    data["event_id"] = f"cams:{data['event_id']}"
    event = Event.model_validate({**data, "source": "cams", "received_at": T0})
    return event.model_dump(mode="json", exclude_none=True)


def ids(found: list[Any]) -> list[str]:
    return [camera.event_id for _, camera in found]


def test_nearest_first_within_the_radius_and_at_most_the_limit() -> None:
    registry = CameraRegistry()
    for n, metres in [(1, 420), (2, 90), (3, 260), (4, 700), (5, 150), (6, 30)]:
        registry.apply(body(n, metres))
    found = registry.nearest(CITY_HALL, 500, 4)
    assert ids(found) == ["cams:cam6", "cams:cam2", "cams:cam5", "cams:cam3"]
    assert [round(d) for d, _ in found] == [30, 90, 150, 260]
    assert ids(registry.nearest(CITY_HALL, 100, 4)) == ["cams:cam6", "cams:cam2"]
    assert ids(registry.nearest(CITY_HALL, 10, 4)) == []


def test_the_nearest_among_many_are_found_without_missing_one() -> None:
    """Enough cameras that the index searches ring by ring: the answer equals measuring all."""
    registry = CameraRegistry()
    for n in range(400):
        registry.apply(body(n, (n * 37) % 4000 + 0.5))
    found = registry.nearest(CITY_HALL, 1000, 4)
    every = sorted(((n * 37) % 4000 + 0.5, n) for n in range(400))
    assert ids(found) == [f"cams:cam{n}" for metres, n in every[:4]]


def test_a_newer_version_moves_a_camera_and_an_ended_one_leaves() -> None:
    registry = CameraRegistry()
    registry.apply(body(1, 50))
    registry.apply(body(1, 3000, version=2))
    assert ids(registry.nearest(CITY_HALL, 500, 4)) == []
    registry.apply(body(1, 60, version=1))  # an older version (the fold and the listener overlap)
    assert ids(registry.nearest(CITY_HALL, 500, 4)) == []
    ended = body(1, 3000, version=3) | {"status": "expired"}
    registry.apply(ended)
    assert registry.cameras == {}
    assert ids(registry.nearest(CITY_HALL, MAX_CAMERA_RADIUS_M, 4)) == []


def test_incidents_and_unreadable_bodies_are_not_cameras() -> None:
    registry = CameraRegistry()
    incident = body(1, 10) | {"kind": "traffic", "category": "traffic.accident"}
    broken = body(2, 10) | {"extra": {"camera": {"hls_url": "ftp://x"}}}
    for value in (incident, broken, None, "camera", {"kind": "camera"}):
        registry.apply(value)
    assert registry.cameras == {}


@pytest.mark.parametrize(
    ("media", "problem"),
    [
        ({}, "a snapshot_url, an mjpeg_url or an hls_url"),
        ({"hls_url": "rtsp://10.0.0.1/live"}, "String should match pattern"),
        ({"snapshot_url": "javascript:alert(1)"}, "String should match pattern"),
        ({"snapshot_url": "http://c/1.jpg", "refresh_seconds": 0.1}, "greater than or equal"),
        ({"mjpeg_url": "http://c/1.mjpg", "stream": "x"}, "Extra inputs are not permitted"),
    ],
)
def test_camera_media_is_validated(media: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        CameraMedia.model_validate(media)


def test_a_camera_event_needs_its_media_and_a_position() -> None:
    data = camera_dict(1, 10) | {"event_id": "cams:cam1", "source": "cams", "received_at": T0}
    with pytest.raises(ValidationError, match="needs a position"):
        Event.model_validate({**data, "geometry": None})
    with pytest.raises(ValidationError, match="valid dictionary"):
        Event.model_validate({**data, "extra": {}})
    assert Event.model_validate(data).extra["camera"]["hls_url"] == "http://cams.test/1.m3u8"
