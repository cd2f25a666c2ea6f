"""The period a briefing covers: `--since 8h`, `--until 2026-11-29T09:00+09:00`, as UTC bounds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.errors import BriefError, CityboardError
from server.replay.recording import parse_when

DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
MAX_PERIOD_DAYS = 366  # a briefing longer than a year is a typo, not a shift


@dataclass(frozen=True)
class Period:
    """[start, end) in aware UTC; an entry belongs to it when its commit time `at` does."""

    start: datetime
    end: datetime

    def holds(self, at: datetime) -> bool:
        """True when `at` lies in the period."""
        return self.start <= at < self.end


def parse_duration(text: str) -> timedelta | None:
    """`8h`, `90m`, `1h30m`, `2d`, `45s` as a timedelta; None when `text` is not a duration."""
    match = DURATION.match(text.strip())
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def moment(text: str, now: datetime, flag: str) -> datetime:
    """A flag's time: a duration counts back from `now`, else ISO 8601 with a zone."""
    back = parse_duration(text)
    if back is not None:
        return now - back
    if not re.match(r"^\d{4}-\d\d-\d\d", text.strip()):
        raise BriefError(
            f"{flag} takes a duration such as 8h, 90m or 1h30m, or an ISO 8601 time with a"
            f" zone; got {text!r}"
        )
    try:
        return parse_when(text.strip())
    except CityboardError as exc:  # the recording's words for a bad time, under this flag
        raise BriefError(f"{flag}: {exc.message}") from None


def period(
    since: str, until: str | None, now: datetime, names: tuple[str, str] = ("--since", "--until")
) -> Period:
    """The period from the flags' text; `now` is the wall clock, or a recording's end; `names`
    are the flags (or query parameters) errors speak of."""
    start = moment(since, now, names[0])
    end = moment(until, now, names[1]) if until else now
    if start >= end:
        raise BriefError(f"{names[0]} ({since}) must come before {names[1]} ({until or 'now'})")
    if end - start > timedelta(days=MAX_PERIOD_DAYS):
        raise BriefError(f"the period is longer than {MAX_PERIOD_DAYS} days; narrow {names[0]}")
    return Period(start, end)
