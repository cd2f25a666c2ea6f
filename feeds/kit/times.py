"""Source times as aware UTC: ISO 8601, RFC 822, epoch numbers, fixed patterns, and the layouts
sources publish without saying which (`read_published_time`).

A naive time is read in the feed's configured zone and refused without one: never guessed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

from feeds.kit.jsondoc import json_type
from server.errors import FeedRejected


class UnreadableTime(FeedRejected):
    """A source time that was not read (no known layout, out of range): an adapter with no
    configured time_format may fall back to the fetch time, marked as such."""


class AmbiguousTime(UnreadableTime):
    """A layout with two readings (03/04/2018: 3 April or 4 March): never guessed."""


class NoTimeZone(UnreadableTime):
    """A naive time and no zone to read it in: the caller may know another zone to try."""


_ADD_ZONE = 'add timezone = "<Area/City>" to the feed\'s config'


def _in_zone(parsed: datetime, shown: str, zone: tzinfo | None, field: str) -> datetime:
    """`parsed` as it is if it carries an offset, else read in the feed's zone (none: refused,
    naming the setting to add); `shown` is the value as the message quotes it."""
    if parsed.tzinfo is not None:
        return parsed
    if zone is None:
        raise NoTimeZone(f"{field} {shown} has no time zone: {_ADD_ZONE}")
    return parsed.replace(tzinfo=zone)


def _from_iso(raw: str) -> datetime:
    """`datetime.fromisoformat`, with a `Z` or `z` suffix read as UTC."""
    return datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))


def parse_time(value: str, *, zone: tzinfo | None = None, field: str = "time") -> datetime:
    """An ISO 8601 time as aware UTC; a naive one only with the feed's configured zone (or
    another zone the caller knows, such as the record's own offset: see `utc_offset_of`).
    A naive time with no zone raises NoTimeZone, a FeedRejected."""
    raw = value.strip()
    try:
        parsed = _from_iso(raw)
    except ValueError:
        raise FeedRejected(f"{field} {raw!r} is not an ISO 8601 time") from None
    parsed = _in_zone(parsed, repr(raw), zone, field)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. year 1 with a positive offset
        raise FeedRejected(f"{field} {raw!r} is out of range") from None


def utc_offset_of(value: str) -> timedelta | None:
    """The UTC offset an ISO 8601 time is written with ("...-04:00" → -4 h, "...Z" → 0); None
    for a naive or unreadable time. A record's own offset can read its naive local times."""
    try:
        return _from_iso(value.strip()).utcoffset()
    except ValueError:
        return None


def parse_rfc822(value: str, *, zone: tzinfo | None = None, field: str = "time") -> datetime:
    """An RFC 822 date (RSS `pubDate`, GDACS) as aware UTC. "-0000" is UTC (RFC 2822 §3.3); a
    date with no zone at all is read in the feed's zone and refused without one, like any naive
    time; a zone name outside RFC 822's few ('KST', 'IST') is refused, not guessed."""
    raw = value.strip()
    match = _RFC822.fullmatch(raw)
    try:
        if match is not None:
            parsed = _rfc822(raw, match.group(1), repr(raw[:60]), field)
        else:
            parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        raise FeedRejected(f"{field} {value!r} is not an RFC 822 date") from None
    return _in_zone(parsed, repr(raw), zone, field).astimezone(UTC)


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
    return _in_zone(parsed, repr(raw), zone, field).astimezone(UTC)


def parse_time_format(
    value: str | int | float, fmt: str, *, zone: tzinfo | None = None, field: str = "time"
) -> datetime:
    """A time in a feed's configured `time_format`: "iso", "rfc822", "epoch_s", "epoch_ms" or a
    `strptime` pattern. A configured format is a promise: a value that breaks it is refused."""
    if fmt == "epoch_s" or fmt == "epoch_ms":
        return from_epoch(value, unit="ms" if fmt == "epoch_ms" else "s", field=field)
    if fmt == "iso":
        return parse_time(str(value), zone=zone, field=field)
    if fmt == "rfc822":
        return parse_rfc822(str(value), zone=zone, field=field)
    return parse_time_pattern(str(value), fmt, zone=zone, field=field)


