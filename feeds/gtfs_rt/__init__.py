"""GTFS-realtime service alerts: each `alert` entity becomes a traffic.transit_disruption event.

The document is a `FeedMessage`, in the binary protobuf encoding or as JSON (the proto3 JSON
mapping, snake_case or camelCase, and agency variants such as MBTA's "enhanced" JSON, whose
TranslatedStrings are lists of `{"translation": {...}}`). JSON is read into the same protobuf
classes, so both forms go through one mapping; it is documented in `manifest.toml`.

Locations are stop/route/agency ids, not coordinates: resolving stops needs the agency's static GTFS
(stops.txt), which this version does not load, so events carry no geometry and the ids go to
`extra` and `area_desc`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Literal

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2 as rt
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
    from_epoch,
    json_type,
    load_json,
    make_event,
    plain_text,
    title_text,
    version_of,
    web_url,
)

SEVERITY_LEVEL = {"SEVERE": "severe", "WARNING": "moderate", "INFO": "info"}
EFFECT_SEVERITY = {
    "NO_SERVICE": "severe",
    "REDUCED_SERVICE": "moderate",
    "SIGNIFICANT_DELAYS": "moderate",
    "DETOUR": "moderate",
    "NO_EFFECT": "info",
}
IDS_KEPT = 50  # route/stop/agency ids kept in `extra` per kind (an alert may list hundreds)
TRANSLATED_STRING = rt.TranslatedString.DESCRIPTOR.full_name
FULL_DATASET = rt.FeedHeader.Incrementality.Value("FULL_DATASET")


class GtfsRtOptions(FeedOptions):
    """Settings under [feeds.options]."""

    format: Literal["auto", "protobuf", "json"] = Field(
        default="auto", description="auto: JSON when the body starts with '{', else protobuf"
    )
    language: str = Field(
        default="ko",
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        description="preferred language of title/description; then 'en', then untranslated",
    )


class GtfsRtFeed(PollingFeed):
    """A GTFS-realtime Alerts feed (FULL_DATASET): the runner diffs it as a snapshot."""

    Options = GtfsRtOptions
    options: GtfsRtOptions

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """A GTFS-realtime FeedMessage (protobuf or JSON): one event per service alert."""
        message, json_entities = self._decode(payload)
        if not message.HasField("header"):
            raise FeedRejected("not a GTFS-realtime FeedMessage: it has no header")
        header = message.header
        if header.incrementality != FULL_DATASET:
            raise FeedRejected(
                "DIFFERENTIAL GTFS-realtime feeds are not supported: this adapter is diffed as a "
                "snapshot (FULL_DATASET), so a partial document would expire every alert it omits"
            )
        stamp = (
            from_epoch(header.timestamp, field="header.timestamp")
            if header.timestamp
            else received_at
        )
        parsed = Parsed()
        for index, entity, extension in _entities(message, json_entities, parsed):
            with parsed.item(entity.id or f"entity #{index}"):
                if not entity.id:
                    raise FeedRejected("entity has no id")
                if not entity.IsInitialized():
                    missing = ", ".join(entity.FindInitializationErrors()[:3])
                    raise FeedRejected(f"entity lacks required fields: {missing}")
                parsed.events.append(self._event(entity, extension, stamp, received_at))
        return parsed

    # ------------------------------------------------------------------------- decoding

    def _decode(self, payload: bytes) -> tuple[rt.FeedMessage, list[Any] | None]:
        """The message (with its header), and for JSON the raw entities, decoded one by one
        later so that one bad entity costs only itself."""
        fmt = self.options.format
        if fmt == "auto":
            head = payload.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
            if head == b"<":
                load_json(payload, what="GTFS-realtime FeedMessage")  # raises: HTML or XML
            if head in (b"[", b'"'):
                fmt = "json"  # certainly not protobuf; _from_json names the wrong JSON type
            elif head == b"{":
                # a protobuf whose header is 123 bytes long also starts "\n{": try both
                try:
                    return _from_json(payload)
                except FeedRejected as json_error:
                    try:
                        return _from_protobuf(payload)
                    except FeedRejected:
                        raise json_error from None
        if fmt == "json":
            return _from_json(payload)
        return _from_protobuf(payload)

    # -------------------------------------------------------------------------- mapping

    def _event(
        self,
        entity: rt.FeedEntity,
        extension: dict[str, Any],
        stamp: datetime,
        received_at: datetime,
    ) -> Event:
        alert = entity.alert
        effect = rt.Alert.Effect.Name(alert.effect)
        cause = rt.Alert.Cause.Name(alert.cause)
        severity = (
            SEVERITY_LEVEL.get(rt.Alert.SeverityLevel.Name(alert.severity_level))
            if alert.HasField("severity_level")
            else None
        )
        severity = severity or EFFECT_SEVERITY.get(effect, "minor")

        periods = list(alert.active_period) or list(alert.communication_period)
        starts = [
            from_epoch(p.start, field="active_period.start") for p in periods if p.HasField("start")
        ]
        ends = [from_epoch(p.end, field="active_period.end") for p in periods if p.HasField("end")]
        open_start = not periods or len(starts) < len(periods)
        sent_at = min([stamp, *starts]) if open_start else min(starts)
        expires_at = max(ends) if periods and len(ends) == len(periods) else None
        if open_start and expires_at is not None:  # "since always, until then": not after it
            sent_at = min(sent_at, expires_at)

        updated_at = stamp
        modified = extension.get("last_modified_timestamp")  # MBTA enhanced JSON, per alert
        if isinstance(modified, int | str) and str(modified).isdigit():
            updated_at = from_epoch(modified, field="last_modified_timestamp")

        status = "active"
        if entity.is_deleted:
            status = "cancelled"
        elif expires_at is not None and expires_at < stamp:
            status = "expired"  # every period ended before the feed's own timestamp

        titles = _translations(alert.header_text)
        descriptions = _translations(alert.description_text)
        lang = self._pick(titles) if titles else self._pick(descriptions)  # '' = untranslated
        description = plain_text(descriptions.get(lang) or _first(descriptions))
        fallback = description.split("\n", 1)[0] or effect.replace("_", " ").capitalize()
        title = title_text(titles.get(lang) or _first(titles), fallback=fallback)
        translations: dict[str, dict[str, str]] = {}
        for other in sorted(set(titles) - {lang, ""}):
            tag = _tag(other)
            if tag and len(translations) < MAX_TRANSLATIONS and title_text(titles[other]):
                translations[tag] = {
                    "title": title_text(titles[other]),
                    "description": plain_text(descriptions.get(other)),
                }

        routes, stops, agencies = _informed(alert.informed_entity)
        extra: dict[str, Any] = {"effect": effect, "cause": cause}
        for key, ids in (("route_ids", routes), ("stop_ids", stops), ("agency_ids", agencies)):
            if ids:
                extra[key] = ids[:IDS_KEPT]
                if len(ids) > IDS_KEPT:
                    extra[f"{key[:-4]}_count"] = len(ids)
        if len(periods) > 1:
            extra["periods"] = len(periods)
        urls = _translations(alert.url)

        return make_event(
            self.source,
            entity.id,
            kind="traffic",
            category="traffic.transit_disruption",
            severity=severity,
            status=status,
            title=title,
            description=description,
            translations=translations,
            area_desc=_area(routes, stops, agencies),
            sent_at=sent_at,
            updated_at=updated_at,
            expires_at=expires_at,
            received_at=received_at,
            version=version_of(updated_at),
            url=web_url(urls.get(self._pick(urls)) or _first(urls)),
            extra=extra,
        )

    def _pick(self, texts: dict[str, str]) -> str:
        """The language key to show: the configured one, then English, then the untranslated."""
        wanted = self.options.language.lower()
        for choice in (wanted, wanted.split("-")[0], "en"):
            for key in texts:
                if key.lower() == choice or key.lower().split("-")[0] == choice:
                    return key
        return "" if "" in texts else next(iter(texts), "")


# ------------------------------------------------------------------------------ helpers


def _from_protobuf(payload: bytes) -> tuple[rt.FeedMessage, None]:
    """The binary FeedMessage; corrupt or incomplete ones (no header) raise FeedRejected."""
    if not payload.strip():
        raise FeedRejected("empty document (expected a GTFS-realtime FeedMessage)")
    message = rt.FeedMessage()
    try:
        message.ParseFromString(payload)
    except DecodeError as exc:
        raise FeedRejected(f"not a GTFS-realtime protobuf FeedMessage: {exc}") from None
    except RecursionError:
        raise FeedRejected("protobuf message nests too deeply") from None
    if not message.HasField("header"):
        raise FeedRejected("not a GTFS-realtime FeedMessage: it has no header")
    if not message.header.IsInitialized():  # entities are checked one by one in parse
        missing = ", ".join(message.header.FindInitializationErrors()[:3])
        raise FeedRejected(f"GTFS-realtime header lacks required fields: {missing}")
    return message, None


def _from_json(payload: bytes) -> tuple[rt.FeedMessage, list[Any]]:
    doc = load_json(payload, what="GTFS-realtime FeedMessage (JSON)")
    if not isinstance(doc, dict):
        raise FeedRejected(
            f"expected a GTFS-realtime FeedMessage object, got a JSON {json_type(doc)}"
        )
    header = doc.get("header")
    if not isinstance(header, dict):
        raise FeedRejected("not a GTFS-realtime FeedMessage: it has no header object")
    entities = doc.get("entity", [])
    if not isinstance(entities, list):
        raise FeedRejected(f"'entity' is a JSON {json_type(entities)}, not an array")
    message = rt.FeedMessage()
    try:
        json_format.ParseDict(header, message.header, ignore_unknown_fields=True)
    except (json_format.ParseError, RecursionError) as exc:
        raise FeedRejected(f"bad GTFS-realtime header: {str(exc)[:200]}") from None
    if not message.header.gtfs_realtime_version:
        raise FeedRejected("GTFS-realtime header has no gtfs_realtime_version")
    return message, entities


def _entities(
    message: rt.FeedMessage, raw: list[Any] | None, parsed: Parsed
) -> Iterator[tuple[int, rt.FeedEntity, dict[str, Any]]]:
    """(index, entity, the alert as JSON for agency extensions) for each entity with an alert;
    trip updates and vehicle positions are not ours and are passed over."""
    if raw is None:
        for index, entity in enumerate(message.entity):
            if entity.HasField("alert"):
                yield index, entity, {}
        return
    for index, item in enumerate(raw):
        label = str(item.get("id"))[:100] if isinstance(item, dict) and "id" in item else None
        with parsed.item(label or f"entity #{index}"):
            if not isinstance(item, dict):
                raise FeedRejected(f"entity is a JSON {json_type(item)}, not an object")
            alert = item.get("alert")
            if alert is None:
                continue
            if not isinstance(alert, dict):
                raise FeedRejected(f"alert is a JSON {json_type(alert)}, not an object")
            entity = rt.FeedEntity()
            try:
                json_format.ParseDict(
                    {**item, "alert": _normalise_alert(alert)}, entity, ignore_unknown_fields=True
                )
            except (json_format.ParseError, RecursionError) as exc:
                raise FeedRejected(f"bad alert entity: {str(exc)[:200]}") from None
            yield index, entity, alert


def _translations(value: rt.TranslatedString) -> dict[str, str]:
    """Language → text; the translation without a language is under ''. First one wins."""
    texts: dict[str, str] = {}
    for t in value.translation:
        if t.text.strip():
            texts.setdefault(t.language.strip(), t.text)
    return texts


def _first(texts: dict[str, str]) -> str:
    return next(iter(texts.values()), "")


def _tag(language: str) -> str | None:
    """A BCP 47 tag as the event model spells it ('EN-us' → 'en-us'), or None if it is not one."""
    primary, _, rest = language.partition("-")
    tag = primary.lower() + (f"-{rest}" if rest else "")
    return tag if LANG_PATTERN.match(tag) else None


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _informed(entities: Iterable[rt.EntitySelector]) -> tuple[list[str], list[str], list[str]]:
    items = list(entities)
    routes = _unique([e.route_id or e.trip.route_id for e in items])
    stops = _unique(e.stop_id for e in items)
    agencies = _unique(e.agency_id for e in items)
    return routes, stops, agencies


def _area(routes: list[str], stops: list[str], agencies: list[str]) -> str:
    """'Routes: Red, Orange'; stops only when no route is named, the agency when nothing else."""
    if routes:
        text = "Routes: " + ", ".join(routes)
    elif stops:
        text = "Stops: " + ", ".join(stops)
    elif agencies:
        text = "Agency: " + ", ".join(agencies)
    else:
        return ""
    return text if len(text) <= MAX_AREA_DESC_CHARS else text[: MAX_AREA_DESC_CHARS - 1] + "…"


_TEXT_FIELDS = {  # every TranslatedString field of Alert: name → its camelCase JSON name
    field.name: field.json_name
    for field in rt.Alert.DESCRIPTOR.fields
    if field.type == FieldDescriptor.TYPE_MESSAGE
    and field.message_type.full_name == TRANSLATED_STRING
}


def _normalise_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """Bring JSON TranslatedStrings to the proto3 JSON shape `{"translation": [{...}, ...]}`.

    Agencies publish `[{"translation": {...}}, ...]` (MBTA), `{"translation": {...}}`, or a bare
    string (MBTA's cause_detail/effect_detail, which GTFS-rt now types as TranslatedString).
    """
    out = dict(alert)
    for name, json_name in _TEXT_FIELDS.items():
        for key in (name, json_name):
            if key in out:
                out[key] = _translated(out[key])
    return out


def _translated(value: Any) -> Any:
    if isinstance(value, str):
        return {"translation": [{"text": value}]}
    if isinstance(value, dict) and isinstance(value.get("translation"), dict):
        return {"translation": [value["translation"]]}
    if isinstance(value, list):
        merged: list[Any] = []
        for part in value:
            inner = part.get("translation") if isinstance(part, dict) else part
            merged.extend(inner if isinstance(inner, list) else [inner])
        return {"translation": merged}
    return value  # already the proto3 shape, or garbage ParseDict will name
