"""The legacy open511-server fixture form (Montreal): JSON rows of `<RoadEvent>` XML and WKT."""

from __future__ import annotations

from typing import Any

from feeds.kit import FeedRejected, json_type, text_of, wkt_geometry
from feeds.kit.xml import children, local, parse_xml, text
from feeds.open511.record import EventRecord
from feeds.open511.schedule import next_day
from feeds.open511.xml_reader import XML_LANG, xml_texts

LEGACY_MODEL = "open511.roadevent"


def legacy_record(record: Any) -> EventRecord:
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
        interval = f"{start}T00:00/" + (f"{next_day(end)}T00:00" if end else "")
    geom = fields.get("geom")
    if geom is not None and not isinstance(geom, str):  # never drawn without its position
        raise FeedRejected(f"fields.geom is a JSON {json_type(geom)}, not WKT text")
    return EventRecord(
        external_id=f"{jurisdiction}/{local_id}",
        texts=xml_texts(root, lang, "Title", "Description"),
        lang=lang,
        intervals=[interval],
        places=[text(r) for r in children(root, "AffectedRoads") if text(r)],
        detour=text(root, "Detour"),
        url=text(root, "ExternalURL"),
        geometry=wkt_geometry(geom) if isinstance(geom, str) and geom.strip() else None,
    )
