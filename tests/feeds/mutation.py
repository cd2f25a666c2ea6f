"""Damaging real feed documents one field at a time, for the adapters' mutation tests.

A document (XML through defusedxml, or a JSON tree) lists every place that can be damaged and
the damage that suits it: drop it, empty it, give it a value of the wrong type, NaN or infinity
where a number is, a naive time where an aware one is, an unknown word where an enumerated one
is, an unknown extra element or key, a repeated block. Each place knows the record it belongs to
(the adapter's item: an ATOM entry, a GeoJSON feature, a DATEX II situation, ...) and the names on
its way down from that record, so a test can tell a record's essentials from its secondary fields.
GTFS-realtime protobuf fixtures are mutated in their proto3 JSON form (`protobuf_as_json`), which
the adapter reads as well.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from xml.etree import ElementTree as ET  # serialising only; parsing goes through defusedxml

import orjson
from defusedxml import ElementTree as SafeET
from google.protobuf import json_format, text_format
from google.transit import gtfs_realtime_pb2 as rt

EXTRA_NAME = "cityboardUnknownExtra"
UNKNOWN_WORD = "Zzyzx"
NON_FINITE = ("NaN", "nan", "Infinity", "-inf")
NAIVE_TIME = "2026-11-28T10:00:00"
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_NUMBERS = re.compile(r"^\s*[-+]?\d+\.?\d*([ ,]+[-+]?\d+\.?\d*)+\s*$")  # "lat,lon lat,lon"
_WORD = re.compile(r"^[A-Za-z][A-Za-z_-]{1,30}$")
# an aware ISO 8601 time (its offset is group 2) or an RFC 822 date with its zone (group 4)
_ISO_AWARE = re.compile(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|[+-]\d\d:?\d\d)$")
_RFC822 = re.compile(r"^([A-Za-z]{3}, )?(\d{1,2} [A-Za-z]{3} \d{4} \d\d:\d\d(:\d\d)?) (\S+)$")

OPS = ("drop", "empty", "wrong_type", "non_finite", "naive_time", "unknown_word", "extra", "repeat")
UNREADABLE = frozenset({"wrong_type", "non_finite", "naive_time", "unknown_word"})


@dataclass(frozen=True)
class Place:
    """One damageable place: its path from the root, the record it is in, and its names."""

    path: tuple[Any, ...]
    record: int | None  # index into the document's records; None outside every record
    names: tuple[str, ...]  # element/key names from the record (or root) down to this place
    ops: tuple[str, ...]


@dataclass(frozen=True)
class Mutation:
    """One damage: which operation, where, and the variant of its value."""

    op: str
    place: Place
    variant: int = 0

    def __str__(self) -> str:
        return f"{self.op}({self.variant}) at {'/'.join(self.place.names) or '(root)'}"


def _text_ops(value: str) -> list[str]:
    """The damage that suits a scalar text value, beyond drop and empty."""
    ops = ["wrong_type"]
    if _NUMBER.match(value) or _NUMBERS.match(value):
        ops.append("non_finite")
    if _ISO_AWARE.match(value.strip()) or _RFC822.match(value.strip()):
        ops.append("naive_time")
    if _WORD.match(value.strip()):
        ops.append("unknown_word")
    return ops


def _naive(value: str) -> str:
    """The same time with its offset or zone removed."""
    raw = value.strip()
    iso = _ISO_AWARE.match(raw)
    if iso:
        return iso.group(1)
    rfc = _RFC822.match(raw)
    return (rfc.group(1) or "") + rfc.group(2) if rfc else NAIVE_TIME


def _non_finite(value: str, variant: int) -> str:
    """The text with its first number replaced by NaN or an infinity."""
    return re.sub(r"[-+]?\d+\.?\d*([eE][-+]?\d+)?", NON_FINITE[variant % 4], value, count=1)


class XmlDocument:
    """An XML fixture; records are the outermost elements whose local name is in `records`
    (the root itself when it is one)."""

    def __init__(self, payload: bytes, records: tuple[str, ...]) -> None:
        self.payload = payload
        self.namespaces = {
            prefix: uri
            for event, (prefix, uri) in SafeET.iterparse(BytesIO(payload), events=("start-ns",))
            if event == "start-ns"
        }
        root = SafeET.fromstring(payload)
        self.records: list[tuple[Any, ...]] = []
        self.places: list[Place] = []
        self._walk(root, (), None, (), records)

    @staticmethod
    def local(tag: str) -> str:
        """An element's name without its namespace."""
        return tag.rsplit("}", 1)[-1]

    def _walk(
        self,
        el: ET.Element,
        path: tuple[Any, ...],
        record: int | None,
        names: tuple[str, ...],
        records: tuple[str, ...],
    ) -> None:
        name = self.local(el.tag)
        if record is None and name in records:
            record, names = len(self.records), ()
            self.records.append(path)
        else:
            names = (*names, name)
        leaf = len(el) == 0
        ops = ["drop", "empty"] if path else ["extra"]
        if path:
            ops.append("repeat")
        if leaf and el.text and el.text.strip():
            ops += _text_ops(el.text)
        elif not leaf:
            ops += ["wrong_type", "extra"]
        self.places.append(Place(path, record, names, tuple(dict.fromkeys(ops))))
        for attr, value in el.attrib.items():
            attr_ops = ["drop", *_text_ops(value)]
            self.places.append(
                Place((*path, "@" + attr), record, (*names, self.local(attr)), tuple(attr_ops))
            )
        for n, sub in enumerate(el):
            if isinstance(sub.tag, str):  # not a comment or processing instruction
                self._walk(sub, (*path, n), record, names, records)

    def apply(self, mutation: Mutation) -> bytes:
        """The document's bytes with one damage done."""
        root = SafeET.fromstring(self.payload)
        *parents, last = mutation.place.path or (None,)
        parent = root
        for n in parents:
            parent = parent[n]
        if isinstance(last, str):  # an attribute
            self._attribute(parent, last[1:], mutation)
        else:
            el = root if last is None else parent[last]
            self._element(parent, el, last, mutation)
        for prefix, uri in self.namespaces.items():
            if prefix:
                ET.register_namespace(prefix, uri)
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)

    @staticmethod
    def _attribute(el: ET.Element, name: str, mutation: Mutation) -> None:
        value = el.attrib[name]
        if mutation.op == "drop":
            del el.attrib[name]
        elif mutation.op == "wrong_type":
            el.set(name, "abc" if _NUMBER.match(value) else "12.5")
        elif mutation.op == "non_finite":
            el.set(name, _non_finite(value, mutation.variant))
        elif mutation.op == "naive_time":
            el.set(name, _naive(value))
        elif mutation.op == "unknown_word":
            el.set(
                name, value.rsplit(":", 1)[0] + ":" + UNKNOWN_WORD if ":" in value else UNKNOWN_WORD
            )

    @staticmethod
    def _element(parent: ET.Element, el: ET.Element, index: Any, mutation: Mutation) -> None:
        op = mutation.op
        if op == "drop":
            parent.remove(el)
        elif op == "empty":
            tail = el.tail
            el.clear()
            el.tail = tail
        elif op == "wrong_type":
            if len(el):
                for sub in list(el):
                    el.remove(sub)
                el.text = "abc"
            else:
                el.text = "abc" if _NUMBER.match(el.text or "") else "12.5"
        elif op == "non_finite":
            el.text = _non_finite(el.text or "", mutation.variant)
        elif op == "naive_time":
            el.text = _naive(el.text or "")
        elif op == "unknown_word":
            el.text = UNKNOWN_WORD
        elif op == "extra":
            extra = ET.Element(EXTRA_NAME, {"kind": "unknown"})
            extra.text = "unexpected"
            el.insert(mutation.variant % (len(el) + 1), extra)
        elif op == "repeat":
            parent.insert(index + 1, copy.deepcopy(el))


