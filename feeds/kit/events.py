"""Building events: valid ones from an adapter's fields, one per id from a list, expired ones."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError

from server.errors import FeedRejected
from server.stream.events import Event, Status


def make_event(source: str, external_id: str, **fields: Any) -> Event:
    """Build and validate one event; a value the model refuses raises FeedRejected for the item.

    Fills `event_id` from source and external id; fields are the Event's own names.
    """
    data = {"event_id": f"{source}:{external_id}", "source": source, **fields}
    try:
        return Event.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "event"
        raise FeedRejected(f"item {external_id!r}: {where}: {first['msg']}") from None


def newest_per_event(events: Iterable[Event], *, ties: Literal["first", "last"]) -> list[Event]:
    """One event per event_id, its highest version, in the order the ids were first seen.

    A document may list one event twice (an index with a chain's Alert and its Update, pages that
    shifted while being read); `ties` says which of two equal versions stays, the first or last.
    """
    best: dict[str, Event] = {}
    for event in events:
        known = best.get(event.event_id)
        if (
            known is None
            or event.version > known.version
            or (ties == "last" and event.version == known.version)
        ):
            best[event.event_id] = event
    return list(best.values())


def expired_version(event: Event, now: datetime) -> Event:
    """The event's next version, expired now: how an event that stopped being current ends."""
    return event.model_copy(
        update={
            "version": event.version + 1,
            "status": Status.EXPIRED,
            "updated_at": now,
            "received_at": now,
        }
    )
