"""GML 2/3 geometry elements as GeoJSON in lon/lat, in the axis order their srsName says.

GML 2 `gml:coordinates` is "lon,lat lon,lat" unless the srsName says lat lon; GML 3 `gml:pos` and
`gml:posList` under srsName `urn:ogc:def:crs:EPSG::4326` (what Open511 v1 requires, and assumed
when absent) are **lat lon**, as the Open511 reference converter writes them; srsName `EPSG:4326`
or CRS84 means lon lat; any other CRS is refused.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from feeds.kit.xml import child, children, local, text
from server.errors import FeedRejected

# GML axis order by srsName (Open511 v1 mandates the first; GML 2 style uses the second).
LAT_LON_SRS = {
    "urn:ogc:def:crs:EPSG::4326",
    "urn:ogc:def:crs:EPSG:4326",
    "http://www.opengis.net/def/crs/EPSG/0/4326",
}
LON_LAT_SRS = {
    "EPSG:4326",
    "http://www.opengis.net/gml/srs/epsg.xml#4326",
    "CRS:84",
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
}


def gml_geometry(el: Element, srs: str | None = None) -> dict[str, Any]:
    """A GML 2/3 geometry element as GeoJSON in lon/lat (axis order: see the module docstring)."""
    srs = el.get("srsName") or srs
    name = local(el.tag)
    if name == "Point":
        return {"type": "Point", "coordinates": _gml_positions(el, srs, "Point")[0]}
    if name == "LineString":
        return {"type": "LineString", "coordinates": _gml_positions(el, srs, name)}
    if name == "Polygon":
        return {"type": "Polygon", "coordinates": _gml_rings(el, srs)}
    members = {
        "MultiPoint": ("Point", "MultiPoint"),
        "MultiLineString": ("LineString", "MultiLineString"),
        "MultiCurve": ("LineString", "MultiLineString"),
        "MultiPolygon": ("Polygon", "MultiPolygon"),
        "MultiSurface": ("Polygon", "MultiPolygon"),
    }
    if name in members:
        part, geojson_type = members[name]
        parts = [g for g in el.iter() if local(g.tag) == part]
        if not parts:
            raise FeedRejected(f"geography gml:{name} has no gml:{part} members")
        return {
            "type": geojson_type,
            "coordinates": [gml_geometry(p, srs)["coordinates"] for p in parts],
        }
    raise FeedRejected(f"geography gml:{name} is not a supported GML geometry")


def lat_lon_positions(el: Element, what: str) -> list[list[float]]:
    """[lon, lat] positions of an element whose gml:posList (or gml:pos) holds lat lon pairs
    whatever its srsName says: DATEX II v3 `gmlLineString` is WGS 84, latitude first."""
    return _gml_positions(el, None, what)


def _gml_rings(polygon: Element, srs: str | None) -> list[list[list[float]]]:
    rings = []
    for boundary in polygon:
        if local(boundary.tag) in {"exterior", "interior", "outerBoundaryIs", "innerBoundaryIs"}:
            ring = child(boundary, "LinearRing")
            if ring is not None:
                rings.append(_gml_positions(ring, srs, "LinearRing"))
    if not rings:
        raise FeedRejected("geography gml:Polygon has no exterior ring")
    return rings


def _gml_positions(el: Element, srs: str | None, what: str) -> list[list[float]]:
    if srs is not None and srs not in LAT_LON_SRS | LON_LAT_SRS:
        raise FeedRejected(f"geography srsName {srs!r} is not WGS 84 (EPSG:4326)")
    coordinates = child(el, "coordinates")
    if coordinates is not None:  # GML 2 "x,y x,y": lon,lat unless the srsName says lat lon
        pairs = [_numbers(pair.split(","), what)[:2] for pair in text(coordinates).split()]
        if any(len(pair) < 2 for pair in pairs):
            raise FeedRejected(f"geography gml:{what} has a coordinate without x,y")
        return [[p[1], p[0]] for p in pairs] if srs in LAT_LON_SRS else pairs
    pos_list = child(el, "posList")
    values = (
        text(pos_list).split()
        if pos_list is not None
        else [v for p in children(el, "pos") for v in text(p).split()]
    )
    if not values:
        raise FeedRejected(f"geography gml:{what} has no coordinates")
    dim_text = (pos_list.get("srsDimension") if pos_list is not None else None) or "2"
    dim = 3 if dim_text.strip() == "3" else 2
    numbers = _numbers(values, what)
    if len(numbers) % dim:
        raise FeedRejected(f"geography gml:{what} has an odd number of coordinates")
    if srs in LON_LAT_SRS:
        return [[numbers[i], numbers[i + 1]] for i in range(0, len(numbers), dim)]
    return [[numbers[i + 1], numbers[i]] for i in range(0, len(numbers), dim)]  # Open511 v1


def _numbers(values: list[str], what: str) -> list[float]:
    try:
        return [float(v) for v in values]
    except ValueError:
        raise FeedRejected(f"geography gml:{what} has a coordinate that is not a number") from None
