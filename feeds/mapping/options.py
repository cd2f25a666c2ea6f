"""A `mapping` feed's settings: where the items are, and which source field fills each field."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from feeds.kit import CATEGORIES, MAX_TITLE_CHARS, FeedOptions, Kind
from feeds.kit.csvdoc import CsvEncoding

SeverityName = Literal["extreme", "severe", "moderate", "minor", "info"]
StatusName = Literal["active", "cancelled", "expired", "resolved"]
KindName = Literal["disaster", "traffic", "complaint", "camera"]
Spec = str | list[str]  # a dotted path, a "{template}", or paths joined with `join_with`
WGS84_NAMES = {"EPSG:4326", "WGS84", "OGC:CRS84"}
NAMED_FORMATS = {"auto", "iso", "epoch_s", "epoch_ms"}


def subtype(kind: str, category: str) -> str:
    """A category's subtype: 'traffic.accident' or 'accident' → 'accident' (for kind traffic)."""
    return category.removeprefix(f"{kind}.")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ResultCheck(_Strict):
    """Where the API reports success; a JSON error body otherwise reads as 'no items found'."""

    code: list[str] = Field(min_length=1, description="paths to the result code, tried in order")
    message: list[str] = Field(default_factory=list, description="paths to its message")
    ok: list[str] = Field(default_factory=list, description="codes meaning success")
    empty: list[str] = Field(default_factory=list, description="codes meaning 'no data'")


class CameraFields(_Strict):
    """A camera's media (kind = "camera"): which source field holds each URL (docs/cameras.md)."""

    snapshot_url: Spec | None = None
    mjpeg_url: Spec | None = None
    hls_url: Spec | None = None
    public: bool = Field(default=False, description="every camera of this feed is public")
    public_path: Spec | None = Field(default=None, description="a per-camera public flag")
    refresh_seconds: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _some_media(self) -> CameraFields:
        if self.snapshot_url is None and self.mjpeg_url is None and self.hls_url is None:
            raise ValueError("map at least one of snapshot_url, mjpeg_url, hls_url")
        return self


class Fields(_Strict):
    """How each event field is filled from one item."""

    id: Spec
    kind: KindName
    title: Spec | None = None
    title_max_chars: int = Field(default=120, ge=1, le=MAX_TITLE_CHARS)
    description: Spec | None = None
    time: Spec | None = Field(
        default=None, description="the main time; cameras may go without (dated by the fetch)"
    )
    camera: CameraFields | None = None
    updated: Spec | None = None
    expires: Spec | None = None
    expires_after_hours: float | None = Field(default=None, gt=0)
    time_format: str | list[str] = Field(
        default="auto",
        description="auto (the common layouts; an unreadable, ambiguous or zoneless main time "
        "is replaced by the fetch time, marked, with a warning) | iso | epoch_s | epoch_ms | a "
        "strftime pattern | a list of these but auto, tried in order (strict: refused)",
    )
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
        if (self.kind == "camera") != (self.camera is not None):
            raise ValueError("kind = 'camera' and a [fields.camera] table go together")
        if self.time is None and self.kind != "camera":
            raise ValueError("time is needed (only cameras go without)")
        subtypes = CATEGORIES[Kind(self.kind)]
        for where, value in [
            ("category", self.category or f"{self.kind}.other"),
            *((f"category_map[{k!r}]", v) for k, v in self.category_map.items()),
        ]:
            if subtype(self.kind, value) not in subtypes:
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
        if "auto" in self.formats and len(self.formats) > 1:
            raise ValueError("time_format 'auto' stands alone: it already tries every layout")
        for fmt in self.formats:
            if fmt not in NAMED_FORMATS and "%" not in fmt:
                raise ValueError(
                    f"time_format {fmt!r} is not 'auto', 'iso', 'epoch_s', 'epoch_ms' or a "
                    "strftime pattern such as '%Y%m%d%H%M%S'"
                )
        return self

    @property
    def formats(self) -> list[str]:
        """The time formats to try, in order."""
        return [self.time_format] if isinstance(self.time_format, str) else self.time_format


class MappingOptions(FeedOptions):
    """Settings under [feeds.options]; `fields` under [feeds.options.fields]."""

    model_config = ConfigDict(strict=True)

    format: Literal["json", "csv"] = "json"
    items: str = Field(default="", description="dotted path to the item list; '' = the root")
    csv_delimiter: str = Field(default=",", min_length=1, max_length=1)
    csv_encoding: CsvEncoding = "utf-8"
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
