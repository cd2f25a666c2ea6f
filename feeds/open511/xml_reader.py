"""Open511 XML documents: `<open511><events>`, each `<event>` read into a record (GML geometry)."""

from __future__ import annotations

from functools import partial
from xml.etree.ElementTree import Element

from feeds.kit import FeedRejected, gml_geometry
from feeds.kit.xml import child, children, local, text
from feeds.open511.record import Builder, EventRecord, EventText, road_text

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def xml_items(root: Element) -> list[Builder]:
    """The events of an Open511 XML document; other XML (TMDD, HTML, a bare RoadEvent) refused."""
    name = local(root.tag)
    if name == "open511":
        events = child(root, "events")
        if events is None:
            has = ", ".join(sorted({local(c.tag) for c in root})) or "nothing"
            raise FeedRejected(f"an Open511 XML document with no <events>; it has: {has}")
        doc_lang = root.get(XML_LANG)
        items = children(events, "event")
        return [
            (text(e, "id") or f"event[{i}]", partial(_xml_record, e, doc_lang))
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


def xml_texts(el: Element, lang: str | None, title_tag: str, body_tag: str) -> list[EventText]:
    """Headlines and descriptions paired by language (xml:lang, else the inherited one)."""
    texts: dict[str | None, EventText] = {}
    for h in children(el, title_tag):
        texts.setdefault(_lang(h, lang), EventText(_lang(h, lang), text(h)))
    for d in children(el, body_tag):
        key = _lang(d, lang)
        texts.setdefault(key, EventText(key, "")).description = text(d)
    return list(texts.values())


def _xml_record(el: Element, doc_lang: str | None) -> EventRecord:
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
            road_text(
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
    return EventRecord(
        external_id=external_id,
        status=text(el, "status").upper(),
        event_type=text(el, "event_type").upper(),
        severity=text(el, "severity").upper(),
        texts=xml_texts(el, lang, "headline", "description"),
        lang=lang,
        created=text(el, "created"),
        updated=text(el, "updated"),
        intervals=intervals,
        recurring=recurring,
        timezone=text(el, "timezone"),
        places=[p for p in places if p],
        detour=text(el, "detour"),
        geometry=gml_geometry(shape) if shape is not None else None,
        url=self_link,
        subtypes=[text(s) for s in children(subtypes, "event_subtype")]
        if subtypes is not None
        else [],
    )
