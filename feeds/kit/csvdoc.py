"""CSV documents: decoded as the source says, checked, and split into rows by header."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Literal

from server.errors import FeedRejected

CsvEncoding = Literal["utf-8", "utf-8-sig", "cp949", "euc-kr"]
Row = dict[str, str] | tuple[str, str]  # a row by column, or (label, why it is unusable)


def csv_rows(
    payload: bytes, *, encoding: CsvEncoding, delimiter: str, required: Iterable[str]
) -> list[Row]:
    """The rows of a CSV document by header, or (label, reason) for a row that does not fit; a
    document that is not CSV, is truncated or lacks a `required` column is rejected whole."""
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
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise FeedRejected(f"not valid CSV (truncated?): {exc}") from None
    table = [row for row in table if any(cell.strip() for cell in row)]
    header = [h.strip() for h in table[0]] if table else []
    missing = [c for c in required if c not in header]
    if missing:
        raise FeedRejected(f"CSV has no column {missing[0]!r} (columns: {', '.join(header[:12])})")
    rows: list[Row] = []
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
