"""Open511 road events (JSON and XML), plus the legacy open511-server fixture form (Montreal).

All three shapes are reduced to one `_Fields` record and mapped by one function, so JSON, XML and
legacy events cannot drift apart. An Open511 `/events` response lists the current set, so the feed
is a snapshot (`poll` follows a paginated response to its last page first); an event that turns
ARCHIVED is resolved. The mapping is in `manifest.toml`.

Geometry: GeoJSON in JSON is lon/lat as given. In XML, GML 2 `gml:coordinates` is "lon,lat lon,lat";
GML 3 `gml:pos`/`gml:posList` under srsName `urn:ogc:def:crs:EPSG::4326` (what Open511 v1 requires,
and assumed when absent) is **lat lon**, as the Open511 reference converter writes it; srsName
`EPSG:4326` or CRS84 means lon lat; any other CRS skips the event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urljoin
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from feeds.kit import (
    LANG_PATTERN,
    MAX_AREA_DESC_CHARS,
    MAX_TRANSLATIONS,
    Event,
    FeedOptions,
    FeedRejected,
    Parsed,
    PollingFeed,
    geojson_geometry,
    iso_utc,
    load_json,
    make_event,
    newest_per_event,
    parse_time,
    plain_text,
    text_of,
    title_text,
    version_of,
)
from feeds.kit.xml import child, children, local, parse_xml, text

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
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LEGACY_MODEL = "open511.roadevent"

# GML axis order by srsName (Open511 v1 mandates the first; GML 2 style uses the second).
LAT_LON_SRS = {
    "urn:ogc:def:crs:EPSG::4326",
    "urn:ogc:def:crs:EPSG:4326",
    "http://www.opengis.net/def/crs/EPSG/0/4326",
}
LON_LAT_SRS = {
    "EPSG:4326",
    "http://www.opengis.net/gml/srs/epsg.xml#4326",
    "CRS:84",
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
}
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]{0,30}(/[A-Za-z0-9_+\-]{1,30}){0,2}")
GEOJSON_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


class Open511Options(FeedOptions):
    """Settings under [feeds.options]."""

    max_pages: int = Field(
        default=20,
        ge=1,
        le=200,
        description=(
            "pages of a paginated /events response to follow (pagination next_url / <link "
            "rel='next'>) before the poll is rejected; a snapshot must be read whole"
        ),
    )
    default_event_type: (
        Literal["CONSTRUCTION", "INCIDENT", "SPECIAL_EVENT", "WEATHER_CONDITION", "ROAD_CONDITION"]
        | None
    ) = Field(
        default=None,
        description=(
            "Open511 event_type assumed for events that carry none (the legacy Montreal RoadEvent "
            "form has no type; its notices are all CONSTRUCTION). None: traffic.other."
        ),
    )


@dataclass
class _Text:
    lang: str | None
    headline: str
    description: str = ""


@dataclass
class _Fields:
    """One event, whatever shape it came in."""

    external_id: str
    status: str = ""
    event_type: str = ""
    severity: str = ""
    texts: list[_Text] = field(default_factory=list)
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


Builder = tuple[str, Any]  # (label for a skipped item, a no-argument function giving _Fields)


class Open511Feed(PollingFeed):
    """Open511 `/events` documents in JSON or XML, and the legacy open511-server fixture form."""

    Options = Open511Options
    options: Open511Options

    _paginated = False  # the last poll followed pages: fetch page 1 unconditionally next time

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """One document (one page); `poll` follows the pages of a paginated response."""
        items, _ = self._page(payload)
        return self._build(items, received_at)

    async def poll(self, received_at: datetime) -> Parsed | None:
        """Fetch the URL and every following page, then map them as one snapshot."""
        url = self.context.config.resolved_url
        if self.context.http is None or url is None:
            return await super().poll(received_at)
        payload = await self.context.http.get(url, conditional=not self._paginated)
        if payload is None:
            return None
        items, next_url = self._page(payload)
        seen = {url}
        while next_url:
            if len(seen) >= self.options.max_pages:
                raise FeedRejected(
                    f"more than {self.options.max_pages} pages of events; raise "
                    "the max_pages option or ask for more per page (limit=)"
                )
            url = urljoin(url, next_url)
            if url in seen:
                raise FeedRejected(f"pagination loops back to {url}")
            seen.add(url)
            page = await self.context.http.get(url, conditional=False)
            if page is None:
                raise FeedRejected(f"{url}: a following page answered 304 Not Modified")
            more, next_url = self._page(page)
            items += more
        self._paginated = len(seen) > 1
        return self._build(items, received_at)

    def _page(self, payload: bytes) -> tuple[list[Builder], str | None]:
        """The events of one document, and the URL of the next page if it names one."""
        body = payload.removeprefix(b"\xef\xbb\xbf").lstrip()
        if not body:
            raise FeedRejected("empty document (expected Open511 JSON or XML)")
        if body.startswith(b"<"):
            root = parse_xml(payload, max_bytes=self.context.config.max_body_bytes)
            pagination = child(root, "pagination")
            links = children(pagination, "link") if pagination is not None else []
            next_url = next((ln.get("href") for ln in links if ln.get("rel") == "next"), None)
            return _xml_items(root), next_url
        doc = load_json(payload, what="Open511 JSON document")
        pagination = doc.get("pagination") if isinstance(doc, dict) else None
        next_url = pagination.get("next_url") if isinstance(pagination, dict) else None
        return _json_items(doc), next_url if isinstance(next_url, str) else None

    def _build(self, items: list[Builder], received_at: datetime) -> Parsed:
        parsed = Parsed()
        for label, build in items:
            with parsed.item(label):
                parsed.events.append(self._event(build(), received_at))
        parsed.checked(len(items), "Open511 events")
        # an event listed twice (pages shifted while paging): the later listing stands
        parsed.events = newest_per_event(parsed.events, ties="last")
        return parsed

    # ------------------------------------------------------------------------- mapping

    def _event(self, f: _Fields, received_at: datetime) -> Event:
        zone = self.context.zone
        if f.timezone:
            try:
                if not _ZONE_NAME.fullmatch(f.timezone):
                    raise ValueError(f.timezone)
                zone = ZoneInfo(f.timezone)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                raise FeedRejected(
                    f"event timezone {f.timezone[:64]!r} is not a known zone"
                ) from None
        created = parse_time(f.created, zone=zone, field="created") if f.created else None
        updated = parse_time(f.updated, zone=zone, field="updated") if f.updated else None
        starts, ends = _schedule(f, zone)
        sent = created or starts or updated
        updated = updated or created or sent
        if sent is None or updated is None:
            raise FeedRejected("no created, updated or schedule time to date it by")
        sent = min(sent, updated)

        event_type = f.event_type or (self.options.default_event_type or "")
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
        url = f.url if re.fullmatch(r"https?://\S{1,2000}", f.url) else None
        return make_event(
            self.source,
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


# ------------------------------------------------------------------------------ schedule


def _schedule(f: _Fields, zone: ZoneInfo | None) -> tuple[datetime | None, datetime | None]:
    """(first start, end of the last interval); the end is None when any interval is open."""
    starts: list[datetime] = []
    ends: list[datetime | None] = []
    for interval in f.intervals:
        start_text, sep, end_text = interval.strip().partition("/")
        if not sep or not start_text:
            raise FeedRejected(f"schedule interval {interval!r} is not 'start/end' or 'start/'")
        starts.append(parse_time(start_text, zone=zone, field="schedule interval start"))
        ends.append(
            parse_time(end_text, zone=zone, field="schedule interval end")
            if end_text.strip()
            else None
        )
    for rule in f.recurring:
        first, last = rule.get("start_date", ""), rule.get("end_date", "")
        if not first:
            raise FeedRejected("a recurring schedule without start_date")
        day_start = rule.get("daily_start_time") or "00:00"
        starts.append(parse_time(f"{first}T{day_start}", zone=zone, field="recurring start"))
        if not last:
            ends.append(None)
        elif rule.get("daily_end_time"):
            ends.append(
                parse_time(f"{last}T{rule['daily_end_time']}", zone=zone, field="recurring end")
            )
        else:
            ends.append(parse_time(f"{_next_day(last)}T00:00", zone=zone, field="recurring end"))
    start = min(starts) if starts else None
    end = None if not ends or None in ends else max(e for e in ends if e is not None)
    return start, end


def _next_day(day: str) -> str:
    try:
        return (date.fromisoformat(day.strip()) + timedelta(days=1)).isoformat()
    except (ValueError, OverflowError):
        raise FeedRejected(f"{day!r} is not a date (YYYY-MM-DD)") from None


def _split_texts(texts: list[_Text], lang: str | None) -> tuple[_Text | None, list[_Text]]:
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


# ---------------------------------------------------------------------------------- JSON


def _json_items(doc: Any) -> list[Builder]:
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
    if events and all(isinstance(e, dict) and "model" in e and "fields" in e for e in events):
        return [(_label(e, i), _bind(_legacy_fields, e)) for i, e in enumerate(events)]
    return [(_label(e, i), _bind(_json_fields, e)) for i, e in enumerate(events)]


def _label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        fields = item.get("fields")
        value = fields.get("id") if isinstance(fields, dict) else item.get("id")
        if isinstance(value, str | int) and str(value):
            return str(value)
    return f"events[{index}]"


def _bind(fn: Any, arg: Any) -> Any:
    return lambda: fn(arg)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _road_text(name: str, direction: str, start: str, end: str, state: str) -> str:
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


def _json_fields(event: Any) -> _Fields:
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
    places = []
    for road in _list(event.get("roads")):
        if isinstance(road, dict):
            places.append(
                _road_text(
                    text_of(road.get("name")),
                    text_of(road.get("direction")),
                    text_of(road.get("from")),
                    text_of(road.get("to")),
                    text_of(road.get("state")),
                )
            )
    for area in _list(event.get("areas")):
        if isinstance(area, dict) and text_of(area.get("name")):
            places.append(text_of(area.get("name")))
    subtypes = _list(event.get("event_subtypes"))
    return _Fields(
        external_id=external_id,
        status=text_of(event.get("status")).upper(),
        event_type=text_of(event.get("event_type")).upper(),
        severity=text_of(event.get("severity")).upper(),
        texts=[_Text(None, text_of(event.get("headline")), text_of(event.get("description")))],
        created=text_of(event.get("created")),
        updated=text_of(event.get("updated")),
        intervals=[text_of(i) for i in intervals],
        recurring=[{k: text_of(v) for k, v in r.items()} for r in recurring if isinstance(r, dict)],
        timezone=text_of(event.get("timezone")),
        places=[p for p in places if p],
        detour=text_of(event.get("detour")),
        geometry=geojson_geometry(event.get("geography"), field="geography"),
        url=text_of(event.get("url")),
        subtypes=[text_of(s) for s in subtypes if text_of(s)],
    )


# ----------------------------------------------------------------------------------- XML


def _xml_items(root: Element) -> list[Builder]:
    name = local(root.tag)
    if name == "open511":
        events = child(root, "events")
        if events is None:
            has = ", ".join(sorted({local(c.tag) for c in root})) or "nothing"
            raise FeedRejected(f"an Open511 XML document with no <events>; it has: {has}")
        doc_lang = root.get(XML_LANG)
        items = children(events, "event")
        return [
            (text(e, "id") or f"event[{i}]", _bind(lambda e: _xml_fields(e, doc_lang), e))
            for i, e in enumerate(items)
        ]
    if any("tmdd" in (el.tag.partition("}")[0]).lower() for el in root.iter()):
        raise FeedRejected(
            "a TMDD message (traffic management data dictionary), not Open511; "
            "TMDD must be converted to Open511 before this adapter can read it"
        )
    if name.lower() == "html":
        raise FeedRejected("an HTML page, not an Open511 document")
    if name == "RoadEvent":
        raise FeedRejected(
            "a bare legacy <RoadEvent> carries no id; only the open511-server "
            "fixture form (a JSON list with jurisdiction and id) can be read"
        )
    raise FeedRejected(f"<{name}> is not an Open511 document (expected <open511><events>)")


def _lang(el: Element, inherited: str | None) -> str | None:
    return el.get(XML_LANG) or inherited


def _xml_texts(el: Element, lang: str | None, title_tag: str, body_tag: str) -> list[_Text]:
    """Headlines and descriptions paired by language (xml:lang, else the inherited one)."""
    texts: dict[str | None, _Text] = {}
    for h in children(el, title_tag):
        texts.setdefault(_lang(h, lang), _Text(_lang(h, lang), text(h)))
    for d in children(el, body_tag):
        key = _lang(d, lang)
        texts.setdefault(key, _Text(key, "")).description = text(d)
    return list(texts.values())


def _xml_fields(el: Element, doc_lang: str | None) -> _Fields:
    external_id = text(el, "id")
    if not external_id:
        raise FeedRejected("an <event> without an <id>")
    lang = _lang(el, doc_lang)
    schedule = child(el, "schedule")
    intervals: list[str] = []
    recurring: list[dict[str, str]] = []
    if schedule is not None:
        box = child(schedule, "intervals")
        intervals = [text(i) for i in children(box, "interval")] if box is not None else []
        box = child(schedule, "recurring_schedules")
        for rule in children(box, "recurring_schedule") if box is not None else []:
            recurring.append({local(c.tag): text(c) for c in rule if text(c)})
    places = []
    roads = child(el, "roads")
    for road in children(roads, "road") if roads is not None else []:
        places.append(
            _road_text(
                text(road, "name"),
                text(road, "direction"),
                text(road, "from"),
                text(road, "to"),
                text(road, "state"),
            )
        )
    areas = child(el, "areas")
    for area in children(areas, "area") if areas is not None else []:
        if text(area, "name"):
            places.append(text(area, "name"))
    geography = child(el, "geography")
    shape = next(iter(geography), None) if geography is not None else None
    self_link = next(
        (ln.get("href", "") for ln in children(el, "link") if ln.get("rel") == "self"), ""
    )
    subtypes = child(el, "event_subtypes")
    return _Fields(
        external_id=external_id,
        status=text(el, "status").upper(),
        event_type=text(el, "event_type").upper(),
        severity=text(el, "severity").upper(),
        texts=_xml_texts(el, lang, "headline", "description"),
        lang=lang,
        created=text(el, "created"),
        updated=text(el, "updated"),
        intervals=intervals,
        recurring=recurring,
        timezone=text(el, "timezone"),
        places=[p for p in places if p],
        detour=text(el, "detour"),
        geometry=_gml(shape) if shape is not None else None,
        url=self_link,
        subtypes=[text(s) for s in children(subtypes, "event_subtype")]
        if subtypes is not None
        else [],
    )


def _gml(el: Element, srs: str | None = None) -> dict[str, Any]:
    """A GML 2/3 geometry as GeoJSON in lon/lat (see the module docstring for axis order)."""
    srs = el.get("srsName") or srs
    name = local(el.tag)
    if name == "Point":
        return {"type": "Point", "coordinates": _gml_positions(el, srs, "Point")[0]}
    if name == "LineString":
        return {"type": "LineString", "coordinates": _gml_positions(el, srs, name)}
    if name == "Polygon":
        return {"type": "Polygon", "coordinates": _gml_rings(el, srs)}
    members = {
        "MultiPoint": ("Point", "MultiPoint"),
        "MultiLineString": ("LineString", "MultiLineString"),
        "MultiCurve": ("LineString", "MultiLineString"),
        "MultiPolygon": ("Polygon", "MultiPolygon"),
        "MultiSurface": ("Polygon", "MultiPolygon"),
    }
    if name in members:
        part, geojson_type = members[name]
        parts = [g for g in el.iter() if local(g.tag) == part]
        if not parts:
            raise FeedRejected(f"geography gml:{name} has no gml:{part} members")
        return {"type": geojson_type, "coordinates": [_gml(p, srs)["coordinates"] for p in parts]}
    raise FeedRejected(f"geography gml:{name} is not a supported GML geometry")


def _gml_rings(polygon: Element, srs: str | None) -> list[list[list[float]]]:
    rings = []
    for boundary in polygon:
        if local(boundary.tag) in {"exterior", "interior", "outerBoundaryIs", "innerBoundaryIs"}:
            ring = child(boundary, "LinearRing")
            if ring is not None:
                rings.append(_gml_positions(ring, srs, "LinearRing"))
    if not rings:
        raise FeedRejected("geography gml:Polygon has no exterior ring")
    return rings


def _gml_positions(el: Element, srs: str | None, what: str) -> list[list[float]]:
    if srs is not None and srs not in LAT_LON_SRS | LON_LAT_SRS:
        raise FeedRejected(f"geography srsName {srs!r} is not WGS 84 (EPSG:4326)")
    coordinates = child(el, "coordinates")
    if coordinates is not None:  # GML 2 "x,y x,y": lon,lat unless the srsName says lat lon
        pairs = [_numbers(pair.split(","), what)[:2] for pair in text(coordinates).split()]
        if any(len(pair) < 2 for pair in pairs):
            raise FeedRejected(f"geography gml:{what} has a coordinate without x,y")
        return [[p[1], p[0]] for p in pairs] if srs in LAT_LON_SRS else pairs
    pos_list = child(el, "posList")
    values = (
        text(pos_list).split()
        if pos_list is not None
        else [v for p in children(el, "pos") for v in text(p).split()]
    )
    if not values:
        raise FeedRejected(f"geography gml:{what} has no coordinates")
    dim_text = (pos_list.get("srsDimension") if pos_list is not None else None) or "2"
    dim = 3 if dim_text.strip() == "3" else 2
    numbers = _numbers(values, what)
    if len(numbers) % dim:
        raise FeedRejected(f"geography gml:{what} has an odd number of coordinates")
    if srs in LON_LAT_SRS:
        return [[numbers[i], numbers[i + 1]] for i in range(0, len(numbers), dim)]
    return [[numbers[i + 1], numbers[i]] for i in range(0, len(numbers), dim)]  # Open511 v1


def _numbers(values: list[str], what: str) -> list[float]:
    try:
        return [float(v) for v in values]
    except ValueError:
        raise FeedRejected(f"geography gml:{what} has a coordinate that is not a number") from None


# -------------------------------------------------------------------------------- legacy


def _legacy_fields(record: Any) -> _Fields:
    """An open511-server fixture row: {model, pk, fields: {jurisdiction, id, geom, xml_data}}."""
    if not isinstance(record, dict) or record.get("model") != LEGACY_MODEL:
        raise FeedRejected(f"a fixture row that is not an {LEGACY_MODEL}")
    fields = record.get("fields")
    if not isinstance(fields, dict):
        raise FeedRejected(f"a fixture row that is not an {LEGACY_MODEL}")
    jurisdiction, local_id = text_of(fields.get("jurisdiction")), text_of(fields.get("id"))
    xml_data = fields.get("xml_data")
    if not jurisdiction or not local_id or not isinstance(xml_data, str):
        raise FeedRejected("a legacy road event without jurisdiction, id or xml_data")
    root = parse_xml(xml_data.encode("utf-8"))
    if local(root.tag) != "RoadEvent":
        raise FeedRejected(f"legacy xml_data is <{local(root.tag)}>, not <RoadEvent>")
    lang = root.get(XML_LANG)
    start, end = text(root, "StartDate"), text(root, "EndDate")
    if not start:
        raise FeedRejected("a legacy road event without StartDate")
    if "T" in start:  # a date-time: use it as given
        interval = f"{start}/{end}"
    else:  # dates name whole local days: from the start of StartDate to the end of EndDate
        interval = f"{start}T00:00/" + (f"{_next_day(end)}T00:00" if end else "")
    geom = fields.get("geom")
    return _Fields(
        external_id=f"{jurisdiction}/{local_id}",
        texts=_xml_texts(root, lang, "Title", "Description"),
        lang=lang,
        intervals=[interval],
        places=[text(r) for r in children(root, "AffectedRoads") if text(r)],
        detour=text(root, "Detour"),
        url=text(root, "ExternalURL"),
        geometry=wkt_geometry(geom) if isinstance(geom, str) and geom.strip() else None,
    )


_WKT_TYPES = {
    "POINT": "Point",
    "LINESTRING": "LineString",
    "POLYGON": "Polygon",
    "MULTIPOINT": "MultiPoint",
    "MULTILINESTRING": "MultiLineString",
    "MULTIPOLYGON": "MultiPolygon",
}
_WKT_DEPTH = {
    "Point": 0,
    "LineString": 1,
    "MultiPoint": 1,
    "Polygon": 2,
    "MultiLineString": 2,
    "MultiPolygon": 3,
}
_WKT_HEAD = re.compile(r"^\s*(?:SRID=(\d+)\s*;)?\s*([A-Za-z]+)\s*(ZM|Z|M)?\s*(.*?)\s*$", re.S)
_WKT_TOKEN = re.compile(r"\(|\)|,|[^\s(),]+")


def wkt_geometry(value: str) -> dict[str, Any] | None:
    """A WKT (or EWKT with SRID 4326) geometry, x = longitude, as GeoJSON; EMPTY → None."""
    head = _WKT_HEAD.match(value)
    if head is None or head.group(2).upper() not in _WKT_TYPES:
        raise FeedRejected(f"geometry {value[:40]!r} is not a supported WKT geometry")
    if head.group(1) not in (None, "4326"):
        raise FeedRejected(f"WKT geometry in SRID {head.group(1)}, expected 4326 (lon/lat)")
    kind = _WKT_TYPES[head.group(2).upper()]
    body = head.group(4)
    if body.upper() == "EMPTY":
        return None
    tokens = _WKT_TOKEN.findall(body)
    nested, end = _wkt_group(tokens, 0)
    if end != len(tokens):
        raise FeedRejected("WKT geometry has text after its closing parenthesis")
    if kind == "MultiPoint":  # both "MULTIPOINT (1 2, 3 4)" and "MULTIPOINT ((1 2), (3 4))"
        nested = [p[0] if p and isinstance(p[0], list) else p for p in nested]
    coordinates: Any = nested[0] if kind == "Point" else nested
    if _depth(coordinates) != _WKT_DEPTH[kind]:
        raise FeedRejected(f"WKT {kind} has the wrong nesting of parentheses")
    return {"type": kind, "coordinates": coordinates}


def _wkt_group(tokens: list[str], i: int) -> tuple[list[Any], int]:
    """Parse '(' … ')' from tokens[i]: a list of groups, or a list of positions."""
    if i >= len(tokens) or tokens[i] != "(":
        raise FeedRejected("WKT geometry is missing a '('")
    i += 1
    items: list[Any] = []
    while True:
        if i < len(tokens) and tokens[i] == "(":
            group, i = _wkt_group(tokens, i)
            items.append(group)
        else:
            position: list[float] = []
            while i < len(tokens) and tokens[i] not in {",", ")", "("}:
                position.append(_numbers([tokens[i]], "WKT")[0])
                i += 1
            if not 2 <= len(position) <= 4:
                raise FeedRejected("WKT geometry has a position without 2 to 4 numbers")
            items.append(position[:3])
        if i >= len(tokens):
            raise FeedRejected("WKT geometry is truncated (missing ')')")
        if tokens[i] == ")":
            return items, i + 1
        if tokens[i] != ",":
            raise FeedRejected(f"WKT geometry has {tokens[i]!r} where ',' or ')' belongs")
        i += 1


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list) and value and isinstance(value[0], list):
        depth += 1
        value = value[0]
    return depth
