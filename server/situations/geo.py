"""Plane and sphere arithmetic the grouping needs: distances, boxes and convex hulls of lon/lat.

Small and exact enough for a city: haversine for distances, a convex hull (Andrew's monotone
chain) for a situation's area, every result rounded so two folds of one log agree to the byte.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from server.stream.events import GEOMETRY_DEPTH

EARTH_RADIUS_M = 6_371_008.8
COORD_DIGITS = 6  # ~0.1 m: what the wire carries, so hulls never differ in the last bit
MAX_HULL_VERTICES = 64  # a situation's area is a sketch on a wall map, not a survey

LonLat = tuple[float, float]
BBox = tuple[float, float, float, float]  # west, south, east, north


def distance_m(a: LonLat, b: LonLat) -> float:
    """Great-circle distance in metres (haversine); the fold's hottest line, so written out."""
    radians, sin = math.radians, math.sin
    lat1, lat2 = radians(a[1]), radians(b[1])
    h = (
        sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * sin((radians(b[0]) - radians(a[0])) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def position(value: Any) -> LonLat | None:
    """One GeoJSON position as (lon, lat), or None when it is not one."""
    if not isinstance(value, list | tuple) or len(value) < 2:
        return None
    lon, lat = value[0], value[1]
    if type(lon) not in (int, float) or type(lat) not in (int, float):
        return None  # bool is not a coordinate, nor a string
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    return (float(lon), float(lat))


def positions(geometry: Any) -> list[LonLat]:
    """Every position of a GeoJSON geometry dict as (lon, lat); [] for anything unreadable."""
    if not isinstance(geometry, dict):
        return []
    kind = geometry.get("type")
    depth = GEOMETRY_DEPTH.get(kind) if isinstance(kind, str) else None
    if depth is None:
        return []
    items: list[Any] = [geometry.get("coordinates")]
    for _ in range(depth):
        items = [inner for outer in items if isinstance(outer, list) for inner in outer]
    return [p for p in map(position, items) if p is not None]


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
        return pts  # nothing to enclose

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


METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180
RINGS_PER_REACH = 16  # a Nearest's small cells: ~94 m for 1,500 m, a few members each on a flood
MEASURE_ALL_UP_TO = 64  # points in the cells around a place: cheaper measured than searched
RING_MAX_LAT = 85.0  # rings need cells of some width: nearer the poles everything is measured
FLOOR_SLACK_M = 1.0  # taken off each ring's floor: float error and gaps rounded to 0.1 m


class Nearby:
    """Ids by place, so "what lies within `reach_m` of here" looks at a few grid cells instead
    of everything: points in cells `reach_m` tall (their width scaled by the row's latitude),
    areas (which cover what lies inside them, however far) in a plain list searched always."""

    def __init__(self, reach_m: float) -> None:
        self.dlat = reach_m / METRES_PER_DEGREE
        self.order: dict[str, int] = {}  # every id, with the order ties are broken by
        self.areas: dict[str, None] = {}
        self.cells: dict[tuple[int, int], dict[str, None]] = {}
        self.where: dict[str, tuple[int, int]] = {}

    def _cell(self, point: LonLat, row: int | None = None) -> tuple[int, int]:
        if row is None:
            row = math.floor(point[1] / self.dlat)
        scale = math.cos(math.radians(min(89.0, abs((row + 0.5) * self.dlat))))
        return (row, math.floor(point[0] * scale / self.dlat))

    def add(self, id_: str, order: int, point: LonLat | None, is_area: bool) -> None:
        """Index an id at its point, or among the areas (an area, or no point at all)."""
        self.remove(id_)
        self.order[id_] = order
        if is_area or point is None:
            self.areas[id_] = None
            return
        cell = self._cell(point)
        self.cells.setdefault(cell, {})[id_] = None
        self.where[id_] = cell

    def remove(self, id_: str) -> None:
        """Forget an id; nothing happens if it is not indexed."""
        if self.order.pop(id_, None) is None:
            return
        self.areas.pop(id_, None)
        cell = self.where.pop(id_, None)
        if cell is not None:
            ids = self.cells[cell]
            del ids[id_]
            if not ids:
                del self.cells[cell]

    def _around(self, point: LonLat) -> Iterator[dict[str, None]]:
        """The cells that hold every point within reach of `point` (and a few more)."""
        row = math.floor(point[1] / self.dlat)
        for r in (row - 1, row, row + 1):
            _, col = self._cell(point, r)
            for c in range(col - 2, col + 3):  # ±2: a row's scale differs a little from ours
                ids = self.cells.get((r, c))
                if ids:
                    yield ids

    def near(self, point: LonLat | None, is_area: bool) -> list[str]:
        """Ids that may lie within reach (the caller measures), oldest first; every id when the
        question is asked for an area or a place without a point."""
        if not self.order:
            return []
        if is_area or point is None:
            found: list[str] = list(self.order)
        else:
            found = list(self.areas)
            for ids in self._around(point):
                found.extend(ids)
        return sorted(found, key=self.order.__getitem__)


class Nearest(Nearby):
    """A Nearby that also finds the nearest of many points within reach without measuring them
    all: points are kept in small cells too (a reach/RINGS_PER_REACH degree-square grid) and
    searched ring by ring outwards, each ring with the least distance any of its points can be."""

    def __init__(self, reach_m: float) -> None:
        super().__init__(reach_m)
        self.reach = reach_m
        self.step = self.dlat / RINGS_PER_REACH  # degrees, both ways
        self.small: dict[tuple[int, int], dict[str, None]] = {}
        self.small_where: dict[str, tuple[int, int]] = {}

    def add(self, id_: str, order: int, point: LonLat | None, is_area: bool) -> None:
        super().add(id_, order, point, is_area)
        if id_ in self.where:
            assert point is not None
            cell = (math.floor(point[1] / self.step), math.floor(point[0] / self.step))
            self.small.setdefault(cell, {})[id_] = None
            self.small_where[id_] = cell

    def remove(self, id_: str) -> None:
        cell = self.small_where.pop(id_, None)
        if cell is not None:
            ids = self.small[cell]
            del ids[id_]
            if not ids:
                del self.small[cell]
        super().remove(id_)

    def nearest_first(
        self, point: LonLat | None, is_area: bool
    ) -> Iterator[tuple[float, list[str]]]:
        """The ids that may lie within reach (the caller measures) in batches, each with a floor
        no id in it is nearer `point` than (metres, less FLOOR_SLACK_M), floors rising: a caller
        after the nearest stops at a floor past the best it has. Few points, an area or no point:
        one batch, `near`'s. A batch's ids come in no particular order."""
        if not self.order:
            return
        if (
            is_area
            or point is None
            or not (abs(point[1]) <= RING_MAX_LAT and abs(point[0]) <= 180)
            or sum(map(len, self._around(point))) <= MEASURE_ALL_UP_TO
        ):
            yield 0.0, self.near(point, is_area)
            return
        if self.areas:
            yield 0.0, list(self.areas)
        lon, lat = point
        step, small = self.step, self.small
        row, col = math.floor(lat / step), math.floor(lon / step)
        stretch = 1 / math.cos(math.radians(lat))  # columns per row for rings square in metres
        rings, half = 0, 0  # rings searched; their half-width in columns
        while True:
            floor = max(0.0, self._floor(point, row, col, rings, half) - FLOOR_SLACK_M)
            if floor > self.reach:
                return
            wide = math.ceil(rings * stretch)
            west, east = col - wide, col + wide
            found: list[str] = []
            for r in range(row - rings, row + rings + 1):
                if abs(r - row) == rings:
                    columns: Iterable[int] = range(west, east + 1)
                else:  # the rows already searched grow only at both ends
                    columns = (*range(west, col - half), *range(col + half + 1, east + 1))
                for c in columns:
                    ids = small.get((r, c))
                    if ids:
                        found.extend(ids)
            if found:
                yield floor, found
            rings, half = rings + 1, wide

    def _floor(self, point: LonLat, row: int, col: int, rings: int, half: int) -> float:
        """The least distance in metres from `point` to anything outside the rings searched
        (rows row±(rings-1), columns col±half): 0 before the first."""
        if rings == 0:
            return 0.0
        step = self.step
        south, north = (row - rings + 1) * step, (row + rings) * step
        west, east = (col - half) * step, (col + half + 1) * step
        # beyond a row: at least the latitude between (a meridian is the shortest way across)
        by_lat = min(point[1] - south, north - point[1]) * METRES_PER_DEGREE
        # beyond a column but between those rows: haversine's own bound for that longitude
        coolest = max(0.0, min(math.cos(math.radians(south)), math.cos(math.radians(north))))
        shrink = math.sqrt(math.cos(math.radians(point[1])) * coolest)
        d_lon = math.radians(min(point[0] - west, east - point[0]))
        by_lon = 2 * EARTH_RADIUS_M * math.asin(min(1.0, shrink * math.sin(d_lon / 2)))
        return min(by_lat, by_lon)
