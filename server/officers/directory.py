"""The officer directory: who covers which districts and kinds, how to reach them, when on duty.

Officers live in their own SQLite file beside the log (`<log>.officers.db`, or `officers_db_path`):
the log stays the append-only record of what happened, the directory is editable reference data
with personal phone numbers that recordings of the log must not carry. Calls made to an officer are
logged on the event with a copy of the name and number used, so the record stays true after the
directory changes.

Imports (CSV or TOML) are validated whole before anything is written: every bad row is reported
with its row number and field, and a file with any bad row changes nothing.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import aiosqlite
import orjson
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from server.districts import Districts
from server.errors import CityboardError
from server.officers.shifts import Duty, Override, Schedule, WeeklyShift, normalise_calendar
from server.stream.events import CATEGORIES, Kind, iso_utc

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
RESERVED_IDS = frozenset({"on-duty", "export", "import"})  # sub-paths of /api/officers
CITY_WIDE = "*"
ALL_KINDS = "*"
COVERABLE_KINDS = tuple(k.value for k in Kind if k is not Kind.CALL)
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
SIP_URI = re.compile(
    r"^sips?:[A-Za-z0-9._~%!$&'*+=-]+@(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)"
    r"(:\d{1,5})?$"
)
MAX_OFFICERS = 10_000
# personal contact details: shown to operators (who call), never to viewers of the board
CONTACT_FIELDS = ("phone", "sip_uri", "tel_uri")
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


class Level(StrEnum):
    """Escalation order: the primary is called first, then the backup, then the head."""

    PRIMARY = "primary"
    BACKUP = "backup"
    HEAD = "head"


LEVEL_RANK = {level: i for i, level in enumerate(Level)}


def _split(value: Any) -> Any:
    """A CSV cell or TOML string `a;b` (or `a, b`) as a list; lists pass through."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;\n]", value) if part.strip()]
    return value


def _split_items(value: Any) -> Any:
    """`11110;11140`, `11110, 11140` or `disaster traffic` as a list; lists pass through."""
    if isinstance(value, str):
        separators = r"[;,\n]" if re.search(r"[;,\n]", value) else r"\s+"
        return [part.strip() for part in re.split(separators, value) if part.strip()]
    return value


def _parse_shift(value: Any) -> WeeklyShift:
    return WeeklyShift.parse(value)


def _parse_override(value: Any) -> Override:
    return Override.parse(value)


