"""GDACS (Global Disaster Alert and Coordination System) RSS / GeoRSS: one event per GDACS event.

The feed (`gdacs.org/xml/rss.xml`, `rss_24h.xml`, `rss_7d.xml`) lists the current set, so it is a
snapshot source. The real file starts with a UTF-8 BOM; `parse_xml` takes the bytes as they come.
See manifest.toml for the mapping table.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, Literal
from xml.etree.ElementTree import Element

from pydantic import field_validator

from feeds.kit import (
    Event,
    FeedOptions,
    FeedRejected,
    Parsed,
    PollingFeed,
    georss_point,
    make_event,
    parse_rfc822,
    plain_text,
    title_text,
    version_of,
    web_url,
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


class GdacsOptions(FeedOptions):
    """Settings under [feeds.options]."""

    min_alert_level: Literal["Green", "Orange", "Red"] = "Green"

    @field_validator("min_alert_level", mode="before")
    @classmethod
    def _capitalised(cls, v: Any) -> Any:
        return v.strip().capitalize() if isinstance(v, str) else v


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


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
            with parsed.item(f"item {text(item, 'guid') or index}"):
                event = self._event(item, received_at, minimum)
                if event is not None:
                    parsed.events.append(event)
        return parsed.checked(len(items), "items")

    # --------------------------------------------------------------------------- one item

    def _event(self, item: Element, received_at: datetime, minimum: int) -> Event | None:
        event_type, event_id = self._identity(item)

        alert = text(item, "alertlevel")
        rank = next((i for i, lvl in enumerate(ALERT_LEVELS) if lvl.lower() == alert.lower()), None)
        if minimum > 0 and (rank is None or rank < minimum):
            return None
        severity = ALERT_SEVERITY.get(alert.lower(), UNKNOWN_ALERT_SEVERITY)

        from_text, to_text, pub_text = (text(item, n) for n in ("fromdate", "todate", "pubDate"))
        first = from_text or pub_text
        last = pub_text or to_text or from_text
        if not first or not last:
            raise FeedRejected("no gdacs:fromdate or pubDate")
        sent_at = parse_rfc822(first, field="gdacs:fromdate" if from_text else "pubDate")
        updated_at = parse_rfc822(last, field="pubDate" if pub_text else "gdacs:todate")
        current = _flag(item, "iscurrent") is not False  # absent or unreadable: current
        expires_at = None
        if not current and to_text:  # only a finished event ends at todate (see manifest)
            end = parse_rfc822(to_text, field="gdacs:todate")
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
            url=web_url(text(item, "link")),
            extra=self._extra(item, event_type, event_id, alert),
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
        lat, lon = _number(text(holder, "lat")), _number(text(holder, "long"))
        if lat is not None and lon is not None:
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

    def _extra(self, item: Element, event_type: str, event_id: str, alert: str) -> dict[str, Any]:
        extra: dict[str, Any] = {"eventtype": event_type, "eventid": event_id}
        for name in ("episodeid", "version"):
            value = text(item, name)
            if value.isdigit() and len(value) <= 15:
                extra["gdacs_version" if name == "version" else name] = int(value)
        if alert:
            extra["alertlevel"] = alert[:20]
        score = _number(text(item, "alertscore"))
        if score is not None:
            extra["alertscore"] = score
        for name in ("episodealertlevel", "eventname", "iso3"):
            value = text(item, name)
            if value:
                extra[name] = value[:MAX_EXTRA_TEXT]
        severity = child(item, "severity")
        if severity is not None and text(severity):
            extra["severity_text"] = text(severity)[:MAX_EXTRA_TEXT]
        box = [_number(v) for v in text(item, "bbox").split()]
        if len(box) == 4 and all(v is not None for v in box):
            lon_min, lon_max, lat_min, lat_max = box  # GDACS order: lonmin lonmax latmin latmax
            extra["bbox"] = [lon_min, lat_min, lon_max, lat_max]  # GeoJSON order: W, S, E, N
        if _flag(item, "temporary"):
            extra["temporary"] = True
        return extra
