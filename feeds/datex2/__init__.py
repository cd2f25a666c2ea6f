"""DATEX II situation publications (v2 `d2LogicalModel`, v3 `messageContainer`): one event each.

A situation groups the records (accident, queue, lane closure, rerouting…) that describe one
incident; it becomes one event with the situation id, its most severe record deciding category
and title. v2 and v3 differ in namespaces and envelope but share the local element names this
adapter reads, so both go through the same code once the version is detected. The feed is a
snapshot; an incremental v2 delivery (`updateMethod` singleElementUpdate) is rejected, because the
runner's snapshot diff would expire everything it does not repeat. Mapping: `manifest.toml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

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
    parse_time,
    plain_text,
    title_text,
    version_of,
)
from feeds.kit.xml import child, children, find_all, local, parse_xml, text

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
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
SEVERITY = {
    "lowest": "minor",
    "low": "minor",
    "medium": "moderate",
    "high": "severe",
    "highest": "extreme",
}
# The enumerated detail each record type carries, for a readable title.
DETAIL = (
    "accidentType",
    "abnormalTrafficType",
    "roadMaintenanceType",
    "constructionWorkType",
    "roadOrCarriagewayOrLaneManagementType",
    "reroutingManagementType",
    "obstructionType",
    "vehicleObstructionType",
    "animalPresenceType",
    "environmentalObstructionType",
    "poorEnvironmentType",
    "weatherRelatedRoadConditionType",
    "publicEventType",
    "equipmentOrSystemFaultType",
    "nonWeatherRelatedRoadConditionType",
)
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
MAX_TYPES_IN_EXTRA = 20
LINEAR_ELEMENTS = {"tpegLinearLocation", "linearByCoordinates"}  # from/to or start/end points


def _words(name: str) -> str:
    """`VehicleObstruction` → `Vehicle obstruction`; `brokenDownVehicle` → `broken down vehicle`."""
    spaced = _WORD.sub(" ", name).lower()
    return spaced[:1].upper() + spaced[1:] if name[:1].isupper() else spaced


def _type(el: Element) -> str:
    """The local part of an element's xsi:type (`sit:Accident` → `Accident`)."""
    return el.get(XSI_TYPE, "").rpartition(":")[2]


def _true(el: Element | None, name: str) -> bool:
    return text(el, name).lower() == "true" if el is not None else False


@dataclass
class _Record:
    kind: str
    severity: str | None
    created: datetime | None
    version_time: datetime | None
    start: datetime | None
    end: datetime | None
    validity: str
    cancelled: bool
    ended: bool
    detail: str
    geometry: dict[str, Any] | None
    road: str
    comments: list[tuple[str | None, str, str]] = field(default_factory=list)  # lang, type, text


class Datex2Feed(PollingFeed):
    """DATEX II v2/v3 SituationPublication: one event per situation."""

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """A DATEX II v2 or v3 situation publication: one event per situation."""
        root = parse_xml(payload, max_bytes=self.context.config.max_body_bytes)
        model, publications = _publications(root)
        situations = [s for p in publications for s in children(p, "situation")]
        lang = next((p.get("lang") for p in publications if p.get("lang")), None)
        pub_time = next(
            (text(p, "publicationTime") for p in publications if text(p, "publicationTime")), ""
        )
        parsed = Parsed()
        for index, situation in enumerate(situations):
            with parsed.item(situation.get("id") or f"situation[{index}]"):
                parsed.events.append(self._event(situation, model, lang, pub_time, received_at))
        return parsed.checked(len(situations), "situations")

    def _event(
        self, situation: Element, model: str, lang: str | None, pub_time: str, received_at: datetime
    ) -> Event:
        sid = (situation.get("id") or "").strip()
        if not sid:
            raise FeedRejected("a situation without an id attribute")
        records = [_record(r) for r in children(situation, "situationRecord")]
        if not records:
            raise FeedRejected("a situation without situationRecords")

        severities = [r.severity for r in records]
        overall = SEVERITY.get(text(situation, "overallSeverity"))
        ranked = [s for s in [*severities, overall] if s is not None]
        severity = max(ranked, key=lambda s: SEVERITY_RANK[Severity(s)]) if ranked else "info"
        primary = max(records, key=lambda r: SEVERITY_RANK[Severity(r.severity or "info")])

        situation_time = _time(text(situation, "situationVersionTime"), "situationVersionTime")
        versions = [t for t in [*(r.version_time for r in records), situation_time] if t]
        updated = max(versions) if versions else None
        created = [r.created for r in records if r.created]
        starts = [r.start for r in records if r.start]
        sent = min(created) if created else min(starts) if starts else updated
        if sent is None:
            sent = _time(pub_time, "publicationTime")
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