Shift = Annotated[WeeklyShift, PlainValidator(_parse_shift), PlainSerializer(str, return_type=str)]
DutyOverride = Annotated[
    Override, PlainValidator(_parse_override), PlainSerializer(str, return_type=str)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Words = BeforeValidator(_split_items)


def normalise_phone(raw: str) -> str:
    """`+82 10-1234-5678` → `+821012345678`; ValueError with the fix when it is not E.164."""
    compact = PHONE_SEPARATORS.sub("", raw)
    if E164.match(compact):
        return compact
    if compact.startswith("0") and compact[1:].isdigit():
        raise ValueError(
            f"phone {raw!r} is a domestic number; write it in E.164 with the country code,"
            f" e.g. +82 {raw.lstrip('0')}"
        )
    raise ValueError(
        f"phone {raw!r} is not an E.164 number: '+', the country code, then 8 to 15 digits in all"
        " (e.g. +82 10-1234-5678)"
    )


class Officer(BaseModel):
    """One person the board can call about an event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=ID_PATTERN)]
    name_ko: Name
    name_en: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    role: Name
    department: Name
    level: Level = Level.PRIMARY
    districts: Annotated[tuple[str, ...], Words]
    kinds: Annotated[tuple[str, ...], Words]
    categories: Annotated[tuple[str, ...], Words] = ()
    phone: str
    sip_uri: str | None = None
    shifts: Annotated[tuple[Shift, ...], BeforeValidator(_split)] = ()
    overrides: Annotated[tuple[DutyOverride, ...], BeforeValidator(_split)] = ()
    calendar: str | None = None
    demo: bool = False

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v in RESERVED_IDS:
            raise ValueError(f"id {v!r} is reserved (a path under /api/officers)")
        return v

    @field_validator("districts")
    @classmethod
    def _known_districts(cls, v: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if not v:
            raise ValueError("list at least one district code, or * for the whole city")
        if CITY_WIDE in v:
            if len(v) > 1:
                raise ValueError("* (the whole city) stands alone; drop the other districts")
            return v
        districts = (info.context or {}).get("districts")
        if not isinstance(districts, Districts):
            return v
        codes = []
        for item in v:
            code = item if item in districts.by_code else districts.by_name(item)
            if code is None:
                raise ValueError(
                    f"unknown district {item!r} (use a code from /api/districts such as"
                    f" {districts.items[0].code}, a name such as {districts.items[0].name_ko},"
                    " or * for the whole city)"
                )
            codes.append(code)
        return tuple(dict.fromkeys(codes))

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError(f"list the kinds covered ({', '.join(COVERABLE_KINDS)}) or *")
        for kind in v:
            if kind != ALL_KINDS and kind not in COVERABLE_KINDS:
                raise ValueError(
                    f"unknown kind {kind!r}; use {', '.join(COVERABLE_KINDS)} or * for all"
                )
        return (ALL_KINDS,) if ALL_KINDS in v else tuple(dict.fromkeys(v))

    @field_validator("phone", mode="before")
    @classmethod
    def _e164(cls, v: Any) -> str:
        if not isinstance(v, str):
            raise ValueError('phone is text in E.164 form, e.g. "+82 10-1234-5678"')
        return normalise_phone(v)

    @field_validator("sip_uri", mode="before")
    @classmethod
    def _sip(cls, v: Any) -> str | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if not isinstance(v, str) or not SIP_URI.match(v.strip()):
            raise ValueError(f"sip_uri {v!r} is not like sip:user@host or sip:user@host:5060")
        return v.strip()

    @field_validator("calendar", mode="before")
    @classmethod
    def _ical(cls, v: Any) -> str | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if not isinstance(v, str):
            raise ValueError("calendar is the text of an iCalendar (.ics) file")
        return normalise_calendar(v)

    @model_validator(mode="after")
    def _categories_in_kinds(self) -> Officer:
        for category in self.categories:
            kind, _, sub = category.partition(".")
            if kind not in COVERABLE_KINDS or sub not in CATEGORIES[Kind(kind)]:
                raise ValueError(f"unknown category {category!r} (see docs/adapters.md)")
            if ALL_KINDS not in self.kinds and kind not in self.kinds:
                raise ValueError(f"category {category!r} is outside the kinds covered")
        return self

    # ------------------------------------------------------------------ behaviour

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.shifts, self.overrides, self.calendar)

    @property
    def city_wide(self) -> bool:
        return CITY_WIDE in self.districts

    @property
    def tel_uri(self) -> str:
        return f"tel:{self.phone}"

    def covers(self, district: str | None, kind: str | None, category: str | None = None) -> bool:
        """True if the officer answers for events of this district, kind and category.
        District `*` (an event outside every district) is covered by city-wide officers only."""
        if district == CITY_WIDE and not self.city_wide:
            return False
        if district and not (self.city_wide or district in self.districts):
            return False
        if kind and not (ALL_KINDS in self.kinds or kind in self.kinds):
            return False
        if category and self.categories:
            same_kind = [
                c for c in self.categories if c.partition(".")[0] == category.partition(".")[0]
            ]
            if same_kind and category not in same_kind:
                return False
        return True

    def stored(self) -> dict[str, Any]:
        """Everything, as stored and exported (shifts and overrides in their text form)."""
        return self.model_dump(mode="json", exclude_defaults=False)

    def public(
        self, duty: Duty | None = None, *, with_calendar: bool = False, contact: bool = True
    ) -> dict[str, Any]:
        """The officer as the API shows it, with duty at the moment asked when given; without
        `contact` (for viewers) their phone numbers and SIP address are left out."""
        data = self.model_dump(mode="json", exclude={"calendar"})
        data["tel_uri"] = self.tel_uri
        if not contact:
            for name in CONTACT_FIELDS:
                data.pop(name, None)
            data["contact_hidden"] = True
        data["has_calendar"] = self.calendar is not None
        if with_calendar:
            data["calendar"] = self.calendar
        if duty is not None:
            data["on_duty"] = duty.on_duty
            if duty.until is not None:
                data["on_duty_until"] = iso_utc(duty.until)
            if duty.next_start is not None:
                data["next_shift_at"] = iso_utc(duty.next_start)
        return data


def order_key(officer: Officer) -> tuple[int, bool, str, str]:
    """Escalation order: level, district officers before city-wide ones, then name."""
    return (
        LEVEL_RANK[officer.level],
        officer.city_wide,
        officer.name_en or officer.name_ko,
        officer.id,
    )


# ------------------------------------------------------------------------------ on duty


@dataclass(frozen=True)
class OnDuty:
    """Who answers for a district and kind at one moment."""

    at: datetime
    district: str | None
    kind: str | None
    category: str | None
    now: list[tuple[Officer, Duty]]
    next: list[tuple[Officer, Duty]]
    escalation: list[tuple[Officer, Duty]]

    def as_json(self, *, contact: bool = True) -> dict[str, Any]:
        return {
            "at": iso_utc(self.at),
            "district": self.district,
            "kind": self.kind,
            "category": self.category,
            "now": [o.public(d, contact=contact) for o, d in self.now],
            "next": [o.public(d, contact=contact) for o, d in self.next],
            "escalation": [o.public(d, contact=contact) for o, d in self.escalation],
        }


def duty_of(officer: Officer, at: datetime, zone: ZoneInfo, lookahead: timedelta) -> Duty:
    """The officer's duty at `at`."""
    return officer.schedule.duty(at, zone, lookahead)


def resolve(
    officers: Iterable[Officer],
    *,
    at: datetime,
    zone: ZoneInfo,
    lookahead: timedelta,
    district: str | None = None,
    kind: str | None = None,
    category: str | None = None,
) -> OnDuty:
    """Who is on duty now, who takes over next, and the escalation chain.

    - now: covering officers on duty at `at`, in escalation order (primary, backup, head).
    - next: for each level, the covering officer(s) off duty now whose next shift starts
      soonest (within the lookahead), soonest first.
    - escalation: whom to call when no primary on duty answers (or none is on duty): backups
      then heads on duty, then backups then heads off duty.
    """
    covering = sorted((o for o in officers if o.covers(district, kind, category)), key=order_key)
    duties = [(o, duty_of(o, at, zone, lookahead)) for o in covering]
    now = [(o, d) for o, d in duties if d.on_duty]
    off = [(o, d) for o, d in duties if not d.on_duty]
    upcoming: list[tuple[Officer, Duty]] = []
    for level in Level:
        starts = [(o, d) for o, d in off if o.level is level and d.next_start is not None]
        if starts:
            soonest = min(d.next_start for _, d in starts if d.next_start is not None)
            upcoming.extend((o, d) for o, d in starts if d.next_start == soonest)
    upcoming.sort(key=lambda od: (od[1].next_start, order_key(od[0])))
    fallback = [(o, d) for o, d in now if o.level is not Level.PRIMARY] + [
        (o, d) for o, d in off if o.level is not Level.PRIMARY
    ]
    return OnDuty(at, district, kind, category, now, upcoming, fallback)


# ------------------------------------------------------------------------ import/export


@dataclass(frozen=True)
class RowError:
    """One problem in an imported file: where (row, line, officer id), which field, what."""

    row: int | None
    field: str | None
    message: str
    id: str | None = None
    line: int | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"row": self.row, "field": self.field, "message": self.message}
        if self.id is not None:
            data["id"] = self.id
        if self.line is not None:
            data["line"] = self.line
        return data

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        if self.line is not None:
            where += f" (line {self.line})"
        if self.id:
            where += f" [{self.id}]"
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class OfficerImportError(CityboardError):
    """A directory file with bad rows; `details` lists every RowError and nothing was stored."""

    code = "invalid_officers"

    def __init__(self, errors: Sequence[RowError], total: int) -> None:
        rows = {e.row for e in errors if e.row is not None}
        if rows:
            message = (
                f"{len(rows)} of {total} rows are invalid; nothing was imported"
                f" (first: {errors[0]})"
            )
        else:
            message = f"the file cannot be imported: {errors[0]}"
        super().__init__(message, details=list(errors))
        self.errors = list(errors)


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


