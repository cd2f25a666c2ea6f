"""One event as the situation book sees it: the newest version's place, time, kind and family.

Read straight from the body dict the log carries (no model validation on the fold's hot path),
defensively: anything unreadable makes the entry one the book ignores, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server.situations import geo
from server.stream.events import MAX_TITLE_CHARS, REFERENCE_KINDS, SEVERITY_RANK, iso_utc

RANKS = {s.value: r for s, r in SEVERITY_RANK.items()}
MAX_EVENT_HULL = 32  # vertices kept of one member's own geometry
NO_FAMILY: frozenset[int] = frozenset()  # a category in no family never groups automatically


def seconds_of(value: Any) -> float | None:
    """Epoch seconds of an ISO time with a zone, or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


def iso_of(seconds: float) -> str:
    return iso_utc(datetime.fromtimestamp(seconds, UTC))


@dataclass(slots=True)
class Member:
    """What grouping needs of one event's newest version."""

    event_id: str
    seq: int  # when the book first saw it: the oldest-first tie-break
    version: int
    kind: str
    category: str
    rank: int
    active: bool
    title: str
    point: geo.LonLat | None
    box: geo.BBox | None
    is_area: bool  # an alert area (polygon, or a district with no geometry): covers what is in it
    outline: list[geo.LonLat]
    district: str | None
    start: float  # sent_at
    end: float  # updated_at
    changed_at: str
    families: frozenset[int]  # indexes into the affinity table
    situation: str | None = None
    cluster: str | None = None


def read_event(seq: int, body: Any, families: dict[str, frozenset[int]]) -> Member | None:
    """A member from an event body as on the wire, or None when it is not one we can use."""
    if not isinstance(body, dict):
        return None
    event_id, kind, category = body.get("event_id"), body.get("kind"), body.get("category")
    version, severity = body.get("version", 1), body.get("severity")
    if not (isinstance(event_id, str) and isinstance(kind, str) and isinstance(category, str)):
        return None
    if kind in REFERENCE_KINDS:  # a camera is beside an incident, never part of one
        return None
    if not isinstance(version, int) or isinstance(version, bool) or severity not in RANKS:
        return None
    start = seconds_of(body.get("sent_at"))
    if start is None:
        return None
    updated = body.get("updated_at")
    end = seconds_of(updated)
    if end is None or end < start:
        end, updated = start, body.get("sent_at")
    changed_at = updated if isinstance(updated, str) and updated.endswith("Z") else iso_of(end)
    shape = geo.positions(body.get("geometry"))
    rep = geo.position(body.get("point")) or (shape[0] if shape else None)
    district = body.get("district")
    district = district if isinstance(district, str) else None
    geometry_type = (
        body.get("geometry", {}).get("type") if isinstance(body.get("geometry"), dict) else None
    )
    is_area = geometry_type in ("Polygon", "MultiPolygon") or (not shape and district is not None)
    outline = geo.hull(shape) if len(shape) > 1 else [rep] if rep else []
    if len(outline) > MAX_EVENT_HULL:
        outline = outline[:: len(outline) // MAX_EVENT_HULL + 1]
    title = body.get("title")
    return Member(
        event_id=event_id,
        seq=seq,
        version=version,
        kind=kind,
        category=category,
        rank=RANKS[severity],
        active=body.get("status", "active") == "active",
        title=title[:MAX_TITLE_CHARS] if isinstance(title, str) else event_id,
        point=rep,
        box=geo.bbox_of(shape) if geometry_type in ("Polygon", "MultiPolygon") else None,
        is_area=is_area,
        outline=outline,
        district=district,
        start=start,
        end=end,
        changed_at=changed_at,
        families=families.get(category, NO_FAMILY),
    )
