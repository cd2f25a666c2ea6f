"""The city's districts: which one an event's point falls in, and names for codes.

Boundaries are a GeoJSON FeatureCollection with `code`, `name_ko`, `name_en` properties; Seoul's
25 gu ship in `server/data/` (KOSTAT SGIS 2018, KOGL Type 1 — see `server/data/SOURCES-geo.md`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from server.stream.events import Event

BUNDLED = Path(__file__).with_name("data") / "seoul-districts.geojson"
CITY_KO = "서울특별시"  # how national sources prefix Seoul's districts
CITY_KO_SHORT = "서울"

Ring = list[tuple[float, float]]
MAX_REMEMBERED_POINTS = 65_536  # located points kept: every poll re-sends a feed's positions


@dataclass(frozen=True)
class District:
    """One district: its code, names, and polygons as (outer ring, holes) pairs."""

    code: str
    name_ko: str
    name_en: str
    polygons: tuple[tuple[Ring, tuple[Ring, ...]], ...]
    bbox: tuple[float, float, float, float]

    def contains(self, lon: float, lat: float) -> bool:
        """Point-in-polygon with holes (even-odd ray casting), bounding box first."""
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        return any(
            _in_ring(outer, lon, lat) and not any(_in_ring(h, lon, lat) for h in holes)
            for outer, holes in self.polygons
        )


def _in_ring(ring: Ring, x: float, y: float) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


class Districts:
    """All districts of the configured city, loaded once at start."""

    def __init__(self, geojson: bytes) -> None:
        self.geojson = geojson
        self.items: list[District] = [_district(f) for f in orjson.loads(geojson)["features"]]
        self.by_code = {d.code: d for d in self.items}
        self._remembered: dict[tuple[float, float], str | None] = {}
        self._names: dict[str, str] = {}
        for d in self.items:
            for name in (
                d.code,
                d.name_ko,
                d.name_en,
                d.name_en.lower(),
                f"{CITY_KO} {d.name_ko}",
                f"{CITY_KO_SHORT} {d.name_ko}",
            ):
                self._names[name] = d.code

    @classmethod
    def load(cls, path: Path | None = None) -> Districts:
        """Read boundaries from `path`, or Seoul's bundled ones."""
        return cls((path or BUNDLED).read_bytes())

    def by_name(self, name: str) -> str | None:
        """The code for a district name as sources write it: '종로구', '서울특별시 종로구',
        'Jongno-gu' or the code itself; None when it is not one of ours."""
        key = " ".join(name.split())
        return self._names.get(key) or self._names.get(key.lower())

    def locate(self, lon: float, lat: float) -> str | None:
        """The code of the district containing the point, or None outside the city."""
        key = (lon, lat)
        if key in self._remembered:
            return self._remembered[key]
        if len(self._remembered) >= MAX_REMEMBERED_POINTS:  # forget the oldest
            del self._remembered[next(iter(self._remembered))]
        code = self._remembered[key] = self._search(lon, lat)
        return code

    def _search(self, lon: float, lat: float) -> str | None:
        for district in self.items:
            if district.contains(lon, lat):
                return district.code
        return None

    def fill(self, event: Event) -> Event:
        """The event with the district its point falls in, when the source named none."""
        if event.district is not None or event.point is None:
            return event
        code = self.locate(*event.point)
        return event if code is None else event.model_copy(update={"district": code})


def _district(feature: dict[str, Any]) -> District:
    props, geometry = feature["properties"], feature["geometry"]
    raw = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    polygons = tuple(
        ([(p[0], p[1]) for p in rings[0]], tuple([(p[0], p[1]) for p in h] for h in rings[1:]))
        for rings in raw
    )
    xs = [p[0] for outer, _ in polygons for p in outer]
    ys = [p[1] for outer, _ in polygons for p in outer]
    return District(
        code=str(props["code"]),
        name_ko=props.get("name_ko", ""),
        name_en=props.get("name_en", ""),
        polygons=polygons,
        bbox=(min(xs), min(ys), max(xs), max(ys)),
    )
