"""Source times as aware UTC: ISO 8601, RFC 822, epoch numbers and fixed patterns.

A naive time is read in the feed's configured zone and refused without one: never guessed.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime

from server.errors import FeedRejected


class NoTimeZone(FeedRejected):
    """A naive time and no zone to read it in: the caller may know another zone to try."""


def _in_zone(parsed: datetime, raw: str, zone: tzinfo | None, field: str) -> datetime:
    """`parsed` as it is if it carries an offset, else read in the feed's zone (none: refused)."""
    if parsed.tzinfo is not None:
        return parsed
    if zone is None:
        raise NoTimeZone(f"{field} {raw!r} has no time zone and the feed config sets no `timezone`")
    return parsed.replace(tzinfo=zone)


def parse_time(value: str, *, zone: tzinfo | None = None, field: str = "time") -> datetime:
    """An ISO 8601 time as aware UTC; a naive one only with the feed's configured zone (or
    another zone the caller knows, such as the record's own offset: see `utc_offset_of`).
    A naive time with no zone raises NoTimeZone, a FeedRejected."""
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise FeedRejected(f"{field} {raw!r} is not an ISO 8601 time") from None
    parsed = _in_zone(parsed, raw, zone, field)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. year 1 with a positive offset
        raise FeedRejected(f"{field} {raw!r} is out of range") from None


def utc_offset_of(value: str) -> timedelta | None:
    """The UTC offset an ISO 8601 time is written with ("...-04:00" → -4 h, "...Z" → 0); None
    for a naive or unreadable time. A record's own offset can read its naive local times."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed.utcoffset()


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
    """Epoch seconds (`unit='s'`, GTFS-rt) or milliseconds (`unit='ms'`, USGS) as aware UTC.

    NaN and infinities (numbers, or text such as "nan" and "-Infinity") are refused like any
    other bad value: FeedRejected, never a ValueError out of `parse`.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FeedRejected(f"{field} {value!r} is not an epoch number") from None
    if not math.isfinite(number):
        raise FeedRejected(f"{field} {value!r} is not a finite number")
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


def parse_time_pattern(
    value: str, pattern: str, *, zone: tzinfo | None = None, field: str = "time"
) -> datetime:
    """A time in a fixed `strptime` pattern (NSW RFS: '%d/%m/%Y %I:%M:%S %p') as aware UTC.

    As with parse_time, a naive result is read in the feed's zone and refused without one.
    """
    raw = value.strip()
    try:
        parsed = datetime.strptime(raw, pattern)
    except ValueError:
        raise FeedRejected(f"{field} {raw[:60]!r} does not match the pattern {pattern!r}") from None
    return _in_zone(parsed, raw, zone, field).astimezone(UTC)