# ------------------------------------------------------------ times as sources publish them

MAX_TIME_CHARS = 100  # longer text is no time a source publishes: refused before any pattern
EPOCH_MS_ABOVE = 1e11  # an epoch number at least this large is milliseconds (1e11 s: year 5138)
RFC822_ZONES = frozenset(
    {"UT", "UTC", "GMT", "Z", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"}
)

_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_COMPACT_DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:\d{4}|\d{6})?")
_COMPACT_PATTERNS = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_ISO = re.compile(
    r"(\d{4}-?\d\d-?\d\d)[Tt ](\d\d(?::?\d\d){1,2}(?:[.,]\d+)?)"
    r"\s*(Z|z|UTC|GMT|[+-]\d\d(?::?\d\d)?)?"
)
_RFC822 = re.compile(
    r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d\d(?:\d\d)?\s+\d{1,2}:\d\d(?::\d\d)?"
    r"(?:\s+([A-Za-z]+|[+-]\d{4}))?"
)
_CLOCK = r"(\s+|T|,\s*)(\d{1,2}):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?(?:(\s*)([AaPp])\.?[Mm]\.?)?"
_DAY_MONTH = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})" + _CLOCK)
_YEAR_FIRST = re.compile(r"(\d{4})([/.])(\d{1,2})\2(\d{1,2})" + _CLOCK)


def read_published_time(value: object, *, zone: tzinfo | None, field: str) -> datetime:
    """A record's time in any layout sources commonly publish (ISO 8601 and its variants, RFC 822,
    epoch s/ms, D/M/Y or M/D/Y with a time when only one reading is a date) as aware UTC, so a
    feed needs no time_format; else UnreadableTime (AmbiguousTime, NoTimeZone) says why and how
    to fix it. A naive time is read in `zone`, never guessed; a date without a time is refused."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UnreadableTime(f"{field} is a JSON {json_type(value)}, not a time")
    if isinstance(value, float) and not math.isfinite(value):
        raise UnreadableTime(f"{field} {value!r} is not a finite number")
    raw = value.strip() if isinstance(value, str) else str(value)
    shown = repr(raw[:60]) if isinstance(value, str) else repr(value)
    if isinstance(value, str) and len(value) > MAX_TIME_CHARS:
        raise UnreadableTime(f"{field} {shown}… is longer than {MAX_TIME_CHARS} characters")
    if not raw:
        raise UnreadableTime(f"{field} is empty")
    if _COMPACT_DATE.fullmatch(raw) and len(raw) in _COMPACT_PATTERNS:
        raise AmbiguousTime(
            f"{field} {shown} could be a compact date or an epoch number: set time_format, "
            f"e.g. {_COMPACT_PATTERNS[len(raw)]!r} or 'epoch_s'"
        )
    if _NUMBER.fullmatch(raw):
        unit = "ms" if abs(float(raw)) >= EPOCH_MS_ABOVE else "s"
        try:
            return from_epoch(raw, unit=unit, field=field)
        except FeedRejected as exc:
            raise UnreadableTime(exc.message) from None
    parsed = _in_zone(_layout(raw, shown, zone, field), shown, zone, field)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise UnreadableTime(f"{field} {shown} is out of range") from None


def _layout(raw: str, shown: str, zone: tzinfo | None, field: str) -> datetime:
    """`raw` read by the one layout it has, naive if it carries no zone."""
    bad = UnreadableTime(f"{field} {shown} is not a real date and time")
    try:
        if match := _ISO.fullmatch(raw):
            date, clock, offset = match.groups()
            if offset in ("Z", "z", "UTC", "GMT"):
                offset = "+00:00"
            return datetime.fromisoformat(f"{date}T{clock}{offset or ''}")
        if match := _RFC822.fullmatch(raw):
            return _rfc822(raw, match.group(1), shown, field)
        if match := _YEAR_FIRST.fullmatch(raw):
            year, _, month, day = match.groups()[:4]
            return _numeric_date(int(year), int(month), int(day), match.groups()[4:])
        if match := _DAY_MONTH.fullmatch(raw):
            return _day_month(match, shown, zone, field)
    except ValueError:
        raise bad from None
    if _ISO_DATE.fullmatch(raw):
        raise UnreadableTime(
            f"{field} {shown} is a date without a time of day: set time_format "
            "(e.g. '%Y-%m-%d' reads it as midnight)"
        )
    raise UnreadableTime(
        f"{field} {shown} is not a time in a layout read without time_format (ISO 8601, RFC 822, "
        "epoch, D/M/YYYY h:mm): set time_format to its strptime pattern"
    )


def _rfc822(raw: str, zone_name: str | None, shown: str, field: str) -> datetime:
    """An RFC 822/1123 date; a zone name outside RFC 822's few is not guessed ('IST')."""
    if zone_name is not None and zone_name[0] not in "+-" and zone_name.upper() not in RFC822_ZONES:
        raise UnreadableTime(
            f"{field} {shown}: zone {zone_name!r} is not an RFC 822 zone; set time_format with "
            "the zone as literal text and the feed's timezone"
        )
    parsed = parsedate_to_datetime(raw)  # naive without a zone, or with "-0000"
    return parsed.replace(tzinfo=UTC) if zone_name == "-0000" else parsed


