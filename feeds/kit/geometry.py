"""Source geometries as the event model's GeoJSON (lon/lat): GeoJSON, GeoRSS, lat/lon text, circles.

Every reader returns a plain GeoJSON dict in [lon, lat] order, or raises FeedRejected for a
geometry that is present but unusable, so the item is skipped rather than drawn in the wrong place.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import TypeAdapter, ValidationError

from feeds.kit.jsondoc import json_type
from feeds.kit.numbers import finite_float
from server.errors import FeedRejected
from server.stream.events import GEOMETRY_DEPTH, Geometry

CIRCLE_SEGMENTS = 32
EARTH_RADIUS_KM = 6371.0088
_GEOMETRY: TypeAdapter[Any] = TypeAdapter(Geometry)
_MAX_COLLECTION_NESTING = 4


def latlon_pairs(value: str, *, field: str = "coordinates") -> list[list[float]]:
    """'lat,lon lat,lon …' (CAP polygons, GeoRSS) as GeoJSON [lon, lat] positions."""
    positions = []
    for pair in value.split():
        try:
            lat_text, lon_text = pair.split(",")[:2]
        except ValueError:
            raise FeedRejected(f"{field} has a bad 'lat,lon' pair: {pair!r}") from None
        try:
            lon, lat = finite_float(lon_text), finite_float(lat_text)
        except FeedRejected as exc:
            raise FeedRejected(
                f"{field} has a bad 'lat,lon' pair {pair[:60]!r}: {exc.message}"
            ) from None
        positions.append([lon, lat])
    return positions


def ring_polygon(positions: list[list[float]]) -> dict[str, Any]:
    """A GeoJSON Polygon from one ring, closing it when the source left it open."""
    if positions and positions[0] != positions[-1]:
        positions = [*positions, positions[0]]
    return {"type": "Polygon", "coordinates": [positions]}


def circle_polygon(lat: float, lon: float, radius_km: float) -> dict[str, Any]:
    """A circle (CAP `circle`) as a polygon of CIRCLE_SEGMENTS sides, on a spherical Earth."""
    if radius_km <= 0:
        return {"type": "Point", "coordinates": [lon, lat]}
    ring = []
    angular = radius_km / EARTH_RADIUS_KM
    lat1, lon1 = math.radians(lat), math.radians(lon)
    for i in range(CIRCLE_SEGMENTS):
        bearing = 2 * math.pi * i / CIRCLE_SEGMENTS
        lat2 = math.asin(
            math.sin(lat1) * math.cos(angular)
            + math.cos(lat1) * math.sin(angular) * math.cos(bearing)
        )
        lon2 = lon1 + math.atan2(
            math.sin(bearing) * math.sin(angular) * math.cos(lat1),
            math.cos(angular) - math.sin(lat1) * math.sin(lat2),
        )
        ring.append([round(math.degrees(lon2), 6), round(math.degrees(lat2), 6)])
    return ring_polygon(ring)


def _flat_positions(coords: Any, depth: int, field: str) -> Any:
    if depth == 0:
        if (
            not isinstance(coords, list)
            or len(coords) < 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords[:2])
        ):
            raise FeedRejected(f"{field} has a bad position {str(coords)[:60]} (want [lon, lat])")
        return [float(coords[0]), float(coords[1])]
    if not isinstance(coords, list):
        raise FeedRejected(f"{field} coordinates are a JSON {json_type(coords)}, not an array")
    return [_flat_positions(c, depth - 1, field) for c in coords]


def geojson_geometry(
    value: Any, *, field: str = "geometry", _nesting: int = 0
) -> dict[str, Any] | None:
    """A source's GeoJSON geometry as the event model takes it, or None when there is none.

    Positions keep [lon, lat] only (a third value is altitude or, for USGS, depth); a
    GeometryCollection becomes its first usable member (None if it is empty). A geometry that is
    present but unusable (unknown type, bad numbers, out of range, open ring) raises FeedRejected,
    so the item is skipped with the reason rather than drawn in the wrong place.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise FeedRejected(f"{field} is a JSON {json_type(value)}, not a GeoJSON geometry object")
    kind = value.get("type")
    if kind == "GeometryCollection":
        members = value.get("geometries")
        if not isinstance(members, list):
            raise FeedRejected(f"{field} GeometryCollection has no 'geometries' array")
        if _nesting >= _MAX_COLLECTION_NESTING:
            raise FeedRejected(f"{field} nests GeometryCollections too deeply")
        reasons = []
        for i, member in enumerate(members):
            try:
                found = geojson_geometry(
                    member, field=f"{field}.geometries[{i}]", _nesting=_nesting + 1
                )
            except FeedRejected as exc:
                reasons.append(exc.message)
                continue
            if found is not None:
                return found
        if reasons:
            raise FeedRejected(f"{field} GeometryCollection has no usable member; {reasons[0]}")
        return None
    if not isinstance(kind, str) or kind not in GEOMETRY_DEPTH:
        raise FeedRejected(f"{field} type {str(kind)[:40]!r} is not a GeoJSON geometry type")
    geometry = {
        "type": kind,
        "coordinates": _flat_positions(value.get("coordinates"), GEOMETRY_DEPTH[kind], field),
    }
    try:
        _GEOMETRY.validate_python(geometry)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise FeedRejected(f"{field}: {first['msg']}") from None
    return geometry


def georss_point(value: str, *, field: str = "georss:point") -> dict[str, Any]:
    """A GeoRSS-Simple `<georss:point>` ('lat lon', space separated, latitude FIRST) as a Point."""
    parts = value.split()
    try:
        lat, lon = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        lat = lon = math.nan
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise FeedRejected(f"{field} {value[:60]!r} is not 'lat lon' in range")
    return {"type": "Point", "coordinates": [lon, lat]}


def lonlat_point(lon: Any, lat: Any, *, field: str = "position") -> dict[str, Any] | None:
    """A GeoJSON Point from longitude and latitude given as numbers or numeric strings.

    None when either is missing or empty, or both are 0 (the usual 'no location' filler); a value
    that is not a number or is out of range raises FeedRejected (a swapped or garbled position).
    """
    if (
        lon is None
        or lat is None
        or (isinstance(lon, str) and not lon.strip())
        or (isinstance(lat, str) and not lat.strip())
    ):
        return None
    try:
        if isinstance(lon, bool) or isinstance(lat, bool):
            raise ValueError
        float(lon), float(lat)
    except (TypeError, ValueError):
        raise FeedRejected(f"{field} ({str(lon)[:30]}, {str(lat)[:30]}) is not numeric") from None
    x, y = finite_float(lon, field=f"{field} lon"), finite_float(lat, field=f"{field} lat")
    if x == 0 and y == 0:
        return None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise FeedRejected(f"{field} lon {x}, lat {y} is out of range")
    return {"type": "Point", "coordinates": [x, y]}
