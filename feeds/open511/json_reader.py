"""Open511 JSON documents: an `events` list (or a bare list), each event read into a record."""

from __future__ import annotations

from functools import partial
from typing import Any

from feeds.kit import FeedRejected, geojson_geometry, json_type, optional_text, text_of
from feeds.open511.legacy_reader import legacy_record
from feeds.open511.record import Builder, EventRecord, EventText, road_text


def json_items(doc: Any) -> list[Builder]:
    """The events of an Open511 JSON document (or of a legacy fixture list), ready to read."""
    if isinstance(doc, dict):
        events = doc.get("events")
        if events is None:
            keys = ", ".join(sorted(k for k in doc if isinstance(k, str))[:8]) or "nothing"
            raise FeedRejected(f"an Open511 JSON document needs an `events` list; it has: {keys}")
        if not isinstance(events, list):
            raise FeedRejected("`events` is not a list")
    elif isinstance(doc, list):
        events = doc
    else:
        raise FeedRejected(
            f"expected an Open511 JSON object or list, got a JSON {type(doc).__name__}"
        )
    if any(isinstance(e, dict) and "model" in e for e in events):  # one broken row costs itself
        return [(_label(e, i), partial(legacy_record, e)) for i, e in enumerate(events)]
    return [(_label(e, i), partial(_json_record, e)) for i, e in enumerate(events)]


def _label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        fields = item.get("fields")
        value = fields.get("id") if isinstance(fields, dict) else item.get("id")
        if isinstance(value, str | int) and str(value):
            return str(value)
    return f"events[{index}]"


def _list(value: Any, field: str, dropped: list[str]) -> list[Any]:
    """An optional array; another type is dropped with a line in `dropped`."""
    if isinstance(value, list):
        return value
    if value is not None:
        dropped.append(f"{field} is a JSON {json_type(value)}, not an array; ignored")
    return []


def _objects(value: Any, field: str, dropped: list[str]) -> list[dict[str, Any]]:
    """The objects of an optional array of objects; anything else is noted in `dropped`."""
    found = []
    for n, item in enumerate(_list(value, field, dropped)):
        if isinstance(item, dict):
            found.append(item)
        else:
            dropped.append(f"{field}[{n}] is a JSON {json_type(item)}, not an object; ignored")
    return found


def _json_record(event: Any) -> EventRecord:
    if not isinstance(event, dict):
        raise FeedRejected("an event that is not a JSON object")
    external_id = text_of(event.get("id"))
    if not external_id:
        raise FeedRejected("an event without an `id`")
    schedule = event.get("schedule")
    schedule = schedule if isinstance(schedule, dict) else {}
    intervals = schedule.get("intervals") or []
    recurring = schedule.get("recurring_schedules") or []
    if not isinstance(intervals, list) or not isinstance(recurring, list):
        raise FeedRejected("schedule intervals or recurring_schedules is not a list")
    dropped: list[str] = []

    def optional(value: Any, field: str) -> str:
        return optional_text(value, field, dropped, numbers=True)

    places = []
    for road in _objects(event.get("roads"), "roads", dropped):
        parts = ("name", "direction", "from", "to", "state")
        places.append(road_text(*(optional(road.get(k), f"roads.{k}") for k in parts)))
    for area in _objects(event.get("areas"), "areas", dropped):
        if name := optional(area.get("name"), "areas.name"):
            places.append(name)
    subtypes = _list(event.get("event_subtypes"), "event_subtypes", dropped)
    return EventRecord(
        external_id=external_id,
        status=text_of(event.get("status")).upper(),
        event_type=text_of(event.get("event_type")).upper(),
        severity=text_of(event.get("severity")).upper(),
        texts=[EventText(None, text_of(event.get("headline")), text_of(event.get("description")))],
        created=text_of(event.get("created")),
        updated=text_of(event.get("updated")),
        intervals=[text_of(i) for i in intervals],
        recurring=[{k: text_of(v) for k, v in r.items()} for r in recurring if isinstance(r, dict)],
        timezone=text_of(event.get("timezone")),
        places=[p for p in places if p],
        detour=optional(event.get("detour"), "detour"),
        geometry=geojson_geometry(event.get("geography"), field="geography"),
        url=optional(event.get("url"), "url"),
        subtypes=[text_of(s) for s in subtypes if text_of(s)],
        dropped=dropped,
    )
