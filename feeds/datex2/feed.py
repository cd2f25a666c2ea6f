"""The `datex2` feed: each DATEX II situation becomes one traffic event.

A situation groups the records (accident, queue, lane closure, rerouting…) that describe one
incident; it becomes one event with the situation id, its most severe record deciding category
and title. The feed is a snapshot; an incremental v2 delivery (`updateMethod`
singleElementUpdate) is rejected, because the runner's snapshot diff would expire everything it
does not repeat. Mapping: `manifest.toml`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from feeds.datex2.records import SEVERITY, Record, publications, read_record, read_time
from feeds.kit import (
    LANG_PATTERN,
    MAX_AREA_DESC_CHARS,
    MAX_TRANSLATIONS,
    SEVERITY_RANK,
    Event,
    FeedRejected,
    Parsed,
    PollingFeed,
    Severity,
    iso_utc,
    make_event,
    plain_text,
    title_text,
    version_of,
)
from feeds.kit.xml import children, parse_xml, text

CATEGORY = {
    "Accident": "traffic.accident",
    "MaintenanceWorks": "traffic.roadwork",
    "Roadworks": "traffic.roadwork",
    "ConstructionWorks": "traffic.roadwork",
    "AbnormalTraffic": "traffic.congestion",
    "RoadOrCarriagewayOrLaneManagement": "traffic.closure",
    "ReroutingManagement": "traffic.closure",
    "PoorEnvironmentConditions": "traffic.weather",
    "WeatherRelatedRoadConditions": "traffic.weather",
    "GeneralObstruction": "traffic.hazard",
    "AnimalPresenceObstruction": "traffic.hazard",
    "VehicleObstruction": "traffic.hazard",
    "EnvironmentalObstruction": "traffic.hazard",
    "InfrastructureDamageObstruction": "traffic.hazard",
    "NonWeatherRelatedRoadConditions": "traffic.hazard",
    "EquipmentOrSystemFault": "traffic.hazard",
    "PublicEvent": "traffic.event",
    "Activity": "traffic.event",
    "DisturbanceActivity": "traffic.event",
    "TransitInformation": "traffic.transit_disruption",
    "TransitServiceInformation": "traffic.transit_disruption",
}
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
MAX_TYPES_IN_EXTRA = 20


def _words(name: str) -> str:
    """`VehicleObstruction` → `Vehicle obstruction`; `brokenDownVehicle` → `broken down vehicle`."""
    spaced = _WORD.sub(" ", name).lower()
    return spaced[:1].upper() + spaced[1:] if name[:1].isupper() else spaced


class Datex2Feed(PollingFeed):
    """DATEX II v2/v3 SituationPublication: one event per situation."""

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """A DATEX II v2 or v3 situation publication: one event per situation."""
        root = parse_xml(payload, max_bytes=self.context.config.max_body_bytes)
        model, found = publications(root)
        situations = [s for p in found for s in children(p, "situation")]
        lang = next((p.get("lang") for p in found if p.get("lang")), None)
        pub_time = next(
            (text(p, "publicationTime") for p in found if text(p, "publicationTime")), ""
        )
        parsed = Parsed()
        for index, situation in enumerate(situations):
            with parsed.item(situation.get("id") or f"situation[{index}]") as dropped:
                parsed.events.append(
                    self._event(situation, model, lang, pub_time, received_at, dropped)
                )
        return parsed.checked(len(situations), "situations")

    def _event(
        self,
        situation: Element,
        model: str,
        lang: str | None,
        pub_time: str,
        received_at: datetime,
        dropped: list[str],
    ) -> Event:
        sid = (situation.get("id") or "").strip()
        if not sid:
            raise FeedRejected("a situation without an id attribute")
        records = [read_record(r) for r in children(situation, "situationRecord")]
        if not records:
            raise FeedRejected("a situation without situationRecords")
        dropped += [line for r in records for line in r.dropped]

        severities = [r.severity for r in records]
        overall = SEVERITY.get(text(situation, "overallSeverity"))
        ranked = [s for s in [*severities, overall] if s is not None]
        severity = max(ranked, key=lambda s: SEVERITY_RANK[Severity(s)]) if ranked else "info"
        primary = max(records, key=lambda r: SEVERITY_RANK[Severity(r.severity or "info")])

        situation_time = read_time(text(situation, "situationVersionTime"), "situationVersionTime")
        versions = [t for t in [*(r.version_time for r in records), situation_time] if t]
        updated = max(versions) if versions else None
        created = [r.created for r in records if r.created]
        starts = [r.start for r in records if r.start]
        sent = min(created) if created else min(starts) if starts else updated
        if sent is None:
            sent = read_time(pub_time, "publicationTime")
        if sent is None:
            raise FeedRejected("no creation, start, version or publication time to date it by")
        updated = updated or sent
        sent = min(sent, updated)
        ends = [r.end for r in records]
        expires = None if not ends or None in ends else max(e for e in ends if e is not None)
        if expires is not None and expires < sent:
            raise FeedRejected(f"ends ({iso_utc(expires)}) before it was issued ({iso_utc(sent)})")

        if all(r.cancelled for r in records):
            status = "cancelled"
        elif all(r.cancelled or r.ended for r in records):
            status = "resolved"
        else:
            status = "active"
        attr = (situation.get("version") or "").strip()
        numeric = attr.isascii() and attr.isdigit() and int(attr) >= 1
        version = int(attr) if numeric else version_of(updated)

        title = _words(primary.kind or "SituationRecord")
        if primary.detail:
            title += f": {_words(primary.detail)}"
        road = next((r.road for r in [primary, *records] if r.road), "")
        if road:
            title += f" — {road}"
        description, area, translations = _texts(records, lang, title_text(title))
        geometry = next((r.geometry for r in [primary, *records] if r.geometry), None)
        if geometry is None:
            dropped.append(
                "location has no coordinates (ALERT-C or other network references are not"
                " resolved); shown without a place on the map"
            )
        start = min(starts) if starts else None
        types = list(dict.fromkeys(r.kind for r in records if r.kind))
        extra: dict[str, Any] = {
            "datex2_version": model,
            "planned": (start is not None and start > received_at)
            or all(r.validity == "planned" for r in records),
            "record_types": types[:MAX_TYPES_IN_EXTRA],
        }
        if start is not None:
            extra["starts_at"] = iso_utc(start)
        if any(r.validity == "suspended" for r in records):
            extra["suspended"] = all(r.validity == "suspended" for r in records)
        return make_event(
            self.source,
            sid,
            kind="traffic",
            category=CATEGORY.get(primary.kind, "traffic.other"),
            severity=severity,
            status=status,
            title=title_text(title),
            description=description,
            translations=translations,
            area_desc=area,
            sent_at=sent,
            updated_at=updated,
            expires_at=expires,
            received_at=received_at,
            version=version,
            geometry=geometry,
            extra=extra,
        )


def _texts(
    records: list[Record],
    lang: str | None,
    title: str,
) -> tuple[str, str, dict[str, dict[str, str]]]:
    """(description, area_desc, translations) from the records' public comments.

    Comments typed `locationDescriptor` describe where (area_desc); the rest describe what. The
    publication's language (else the first comment's) is the main one; others are translations.
    """
    by_lang: dict[str | None, tuple[list[str], list[str]]] = {}
    for record in records:
        for comment_lang, kind, body in record.comments:
            what, where = by_lang.setdefault(comment_lang or lang, ([], []))
            target = where if kind == "locationDescriptor" else what
            cleaned = plain_text(body)
            if cleaned and cleaned not in target:
                target.append(cleaned)
    if not by_lang:
        return "", "", {}
    main = lang if lang in by_lang else next(iter(by_lang))
    what, where = by_lang.pop(main)
    translations = {
        other: {"title": title, "description": plain_text("\n\n".join(o_what + o_where))}
        for other, (o_what, o_where) in list(by_lang.items())[:MAX_TRANSLATIONS]
        if other and LANG_PATTERN.match(other)
    }
    return (
        plain_text("\n\n".join(what)),
        plain_text("; ".join(where), limit=MAX_AREA_DESC_CHARS),
        translations,
    )
