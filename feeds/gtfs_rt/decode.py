"""Decoding a GTFS-realtime FeedMessage, binary protobuf or JSON, into the protobuf classes.

JSON comes as the proto3 JSON mapping (snake_case or camelCase) or an agency variant such as
MBTA's "enhanced" JSON, whose TranslatedStrings are lists of `{"translation": {...}}`; it is
brought to the proto3 shape first, so both forms reach the mapping as the same objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2 as rt

from feeds.kit import FeedRejected, Parsed, json_type, load_json

TRANSLATED_STRING = rt.TranslatedString.DESCRIPTOR.full_name


def decode(payload: bytes, fmt: str) -> tuple[rt.FeedMessage, list[Any] | None]:
    """The message (with its header), and for JSON the raw entities, decoded one by one
    later so that one bad entity costs only itself; `fmt` is auto, protobuf or json."""
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


def entities(
    message: rt.FeedMessage, raw: list[Any] | None, parsed: Parsed
) -> Iterator[tuple[int, rt.FeedEntity, dict[str, Any], list[str]]]:
    """(index, entity, the alert as JSON for agency extensions, the JSON fields dropped because
    they did not fit the proto) for each entity with an alert; trip updates and vehicle
    positions are not ours and are passed over."""
    if raw is None:
        for index, entity in enumerate(message.entity):
            if entity.HasField("alert"):
                yield index, entity, {}, []
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
            dropped: list[str] = []
            fitting = _fitting(
                {**item, "alert": _normalise_alert(alert)}, rt.FeedEntity.DESCRIPTOR, "", dropped
            )
            entity = rt.FeedEntity()
            try:
                json_format.ParseDict(fitting, entity, ignore_unknown_fields=True)
            except (json_format.ParseError, RecursionError) as exc:
                raise FeedRejected(f"bad alert entity: {str(exc)[:200]}") from None
            yield index, entity, alert, dropped


# what the event cannot do without: identity, status and the main times (the rest is secondary)
ESSENTIAL_FIELDS = ("id", "is_deleted", "alert.active_period", "alert.communication_period")
_INT_RANGES = {
    FieldDescriptor.CPPTYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.CPPTYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.CPPTYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.CPPTYPE_UINT64: (0, 2**64 - 1),
}


def _fitting(value: dict[str, Any], message: Descriptor, path: str, dropped: list[str]) -> Any:
    """`value` without the fields whose JSON does not fit `message` (a number where text
    belongs, an unknown enum word, an object where a list belongs), each noted in `dropped`:
    a secondary field of the wrong type costs only itself. Unknown keys stay (ParseDict
    ignores them); a missing required field is the adapter's to refuse."""
    fields = {f.name: f for f in message.fields} | {f.json_name: f for f in message.fields}
    out: dict[str, Any] = {}
    for key, item in value.items():
        field = fields.get(key)
        if field is None or item is None:
            out[key] = item
            continue
        where = f"{path}.{field.name}" if path else field.name
        if not field.is_repeated:
            problem = _misfit(item, field)
            if problem:
                _drop(where, problem, dropped)
            else:
                out[key] = (
                    _fitting(item, field.message_type, where, dropped)
                    if isinstance(item, dict)
                    else item
                )
            continue
        if not isinstance(item, list):
            _drop(where, f"is a JSON {json_type(item)}, not an array", dropped)
            continue
        kept = []
        for element in item:
            problem = _misfit(element, field)
            if problem:
                _drop(where, problem, dropped)
            elif isinstance(element, dict):
                kept.append(_fitting(element, field.message_type, where, dropped))
            else:
                kept.append(element)
        out[key] = kept
    return out


def _drop(where: str, problem: str, dropped: list[str]) -> None:
    """Note a secondary field that does not fit; one of ESSENTIAL_FIELDS refuses the entity."""
    if any(where == e or where.startswith(e + ".") for e in ESSENTIAL_FIELDS):
        raise FeedRejected(f"{where} {problem}")
    dropped.append(f"{where} {problem}; ignored")


def _misfit(value: Any, field: FieldDescriptor) -> str:
    """Why one JSON value does not fit a (non-repeated) field of the proto, or ''."""
    kind = field.cpp_type
    if kind == FieldDescriptor.CPPTYPE_MESSAGE:
        return "" if isinstance(value, dict) else f"is a JSON {json_type(value)}, not an object"
    if kind == FieldDescriptor.CPPTYPE_STRING:
        return "" if isinstance(value, str) else f"is a JSON {json_type(value)}, not text"
    if kind == FieldDescriptor.CPPTYPE_BOOL:
        return "" if isinstance(value, bool) else f"is a JSON {json_type(value)}, not a boolean"
    if kind == FieldDescriptor.CPPTYPE_ENUM:
        known = field.enum_type.values_by_name if isinstance(value, str) else None
        numbers = field.enum_type.values_by_number
        if (known is not None and value in known) or (
            isinstance(value, int) and not isinstance(value, bool) and value in numbers
        ):
            return ""
        return f"{str(value)[:30]!r} is not a {field.enum_type.name}"
    if kind in _INT_RANGES:
        low, high = _INT_RANGES[kind]
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value)
        if number is None or not low <= number <= high:
            return f"{str(value)[:30]!r} is not a whole number in range"
        return ""
    return ""  # floats and bytes do not occur in alerts; ParseDict judges them


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
