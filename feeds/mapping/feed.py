"""The `mapping` feed: each item of a JSON or CSV document becomes an event, as the options say."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from feeds.kit import (
    MAX_AREA_DESC_CHARS,
    ConfigError,
    Event,
    FeedContext,
    FeedFiltered,
    FeedRejected,
    FetchTimeFallback,
    Parsed,
    PollingFeed,
    TimeBasis,
    UnreadableTime,
    districts_in_text,
    finite_float,
    json_type,
    lonlat_point,
    make_event,
    parse_time_format,
    plain_text,
    read_published_time,
    text_of,
    title_text,
    version_of,
    web_url,
)
from feeds.kit.camera import camera_media
from feeds.mapping.documents import csv_rows, json_items
from feeds.mapping.options import WGS84_NAMES, CameraFields, Fields, MappingOptions, Spec, subtype
from feeds.mapping.paths import lookup, render
from feeds.mapping.project import projector

EXTRA_VALUE_CHARS = 200
_NANOSECONDS = re.compile(r"(\.\d{6})\d+")  # "09:12:00.000000000": strptime's %f takes six
_REGION_PARTS = re.compile(r"[,;/|·\n]+")


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
            self._project = projector(self.source, fields.crs)

    # ------------------------------------------------------------------------- document

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """A JSON or CSV document: one event per item, as the options map it."""
        fields = self.options.fields
        if fields is None:
            raise FeedRejected("the mapping adapter has no [feeds.options.fields] configured")
        rows: list[Any] = (
            csv_rows(payload, self.options)
            if self.options.format == "csv"
            else json_items(payload, self.options)
        )
        parsed, fallback = Parsed(), FetchTimeFallback()
        for index, row in enumerate(rows):
            label = f"item #{index}"
            if isinstance(row, dict):
                label = (render(fields.id, row, fields.join_with) or label)[:100]
            elif isinstance(row, tuple):  # a CSV row that does not fit the header
                label = row[0]
            with parsed.item(label) as dropped:
                if isinstance(row, tuple):
                    raise FeedRejected(row[1])
                if not isinstance(row, dict):
                    raise FeedRejected(f"item is a JSON {json_type(row)}, not an object")
                event = self._event(fields, row, received_at, fallback, dropped)
                if event is not None:
                    parsed.events.append(event)
        parsed.warnings += fallback.warnings()
        return parsed

    # ---------------------------------------------------------------------------- item

    def _event(
        self,
        f: Fields,
        item: dict[str, Any],
        received_at: datetime,
        fallback: FetchTimeFallback,
        dropped: list[str],
    ) -> Event | None:
        external_id = render(f.id, item, f.join_with)
        if not external_id:
            raise FeedRejected(f"no id at {f.id!r}")

        region_text = text_of(lookup(item, f.region), booleans=True) if f.region else ""
        codes = districts_in_text(self.context.districts, region_text) if region_text else []
        keep = self.options.keep_regions
        if keep is not None and not codes and not any(word in region_text for word in keep):
            # a national feed: another city's message, not an error
            raise FeedFiltered(
                f"region {region_text[:60]!r} names none of our districts nor {', '.join(keep)} "
                "(option keep_regions)"
            )

        unread: UnreadableTime | None = None
        try:
            sent_at = self._time(f, f.time, item, "time")
        except UnreadableTime as exc:
            if f.formats != ["auto"]:
                raise  # a configured format is a promise: a time that breaks it is refused
            sent_at, unread = received_at, exc
        undated = sent_at is None and f.time is None  # a camera list: dated by the fetch
        if undated:
            sent_at = received_at
        if sent_at is None:
            raise FeedRejected(f"no time at {f.time!r}")
        updated_at = self._time(f, f.updated, item, "updated") or sent_at
        expires_at = self._time(f, f.expires, item, "expires")
        if expires_at is None and f.expires_after_hours:
            expires_at = updated_at + timedelta(hours=f.expires_after_hours)

        version = version_of(updated_at)
        raw = text_of(lookup(item, f.version), booleans=True) if f.version else ""
        if raw:
            if not raw.isdigit() or int(raw) < 1:
                raise FeedRejected(
                    f"version {raw[:30]!r} at {f.version!r} is not a positive integer"
                )
            version = int(raw)

        description = plain_text(render(f.description, item, f.join_with))
        title = _first_line(plain_text(render(f.title, item, f.join_with))) or _first_line(
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

        extra: dict[str, Any] = {}
        for key, spec in f.extra.items():
            if value := render(spec, item, f.join_with):
                extra[key] = value[:EXTRA_VALUE_CHARS]
        if f.camera is not None:
            extra["camera"] = self._camera(f, f.camera, item, dropped)

        geometry = self._geometry(f, item)
        event = make_event(
            self.source,
            external_id,
            kind=f.kind,
            category=self._category(f, item),
            severity="info" if f.camera is not None else self._severity(f, item),
            status=_mapped(f.status_map, render(f.status_path, item, f.join_with)) or "active",
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
            time_basis=TimeBasis.SOURCE if unread is None and not undated else TimeBasis.FETCHED,
            version=version,
            url=web_url(render(f.url, item, f.join_with)),
            extra=extra,
        )
        if unread is not None:
            fallback.used(unread)
        return event

    def _time(
        self, f: Fields, spec: Spec | None, item: dict[str, Any], name: str
    ) -> datetime | None:
        raw = render(spec, item, f.join_with)
        if not raw:
            return None
        zone = self.context.zone
        if f.formats == ["auto"]:  # name the source's field: the warning says what to fix
            return read_published_time(
                raw, zone=zone, field=spec if isinstance(spec, str) else name
            )
        raw = _NANOSECONDS.sub(r"\1", raw)
        reason = ""
        for fmt in f.formats:
            try:
                if "%" in fmt and raw.isdigit() and not _exact_digits(raw, fmt):
                    raise FeedRejected(f"{name} {raw[:40]!r} does not fill the pattern {fmt!r}")
                return parse_time_format(raw, fmt, zone=zone, field=name)
            except FeedRejected as exc:
                reason = exc.message
        if len(f.formats) == 1:
            raise FeedRejected(reason)
        raise FeedRejected(f"{name} {raw[:40]!r} matches none of time_format {f.formats}")

    def _camera(
        self, f: Fields, c: CameraFields, item: dict[str, Any], dropped: list[str]
    ) -> dict[str, Any]:
        urls = {
            name: render(spec, item, f.join_with)
            for name, spec in (
                ("snapshot_url", c.snapshot_url),
                ("mjpeg_url", c.mjpeg_url),
                ("hls_url", c.hls_url),
            )
        }
        public = render(c.public_path, item, f.join_with) if c.public_path else c.public
        return camera_media(urls, public=public, refresh_seconds=c.refresh_seconds, dropped=dropped)

    def _category(self, f: Fields, item: dict[str, Any]) -> str:
        value = _mapped(f.category_map, render(f.category_path, item, f.join_with))
        return f"{f.kind}.{subtype(f.kind, value or f.category or 'other')}"

    def _severity(self, f: Fields, item: dict[str, Any]) -> str:
        return _mapped(f.severity_map, render(f.severity_path, item, f.join_with)) or f.severity

    def _geometry(self, f: Fields, item: dict[str, Any]) -> dict[str, Any] | None:
        if f.point is not None:
            x, y = _pair(lookup(item, f.point), f.point)
            if f.coordinate_order == "latlon":
                x, y = y, x
            where = f.point
        elif f.lon is not None and f.lat is not None:
            x, y = lookup(item, f.lon), lookup(item, f.lat)
            where = f"{f.lon}/{f.lat}"
        else:
            return None
        if self._project is None:
            return lonlat_point(x, y, field=where)
        xs, ys = text_of(x, booleans=True), text_of(y, booleans=True)
        if not xs or not ys:
            return None
        try:
            float(xs), float(ys)
        except ValueError:
            raise FeedRejected(f"{where} ({xs[:30]}, {ys[:30]}) is not numeric") from None
        easting = finite_float(xs, field=f"{where} x")  # numeric, but not NaN or infinite
        northing = finite_float(ys, field=f"{where} y")
        if easting == 0 and northing == 0:
            return None
        lon, lat = self._project(easting, northing)
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise FeedRejected(f"{where} ({easting}, {northing}) is outside {f.crs}")
        return lonlat_point(round(lon, 7), round(lat, 7), field=where)


def _mapped(table: dict[str, Any], value: str) -> Any:
    """A table lookup on the source's value, exact first, then ignoring case and spacing."""
    if not value:
        return None
    if value in table:
        return table[value]
    key = " ".join(value.split()).lower()
    return next((v for k, v in table.items() if " ".join(k.split()).lower() == key), None)


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
