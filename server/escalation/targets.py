"""Whom a step calls: the officer the directory names for the event's district, kind and
category at that moment, found as the board's click-to-call finds them (server/officers/duty.py).
A situation has neither kind nor category: officers of its district answer whatever they cover.

- `district_officer`: the first primary on duty for the district (city-wide ones after).
- `department_manager`: the first backup over them, on duty first.
- `duty_director`: the first head over them, on duty first.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from server.officers.duty import resolve
from server.officers.model import CITY_WIDE, Level, Officer, order_key

LEVEL_OF_TARGET = {
    "district_officer": Level.PRIMARY,
    "department_manager": Level.BACKUP,
    "duty_director": Level.HEAD,
}


def officer_for(
    to: str,
    officers: Iterable[Officer],
    *,
    district: str | None,
    kind: str | None,
    category: str | None,
    at: datetime,
    zone: ZoneInfo,
    lookahead: timedelta,
) -> Officer | None:
    """The officer a call step `to` goes to, or None when the directory has nobody for it."""
    level = LEVEL_OF_TARGET[to]
    found = resolve(
        officers,
        at=at,
        zone=zone,
        lookahead=lookahead,
        district=district or CITY_WIDE,
        kind=kind,
        category=category,
    )
    pool = found.now if level is Level.PRIMARY else found.escalation
    return next((o for o, _ in pool if o.level is level), None)


def department_of(
    officers: Iterable[Officer], *, district: str | None, kind: str | None, category: str | None
) -> str | None:
    """The department that answers for an event: that of the first officer covering it, in
    escalation order (what a policy's `departments` are matched against)."""
    covering = sorted(
        (o for o in officers if o.covers(district or CITY_WIDE, kind, category)), key=order_key
    )
    return covering[0].department if covering else None
