"""When an officer is on duty: weekly patterns, dated overrides and iCalendar on-call schedules.

All three are wall-clock times in the city's zone (`city_timezone`), turned into UTC intervals for
the days around the moment asked about, so daylight-saving changes never shift a shift:

- a **weekly shift** `mon-fri 09:00-18:00` is on duty from 09:00 to 18:00 local time on those days;
  an end at or before the start runs overnight into the next day (`daily 20:00-08:00`), an end of
  `24:00` means midnight, and the same start and end is a 24-hour shift. As in RFC 5545, a time
  that falls in a spring-forward gap is read with the offset before the gap (02:30 becomes 03:30)
  and an ambiguous autumn time is its first occurrence; a 22:00-06:00 shift is 7 or 9 hours long
  on the nights the clocks change.
- an **override** `2026-03-10 off`, `2026-03-10..2026-03-14 off`, `2026-03-10 18:00-22:00 on` adds
  (`on`) or removes (`off`) duty on those local days; `off` wins over everything else.
- an **iCalendar** schedule (RFC 5545, as PagerDuty, Opsgenie, Google or Outlook export on-call
  shifts): every VEVENT is a span on duty; RRULE/RDATE/EXDATE/RECURRENCE-ID are expanded by
  `recurring-ical-events`; floating and all-day times are read in the city's zone; cancelled events
  are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_A_DAY = 24 * 60
MAX_CALENDAR_BYTES = 256 * 1024
LOOKBACK = timedelta(days=2)  # a shift that began up to this long before `at` is still seen

_TIME = r"(\d{1,2}):(\d{2})"
_SHIFT = re.compile(rf"^\s*(?P<days>\S+)\s+{_TIME}\s*-\s*{_TIME}\s*$")
_OVERRIDE = re.compile(
    r"^\s*(?P<first>\d{4}-\d{2}-\d{2})(?:\.\.(?P<last>\d{4}-\d{2}-\d{2}))?"
    rf"(?:\s+{_TIME}\s*-\s*{_TIME})?\s+(?P<state>on|off)\b\s*(?P<note>.*)$",
    re.IGNORECASE,
)
Span = tuple[datetime, datetime]  # [start, end) in UTC


def _minutes(hours: str, minutes: str, *, allow_24: bool) -> int:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and (m != 0 or not allow_24)):
        raise ValueError(f"{hours}:{minutes} is not a time of day (00:00 to 23:59)")
    return h * 60 + m


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _days(text: str) -> tuple[int, ...]:
    """`mon-fri`, `sat,sun`, `fri-mon` (wraps), `daily` → sorted weekday numbers (Monday 0)."""
    lowered = text.strip().lower()
    if lowered in {"daily", "*"}:
        return tuple(range(7))
    found: set[int] = set()
    for part in lowered.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(
                f"{part.strip()!r} is not a day or range of days"
                " (mon..sun, e.g. mon-fri or sat,sun)"
            )
        a = DAY_NAMES.index(first)
        b = DAY_NAMES.index(last) if last else a
        found.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return tuple(sorted(found))


def _days_text(days: Sequence[int]) -> str:
    if len(days) == 7:
        return "daily"
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(
        f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}"
        if len(r) >= 3
        else ",".join(DAY_NAMES[d] for d in r)
        for r in runs
    )


def _at(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as UTC (a gap time keeps the offset before the gap, an ambiguous
    time is its first occurrence: `fold=0`)."""
    extra, minutes = divmod(minutes, MINUTES_A_DAY)
    local = datetime.combine(
        day + timedelta(days=extra), time(minutes // 60, minutes % 60), tzinfo=zone
    )
    return local.astimezone(UTC)


def _window(day: date, start: int, end: int, zone: ZoneInfo) -> Span | None:
    """The UTC span of a local `start`-`end` window from `day` (overnight if end <= start)."""
    stop = end if end > start else end + MINUTES_A_DAY
    a, b = _at(day, start, zone), _at(day, stop, zone)
    return (a, b) if b > a else None


@dataclass(frozen=True, slots=True)
class WeeklyShift:
    """On duty every listed weekday from `start` to `end` (minutes after local midnight)."""

    days: tuple[int, ...]
    start: int
    end: int

    @classmethod
    def parse(cls, value: Any) -> WeeklyShift:
        """From `"mon-fri 09:00-18:00"` or `{days = ["mon", ...], start = "09:00", end = ...}`."""
        if isinstance(value, WeeklyShift):
            return value
        if isinstance(value, dict):
            unknown = set(value) - {"days", "start", "end"}
            if unknown:
                raise ValueError(
                    f"a shift has days, start and end; not {', '.join(sorted(unknown))}"
                )
            days = value.get("days", "daily")
            days_text = ",".join(days) if isinstance(days, list) else str(days)
            value = f"{days_text} {value.get('start', '')}-{value.get('end', '')}"
        if not isinstance(value, str):
            raise ValueError("a shift is text like 'mon-fri 09:00-18:00'")
        m = _SHIFT.match(value.replace(" - ", "-"))
        if m is None:
            raise ValueError(
                f"shift {value!r} is not like 'mon-fri 09:00-18:00' or 'daily 20:00-08:00'"
            )
        start = _minutes(m.group(2), m.group(3), allow_24=False)
        end = _minutes(m.group(4), m.group(5), allow_24=True)
        return cls(_days(m.group("days")), start, end)

    def __str__(self) -> str:
        return f"{_days_text(self.days)} {_clock(self.start)}-{_clock(self.end)}"

    def spans(self, first: date, last: date, zone: ZoneInfo) -> list[Span]:
        """The shift's UTC spans starting on local days first..last."""
        found = []
        day = first
        while day <= last:
            if day.weekday() in self.days:
                span = _window(day, self.start, self.end, zone)
                if span is not None:
                    found.append(span)
            day += timedelta(days=1)
        return found


@dataclass(frozen=True, slots=True)
class Override:
    """On (`on=True`) or off duty on local days first..last, all day or in a daily window."""

    first: date
    last: date
    on: bool
    start: int | None = None
    end: int | None = None
    note: str = ""

    @classmethod
    def parse(cls, value: Any) -> Override:
        """From `"2026-03-10 off"`, `"2026-03-10..2026-03-12 off leave"`, `"2026-03-10 18:00-22:00
        on"`, or a table `{date, until?, start?, end?, on, note?}`."""
        if isinstance(value, Override):
            return value
        if isinstance(value, dict):
            unknown = set(value) - {"date", "until", "start", "end", "on", "note"}
            if unknown:
                raise ValueError(
                    "an override has date, until, start, end, on and note;"
                    f" not {', '.join(sorted(unknown))}"
                )
            if "date" not in value or "on" not in value:
                raise ValueError("an override needs a date and on = true or false")
            parts = [str(value["date"]) + (f"..{value['until']}" if value.get("until") else "")]
            if value.get("start") or value.get("end"):
                parts.append(f"{value.get('start', '00:00')}-{value.get('end', '24:00')}")
            parts.append("on" if value["on"] is True else "off")
            if value.get("note"):
                parts.append(str(value["note"]))
            value = " ".join(parts)
        if not isinstance(value, str):
            raise ValueError("an override is text like '2026-03-10 off'")
        m = _OVERRIDE.match(value)
        if m is None:
            raise ValueError(
                f"override {value!r} is not like '2026-03-10 off', '2026-03-10..2026-03-14 off'"
                " or '2026-03-10 18:00-22:00 on'"
            )
        try:
            first = date.fromisoformat(m.group("first"))
            last = date.fromisoformat(m.group("last")) if m.group("last") else first
        except ValueError as exc:
            raise ValueError(f"override {value!r}: {exc}") from None
        if last < first:
            raise ValueError(f"override {value!r} ends before it starts")
        if (last - first).days > 366:
            raise ValueError(f"override {value!r} spans more than a year")
        start = end = None
        if m.group(3) is not None:
            start = _minutes(m.group(3), m.group(4), allow_24=False)
            end = _minutes(m.group(5), m.group(6), allow_24=True)
        return cls(
            first, last, m.group("state").lower() == "on", start, end, m.group("note").strip()
        )

    def __str__(self) -> str:
        text = self.first.isoformat()
        if self.last != self.first:
            text += f"..{self.last.isoformat()}"
        if self.start is not None and self.end is not None:
            text += f" {_clock(self.start)}-{_clock(self.end)}"
        text += " on" if self.on else " off"
        return f"{text} {self.note}" if self.note else text

    def spans(self, zone: ZoneInfo) -> list[Span]:
        """The override's UTC spans: each day's window, or the whole days as one span."""
        if self.start is None or self.end is None:
            return [(_at(self.first, 0, zone), _at(self.last + timedelta(days=1), 0, zone))]
        found = []
        day = self.first
        while day <= self.last:
            span = _window(day, self.start, self.end, zone)
            if span is not None:
                found.append(span)
            day += timedelta(days=1)
        return found


# ------------------------------------------------------------------------------ iCalendar


def normalise_calendar(text: str) -> str:
    """Check an iCalendar on-call schedule and return it with plain newlines; ValueError if bad."""
    if len(text.encode()) > MAX_CALENDAR_BYTES:
        raise ValueError(f"calendar is larger than {MAX_CALENDAR_BYTES} bytes")
    text = text.replace("\r\n", "\n").strip() + "\n"
    try:
        calendar = _parse_calendar(text)
    except Exception as exc:  # icalendar raises ValueError and friends with terse messages
        raise ValueError(f"calendar is not valid iCalendar (RFC 5545): {exc}") from None
    events = list(calendar.walk("VEVENT"))
    if not events:
        raise ValueError("calendar has no VEVENT (each on-call shift is a VEVENT)")
    for event in events:
        if event.get("DTSTART") is None:
            raise ValueError(f"calendar event {str(event.get('UID', '?'))!r} has no DTSTART")
    try:  # expand once around now, so a bad RRULE fails at import rather than on the board
        now = datetime.now(UTC)
        recurring_ical_events.of(calendar).between(now - timedelta(days=1), now + timedelta(days=1))
    except Exception as exc:
        raise ValueError(f"calendar recurrence cannot be expanded: {exc}") from None
    return text


@lru_cache(maxsize=1024)
def _parse_calendar(text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(text)


def _to_utc(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)
    if value.tzinfo is None:  # floating time: the city's wall clock
        return value.replace(tzinfo=zone).astimezone(UTC)
    return value.astimezone(UTC)


def calendar_spans(text: str, lo: datetime, hi: datetime, zone: ZoneInfo) -> list[Span]:
    """On-duty spans of an iCalendar schedule that overlap [lo, hi), in UTC."""
    calendar = _parse_calendar(text)
    found = []
    for event in recurring_ical_events.of(calendar).between(lo - LOOKBACK, hi + LOOKBACK):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start_value = event["DTSTART"].dt
        if event.get("DTEND") is not None:
            end_value = event["DTEND"].dt
        elif event.get("DURATION") is not None:
            end_value = start_value + event["DURATION"].dt
        elif isinstance(start_value, datetime):
            continue  # an instant, not a span on duty
        else:
            end_value = start_value + timedelta(days=1)
        start, end = _to_utc(start_value, zone), _to_utc(end_value, zone)
        if end > start and end > lo and start < hi:
            found.append((start, end))
    return found


# ---------------------------------------------------------------------------- resolution


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans; touching spans join (a handover without a gap)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(spans: list[Span], holes: list[Span]) -> list[Span]:
    """`spans` with every part inside `holes` removed (both merged)."""
    result: list[Span] = []
    for start, end in spans:
        pieces = [(start, end)]
        for h_start, h_end in holes:
            cut: list[Span] = []
            for a, b in pieces:
                if h_end <= a or h_start >= b:
                    cut.append((a, b))
                    continue
                if a < h_start:
                    cut.append((a, h_start))
                if h_end < b:
                    cut.append((h_end, b))
            pieces = cut
        result.extend(pieces)
    return result


@dataclass(frozen=True, slots=True)
class Duty:
    """An officer's duty at one moment: on now (until when), and when the next shift starts."""

    on_duty: bool
    until: datetime | None  # None while on duty: beyond the lookahead (or unknown)
    next_start: datetime | None  # the next shift's start after `at` (after `until` when on duty)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Everything that says when one officer is on duty."""

    shifts: tuple[WeeklyShift, ...] = ()
    overrides: tuple[Override, ...] = ()
    calendar: str | None = None

    @property
    def empty(self) -> bool:
        return not self.shifts and not self.overrides and self.calendar is None

    def spans(self, lo: datetime, hi: datetime, zone: ZoneInfo) -> list[Span]:
        """Merged on-duty spans overlapping [lo, hi), in UTC."""
        first = lo.astimezone(zone).date() - timedelta(days=1)
        last = hi.astimezone(zone).date() + timedelta(days=1)
        on: list[Span] = [s for shift in self.shifts for s in shift.spans(first, last, zone)]
        if self.calendar is not None:
            on.extend(calendar_spans(self.calendar, lo, hi, zone))
        on.extend(s for o in self.overrides if o.on for s in o.spans(zone))
        off = merge(s for o in self.overrides if not o.on for s in o.spans(zone))
        return [s for s in subtract(merge(on), off) if s[1] > lo and s[0] < hi]

    def duty(self, at: datetime, zone: ZoneInfo, lookahead: timedelta) -> Duty:
        """On duty at `at`? Until when, and when does the next shift start (within lookahead)?"""
        if self.empty:
            return Duty(False, None, None)
        hi = at + lookahead
        spans = self.spans(at - LOOKBACK, hi, zone)
        current = next((s for s in spans if s[0] <= at < s[1]), None)
        upcoming = next((s[0] for s in spans if s[0] > at), None)
        if current is None:
            return Duty(False, None, upcoming)
        until = current[1] if current[1] < hi else None
        return Duty(True, until, upcoming)
