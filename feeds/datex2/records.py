"""Reading DATEX II situation publications (v2 and v3) into records: type, severity, times, place.

v2 (`d2LogicalModel`) and v3 (`messageContainer`) differ in namespaces and envelope but share the
local element names read here, so both go through the same code once the version is detected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from feeds.kit import LANG_PATTERN, FeedRejected, finite_float, lat_lon_positions, parse_time
from feeds.kit.xml import child, children, find_all, local, text

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
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
LINEAR_ELEMENTS = {"tpegLinearLocation", "linearByCoordinates"}  # from/to or start/end points


def _type(el: Element) -> str:
    """The local part of an element's xsi:type (`sit:Accident` → `Accident`)."""
    return el.get(XSI_TYPE, "").rpartition(":")[2]


def _true(el: Element | None, name: str) -> bool:
    return text(el, name).lower() == "true" if el is not None else False


@dataclass
class Record:
    """One situationRecord, as much of it as the mapping uses."""

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
    dropped: list[str] = field(default_factory=list)  # secondary fields that could not be read


def publications(root: Element) -> tuple[str, list[Element]]:
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


def read_time(value: str, name: str) -> datetime | None:
    """An optional DATEX II time (ISO 8601 with its offset), None when empty."""
    return parse_time(value, field=name) if value else None


def read_record(el: Element) -> Record:
    """A situationRecord element as a Record."""
    validity = child(el, "validity")
    spec = child(validity, "validityTimeSpecification") if validity is not None else None
    management = child(el, "management")
    life = child(management, "lifeCycleManagement") if management is not None else None
    life = life if life is not None else next(iter(find_all(el, "lifeCycleManagement")), None)
    location = child(el, "groupOfLocations")
    if location is None:
        location = child(el, "locationReference")
    comments = []
    dropped = []
    for comment in children(el, "generalPublicComment"):
        kind = text(comment, "commentType")
        values = [v for v in find_all(comment, "value") if text(v)]
        if not values:
            dropped.append("generalPublicComment without a comment value; ignored")
        for value in values:
            lang = value.get("lang")
            if lang is not None and not LANG_PATTERN.match(lang):
                dropped.append(
                    f"generalPublicComment lang {lang[:20]!r} is not a language tag; "
                    "read in the publication's language"
                )
                lang = None
            comments.append((lang, kind, value.text or ""))
    return Record(
        kind=_type(el),
        severity=SEVERITY.get(text(el, "severity")),
        created=read_time(text(el, "situationRecordCreationTime"), "situationRecordCreationTime"),
        version_time=read_time(
            text(el, "situationRecordVersionTime"), "situationRecordVersionTime"
        ),
        start=read_time(text(spec, "overallStartTime"), "overallStartTime")
        if spec is not None
        else None,
        end=read_time(text(spec, "overallEndTime"), "overallEndTime") if spec is not None else None,
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
        dropped=dropped,
    )


def _coordinates(el: Element) -> list[float] | None:
    """[lon, lat] from an element holding latitude and longitude children."""
    lat, lon = text(el, "latitude"), text(el, "longitude")
    if not lat or not lon:
        return None
    return [finite_float(lon, field="longitude"), finite_float(lat, field="latitude")]


def _geometry(location: Element) -> dict[str, Any] | None:
    """Point or LineString (lon/lat) from coordinates in a location; None when it has none.

    A v3 `gmlLineString` (the road's own shape) wins; else linear locations (TPEG from/to
    points, v3 linearByCoordinates start/end) become a line; one point a Point; several
    unrelated points a MultiPoint; else `locationForDisplay`.
    """
    lines = [lat_lon_positions(g, "gmlLineString") for g in find_all(location, "gmlLineString")]
    if len(lines) == 1:
        return {"type": "LineString", "coordinates": lines[0]}
    if lines:
        return {"type": "MultiLineString", "coordinates": lines}
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
