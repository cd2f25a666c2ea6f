"""One Open511 event as read from JSON, XML or the legacy form, before it is mapped to an Event.

The three readers fill the same record and one function maps it, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EventText:
    """A headline and description in one language (None: the event's own)."""

    lang: str | None
    headline: str
    description: str = ""


@dataclass
class EventRecord:
    """One event, whatever shape it came in."""

    external_id: str
    status: str = ""
    event_type: str = ""
    severity: str = ""
    texts: list[EventText] = field(default_factory=list)
    lang: str | None = None  # the event's (or document's) own language
    created: str = ""
    updated: str = ""
    intervals: list[str] = field(default_factory=list)
    recurring: list[dict[str, str]] = field(default_factory=list)
    timezone: str = ""  # an event may name the zone of its naive times
    places: list[str] = field(default_factory=list)  # road and area descriptions
    detour: str = ""
    geometry: dict[str, Any] | None = None
    url: str = ""
    subtypes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # secondary fields that could not be read


# (label for a skipped item, a no-argument function reading its record): reading is deferred so
# that a bad event is skipped inside its own `Parsed.item` block, with its label.
Builder = tuple[str, Callable[[], EventRecord]]


def road_text(name: str, direction: str, start: str, end: str, state: str) -> str:
    """One road as a place text: 'Rue X northbound from A to B (closed)'."""
    where = " ".join(p for p in (name, direction) if p)
    if start and end:
        where += f" from {start} to {end}"
    elif start:
        where += f" from {start}"
    elif end:
        where += f" to {end}"
    if state:
        where += f" ({state.replace('_', ' ').lower()})"
    return where.strip()