def _json_ops(value: Any, in_list: bool) -> list[str]:
    ops = ["drop", "empty", "wrong_type"]
    if isinstance(value, bool) or value is None:
        return ops
    if isinstance(value, int | float):
        ops.append("non_finite")
    elif isinstance(value, str):
        ops += [op for op in _text_ops(value) if op != "wrong_type"]
    elif isinstance(value, dict):
        ops.append("extra")
    elif isinstance(value, list) and value:
        ops.append("repeat")
    if in_list:
        ops.append("repeat")
    return ops


def _wrong_type(value: Any) -> Any:
    """A value of another JSON type than `value`."""
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return "seven"
    if isinstance(value, str):
        return 7
    if isinstance(value, list):
        return {"unexpected": 1}
    if isinstance(value, dict):
        return ["unexpected"]
    return {}


def _empty(value: Any) -> Any:
    return (
        ""
        if isinstance(value, str)
        else []
        if isinstance(value, list)
        else {}
        if isinstance(value, dict)
        else None
    )


class JsonDocument:
    """A JSON fixture; records are the objects in the outermost lists held under a key in
    `records` (or the root list, when `""` is among them)."""

    def __init__(self, payload: bytes, records: tuple[str, ...]) -> None:
        self.tree = orjson.loads(payload.removeprefix(b"\xef\xbb\xbf"))
        self.records: list[tuple[Any, ...]] = []
        self.places: list[Place] = []
        self._walk(self.tree, (), None, (), "" if isinstance(self.tree, list) else None, records)

    def _walk(
        self,
        node: Any,
        path: tuple[Any, ...],
        record: int | None,
        names: tuple[str, ...],
        key: str | None,
        records: tuple[str, ...],
    ) -> None:
        if path:
            in_list = isinstance(path[-1], int)
            self.places.append(Place(path, record, names, tuple(_json_ops(node, in_list))))
        else:
            self.places.append(Place(path, None, (), ("extra",) if isinstance(node, dict) else ()))
        if isinstance(node, dict):
            for k, value in node.items():
                self._walk(value, (*path, k), record, (*names, k), k, records)
        elif isinstance(node, list):
            is_records = record is None and key in records
            for n, value in enumerate(node):
                if is_records and isinstance(value, dict):
                    self.records.append((*path, n))
                    self._walk(value, (*path, n), len(self.records) - 1, (), None, records)
                else:
                    self._walk(value, (*path, n), record, names, key, records)

    def apply(self, mutation: Mutation) -> bytes:
        """The document's bytes with one damage done."""
        tree = copy.deepcopy(self.tree)
        path = mutation.place.path
        if not path:
            tree[EXTRA_NAME] = {"kind": ["unknown"]}
            return orjson.dumps(tree)
        parent = tree
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        value = parent[last]
        op = mutation.op
        if op == "drop":
            del parent[last]
        elif op == "empty":
            parent[last] = _empty(value)
        elif op == "wrong_type":
            parent[last] = _wrong_type(value)
        elif op == "non_finite":
            text = value if isinstance(value, str) else str(value)
            parent[last] = _non_finite(text, mutation.variant)
        elif op == "naive_time":
            parent[last] = _naive(value)
        elif op == "unknown_word":
            parent[last] = UNKNOWN_WORD
        elif op == "extra":
            value[EXTRA_NAME] = {"kind": ["unknown"]}
        elif op == "repeat" and isinstance(last, int):
            parent.insert(last + 1, copy.deepcopy(value))
        elif op == "repeat":
            value.insert(0, copy.deepcopy(value[0]))
        return orjson.dumps(tree)


Document = XmlDocument | JsonDocument


def protobuf_as_json(payload: bytes, *, text: bool) -> bytes:
    """A GTFS-realtime FeedMessage (binary, or protobuf text format) in the proto3 JSON
    mapping, field names as in the .proto: the form the JSON mutations work on."""
    message = rt.FeedMessage()
    if text:
        text_format.Parse(payload.decode("utf-8"), message)
    else:
        message.ParseFromString(payload)
    return orjson.dumps(json_format.MessageToDict(message, preserving_proto_field_name=True))


def mutations(document: Document) -> Iterator[tuple[Place, str]]:
    """Every (place, operation) the document offers."""
    for place in document.places:
        for op in place.ops:
            yield place, op
