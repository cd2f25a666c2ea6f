"""WKT and EWKT geometries (x = longitude) as GeoJSON; an SRID other than 4326 is refused."""

from __future__ import annotations

import re
from typing import Any

from server.errors import FeedRejected

_WKT_TYPES = {
    "POINT": "Point",
    "LINESTRING": "LineString",
    "POLYGON": "Polygon",
    "MULTIPOINT": "MultiPoint",
    "MULTILINESTRING": "MultiLineString",
    "MULTIPOLYGON": "MultiPolygon",
}
_WKT_DEPTH = {
    "Point": 0,
    "LineString": 1,
    "MultiPoint": 1,
    "Polygon": 2,
    "MultiLineString": 2,
    "MultiPolygon": 3,
}
_WKT_HEAD = re.compile(r"^\s*(?:SRID=(\d+)\s*;)?\s*([A-Za-z]+)\s*(ZM|Z|M)?\s*(.*?)\s*$", re.S)
_WKT_TOKEN = re.compile(r"\(|\)|,|[^\s(),]+")


def wkt_geometry(value: str) -> dict[str, Any] | None:
    """A WKT (or EWKT with SRID 4326) geometry, x = longitude, as GeoJSON; EMPTY → None."""
    head = _WKT_HEAD.match(value)
    if head is None or head.group(2).upper() not in _WKT_TYPES:
        raise FeedRejected(f"geometry {value[:40]!r} is not a supported WKT geometry")
    if head.group(1) not in (None, "4326"):
        raise FeedRejected(f"WKT geometry in SRID {head.group(1)}, expected 4326 (lon/lat)")
    kind = _WKT_TYPES[head.group(2).upper()]
    body = head.group(4)
    if body.upper() == "EMPTY":
        return None
    tokens = _WKT_TOKEN.findall(body)
    nested, end = _wkt_group(tokens, 0)
    if end != len(tokens):
        raise FeedRejected("WKT geometry has text after its closing parenthesis")
    if kind == "MultiPoint":  # both "MULTIPOINT (1 2, 3 4)" and "MULTIPOINT ((1 2), (3 4))"
        nested = [p[0] if p and isinstance(p[0], list) else p for p in nested]
    coordinates: Any = nested[0] if kind == "Point" else nested
    if _depth(coordinates) != _WKT_DEPTH[kind]:
        raise FeedRejected(f"WKT {kind} has the wrong nesting of parentheses")
    return {"type": kind, "coordinates": coordinates}


def _wkt_group(tokens: list[str], i: int) -> tuple[list[Any], int]:
    """Parse '(' … ')' from tokens[i]: a list of groups, or a list of positions."""
    if i >= len(tokens) or tokens[i] != "(":
        raise FeedRejected("WKT geometry is missing a '('")
    i += 1
    items: list[Any] = []
    while True:
        if i < len(tokens) and tokens[i] == "(":
            group, i = _wkt_group(tokens, i)
            items.append(group)
        else:
            position: list[float] = []
            while i < len(tokens) and tokens[i] not in {",", ")", "("}:
                position.append(_number(tokens[i]))
                i += 1
            if not 2 <= len(position) <= 4:
                raise FeedRejected("WKT geometry has a position without 2 to 4 numbers")
            items.append(position[:3])
        if i >= len(tokens):
            raise FeedRejected("WKT geometry is truncated (missing ')')")
        if tokens[i] == ")":
            return items, i + 1
        if tokens[i] != ",":
            raise FeedRejected(f"WKT geometry has {tokens[i]!r} where ',' or ')' belongs")
        i += 1


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list) and value and isinstance(value[0], list):
        depth += 1
        value = value[0]
    return depth


def _number(token: str) -> float:
    try:
        return float(token)
    except ValueError:
        raise FeedRejected("geography gml:WKT has a coordinate that is not a number") from None
