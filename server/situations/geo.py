"""Plane and sphere arithmetic the grouping needs: distances, boxes and convex hulls of lon/lat.

Small and exact enough for a city: haversine for distances, a convex hull (Andrew's monotone
chain) for a situation's area, every result rounded so two folds of one log agree to the byte.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

EARTH_RADIUS_M = 6_371_008.8
COORD_DIGITS = 6  # ~0.1 m: what the wire carries, so hulls never differ in the last bit
MAX_HULL_VERTICES = 64  # a situation's area is a sketch on a wall map, not a survey

LonLat = tuple[float, float]
BBox = tuple[float, float, float, float]  # west, south, east, north


def distance_m(a: LonLat, b: LonLat) -> float:
    """Great-circle distance in metres (haversine)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def positions(geometry: Any) -> list[LonLat]:
    """Every position of a GeoJSON geometry dict as (lon, lat); [] for anything unreadable."""
    if not isinstance(geometry, dict):
        return []
    coords = geometry.get("coordinates")
    depth = {
        "Point": 0,
        "MultiPoint": 1,
        "LineString": 1,
        "MultiLineString": 2,
        "Polygon": 2,
        "MultiPolygon": 3,
    }.get(str(geometry.get("type")))
    if depth is None:
        return []
    items: list[Any] = [coords]
    for _ in range(depth):
        items = [inner for outer in items if isinstance(outer, list) for inner in outer]
    found = []
    for p in items:
        if isinstance(p, list | tuple) and len(p) >= 2 and all(_finite(v) for v in p[:2]):
            found.append((float(p[0]), float(p[1])))
    return found


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def bbox_of(points: Iterable[LonLat]) -> BBox | None:
    """The box around some positions, or None when there are none."""
    pts = list(points)
    if not pts:
        return None
    return (
        min(p[0] for p in pts),
        min(p[1] for p in pts),
        max(p[0] for p in pts),
        max(p[1] for p in pts),
    )


def boxes_overlap(a: BBox, b: BBox) -> bool:
    """True when two boxes share at least a point."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def hull(points: Iterable[LonLat]) -> list[LonLat]:
    """The convex hull, counter-clockwise without repeating the first vertex, at most
    MAX_HULL_VERTICES (evenly thinned past that); fewer than three points come back as they are."""
    pts = sorted({(round(p[0], COORD_DIGITS), round(p[1], COORD_DIGITS)) for p in points})
    if len(pts) < 3:
        return pts

    def cross(o: LonLat, a: LonLat, b: LonLat) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[LonLat] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[LonLat] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    ring = lower[:-1] + upper[:-1]
    if len(ring) > MAX_HULL_VERTICES:
        step = len(ring) / MAX_HULL_VERTICES
        ring = [ring[int(i * step)] for i in range(MAX_HULL_VERTICES)]
    return ring


def area_geometry(vertices: Sequence[LonLat]) -> dict[str, Any] | None:
    """A hull as GeoJSON: a Polygon, or a LineString/Point when the members are too few to
    enclose anything; None without positions."""
    if not vertices:
        return None
    if len(vertices) == 1:
        return {"type": "Point", "coordinates": list(vertices[0])}
    if len(vertices) == 2:
        return {"type": "LineString", "coordinates": [list(v) for v in vertices]}
    ring = [list(v) for v in vertices]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
