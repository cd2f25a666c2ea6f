"""Helpers every adapter shares: times, text, geometry and building a valid Event.

One place for the pitfalls FEEDS.md lists across formats (naive times, epoch units, RFC 822 dates,
lat/lon order, HTML in text), so no adapter copies another's handling of them.
"""

from __future__ import annotations

import html
import math
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson
from pydantic import TypeAdapter, ValidationError

from server.errors import FeedRejected
from server.stream.events import (
    GEOMETRY_DEPTH,
    MAX_DESCRIPTION_CHARS,
    MAX_TITLE_CHARS,
    MAX_URL_CHARS,
    Event,
    Geometry,
)

if TYPE_CHECKING:
    from server.districts import Districts

CIRCLE_SEGMENTS = 32
EARTH_RADIUS_KM = 6371.0088
_TAG = re.compile(r"<[^>]{0,1000}>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_LINE_BREAK = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)


# ------------------------------------------------------------------------------------ time


def parse_time(value: str, *, zone: ZoneInfo | None = None, field: str = "time") -> datetime:
    """An ISO 8601 time as aware UTC; a naive one only with the feed's configured zone."""
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise FeedRejected(f"{field} {raw!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        if zone is None:
            raise FeedRejected(
                f"{field} {raw!r} has no time zone and the feed config sets no `timezone`"
            )
        parsed = parsed.replace(tzinfo=zone)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. year 1 with a positive offset
        raise FeedRejected(f"{field} {raw!r} is out of range") from None


def parse_rfc822(value: str, *, field: str = "time") -> datetime:
    """An RFC 822 date (RSS `pubDate`, GDACS) as aware UTC."""
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        raise FeedRejected(f"{field} {value!r} is not an RFC 822 date") from None
    if parsed.tzinfo is None:  # RFC 822 "-0000" means UTC with unknown local zone
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def from_epoch(value: float | int | str, *, unit: str = "s", field: str = "time") -> datetime:
    """Epoch seconds (`unit='s'`, GTFS-rt) or milliseconds (`unit='ms'`, USGS) as aware UTC."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FeedRejected(f"{field} {value!r} is not an epoch number") from None
    seconds = number / 1000.0 if unit == "ms" else number
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    except OverflowError:
        raise FeedRejected(f"{field} {value!r} is out of range") from None


def version_of(moment: datetime) -> int:
    """A version number from the source's last-change time, for sources with no counter.

    Later changes get larger versions, so the log's older-never-overwrites-newer rule holds.
    """
    return max(1, int(moment.timestamp()))


# ------------------------------------------------------------------------------------ text


def plain_text(value: str | None, *, limit: int = MAX_DESCRIPTION_CHARS) -> str:
    """Text as the board shows it: HTML tags removed, entities decoded, spaces tidied, capped."""
    if not value:
        return ""
    text = html.unescape(_TAG.sub(" ", _LINE_BREAK.sub("\n", value)))
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
    text = _BLANK_LINES.sub("\n\n", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def title_text(value: str | None, fallback: str = "") -> str:
    """A one-line title within the model's limit."""
    text = " ".join(plain_text(value, limit=10 * MAX_TITLE_CHARS).split()) or fallback
    return text if len(text) <= MAX_TITLE_CHARS else text[: MAX_TITLE_CHARS - 1].rstrip() + "…"


# -------------------------------------------------------------------------------- geometry


def latlon_pairs(value: str, *, field: str = "coordinates") -> list[list[float]]:
    """'lat,lon lat,lon …' (CAP polygons, GeoRSS) as GeoJSON [lon, lat] positions."""
    positions = []
    for pair in value.split():
        try:
            lat_text, lon_text = pair.split(",")[:2]
            positions.append([float(lon_text), float(lat_text)])
        except ValueError:
            raise FeedRejected(f"{field} has a bad 'lat,lon' pair: {pair!r}") from None
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


# ------------------------------------------------------------------------------------ json

_BOM = b"\xef\xbb\xbf"


def load_json(payload: bytes, *, what: str = "JSON document") -> Any:
    """Decode a JSON body; empty, HTML, truncated or otherwise invalid bodies raise FeedRejected.

    A leading UTF-8 byte order mark is dropped (orjson refuses it). The caller still checks the
    shape (`isinstance(doc, dict)`): a bare string or number is valid JSON but no feed document.
    """
    body = payload[len(_BOM) :] if payload.startswith(_BOM) else payload
    head = body.lstrip()[:15].lower()
    if not head:
        raise FeedRejected(f"empty document (expected a {what})")
    if head.startswith(b"<"):
        kind = "an HTML page" if head.startswith((b"<!doctype html", b"<html")) else "XML"
        raise FeedRejected(f"got {kind}, expected a {what}")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FeedRejected(f"not valid JSON ({what}): {exc}") from None


# ---------------------------------------------------------------------------------- events


def make_event(source: str, external_id: str, **fields: Any) -> Event:
    """Build and validate one event; a value the model refuses raises FeedRejected for the item.

    Fills `event_id` from source and external id; fields are the Event's own names.
    """
    data = {"event_id": f"{source}:{external_id}", "source": source, **fields}
    try:
        return Event.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        raise FeedRejected(f"item {external_id!r}: {where}: {first['msg']}") from None


# ------------------------------------------------------- JSON, GeoJSON, GeoRSS, links, patterns
# Added with the usgs / geojson / gdacs adapters; NWS, WZDx, Open511 JSON and Open311 need the
# same: a FeatureCollection's features refused clearly, a geometry cut to what the event model
# takes, a link that must not cost the event, GeoRSS 'lat lon', a fixed-pattern local time.

_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}
_GEOMETRY: TypeAdapter[Any] = TypeAdapter(Geometry)
_MAX_COLLECTION_NESTING = 4
_WEB_URL = re.compile(r"^https?://\S+$")


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type ('object', 'array', …) for error messages."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def feature_collection(payload: bytes) -> list[Any]:
    """The `features` of a GeoJSON FeatureCollection body; any other document raises FeedRejected.

    A missing top-level `type` is tolerated when `features` is a list; the items are not checked.
    """
    doc = load_json(payload, what="GeoJSON FeatureCollection")
    if not isinstance(doc, dict):
        raise FeedRejected(
            f"expected a GeoJSON FeatureCollection object, got a JSON {json_type(doc)}"
        )
    kind = doc.get("type", "FeatureCollection")
    if kind != "FeatureCollection":
        raise FeedRejected(f"expected a GeoJSON FeatureCollection, got type {str(kind)[:50]!r}")
    features = doc.get("features")
    if not isinstance(features, list):
        raise FeedRejected(
            f"the FeatureCollection's 'features' is a JSON {json_type(features)}, not an array"
        )
    return features


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


def web_url(value: Any) -> str | None:
    """An http(s) link the event model accepts, else None: a bad link should not cost the event."""
    if not isinstance(value, str):
        return None
    link = value.strip()
    return link if len(link) <= MAX_URL_CHARS and _WEB_URL.match(link) else None


def parse_time_pattern(
    value: str, pattern: str, *, zone: ZoneInfo | None = None, field: str = "time"
) -> datetime:
    """A time in a fixed `strptime` pattern (NSW RFS: '%d/%m/%Y %I:%M:%S %p') as aware UTC.

    As with parse_time, a naive result is read in the feed's zone and refused without one.
    """
    raw = value.strip()
    try:
        parsed = datetime.strptime(raw, pattern)
    except ValueError:
        raise FeedRejected(f"{field} {raw[:60]!r} does not match the pattern {pattern!r}") from None
    if parsed.tzinfo is None:
        if zone is None:
            raise FeedRejected(
                f"{field} {raw!r} has no time zone and the feed config sets no `timezone`"
            )
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


# ------------------------------------------------------- districts named in text, numeric points
# Added with the open311 / mapping adapters; Korean CAP areaDesc, 재난문자 regions and addresses
# name districts the same way: "서울특별시 종로구,서울특별시 중구", "종로구 중구", "Jung-gu".

_SEOUL_PREFIXES = {"서울특별시", "서울시", "서울", "seoul"}
_REGION_PREFIXES = {  # other provinces and metropolitan cities, full and short names
    "부산광역시",
    "대구광역시",
    "인천광역시",
    "광주광역시",
    "대전광역시",
    "울산광역시",
    "세종특별자치시",
    "경기도",
    "강원도",
    "강원특별자치도",
    "충청북도",
    "충청남도",
    "전라북도",
    "전북특별자치도",
    "전라남도",
    "경상북도",
    "경상남도",
    "제주특별자치도",
    "제주도",
    "부산",
    "대구",
    "인천",
    "광주",
    "대전",
    "울산",
    "세종",
    "경기",
    "강원",
    "충북",
    "충남",
    "전북",
    "전남",
    "경북",
    "경남",
    "제주",
}
_REGION_SPLIT = re.compile(r"[,;/|·、\n]+")


def districts_in_text(districts: Districts, text: str) -> list[str]:
    """Codes of the city's districts named in a place text, in order and without repeats.

    Parts are split on commas (and ; / | ·); a part is tried whole ('서울특별시 종로구',
    'Jung-gu', a code), then word by word. A word after another region's name is not ours:
    '부산광역시 중구' is Busan's Jung-gu, never Seoul's; '서울특별시 종로구 중구' names both.
    """
    codes: list[str] = []
    for part in _REGION_SPLIT.split(text or ""):
        whole = districts.by_name(part) if part.strip() else None
        if whole is not None:
            codes.append(whole)
            continue
        foreign = False
        for word in part.split():
            key = word.lower()
            if key in _SEOUL_PREFIXES:
                foreign = False
            elif word in _REGION_PREFIXES or (len(word) > 1 and word.endswith(("시", "군"))):
                foreign = True  # another province, or a city/county outside ours
            elif not foreign and (code := districts.by_name(word)) is not None:
                codes.append(code)
    return list(dict.fromkeys(codes))


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
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise FeedRejected(f"{field} ({str(lon)[:30]}, {str(lat)[:30]}) is not numeric") from None
    if x == 0 and y == 0:
        return None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise FeedRejected(f"{field} lon {x}, lat {y} is out of range")
    return {"type": "Point", "coordinates": [x, y]}
