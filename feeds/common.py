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
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from feeds.base import FeedRejected
from server.events import MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, Event

CIRCLE_SEGMENTS = 32
EARTH_RADIUS_KM = 6371.0088
_TAG = re.compile(r"<[^>]{0,1000}>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


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
    return parsed.astimezone(UTC)


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
    text = html.unescape(_TAG.sub(" ", value.replace("<br>", "\n").replace("<br/>", "\n")))
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
        lat2 = math.asin(math.sin(lat1) * math.cos(angular)
                         + math.cos(lat1) * math.sin(angular) * math.cos(bearing))
        lon2 = lon1 + math.atan2(math.sin(bearing) * math.sin(angular) * math.cos(lat1),
                                 math.cos(angular) - math.sin(lat1) * math.sin(lat2))
        ring.append([round(math.degrees(lon2), 6), round(math.degrees(lat2), 6)])
    return ring_polygon(ring)


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
