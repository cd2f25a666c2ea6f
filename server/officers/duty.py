"""Who is on duty for a district and kind at a moment, who is next, and the escalation order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from server.officers.model import Level, Officer, order_key
from server.officers.shifts import Duty
from server.stream.events import iso_utc


@dataclass(frozen=True)
class OnDuty:
    """Who answers for a district and kind at one moment."""

    at: datetime
    district: str | None
    kind: str | None
    category: str | None
    now: list[tuple[Officer, Duty]]
    next: list[tuple[Officer, Duty]]
    escalation: list[tuple[Officer, Duty]]

    def as_json(self, *, contact: bool = True) -> dict[str, Any]:
        return {
            "at": iso_utc(self.at),
            "district": self.district,
            "kind": self.kind,
            "category": self.category,
            "now": [o.public(d, contact=contact) for o, d in self.now],
            "next": [o.public(d, contact=contact) for o, d in self.next],
            "escalation": [o.public(d, contact=contact) for o, d in self.escalation],
        }


def duty_of(officer: Officer, at: datetime, zone: ZoneInfo, lookahead: timedelta) -> Duty:
    """The officer's duty at `at`."""
    return officer.schedule.duty(at, zone, lookahead)


def resolve(
    officers: Iterable[Officer],
    *,
    at: datetime,
    zone: ZoneInfo,
    lookahead: timedelta,
    district: str | None = None,
    kind: str | None = None,
    category: str | None = None,
) -> OnDuty:
    """Who is on duty now, who takes over next, and the escalation chain.

    - now: covering officers on duty at `at`, in escalation order (primary, backup, head).
    - next: for each level, the covering officer(s) off duty now whose next shift starts
      soonest (within the lookahead), soonest first.
    - escalation: whom to call when no primary on duty answers (or none is on duty): backups
      then heads on duty, then backups then heads off duty.
    """
    covering = sorted((o for o in officers if o.covers(district, kind, category)), key=order_key)
    duties = [(o, duty_of(o, at, zone, lookahead)) for o in covering]
    now = [(o, d) for o, d in duties if d.on_duty]
    off = [(o, d) for o, d in duties if not d.on_duty]
    upcoming: list[tuple[Officer, Duty]] = []
    for level in Level:
        starts = [(o, d) for o, d in off if o.level is level and d.next_start is not None]
        if starts:
            soonest = min(d.next_start for _, d in starts if d.next_start is not None)
            upcoming.extend((o, d) for o, d in starts if d.next_start == soonest)
    upcoming.sort(key=lambda od: (od[1].next_start, order_key(od[0])))
    fallback = [(o, d) for o, d in now if o.level is not Level.PRIMARY] + [
        (o, d) for o, d in off if o.level is not Level.PRIMARY
    ]
    return OnDuty(at, district, kind, category, now, upcoming, fallback)