def _day_month(match: re.Match[str], shown: str, zone: tzinfo | None, field: str) -> datetime:
    """D/M/Y or M/D/Y: read only when one of the first two numbers is above 12 (or they agree)."""
    first, sep, second, year = match.groups()[:4]
    a, b = int(first), int(second)
    if a <= 12 and b <= 12 and a != b:
        between, _, _, seconds, fraction, space, half = match.groups()[4:]
        clock = f"{between}{'%I' if half else '%H'}:%M{':%S' if seconds else ''}"
        clock += f"{'.%f' if fraction else ''}{f'{space}%p' if half else ''}"
        day_first, month_first = f"%d{sep}%m{sep}%Y{clock}", f"%m{sep}%d{sep}%Y{clock}"
        message = (
            f"{field} {shown} is ambiguous (day-first or month-first): set time_format, e.g. "
            f"{day_first!r} (day first) or {month_first!r} (month first)"
        )
        raise AmbiguousTime(message + (f" and {_ADD_ZONE}" if zone is None else ""))
    day, month = (a, b) if a > 12 else (b, a)
    return _numeric_date(int(year), month, day, match.groups()[4:])


def _numeric_date(year: int, month: int, day: int, clock: tuple[str | Any, ...]) -> datetime:
    """A naive datetime from numbers and a clock match (12-hour when it has AM/PM); ValueError
    when it is no real date and time."""
    _, hours, minutes, seconds, fraction, _, half = clock
    hour = int(hours)
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} on a 12-hour clock")
        hour = hour % 12 + (12 if half in "Pp" else 0)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(year, month, day, hour, int(minutes), int(seconds or 0), micro)


@dataclass
class FetchTimeFallback:
    """The records of one document dated by their fetch because their own time was not read:
    one warning for all of them (bounded however many), naming the first reason and its fix."""

    first: str = ""
    count: int = 0

    def used(self, why: UnreadableTime) -> None:
        """Count one record dated by the fetch time."""
        self.count += 1
        self.first = self.first or why.message

    def warnings(self) -> list[str]:
        """The document's one warning, or none when every time was read."""
        if not self.count:
            return []
        noun = "event" if self.count == 1 else "events"
        return [f"{self.first}; fetch time used for {self.count} {noun}"]
