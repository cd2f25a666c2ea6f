"""The directory in and out as CSV or TOML, and the bundled fictional demo directory.

Imports are validated whole before anything is written: every bad row is reported with its row
number and field, and a file with any bad row changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import (
    ValidationError,
)

from server.districts import Districts
from server.errors import CityboardError, OfficerImportError, RowError
from server.officers.model import Officer

MAX_OFFICERS = 10_000

MAX_REPORTED_ERRORS = 200

CSV_COLUMNS = (
    "id",
    "name_ko",
    "name_en",
    "role",
    "department",
    "level",
    "districts",
    "kinds",
    "categories",
    "phone",
    "sip_uri",
    "shifts",
    "overrides",
    "calendar",
    "demo",
)

LIST_FIELDS = ("districts", "kinds", "categories", "shifts", "overrides")

INPUT_ONLY = ("calendar_file",)  # read by the command line import, relative to the file


@dataclass(frozen=True)
class RawRow:
    """One officer as read from a file, before validation, with where it came from."""

    row: int
    data: dict[str, Any]
    line: int | None = None


Format = Literal["csv", "toml"]


def format_of(path: Path) -> Format:
    """The import format for a file name (.csv or .toml)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".toml":
        return "toml"
    raise CityboardError(f"{path}: officer files are .csv or .toml", code="bad_format")


def read_rows(text: str, fmt: Format) -> list[RawRow]:
    """Split a CSV or TOML directory file into raw rows; OfficerImportError if the file itself
    cannot be read."""
    text = text.removeprefix("\ufeff")
    return _csv_rows(text) if fmt == "csv" else _toml_rows(text)


def _csv_rows(text: str) -> list[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise OfficerImportError([RowError(None, None, "the file is empty")], 0) from None
    except csv.Error as exc:
        raise OfficerImportError([RowError(1, None, f"not CSV: {exc}")], 0) from None
    allowed = set(CSV_COLUMNS) | set(INPUT_ONLY)
    unknown = [h for h in header if h not in allowed]
    missing = [
        c
        for c in ("id", "name_ko", "role", "department", "districts", "kinds", "phone")
        if c not in header
    ]
    problems = []
    if unknown:
        problems.append(
            RowError(
                1,
                None,
                f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(CSV_COLUMNS)}",
            )
        )
    if missing:
        problems.append(RowError(1, None, f"missing column(s) {', '.join(missing)}"))
    if len(set(header)) != len(header):
        problems.append(RowError(1, None, "a column is named twice"))
    if problems:
        raise OfficerImportError(problems, 0)
    rows: list[RawRow] = []
    number = 1  # the header is row 1, as a spreadsheet shows it
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise OfficerImportError(
                [RowError(number + 1, None, f"not CSV: {exc}", line=line)], len(rows)
            ) from None
        number += 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            rows.append(RawRow(number, {"__extra_cells__": len(cells) - len(header)}, line))
            continue
        data = {h: c.strip() if h != "calendar" else c for h, c in zip(header, cells, strict=False)}
        rows.append(RawRow(number, {k: v for k, v in data.items() if v.strip()}, line))
    return rows


def _toml_rows(text: str) -> list[RawRow]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OfficerImportError([RowError(None, None, f"not valid TOML: {exc}")], 0) from None
    unknown = [k for k in doc if k != "officers"]
    if unknown or not isinstance(doc.get("officers", []), list):
        raise OfficerImportError(
            [
                RowError(
                    None,
                    None,
                    "a directory file is a list of [[officers]] tables"
                    + (f"; unknown key(s) {', '.join(unknown)}" if unknown else ""),
                )
            ],
            0,
        )
    tables = doc.get("officers", [])
    lines = [
        i + 1
        for i, ln in enumerate(text.splitlines())
        if re.match(r"^\s*\[\[\s*officers\s*\]\]", ln)
    ]
    if len(lines) != len(tables):
        lines = []
    return [
        RawRow(
            i + 1,
            t if isinstance(t, dict) else {"__not_table__": True},
            lines[i] if lines else None,
        )
        for i, t in enumerate(tables)
    ]


