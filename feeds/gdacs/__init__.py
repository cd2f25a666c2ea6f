"""GDACS (Global Disaster Alert and Coordination System) RSS / GeoRSS: one event per GDACS event.

The feed (`gdacs.org/xml/rss.xml`, `rss_24h.xml`, `rss_7d.xml`) lists the current set, so it is a
snapshot source. The real file starts with a UTF-8 BOM; `parse_xml` takes the bytes as they come.
See manifest.toml for the mapping table.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal
from xml.etree.ElementTree import Element

from pydantic import field_validator

from feeds.kit import (
    Event,
    FeedFiltered,
    FeedOptions,
    FeedRejected,
    Parsed,
    PollingFeed,
    finite_float,
    georss_point,
    make_event,
    optional_url,
    parse_rfc822,
    plain_text,
    secondary,
    title_text,
    version_of,
)
from feeds.kit.xml import child, children, local, parse_xml, text

ALERT_LEVELS = ("Green", "Orange", "Red")
ALERT_SEVERITY = {"green": "minor", "orange": "severe", "red": "extreme"}
UNKNOWN_ALERT_SEVERITY = "info"
EVENT_CATEGORY = {
    "EQ": "disaster.earthquake",
    "TC": "disaster.typhoon",
    "FL": "disaster.flood",
    "VO": "disaster.other",  # volcano: no volcano category in the vocabulary
    "DR": "disaster.other",  # drought: no drought category (heat is a heat wave, not a drought)
    "WF": "disaster.wildfire",
    "TS": "disaster.tsunami",
}
EVENT_NAMES = {
    "EQ": "Earthquake",
    "TC": "Tropical cyclone",
    "FL": "Flood",
    "VO": "Volcano",
    "DR": "Drought",
    "WF": "Wildfire",
    "TS": "Tsunami",
}
_GUID = re.compile(r"^([A-Z]{2})(\d+)$")
_EVENT_TYPE = re.compile(r"^[A-Z]{2}$")
_EVENT_ID = re.compile(r"^\d{1,20}$")
MAX_EXTRA_TEXT = 200
MAX_COUNTER_DIGITS = 15  # episodeid, version: whole numbers, kept within JSON-safe integers


class GdacsOptions(FeedOptions):
    """Settings under [feeds.options]."""

    min_alert_level: Literal["Green", "Orange", "Red"] = "Green"

    @field_validator("min_alert_level", mode="before")
    @classmethod
    def _capitalised(cls, v: Any) -> Any:
        return v.strip().capitalize() if isinstance(v, str) else v


def _flag(element: Element, name: str) -> bool | None:
    value = text(element, name).lower()
    return True if value == "true" else False if value == "false" else None


class GdacsFeed(PollingFeed):
    """One event per GDACS event (eventtype + eventid), at its latest episode."""

    Options = GdacsOptions
    options: GdacsOptions

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """A GDACS RSS feed: one event per GDACS event at or above the minimum alert level."""
        root = parse_xml(payload)
        if local(root.tag) != "rss":
            raise FeedRejected(f"expected an RSS document, got <{local(root.tag)[:40]}>")
        channel = child(root, "channel")
        if channel is None:
            raise FeedRejected("RSS document without a <channel>")
        items = children(channel, "item")
        minimum = ALERT_LEVELS.index(self.options.min_alert_level)
        parsed = Parsed()
        for index, item in enumerate(items):
            with parsed.item(f"item {text(item, 'guid') or index}") as dropped:
                parsed.events.append(self._event(item, received_at, minimum, dropped))
        return parsed.checked(len(items), "items")

    # --------------------------------------------------------------------------- one item

    def _event(
        self, item: Element, received_at: datetime, minimum: int, dropped: list[str]
    ) -> Event:
        event_type, event_id = self._identity(item)

        alert = text(item, "alertlevel")
        rank = next((i for i, lvl in enumerate(ALERT_LEVELS) if lvl.lower() == alert.lower()), None)
        if minimum > 0 and (rank is None or rank < minimum):
            raise FeedFiltered(
                f"alert level {alert[:20] or '(none)'!r} is below min_alert_level "
                f"{self.options.min_alert_level} (the option that shows it)"
            )
        severity = ALERT_SEVERITY.get(alert.lower(), UNKNOWN_ALERT_SEVERITY)

        from_text, to_text, pub_text = (text(item, n) for n in ("fromdate", "todate", "pubDate"))
        first = from_text or pub_text
        last = pub_text or to_text or from_text
        if not first or not last:
            raise FeedRejected("no gdacs:fromdate or pubDate")
        sent_at = parse_rfc822(
            first, zone=self.context.zone, field="gdacs:fromdate" if from_text else "pubDate"
        )
        updated_at = parse_rfc822(
            last, zone=self.context.zone, field="pubDate" if pub_text else "gdacs:todate"
        )
        current = _flag(item, "iscurrent") is not False  # absent or unreadable: current
        expires_at = None
        if not current and to_text:  # only a finished event ends at todate (see manifest)
            end = parse_rfc822(to_text, zone=self.context.zone, field="gdacs:todate")
            expires_at = end if end >= sent_at else None

        name = text(item, "eventname")
        kind_name = EVENT_NAMES.get(event_type, event_type)
        return make_event(
            self.source,
            f"{event_type}{event_id}",
            kind="disaster",
            category=EVENT_CATEGORY.get(event_type, "disaster.other"),
            severity=severity,
            status="active" if current else "expired",
            title=title_text(text(item, "title"), f"{kind_name} {name}".strip()),
            description=plain_text(text(item, "description")),
            area_desc=plain_text(text(item, "country"), limit=MAX_EXTRA_TEXT),
            sent_at=sent_at,
            updated_at=updated_at,
            expires_at=expires_at,
            received_at=received_at,
            version=version_of(updated_at),
            geometry=self._geometry(item),
            url=optional_url(text(item, "link"), "link", dropped),
            extra=self._extra(item, event_type, event_id, alert, dropped),
        )

    def _identity(self, item: Element) -> tuple[str, str]:
        """(eventtype, eventid) from the gdacs: elements, else from the guid (`TC1000643`)."""
        event_type, event_id = text(item, "eventtype").upper(), text(item, "eventid")
        if _EVENT_TYPE.match(event_type) and _EVENT_ID.match(event_id):
            return event_type, event_id
        match = _GUID.match(text(item, "guid"))
        if match:
            return match.group(1), match.group(2)
        raise FeedRejected("no gdacs:eventtype + gdacs:eventid, and no guid like 'EQ1234'")

    def _geometry(self, item: Element) -> dict[str, Any] | None:
        """geo:Point (geo:lat, geo:long), else georss:point ('lat lon'); None when neither.

        gdacs:bbox alone is not drawn (a cyclone's box spans thousands of km; it goes to extra).
        """
        reasons = []
        point = child(item, "Point")
        holder = point if point is not None else item
        lat_text, lon_text = text(holder, "lat"), text(holder, "long")
        if lat_text or lon_text:
            try:
                lat = finite_float(lat_text, field="geo:lat")
                lon = finite_float(lon_text, field="geo:long")
            except FeedRejected as exc:
                reasons.append(exc.message)
            else:
                if -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
                    return {"type": "Point", "coordinates": [lon, lat]}
                reasons.append(f"geo:lat/geo:long {lat}, {lon} out of range")
        simple = text(item, "point")
        if simple:
            try:
                return georss_point(simple)
            except FeedRejected as exc:
                reasons.append(exc.message)
        if reasons:
            raise FeedRejected("; ".join(reasons))
        return None

    def _extra(
        self, item: Element, event_type: str, event_id: str, alert: str, dropped: list[str]
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {"eventtype": event_type, "eventid": event_id}
        for name in ("episodeid", "version"):
            value = text(item, name)
            if value.isdigit() and len(value) <= MAX_COUNTER_DIGITS:
                extra["gdacs_version" if name == "version" else name] = int(value)
            elif value:
                dropped.append(f"gdacs:{name} {value[:30]!r} is not a whole number; ignored")
        if alert:
            extra["alertlevel"] = alert[:20]
        if score_text := text(item, "alertscore"):
            score = secondary(lambda: finite_float(score_text, field="gdacs:alertscore"), dropped)
            if score is not None:
                extra["alertscore"] = score
        for name in ("episodealertlevel", "eventname", "iso3"):
            value = text(item, name)
            if value:
                extra[name] = value[:MAX_EXTRA_TEXT]
        severity = child(item, "severity")
        if severity is not None and text(severity):
            extra["severity_text"] = text(severity)[:MAX_EXTRA_TEXT]
        if box_text := text(item, "bbox"):
            box = secondary(lambda: _bbox(box_text), dropped)
            if box is not None:
                extra["bbox"] = box
        if _flag(item, "temporary"):
            extra["temporary"] = True
        return extra


def _bbox(value: str) -> list[float]:
    """gdacs:bbox ('lonmin lonmax latmin latmax') in GeoJSON order: west, south, east, north."""
    numbers = [finite_float(v, field="gdacs:bbox") for v in value.split()]
    if len(numbers) != 4:
        raise FeedRejected(f"gdacs:bbox {value[:60]!r} is not four numbers")
    lon_min, lon_max, lat_min, lat_max = numbers
    return [lon_min, lat_min, lon_max, lat_max]
