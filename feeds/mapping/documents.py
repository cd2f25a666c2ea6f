"""The item list of a mapped document: JSON at a dotted path (result code checked), or CSV rows."""

from __future__ import annotations

from typing import Any

from feeds.kit import FeedRejected, json_type, load_json
from feeds.kit.csvdoc import Row
from feeds.kit.csvdoc import csv_rows as read_csv
from feeds.mapping.options import MappingOptions
from feeds.mapping.paths import EMPTY, MISSING, columns, lookup, scalar


def json_items(payload: bytes, options: MappingOptions) -> list[Any]:
    """The items of a JSON document at `options.items`, after its result code is checked."""
    doc = load_json(payload, what="JSON document")
    if not isinstance(doc, dict | list):
        raise FeedRejected(f"expected a JSON object or array, got a JSON {json_type(doc)}")
    check = options.result
    if check is not None:
        code = next((v for p in check.code if (v := scalar(lookup(doc, p))) is not None), None)
        if code is not None and code in check.empty:
            return []
        if code is not None and check.ok and code not in check.ok:
            message = next(
                (v for p in check.message if (v := scalar(lookup(doc, p))) is not None), ""
            )
            raise FeedRejected(f"the source answered {code!r}: {message[:200]}")
    path = options.items
    found = lookup(doc, path, missing=MISSING, empty=EMPTY) if path else doc
    if found is MISSING:
        raise FeedRejected(f"no item list at {path!r} in the document")
    if found is EMPTY or found is None or found == "":
        return []  # "body": null (safetydata.go.kr) or "items": "" (data.go.kr): none today
    if isinstance(found, dict):
        return [found]  # one item, as XML-to-JSON gateways (data.go.kr) write a single one
    if not isinstance(found, list):
        raise FeedRejected(
            f"{path or 'the document'} is a JSON {json_type(found)}, not an array of items"
        )
    if found and not any(isinstance(item, dict) for item in found):
        raise FeedRejected(
            f"{path or 'the document'} is an array of {json_type(found[0])}s, not of objects"
        )
    return found


def csv_rows(payload: bytes, options: MappingOptions) -> list[Row]:
    """The rows of a CSV document by header, the id's and time's columns required."""
    fields = options.fields
    assert fields is not None
    return read_csv(
        payload,
        encoding=options.csv_encoding,
        delimiter=options.csv_delimiter,
        required=[c for spec in (fields.id, fields.time) if spec for c in columns(spec)],
    )