def row_errors(exc: ValidationError, raw: RawRow, officer_id: str | None) -> list[RowError]:
    found = []
    for e in exc.errors(include_url=False, include_input=False):
        loc = [str(p) for p in e["loc"]]
        name = loc[0] if loc else None
        message = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "missing":
            message = f"{name} is required"
        elif e["type"] == "extra_forbidden":
            message = f"unknown field {name!r}; the fields are {', '.join(CSV_COLUMNS)}"
        elif len(loc) > 1 and name in LIST_FIELDS:
            message = f"item {int(loc[1]) + 1}: {message}"
        found.append(RowError(raw.row, name, message, officer_id, raw.line))
    return found


def validate_rows(
    rows: Sequence[RawRow], districts: Districts, *, base_dir: Path | None = None
) -> list[Officer]:
    """Validate every row; return the officers, or raise OfficerImportError listing every problem
    (invalid values, unknown districts, ids used twice) so nothing is half-imported."""
    errors: list[RowError] = []
    officers: list[Officer] = []
    first_row: dict[str, int] = {}
    if len(rows) > MAX_OFFICERS:
        raise OfficerImportError(
            [RowError(None, None, f"more than {MAX_OFFICERS} officers")], len(rows)
        )
    for raw in rows:
        data = dict(raw.data)
        officer_id = data.get("id") if isinstance(data.get("id"), str) else None
        if "__extra_cells__" in data:
            errors.append(
                RowError(
                    raw.row,
                    None,
                    "more cells than columns (quote cells that contain commas)",
                    None,
                    raw.line,
                )
            )
            continue
        if "__not_table__" in data:
            errors.append(
                RowError(raw.row, None, "each officer is a [[officers]] table", None, raw.line)
            )
            continue
        calendar_file = data.pop("calendar_file", None)
        if calendar_file is not None:
            if base_dir is None:
                errors.append(
                    RowError(
                        raw.row,
                        "calendar_file",
                        "calendar_file is read only by"
                        " `cityboard officers import`; send the calendar inline",
                        officer_id,
                        raw.line,
                    )
                )
                continue
            try:
                data["calendar"] = (base_dir / str(calendar_file)).read_text(encoding="utf-8")
            except OSError as exc:
                errors.append(
                    RowError(
                        raw.row,
                        "calendar_file",
                        f"cannot read {calendar_file}: {exc.strerror or exc}",
                        officer_id,
                        raw.line,
                    )
                )
                continue
        try:
            officer = Officer.model_validate(data, context={"districts": districts})
        except ValidationError as exc:
            errors.extend(row_errors(exc, raw, officer_id))
            continue
        if officer.id in first_row:
            errors.append(
                RowError(
                    raw.row,
                    "id",
                    f"duplicate id {officer.id!r} (first on row {first_row[officer.id]})",
                    officer.id,
                    raw.line,
                )
            )
            continue
        first_row[officer.id] = raw.row
        officers.append(officer)
    if errors:
        raise OfficerImportError(errors[:MAX_REPORTED_ERRORS], len(rows))
    return officers


def parse_file(
    text: str, fmt: Format, districts: Districts, *, base_dir: Path | None = None
) -> list[Officer]:
    """Read and validate a whole directory file (all or nothing)."""
    return validate_rows(read_rows(text, fmt), districts, base_dir=base_dir)


def _csv_cell(officer: Officer, column: str) -> str:
    value = officer.stored()[column]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def export_csv(officers: Iterable[Officer]) -> str:
    """The directory as CSV (lists joined with `;`), readable by `read_rows(..., "csv")`."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for officer in officers:
        writer.writerow([_csv_cell(officer, c) for c in CSV_COLUMNS])
    return out.getvalue()


def _toml_string(value: str) -> str:
    return orjson.dumps(value).decode().replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return _toml_string(str(value))


def export_toml(officers: Iterable[Officer], *, header: str = "") -> str:
    """The directory as `[[officers]]` tables, readable by `read_rows(..., "toml")`."""
    parts = [header] if header else []
    for officer in officers:
        lines = ["[[officers]]"]
        for key, value in officer.stored().items():
            if value is None or value == [] or (key == "name_en" and not value):
                continue
            if key == "demo" and value is False:
                continue
            lines.append(f"{key} = {_toml_value(value)}")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def demo_path() -> Path:
    """The bundled fictional directory."""
    return Path(__file__).resolve().parents[1] / "data" / "demo-officers.toml"


def load_demo(districts: Districts) -> list[Officer]:
    """The bundled fictional directory, validated like any import (demo=true on every entry)."""
    officers = parse_file(demo_path().read_text(encoding="utf-8"), "toml", districts)
    return [o if o.demo else o.model_copy(update={"demo": True}) for o in officers]
