"""Log entries for situation tests: real `Event`/`Action` models dumped as the log carries them."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from server.stream.events import Action, Event

T0 = datetime(2026, 7, 14, 5, 0, tzinfo=UTC)
GANGNAM = (127.0473, 37.5172)  # a spot in Gangnam-gu (district 11680)


def offset(point: tuple[float, float], east_m: float, north_m: float) -> tuple[float, float]:
    """A point this many metres east and north of another."""
    lat = point[1] + north_m / 111_320
    lon = point[0] + east_m / (111_320 * math.cos(math.radians(point[1])))
    return (round(lon, 6), round(lat, 6))


def event(
    external: str,
    category: str,
    *,
    minutes: float = 0,
    severity: str = "moderate",
    at: tuple[float, float] | None = GANGNAM,
    district: str | None = "11680",
    status: str = "active",
    version: int = 1,
    geometry: dict[str, Any] | None = None,
    source: str = "test",
    sent_minutes: float | None = None,
) -> dict[str, Any]:
    """An event body dict as on the wire."""
    when = T0 + timedelta(minutes=minutes)
    if geometry is None and at is not None:
        geometry = {"type": "Point", "coordinates": list(at)}
    model = Event(
        event_id=f"{source}:{external}",
        version=version,
        source=source,
        kind=category.split(".")[0],
        category=category,
        severity=severity,
        status=status,
        title=f"{category} {external}",
        geometry=geometry,
        district=district,
        sent_at=T0 + timedelta(minutes=minutes if sent_minutes is None else sent_minutes),
        updated_at=when,
        received_at=when,
    )
    data: dict[str, Any] = orjson.loads(model.dump())
    return data


def action(name: str, target: str, minutes: float = 0, **data: Any) -> dict[str, Any]:
    """An action body dict as on the wire."""
    body = Action(
        action=name, event_id=target, actor="op", at=T0 + timedelta(minutes=minutes), data=data
    )
    parsed: dict[str, Any] = orjson.loads(body.dump())
    return parsed


def square(center: tuple[float, float], half_m: float) -> dict[str, Any]:
    """A square polygon around a point, like an alert area."""
    w, s = offset(center, -half_m, -half_m)
    e, n = offset(center, half_m, half_m)
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def log(*bodies: dict[str, Any]) -> list[tuple[int, str, dict[str, Any]]]:
    """Entries with seqs from 1; an entry's type follows from its body."""
    return [
        (seq, "action" if "action" in body else "event", body)
        for seq, body in enumerate(bodies, start=1)
    ]
