"""An Open511 record as a board event: category, severity, status, texts by language, schedule."""

from __future__ import annotations

import re
from datetime import datetime, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds.kit import (
    LANG_PATTERN,
    MAX_AREA_DESC_CHARS,
    MAX_TRANSLATIONS,
    Event,
    FeedRejected,
    NoTimeZone,
    iso_utc,
    make_event,
    optional_url,
    parse_time,
    plain_text,
    title_text,
    utc_offset_of,
    version_of,
)
from feeds.open511.record import EventRecord, EventText
from feeds.open511.schedule import schedule

CATEGORY = {
    "CONSTRUCTION": "traffic.roadwork",
    "INCIDENT": "traffic.accident",
    "SPECIAL_EVENT": "traffic.event",
    "WEATHER_CONDITION": "traffic.weather",
    "ROAD_CONDITION": "traffic.hazard",
}
EVENT_NAME = {
    "CONSTRUCTION": "Construction",
    "INCIDENT": "Incident",
    "SPECIAL_EVENT": "Special event",
    "WEATHER_CONDITION": "Weather condition",
    "ROAD_CONDITION": "Road condition",
}
SEVERITY = {"MINOR": "minor", "MODERATE": "moderate", "MAJOR": "severe", "UNKNOWN": "info"}
STATUS = {"ACTIVE": "active", "ARCHIVED": "resolved"}
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]{0,30}(/[A-Za-z0-9_+\-]{1,30}){0,2}")


def record_event(
    f: EventRecord,
    received_at: datetime,
    *,
    source: str,
    zone: ZoneInfo | None,
    default_event_type: str | None,
    warnings: list[str],
) -> Event:
    """The traffic event for one record; FeedRejected skips it with the reason.

    A schedule that cannot be placed in time (local times and no zone to read them in, see
    `_schedule_zone`) is dropped with a warning in `warnings` when created/updated date the event.
    """
    warnings += f.dropped
    feed_zone = zone
    if f.timezone:
        try:
            if not _ZONE_NAME.fullmatch(f.timezone):
                raise ValueError(f.timezone)
            zone = ZoneInfo(f.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise FeedRejected(f"event timezone {f.timezone[:64]!r} is not a known zone") from None
    created = parse_time(f.created, zone=zone, field="created") if f.created else None
    updated = parse_time(f.updated, zone=zone, field="updated") if f.updated else None
    own_zone = zone if f.timezone else None
    try:
        starts, ends = schedule(f, _schedule_zone(f, created, updated, own_zone, feed_zone))
    except NoTimeZone as exc:
        if created is None and updated is None:
            raise
        warnings.append(
            f'{exc.message}: add timezone = "<Area/City>" to the feed\'s config to read it; '
            "schedule ignored"
        )
        starts = ends = None
    sent = created or starts or updated
    updated = updated or created or sent
    if sent is None or updated is None:
        raise FeedRejected("no created, updated or schedule time to date it by")
    sent = min(sent, updated)

    event_type = f.event_type or (default_event_type or "")
    primary, others = _split_texts(f.texts, f.lang)
    road = f.places[0] if f.places else ""
    fallback = EVENT_NAME.get(event_type, "Road event") + (f" on {road}" if road else "")
    description = primary.description if primary else ""
    if f.detour:
        description = f"{description}\n\nDetour: {f.detour}".strip()
    translations = {
        t.lang: {
            "title": title_text(t.headline, fallback=fallback),
            "description": plain_text(t.description),
        }
        for t in others[:MAX_TRANSLATIONS]
        if t.lang and t.headline.strip()
    }
    planned = starts is not None and starts > received_at
    extra: dict[str, Any] = {"planned": planned}
    if starts is not None:
        extra["starts_at"] = iso_utc(starts)
    if f.subtypes:
        extra["event_subtypes"] = f.subtypes[:10]
    url = optional_url(f.url, "url", warnings)
    return make_event(
        source,
        f.external_id,
        kind="traffic",
        category=CATEGORY.get(event_type, "traffic.other"),
        severity=SEVERITY.get(f.severity, "info"),
        status=STATUS.get(f.status, "active"),
        title=title_text(primary.headline if primary else "", fallback=fallback),
        description=plain_text(description),
        translations=translations,
        area_desc=plain_text("; ".join(f.places), limit=MAX_AREA_DESC_CHARS),
        sent_at=sent,
        updated_at=updated,
        expires_at=ends,
        received_at=received_at,
        version=version_of(updated),
        geometry=f.geometry,
        url=url,
        extra=extra,
    )


def _schedule_zone(
    f: EventRecord,
    created: datetime | None,
    updated: datetime | None,
    own_zone: ZoneInfo | None,
    feed_zone: ZoneInfo | None,
) -> tzinfo | None:
    """The zone of a schedule's local (offset-less) times, which Open511 writes in local time.

    The record's own `timezone`; else the UTC offset its created (or updated) time is written
    with, unless that is UTC (a server that writes UTC says nothing of its local offset) — and
    when the feed's `timezone` gives that same offset at that moment, the feed's zone, which also
    knows the offset on the schedule's days across a daylight-saving change; else the feed's
    `timezone`; else None (naive schedule times are then refused).
    """
    if own_zone is not None:
        return own_zone
    for raw, moment in ((f.created, created), (f.updated, updated)):
        offset = utc_offset_of(raw) if raw else None
        if offset and moment is not None:  # an offset, and not UTC's
            if feed_zone is not None and moment.astimezone(feed_zone).utcoffset() == offset:
                return feed_zone
            return timezone(offset)
    return feed_zone


def _split_texts(
    texts: list[EventText], lang: str | None
) -> tuple[EventText | None, list[EventText]]:
    """The text in the event's own language (else the first), and the other languages."""
    usable = [t for t in texts if t.headline.strip() or t.description.strip()]
    if not usable:
        return None, []
    primary = next((t for t in usable if t.lang == lang), usable[0])
    seen = {primary.lang}
    others = []
    for t in usable:
        if t.lang not in seen and t.lang and LANG_PATTERN.match(t.lang):
            seen.add(t.lang)
            others.append(t)
    return primary, others
