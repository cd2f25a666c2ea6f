"""Declarative mapping: a city API that follows no standard, described in TOML instead of code.

The options say where the list of items is (a dotted path in JSON, or the rows of a CSV) and, for
each event field, which source field (a dotted path), which joined fields, or which template
(`"{acc_type} {acc_info}"`) fills it; values are translated through small tables (category,
severity, status). Times in a fixed pattern, epoch numbers or ISO 8601; naive times are read in the
feed's `timezone`. Coordinates in a projected CRS (Korean TM, EPSG:5181) are reprojected to WGS84
with pyproj, imported only when a feed needs it. Region names become districts. Shipped examples
for Korean sources are in `feeds/configs/` and described in `docs/korean-sources.md`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from feeds.kit import (
    CATEGORIES,
    MAX_AREA_DESC_CHARS,
    MAX_TITLE_CHARS,
    ConfigError,
    Event,
    FeedContext,
    FeedOptions,
    FeedRejected,
    Kind,
    Parsed,
    PollingFeed,
    districts_in_text,
    from_epoch,
    json_type,
    load_json,
    lonlat_point,
    make_event,
    parse_time,
    parse_time_pattern,
    plain_text,
    text_of,
    title_text,
    version_of,
    web_url,
)

SeverityName = Literal["extreme", "severe", "moderate", "minor", "info"]
StatusName = Literal["active", "cancelled", "expired", "resolved"]
KindName = Literal["disaster", "traffic", "complaint"]
Spec = str | list[str]  # a dotted path, a "{template}", or paths joined with `join_with`
WGS84_NAMES = {"EPSG:4326", "WGS84", "OGC:CRS84"}
NAMED_FORMATS = {"iso", "epoch_s", "epoch_ms"}
EXTRA_VALUE_CHARS = 200
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_NANOSECONDS = re.compile(r"(\.\d{6})\d+")  # "09:12:00.000000000": strptime's %f takes six
MISSING, EMPTY = object(), object()
_REGION_PARTS = re.compile(r"[,;/|·\n]+")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ResultCheck(_Strict):
    """Where the API reports success; a JSON error body otherwise reads as 'no items found'."""

    code: list[str] = Field(min_length=1, description="paths to the result code, tried in order")
    message: list[str] = Field(default_factory=list, description="paths to its message")
    ok: list[str] = Field(default_factory=list, description="codes meaning success")
    empty: list[str] = Field(default_factory=list, description="codes meaning 'no data'")


class Fields(_Strict):
    """How each event field is filled from one item."""

    id: Spec
    kind: KindName
    title: Spec | None = None
    title_max_chars: int = Field(default=120, ge=1, le=MAX_TITLE_CHARS)
    description: Spec | None = None
    time: Spec
    updated: Spec | None = None
    expires: Spec | None = None
    expires_after_hours: float | None = Field(default=None, gt=0)
    time_format: str | list[str] = "iso"
    join_with: str = ""
    lon: str | None = None
    lat: str | None = None
    point: str | None = None
    coordinate_order: Literal["lonlat", "latlon"] = "lonlat"
    crs: str = "EPSG:4326"
    region: str | None = None
    category: str | None = None
    category_path: Spec | None = None
    category_map: dict[str, str] = Field(default_factory=dict)
    severity: SeverityName = "minor"
    severity_path: Spec | None = None
    severity_map: dict[str, SeverityName] = Field(default_factory=dict)
    status_path: Spec | None = None
    status_map: dict[str, StatusName] = Field(default_factory=dict)
    url: Spec | None = None
    version: str | None = None
    extra: dict[str, Spec] = Field(default_factory=dict, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> Fields:
        subtypes = CATEGORIES[Kind(self.kind)]
        for where, value in [
            ("category", self.category or f"{self.kind}.other"),
            *((f"category_map[{k!r}]", v) for k, v in self.category_map.items()),
        ]:
            if _subtype(self.kind, value) not in subtypes:
                allowed = ", ".join(f"{self.kind}.{s}" for s in subtypes)
                raise ValueError(f"{where} = {value!r} is not one of: {allowed}")
        for table, path in (
            ("category_map", self.category_path),
            ("severity_map", self.severity_path),
            ("status_map", self.status_path),
        ):
            if getattr(self, table) and path is None:
                raise ValueError(f"{table} needs {table.replace('_map', '_path')}")
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon and lat go together")
        if self.point is not None and self.lon is not None:
            raise ValueError("use either point or lon/lat, not both")
        if self.crs.upper() not in WGS84_NAMES and self.point is None and self.lon is None:
            raise ValueError(f"crs = {self.crs!r} but no lon/lat or point is mapped")
        if not self.formats:
            raise ValueError("time_format needs at least one format")
        for fmt in self.formats:
            if fmt not in NAMED_FORMATS and "%" not in fmt:
                raise ValueError(
                    f"time_format {fmt!r} is not 'iso', 'epoch_s', 'epoch_ms' or a "
                    "strftime pattern such as '%Y%m%d%H%M%S'"
                )
        return self

    @property
    def formats(self) -> list[str]:
        return [self.time_format] if isinstance(self.time_format, str) else self.time_format


class MappingOptions(FeedOptions):
    """Settings under [feeds.options]; `fields` under [feeds.options.fields]."""

    model_config = ConfigDict(strict=True)

    format: Literal["json", "csv"] = "json"
    items: str = Field(default="", description="dotted path to the item list; '' = the root")
    csv_delimiter: str = Field(default=",", min_length=1, max_length=1)
    csv_encoding: Literal["utf-8", "utf-8-sig", "cp949", "euc-kr"] = "utf-8"
    result: ResultCheck | None = None
    keep_regions: list[str] | None = Field(
        default=None,
        description="keep only items whose region names one of our districts or "
        "contains one of these words; others are left out silently",
    )
    fields: Fields | None = None

    @model_validator(mode="after")
    def _regions(self) -> MappingOptions:
        if self.keep_regions is not None and (self.fields is None or self.fields.region is None):
            raise ValueError("keep_regions needs fields.region")
        return self


class MappingFeed(PollingFeed):
    """One JSON or CSV API, mapped by configuration; see `manifest.toml` for the rules."""

    Options = MappingOptions
    options: MappingOptions

    def __init__(self, context: FeedContext) -> None:
        super().__init__(context)
        self._project: Callable[[float, float], tuple[float, float]] | None = None
        fields = self.options.fields
        if fields is None:
            return
        naive = [f for f in fields.formats if "%" in f and "%z" not in f and "%Z" not in f]
        if naive and self.context.zone is None:
            raise ConfigError(
                f"feed {self.source!r}: time_format {naive[0]!r} has no zone; set `timezone` "
                '(e.g. "Asia/Seoul") in the feed\'s config'
            )
        if fields.crs.upper() not in WGS84_NAMES:
            self._project = _projector(self.source, fields.crs)

    # ------------------------------------------------------------------------- document

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        fields = self.options.fields
        if fields is None:
            raise FeedRejected("the mapping adapter has no [feeds.options.fields] configured")
        rows: list[Any] = (
            self._csv_rows(payload) if self.options.format == "csv" else self._json_items(payload)
        )
        parsed = Parsed()
        for index, row in enumerate(rows):
            label = f"item #{index}"
            if isinstance(row, dict):
                label = (_render(fields.id, row, fields.join_with) or label)[:100]
            elif isinstance(row, tuple):  # a CSV row that does not fit the header
                label = row[0]
            with parsed.item(label):
                if isinstance(row, tuple):
                    raise FeedRejected(row[1])
                if not isinstance(row, dict):
                    raise FeedRejected(f"item is a JSON {json_type(row)}, not an object")
                event = self._event(fields, row, received_at)
                if event is not None:
                    parsed.events.append(event)
        return parsed

    def _json_items(self, payload: bytes) -> list[Any]:
        doc = load_json(payload, what="JSON document")
        if not isinstance(doc, dict | list):
            raise FeedRejected(f"expected a JSON object or array, got a JSON {json_type(doc)}")
        check = self.options.result
        if check is not None:
            code = next(
                (v for p in check.code if (v := _scalar(_lookup(doc, p))) is not None), None
            )
            if code is not None and code in check.empty:
                return []
            if code is not None and check.ok and code not in check.ok:
                message = next(
                    (v for p in check.message if (v := _scalar(_lookup(doc, p))) is not None), ""
                )
                raise FeedRejected(f"the source answered {code!r}: {message[:200]}")
        path = self.options.items
        found = _lookup(doc, path, missing=MISSING, empty=EMPTY) if path else doc
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

    def _csv_rows(self, payload: bytes) -> list[dict[str, str] | tuple[str, str]]:
        encoding = self.options.csv_encoding
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
                csv.reader(
                    io.StringIO(text, newline=""), delimiter=self.options.csv_delimiter, strict=True
                )
            )
        except csv.Error as exc:
            raise FeedRejected(f"not valid CSV (truncated?): {exc}") from None
        table = [row for row in table if any(cell.strip() for cell in row)]
        header = [h.strip() for h in table[0]] if table else []
        fields = self.options.fields
        assert fields is not None
        for spec in (fields.id, fields.time):
            missing = [c for c in _columns(spec) if c not in header]
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

    # ---------------------------------------------------------------------------- item

    def _event(self, f: Fields, item: dict[str, Any], received_at: datetime) -> Event | None:
        external_id = _render(f.id, item, f.join_with)
        if not external_id:
            raise FeedRejected(f"no id at {f.id!r}")

        region_text = text_of(_lookup(item, f.region), booleans=True) if f.region else ""
        codes = districts_in_text(self.context.districts, region_text) if region_text else []
        keep = self.options.keep_regions
        if keep is not None and not codes and not any(word in region_text for word in keep):
            return None  # a national feed: another city's message, not an error

        sent_at = self._time(f, f.time, item, "time")
        if sent_at is None:
            raise FeedRejected(f"no time at {f.time!r}")
        updated_at = self._time(f, f.updated, item, "updated") or sent_at
        expires_at = self._time(f, f.expires, item, "expires")
        if expires_at is None and f.expires_after_hours:
            expires_at = updated_at + timedelta(hours=f.expires_after_hours)

        version = version_of(updated_at)
        raw = text_of(_lookup(item, f.version), booleans=True) if f.version else ""
        if raw:
            if not raw.isdigit() or int(raw) < 1:
                raise FeedRejected(
                    f"version {raw[:30]!r} at {f.version!r} is not a positive integer"
                )
            version = int(raw)

        description = plain_text(_render(f.description, item, f.join_with))
        title = _first_line(plain_text(_render(f.title, item, f.join_with))) or _first_line(
            description
        )
        if not title:
            raise FeedRejected("empty title")
        if len(title) > f.title_max_chars:
            title = title[: f.title_max_chars - 1].rstrip() + "…"

        parts = [" ".join(p.split()) for p in _REGION_PARTS.split(region_text) if p.strip()]
        area = ", ".join(parts)
        if len(area) > MAX_AREA_DESC_CHARS:
            area = area[: MAX_AREA_DESC_CHARS - 1] + "…"

        extra: dict[str, str] = {}
        for key, spec in f.extra.items():
            if value := _render(spec, item, f.join_with):
                extra[key] = value[:EXTRA_VALUE_CHARS]

        geometry = self._geometry(f, item)
        return make_event(
            self.source,
            external_id,
            kind=f.kind,
            category=self._category(f, item),
            severity=self._severity(f, item),
            status=_mapped(f.status_map, _render(f.status_path, item, f.join_with)) or "active",
            title=title_text(title),
            description=description,
            area_desc=area,
            # a point is located by the runner on our own boundaries; names only without one
            district=codes[0] if codes and geometry is None else None,
            geometry=geometry,
            sent_at=sent_at,
            updated_at=updated_at,
            expires_at=expires_at,
            received_at=received_at,
            version=version,
            url=web_url(_render(f.url, item, f.join_with)),
            extra=extra,
        )

    def _time(
        self, f: Fields, spec: Spec | None, item: dict[str, Any], name: str
    ) -> datetime | None:
        raw = _render(spec, item, f.join_with)
        if not raw:
            return None
        raw = _NANOSECONDS.sub(r"\1", raw)
        zone = self.context.zone
        reason = ""
        for fmt in f.formats:
            try:
                if fmt == "iso":
                    return parse_time(raw, zone=zone, field=name)
                if fmt == "epoch_s":
                    return from_epoch(raw, unit="s", field=name)
                if fmt == "epoch_ms":
                    return from_epoch(raw, unit="ms", field=name)
                if raw.isdigit() and not _exact_digits(raw, fmt):
                    raise FeedRejected(f"{name} {raw[:40]!r} does not fill the pattern {fmt!r}")
                return parse_time_pattern(raw, fmt, zone=zone, field=name)
            except FeedRejected as exc:
                reason = exc.message
        if len(f.formats) == 1:
            raise FeedRejected(reason)
        raise FeedRejected(f"{name} {raw[:40]!r} matches none of time_format {f.formats}")

    def _category(self, f: Fields, item: dict[str, Any]) -> str:
        value = _mapped(f.category_map, _render(f.category_path, item, f.join_with))
        return f"{f.kind}.{_subtype(f.kind, value or f.category or 'other')}"

    def _severity(self, f: Fields, item: dict[str, Any]) -> str:
        return _mapped(f.severity_map, _render(f.severity_path, item, f.join_with)) or f.severity

    def _geometry(self, f: Fields, item: dict[str, Any]) -> dict[str, Any] | None:
        if f.point is not None:
            x, y = _pair(_lookup(item, f.point), f.point)
            if f.coordinate_order == "latlon":
                x, y = y, x
            where = f.point
        elif f.lon is not None and f.lat is not None:
            x, y = _lookup(item, f.lon), _lookup(item, f.lat)
            where = f"{f.lon}/{f.lat}"
        else:
            return None
        if self._project is None:
            return lonlat_point(x, y, field=where)
        xs, ys = text_of(x, booleans=True), text_of(y, booleans=True)
        if not xs or not ys:
            return None
        try:
            easting, northing = float(xs), float(ys)
        except ValueError:
            raise FeedRejected(f"{where} ({xs[:30]}, {ys[:30]}) is not numeric") from None
        if easting == 0 and northing == 0:
            return None
        lon, lat = self._project(easting, northing)
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise FeedRejected(f"{where} ({easting}, {northing}) is outside {f.crs}")
        return lonlat_point(round(lon, 7), round(lat, 7), field=where)


# ------------------------------------------------------------------------------ helpers


def _projector(source: str, crs: str) -> Callable[[float, float], tuple[float, float]]:
    """x, y in `crs` → lon, lat (WGS84); pyproj is imported only for feeds that need it."""
    try:
        from pyproj import Transformer
        from pyproj.exceptions import CRSError
    except ImportError:
        raise ConfigError(
            f"feed {source!r}: crs = {crs!r} needs pyproj to reproject coordinates; install it "
            "with `pip install pyproj`"
        ) from None
    try:
        transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    except CRSError as exc:
        raise ConfigError(f"feed {source!r}: crs = {crs!r} is not a known CRS: {exc}") from None

    def project(x: float, y: float) -> tuple[float, float]:
        lon, lat = transformer.transform(x, y)
        return float(lon), float(lat)

    return project


def _lookup(node: Any, path: str, *, missing: Any = None, empty: Any = None) -> Any:
    """The value at a dotted path ('response.body.items', 'rows.0.name'); `missing` when absent,
    `empty` when the path runs into a null or "" on the way (an empty list, as some APIs say it).

    A key that itself contains dots (or a CSV column) is found first as it is.
    """
    if isinstance(node, dict) and path in node:
        return node[path]
    for part in path.split("."):
        if node is None or node == "":
            return empty
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return missing
    return node


def _scalar(value: Any) -> str | None:
    text = text_of(value, booleans=True)
    return text if text or isinstance(value, str) else None


def _render(spec: Spec | None, item: dict[str, Any], join_with: str) -> str:
    """A path's value, joined paths' values, or a template with {path} placeholders filled."""
    if spec is None:
        return ""
    if isinstance(spec, list):
        return join_with.join(
            v for p in spec if (v := text_of(_lookup(item, p), booleans=True))
        ).strip()
    if "{" in spec:  # a template whose every placeholder is empty is empty, not its literals
        values = {
            name: text_of(_lookup(item, name.strip()), booleans=True)
            for name in _PLACEHOLDER.findall(spec)
        }
        if not any(values.values()):
            return ""
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], spec).strip()
    return text_of(_lookup(item, spec), booleans=True)


def _columns(spec: Spec) -> list[str]:
    if isinstance(spec, list):
        return spec
    if "{" in spec:
        return [m.strip() for m in _PLACEHOLDER.findall(spec)]
    return [spec]


def _mapped(table: dict[str, Any], value: str) -> Any:
    """A table lookup on the source's value, exact first, then ignoring case and spacing."""
    if not value:
        return None
    if value in table:
        return table[value]
    key = " ".join(value.split()).lower()
    return next((v for k, v in table.items() if " ".join(k.split()).lower() == key), None)


def _subtype(kind: str, category: str) -> str:
    return category.removeprefix(f"{kind}.")


def _exact_digits(raw: str, fmt: str) -> bool:
    """Whether an all-digit value fills the pattern's fixed widths exactly.

    strptime lets %M and %S take one digit, so '%Y%m%d%H%M%S' reads '202611290915' (HHMM) as
    09:01:05; a digits-only time is accepted only if formatting it back gives the same text.
    """
    try:
        return datetime.strptime(raw, fmt).strftime(fmt) == raw
    except ValueError:
        return False


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _pair(value: Any, where: str) -> tuple[Any, Any]:
    """A coordinate pair given as [a, b] or 'a,b' / 'a b'; (None, None) when absent."""
    if value is None or value == "" or value == []:
        return None, None
    if isinstance(value, list) and len(value) >= 2:
        return value[0], value[1]
    if isinstance(value, str):
        parts = value.replace(",", " ").split()
        if len(parts) == 2:
            return parts[0], parts[1]
    raise FeedRejected(f"{where} {str(value)[:40]!r} is not a coordinate pair")