# ---------------------------------------------------------------------------- storage

SCHEMA = """
CREATE TABLE IF NOT EXISTS officers (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS open_calls (call_id TEXT PRIMARY KEY, body TEXT NOT NULL);
"""


@dataclass
class LoadSummary:
    """What an import changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": len(self.created) + len(self.updated) + len(self.unchanged),
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
        }


def default_path(db_path: Path) -> Path:
    """Where the directory lives when `officers_db_path` is not set: beside the log."""
    return db_path.with_name(f"{db_path.stem}.officers.db")


class OfficerStore:
    """The directory's SQLite file, with an in-memory copy refreshed when another process (the
    `cityboard officers import` command) commits to it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._cache: dict[str, Officer] = {}
        self._version: int | None = None

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = await aiosqlite.connect(self.path, isolation_level=None)
            await self._db.execute("PRAGMA journal_mode=WAL")
            await self._db.execute("PRAGMA synchronous=FULL")
            await self._db.execute("PRAGMA busy_timeout=5000")
            await self._db.executescript(SCHEMA)
            await self._reload()
        except Exception as exc:
            await self.close()
            raise CityboardError(
                f"cannot open the officer directory at {self.path}: {exc}", code="officers_db"
            ) from exc

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
        self._db = None

    def _conn(self) -> aiosqlite.Connection:
        if self._db is None:
            raise CityboardError("the officer directory is closed", code="officers_closed")
        return self._db

    async def _data_version(self) -> int:
        async with self._conn().execute("PRAGMA data_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _reload(self) -> None:
        db = self._conn()
        rows = await db.execute_fetchall("SELECT body FROM officers ORDER BY id")
        self._cache = {}
        for (body,) in rows:
            officer = Officer.model_validate_json(body)
            self._cache[officer.id] = officer
        self._version = await self._data_version()

    async def _fresh(self) -> dict[str, Officer]:
        if await self._data_version() != self._version:
            await self._reload()
        return self._cache

    async def all(self) -> list[Officer]:
        """Every officer, by id."""
        return sorted((await self._fresh()).values(), key=lambda o: o.id)

    async def get(self, officer_id: str) -> Officer | None:
        return (await self._fresh()).get(officer_id)

    async def count(self) -> int:
        return len(await self._fresh())

    async def put(self, officer: Officer) -> bool:
        """Create or replace one officer; True if it was new."""
        summary = await self.load([officer], replace=False)
        return bool(summary.created)

    async def delete(self, officer_id: str) -> bool:
        db = self._conn()
        cur = await db.execute("DELETE FROM officers WHERE id = ?", (officer_id,))
        await self._reload()
        return cur.rowcount > 0

    async def delete_demo(self) -> list[str]:
        """Remove the demo directory's entries (kept: everything imported by people)."""
        demo = [o.id for o in (await self._fresh()).values() if o.demo]
        if demo:
            await self.load([], replace=False, remove=demo)
        return demo

    async def load(
        self, officers: Sequence[Officer], *, replace: bool, remove: Sequence[str] = ()
    ) -> LoadSummary:
        """Write officers in one transaction: upsert them (and with `replace`, drop every other)."""
        db = self._conn()
        current = await self._fresh()
        summary = LoadSummary()
        incoming = {o.id for o in officers}
        gone = (
            [i for i in current if i not in incoming]
            if replace
            else [i for i in remove if i in current]
        )
        now = iso_utc(datetime.now().astimezone())
        rows = []
        for officer in officers:
            before = current.get(officer.id)
            if before is None:
                summary.created.append(officer.id)
            elif before == officer:
                summary.unchanged.append(officer.id)
                continue
            else:
                summary.updated.append(officer.id)
            rows.append((officer.id, officer.model_dump_json(), now))
        summary.removed = gone
        await db.execute("BEGIN IMMEDIATE")
        try:
            if gone:
                await db.executemany("DELETE FROM officers WHERE id = ?", [(i,) for i in gone])
            if rows:
                await db.executemany(
                    "INSERT INTO officers(id, body, updated_at) VALUES (?, ?, ?) ON CONFLICT(id)"
                    " DO UPDATE SET body=excluded.body, updated_at=excluded.updated_at",
                    rows,
                )
            await db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                await db.execute("ROLLBACK")
            raise
        await self._reload()
        return summary

    # calls in progress, so a restart can close what it left open on the record

    async def remember_call(self, call_id: str, body: Mapping[str, Any]) -> None:
        await self._conn().execute(
            "INSERT OR REPLACE INTO open_calls(call_id, body) VALUES (?, ?)",
            (call_id, orjson.dumps(dict(body)).decode()),
        )

    async def forget_call(self, call_id: str) -> None:
        await self._conn().execute("DELETE FROM open_calls WHERE call_id = ?", (call_id,))

    async def open_calls(self) -> list[dict[str, Any]]:
        rows = await self._conn().execute_fetchall("SELECT body FROM open_calls")
        return [orjson.loads(body) for (body,) in rows]


def demo_path() -> Path:
    """The bundled fictional directory."""
    return Path(__file__).resolve().parents[1] / "data" / "demo-officers.toml"


def load_demo(districts: Districts) -> list[Officer]:
    """The bundled fictional directory, validated like any import (demo=true on every entry)."""
    officers = parse_file(demo_path().read_text(encoding="utf-8"), "toml", districts)
    return [o if o.demo else o.model_copy(update={"demo": True}) for o in officers]
