"""An Open511 schedule (intervals and recurring rules) as the event's first start and last end."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from feeds.kit import FeedRejected, parse_time
from feeds.open511.record import EventRecord


def schedule(f: EventRecord, zone: tzinfo | None) -> tuple[datetime | None, datetime | None]:
    """(first start, end of the last interval); the end is None when any interval is open."""
    starts: list[datetime] = []
    ends: list[datetime | None] = []
    for interval in f.intervals:
        start_text, sep, end_text = interval.strip().partition("/")
        if not sep or not start_text:
            raise FeedRejected(f"schedule interval {interval!r} is not 'start/end' or 'start/'")
        starts.append(parse_time(start_text, zone=zone, field="schedule interval start"))
        ends.append(
            parse_time(end_text, zone=zone, field="schedule interval end")
            if end_text.strip()
            else None
        )
    for rule in f.recurring:
        first, last = rule.get("start_date", ""), rule.get("end_date", "")
        if not first:
            raise FeedRejected("a recurring schedule without start_date")
        day_start = rule.get("daily_start_time") or "00:00"
        starts.append(parse_time(f"{first}T{day_start}", zone=zone, field="recurring start"))
        if not last:
            ends.append(None)
        elif rule.get("daily_end_time"):
            ends.append(
                parse_time(f"{last}T{rule['daily_end_time']}", zone=zone, field="recurring end")
            )
        else:
            ends.append(parse_time(f"{next_day(last)}T00:00", zone=zone, field="recurring end"))
    start = min(starts) if starts else None
    end = None if not ends or None in ends else max(e for e in ends if e is not None)
    return start, end


def next_day(day: str) -> str:
    """The ISO date after `day` (a schedule that ends on a day ends at the next midnight)."""
    try:
        return (date.fromisoformat(day.strip()) + timedelta(days=1)).isoformat()
    except (ValueError, OverflowError):
        raise FeedRejected(f"{day!r} is not a date (YYYY-MM-DD)") from None
