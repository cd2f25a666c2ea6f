"""Camera events for tests: pushable dicts placed at a distance from a point."""

from __future__ import annotations

import math
from typing import Any

from tests.conftest import T0

CITY_HALL = (126.9779, 37.5663)  # lon, lat


def east_of(point: tuple[float, float], metres: float) -> list[float]:
    """A position `metres` due east of `point` (close enough for a few kilometres)."""
    lon, lat = point
    return [lon + metres / (111_320 * math.cos(math.radians(lat))), lat]


def camera_dict(
    n: int | str, metres: float, *, public: bool = False, version: int = 1, **media: Any
) -> dict[str, Any]:
    """A pushable camera `metres` east of city hall, with an HLS URL unless `media` says."""
    return {
        "event_id": f"cam{n}",
        "version": version,
        "kind": "camera",
        "category": "camera.cctv",
        "severity": "info",
        "title": f"camera {n}",
        "sent_at": T0.isoformat(),
        "geometry": {"type": "Point", "coordinates": east_of(CITY_HALL, metres)},
        "extra": {
            "camera": {"public": public, **(media or {"hls_url": f"http://cams.test/{n}.m3u8"})}
        },
    }
