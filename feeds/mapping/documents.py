"""The item list of a mapped document: JSON at a dotted path (result code checked), or CSV rows."""

from __future__ import annotations

import csv
import io
from typing import Any

from feeds.kit import FeedRejected, json_type, load_json
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


def csv_rows(payload: bytes, options: MappingOptions) -> list[dict[str, str] | tuple[str, str]]:
    """The rows of a CSV document by header, or (label, reason) for a row that does not fit."""
    encoding = options.csv_encoding
    try:
        text = payload.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as exc:
        raise FeedRejected(
            f"not {encoding} text ({exc.reason} at byte {exc.start}); "
            "set csv_encoding (Korean files are often cp949)"
        ) from None
    if not text.strip():
        raise FeedRejected("empty document (expected CSV with a header row)")
    if text.lstrip().startswith("<"):
        raise FeedRejected("got an HTML or XML page, expected CSV")
    try:
        table = list(
            csv.reader(io.StringIO(text, newline=""), delimiter=options.csv_delimiter, strict=True)
        )
    except csv.Error as exc:
        raise FeedRejected(f"not valid CSV (truncated?): {exc}") from None
    table = [row for row in table if any(cell.strip() for cell in row)]
    header = [h.strip() for h in table[0]] if table else []
    fields = options.fields
    assert fields is not None
    for spec in (fields.id, fields.time):
        missing = [c for c in columns(spec) if c not in header]
        if missing:
            shown = ", ".join(header[:12])
            raise FeedRejected(f"CSV has no column {missing[0]!r} (columns: {shown})")
    rows: list[dict[str, str] | tuple[str, str]] = []  # a row, or (label, why it is bad)
    for number, row in enumerate(table[1:], start=2):
        if len(row) != len(header):
            if number == len(table) and not text.endswith(("\n", "\r")):
                raise FeedRejected(
                    f"CSV is truncated: its last row has {len(row)} of {len(header)} columns"
                )
            rows.append((f"row {number}", f"{len(row)} columns, the header has {len(header)}"))
            continue
        rows.append(dict(zip(header, row, strict=True)))
    return rows