def _publications(root: Element) -> tuple[str, list[Element]]:
    """('2' or '3', the SituationPublication elements), or FeedRejected naming what it is."""
    name, namespace = local(root.tag), root.tag.partition("}")[0].lstrip("{")
    if name.lower() == "html":
        raise FeedRejected("an HTML page, not a DATEX II document")
    if "datex2" not in namespace.lower():
        raise FeedRejected(f"<{name}> in namespace {namespace or 'none'!r} is not DATEX II")
    if name == "d2LogicalModel" and "/schema/2/" in namespace:
        model, payloads = "2", children(root, "payloadPublication")
        for method in find_all(root, "updateMethod"):
            if text(method) == "singleElementUpdate":
                raise FeedRejected(
                    "an incremental DATEX II delivery (updateMethod "
                    "singleElementUpdate); this adapter needs full snapshots "
                    "(allElementUpdate)"
                )
    elif name == "messageContainer" and "/schema/3/" in namespace:
        model, payloads = "3", children(root, "payload")
    elif "/schema/3/" in namespace and name in {"payload", "situationPublication"}:
        model, payloads = "3", [root]
    else:
        raise FeedRejected(
            f"unsupported DATEX II document <{name}> ({namespace}); expected a v2 "
            "d2LogicalModel or a v3 messageContainer"
        )
    situation_pubs = [
        p
        for p in payloads
        if _type(p) == "SituationPublication" or local(p.tag) == "situationPublication"
    ]
    if not situation_pubs:
        kinds = ", ".join(sorted({_type(p) or local(p.tag) for p in payloads})) or "no payload"
        raise FeedRejected(
            f"a DATEX II v{model} document with {kinds}, not a "
            "SituationPublication; this adapter reads situations only"
        )
    return model, situation_pubs


def _time(value: str, name: str) -> datetime | None:
    return parse_time(value, field=name) if value else None


def _record(el: Element) -> _Record:
    validity = child(el, "validity")
    spec = child(validity, "validityTimeSpecification") if validity is not None else None
    management = child(el, "management")
    life = child(management, "lifeCycleManagement") if management is not None else None
    life = life if life is not None else next(iter(find_all(el, "lifeCycleManagement")), None)
    location = child(el, "groupOfLocations")
    if location is None:
        location = child(el, "locationReference")
    comments = []
    for comment in children(el, "generalPublicComment"):
        kind = text(comment, "commentType")
        for value in find_all(comment, "value"):
            if text(value):
                comments.append((value.get("lang"), kind, value.text or ""))
    return _Record(
        kind=_type(el),
        severity=SEVERITY.get(text(el, "severity")),
        created=_time(text(el, "situationRecordCreationTime"), "situationRecordCreationTime"),
        version_time=_time(text(el, "situationRecordVersionTime"), "situationRecordVersionTime"),
        start=_time(text(spec, "overallStartTime"), "overallStartTime")
        if spec is not None
        else None,
        end=_time(text(spec, "overallEndTime"), "overallEndTime") if spec is not None else None,
        validity=text(validity, "validityStatus") if validity is not None else "",
        cancelled=_true(life, "cancel"),
        ended=_true(life, "end"),
        detail=next((text(el, d) for d in DETAIL if text(el, d) not in {"", "other"}), ""),
        geometry=_geometry(location) if location is not None else None,
        road=next(
            (text(r) for n in ("roadNumber", "roadName") for r in find_all(location, n) if text(r)),
            "",
        )
        if location is not None
        else "",
        comments=comments,
    )


def _texts(
    records: list[_Record],
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


def _coordinates(el: Element) -> list[float] | None:
    """[lon, lat] from an element holding latitude and longitude children."""
    lat, lon = text(el, "latitude"), text(el, "longitude")
    if not lat or not lon:
        return None
    try:
        return [float(lon), float(lat)]
    except ValueError:
        raise FeedRejected(f"coordinates {lat!r}, {lon!r} are not numbers") from None


def _geometry(location: Element) -> dict[str, Any] | None:
    """Point or LineString (lon/lat) from coordinates in a location; None when it has none.

    Linear locations (TPEG from/to points, v3 linearByCoordinates start/end) become a line;
    one point a Point; several unrelated points a MultiPoint; else `locationForDisplay`.
    """
    ordered = [
        part
        for tpeg in find_all(location, "tpegLinearLocation")
        for end in ("from", "to")
        for part in children(tpeg, end)
    ]  # from, then to
    points: list[list[float]] = []
    for holder in [*ordered, location]:
        for pc in find_all(holder, "pointCoordinates"):
            position = _coordinates(pc)
            if position is not None and position not in points:
                points.append(position)
    linear = "linear" in _type(location).lower() or any(
        local(e.tag) in LINEAR_ELEMENTS for e in location.iter()
    )
    if len(points) >= 2:
        return {"type": "LineString" if linear else "MultiPoint", "coordinates": points}
    if points:
        return {"type": "Point", "coordinates": points[0]}
    for shown in find_all(location, "locationForDisplay"):
        position = _coordinates(shown)
        if position is not None:
            return {"type": "Point", "coordinates": position}
    return None
