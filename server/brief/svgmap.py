"""The briefing's map as inline SVG: district outlines, situations' areas, events as dots.

Drawn with presentation attributes only (no `style`), so the board's Content-Security-Policy, which
allows no inline style, still lets it show; every text is escaped. Lon/lat are projected plate
carrée with the longitude scaled by cos(latitude) at the city's middle, which is true to shape at a
city's size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from html import escape
from typing import Any

from server.brief.model import MapData
from server.districts import Districts

WIDTH = 720.0  # SVG user units; the page scales it to the column
MARGIN = 12.0
DOT_RADIUS = 4.0
MAX_AREA_POSITIONS = 5_000  # positions of one situation's area drawn; beyond, its box
SEVERITY_COLOURS = {  # print-friendly on white, in the board's order of alarm
    "extreme": "#c81e2e",
    "severe": "#e8700c",
    "moderate": "#d4a900",
    "minor": "#2a7fc4",
    "info": "#7c8792",
}


class Projection:
    """Lon/lat to SVG x/y, fitted to the districts' bounding box."""

    def __init__(self, west: float, south: float, east: float, north: float) -> None:
        self.west, self.north = west, north
        self.squeeze = math.cos(math.radians((south + north) / 2))
        self.scale = (WIDTH - 2 * MARGIN) / max((east - west) * self.squeeze, 1e-9)
        self.height = (north - south) * self.scale + 2 * MARGIN
        self.south, self.east = south, east

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x = MARGIN + (lon - self.west) * self.squeeze * self.scale
        y = MARGIN + (self.north - lat) * self.scale
        return round(x, 1), round(y, 1)

    def covers(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north


def svg_map(data: MapData, districts: Districts, names: dict[str, str], label: str) -> str:
    """The map: `names` are the district labels in the page's language, `label` its title."""
    boxes = [d.bbox for d in districts.items]
    proj = Projection(
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map" role="img" '
        f'viewBox="0 0 {WIDTH:.0f} {proj.height:.0f}" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    for district in districts.items:
        rings = [ring for outer, holes in district.polygons for ring in (outer, *holes)]
        parts.append(
            f'<path d="{_rings_path(rings, proj)}" fill="#f4f6f8" stroke="#5b6670" '
            f'stroke-width="0.8" fill-rule="evenodd"/>'
        )
    for severity, geometry in data.areas:
        parts.extend(_shape(geometry, proj, SEVERITY_COLOURS.get(severity, "#7c8792")))
    for district in districts.items:
        x, y = proj.xy(*_middle(district.polygons[0][0]))
        name = names.get(district.code, district.code)
        parts.append(
            f'<text x="{x}" y="{y}" font-size="9" text-anchor="middle" fill="#39424b">'
            f"{escape(name)}</text>"
        )
    for lon, lat, severity in reversed(data.dots):  # the severest drawn last, on top
        if proj.covers(lon, lat):
            x, y = proj.xy(lon, lat)
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="{DOT_RADIUS}" '
                f'fill="{SEVERITY_COLOURS.get(severity, "#7c8792")}" stroke="#ffffff" '
                f'stroke-width="0.8"><title>{escape(severity)}</title></circle>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _middle(ring: list[tuple[float, float]]) -> tuple[float, float]:
    """Where a district's label goes: the mean of its outer ring (inside for compact shapes)."""
    return (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))


def _rings_path(rings: Any, proj: Projection) -> str:
    return " ".join("M" + " L".join(_xy(proj, p) for p in ring) + " Z" for ring in rings)


def _shape(geometry: dict[str, Any], proj: Projection, colour: str) -> Iterator[str]:
    """One situation's area: polygons shaded, lines stroked, points ringed."""
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if not isinstance(coords, list):
        coords = []
    if kind == "GeometryCollection":
        for part in geometry.get("geometries") or []:
            if isinstance(part, dict):
                yield from _shape(part, proj, colour)
        return
    try:
        if _count(coords) > MAX_AREA_POSITIONS:
            return
        if kind in ("Polygon", "MultiPolygon"):
            rings = coords if kind == "Polygon" else [r for poly in coords for r in poly]
            yield (
                f'<path d="{_rings_path(rings, proj)}" fill="{colour}" fill-opacity="0.25" '
                f'stroke="{colour}" stroke-width="1.5" fill-rule="evenodd"/>'
            )
        elif kind in ("LineString", "MultiLineString"):
            lines = [coords] if kind == "LineString" else coords
            d = " ".join("M" + " L".join(_xy(proj, p) for p in line) for line in lines)
            yield f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
        elif kind in ("Point", "MultiPoint"):
            for p in [coords] if kind == "Point" else coords:
                x, y = proj.xy(p[0], p[1])
                yield (
                    f'<circle cx="{x}" cy="{y}" r="{DOT_RADIUS * 3}" fill="{colour}" '
                    f'fill-opacity="0.2" stroke="{colour}" stroke-width="1.5"/>'
                )
    except (TypeError, IndexError, ValueError):  # a shape the engine should never send: skip it
        return


def _xy(proj: Projection, position: Any) -> str:
    x, y = proj.xy(position[0], position[1])
    return f"{x} {y}"


def _count(coords: Any) -> int:
    """Positions in nested coordinates (numbers at the bottom)."""
    if isinstance(coords, list | tuple) and coords and isinstance(coords[0], int | float):
        return 1
    return sum(_count(c) for c in coords) if isinstance(coords, list | tuple) else 0
