"""CAP and GeoRSS shapes as GeoJSON: `lat,lon` polygons, circles in km, GeoRSS points and polygons.

CAP writes latitude first; every shape here comes out as GeoJSON [lon, lat].
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from feeds.kit import FeedRejected, circle_polygon, finite_float, latlon_pairs, ring_polygon

MAX_CIRCLE_KM = 5000.0  # a larger "circle" is a mistake, not an alert area


def polygon_shape(raw: str, *, where: str = "<polygon>") -> dict[str, Any]:
    """A CAP polygon ('lat,lon lat,lon …', a closed ring) as a GeoJSON Polygon."""
    if not raw.strip():
        raise FeedRejected(f"{where} is empty")
    polygon = ring_polygon(latlon_pairs(raw, field=where))
    if len(polygon["coordinates"][0]) < 4:
        raise FeedRejected(f"{where} has fewer than 3 distinct points")
    return polygon


def circle_shape(raw: str, *, where: str = "<circle>") -> dict[str, Any]:
    """A CAP circle ('lat,lon radius_km') as a polygon; radius 0 gives the centre Point."""
    parts = raw.split()
    if len(parts) != 2:
        raise FeedRejected(f"{where} {raw.strip()[:60]!r} is not 'lat,lon radius_km'")
    [[lon, lat]] = latlon_pairs(parts[0], field=where)
    radius = finite_float(parts[1], field=f"{where} radius")
    if not 0 <= radius <= MAX_CIRCLE_KM:
        raise FeedRejected(
            f"{where} radius {parts[1][:20]!r} is not between 0 and {MAX_CIRCLE_KM:g} km"
        )
    return circle_polygon(lat, lon, radius)


def combine_shapes(shapes: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """One geometry for several shapes: one polygon → Polygon, several → MultiPolygon.

    Points (zero-radius circles) are used only when there is no polygon: Point or MultiPoint.
    """
    shapes = list(shapes)
    polygons = [s["coordinates"] for s in shapes if s["type"] == "Polygon"]
    if polygons:
        if len(polygons) == 1:
            return {"type": "Polygon", "coordinates": polygons[0]}
        return {"type": "MultiPolygon", "coordinates": polygons}
    points = [s["coordinates"] for s in shapes if s["type"] == "Point"]
    if len(points) == 1:
        return {"type": "Point", "coordinates": points[0]}
    if points:
        return {"type": "MultiPoint", "coordinates": points}
    return None
