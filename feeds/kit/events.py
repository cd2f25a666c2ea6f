"""Building events: a valid Event from an adapter's fields, or FeedRejected for just that item."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from server.errors import FeedRejected
from server.stream.events import Event


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
