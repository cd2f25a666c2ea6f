"""Any GeoJSON FeatureCollection of incidents (fire services, city open data): one event a feature.

Which property holds the id, title, time, link and severity is configured per feed (see
`GeoJsonOptions` and manifest.toml); the defaults suit RSS-flavoured feeds (title, description,
pubDate, link). The document is the whole current set (`update_model = "snapshot"`).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from feeds.kit import (
    CATEGORIES,
    Event,
    FeedContext,
    FeedOptions,
    FeedRejected,
    FetchTimeFallback,
    Kind,
    Parsed,
    PollingFeed,
    Severity,
    TimeBasis,
    UnreadableTime,
    feature_collection,
    geojson_geometry,
    json_type,
    make_event,
    parse_time_format,
    plain_text,
    read_published_time,
    title_text,
    version_of,
    web_url,
)

TIME_FORMATS = ("auto", "iso", "rfc822", "epoch_s", "epoch_ms")
DEFAULT_TIME_PROPERTIES = ("pubDate", "updated", "time")
DEFAULT_ID_PROPERTIES = ("id", "guid")
_BR = re.compile(r"<br\s*/?\s*>", re.IGNORECASE)  # plain_text only knows "<br>" and "<br/>"


class GeoJsonOptions(FeedOptions):
    """Settings under [feeds.options]; every one has a default."""

    id_property: str | None = Field(
        default=None,
        description="property with the stable id; default: the feature's `id`, "
        "else properties.id, else properties.guid",
    )
    title_property: str = "title"
    description_property: str = "description"
    time_property: str | None = Field(
        default=None,
        description="property with the last-change time; default: the first of "
        "pubDate, updated, time that the feature has",
    )
    time_format: str = Field(
        default="auto",
        description="auto (the common layouts; an unreadable, ambiguous or zoneless time "
        "is replaced by the fetch time, marked, with a warning) | iso | rfc822 | epoch_s | "
        "epoch_ms | a strptime pattern such as '%d/%m/%Y %I:%M:%S %p' (strict: refused)",
    )
    kind: Literal[Kind.DISASTER, Kind.TRAFFIC, Kind.COMPLAINT] = Kind.DISASTER
    category: str | None = Field(
        default=None, description="e.g. disaster.fire; default <kind>.other"
    )
    severity_property: str | None = None
    severity_map: dict[str, Severity] = Field(default_factory=dict)
    default_severity: Severity = Severity.MODERATE
    url_property: str = "link"

    @field_validator("time_format")
    @classmethod
    def _known_format(cls, v: str) -> str:
        if v not in TIME_FORMATS and "%" not in v:
            raise ValueError(
                f"time_format must be one of {', '.join(TIME_FORMATS)} "
                "or a strptime pattern containing '%'"
            )
        return v

    @model_validator(mode="after")
    def _category_in_vocabulary(self) -> GeoJsonOptions:
        if self.category is not None:
            prefix, _, sub = self.category.partition(".")
            if prefix != self.kind.value or sub not in CATEGORIES[self.kind]:
                allowed = ", ".join(f"{self.kind.value}.{c}" for c in CATEGORIES[self.kind])
                raise ValueError(f"category {self.category!r} is not one of: {allowed}")
        return self


def _scalar_text(value: Any) -> str | None:
    """A property as text: strings as they are, numbers printed, anything else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)  # 1234567.0 → "1234567"
    return None


class GeoJsonFeed(PollingFeed):
    """One event per feature; properties are picked by the configured names."""

    Options = GeoJsonOptions
    options: GeoJsonOptions

    def __init__(self, context: FeedContext) -> None:
        super().__init__(context)
        self._severities = {
            key.strip().casefold(): severity for key, severity in self.options.severity_map.items()
        }

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """A GeoJSON FeatureCollection: one event per feature."""
        features = feature_collection(payload)
        parsed, fallback = Parsed(), FetchTimeFallback()
        for index, feature in enumerate(features):
            with parsed.item(self._label(feature, index)):
                parsed.events.append(self._event(feature, received_at, fallback))
        parsed.warnings += fallback.warnings()
        return parsed.checked(len(features), "features")

    # ------------------------------------------------------------------------ one feature

    def _event(self, feature: Any, received_at: datetime, fallback: FetchTimeFallback) -> Event:
        if not isinstance(feature, dict):
            raise FeedRejected(f"a feature is a JSON {json_type(feature)}, not an object")
        props = feature.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise FeedRejected(f"'properties' is a JSON {json_type(props)}, not an object")
        opts = self.options

        external_id = self._external_id(feature, props)
        updated_at, unread = self._time(props, received_at)
        severity = opts.default_severity
        if opts.severity_property is not None:
            raw = _scalar_text(props.get(opts.severity_property))
            if raw is not None:
                severity = self._severities.get(raw.strip().casefold(), severity)
        description = _scalar_text(props.get(opts.description_property)) or ""
        event = make_event(
            self.source,
            external_id,
            kind=opts.kind,
            category=opts.category or f"{opts.kind.value}.other",
            severity=severity,
            title=title_text(
                _scalar_text(props.get(opts.title_property)),
                _scalar_text(props.get("name")) or external_id,
            ),
            description=plain_text(_BR.sub("\n", description)),
            sent_at=updated_at,
            updated_at=updated_at,
            received_at=received_at,
            time_basis=TimeBasis.SOURCE if unread is None else TimeBasis.FETCHED,
            version=version_of(updated_at),
            geometry=geojson_geometry(feature.get("geometry")),
            url=web_url(props.get(opts.url_property)),
        )
        if unread is not None:
            fallback.used(unread)
        return event

    def _label(self, feature: Any, index: int) -> str:
        """'feature <id>' for skip reasons when the id can be found, else 'feature #<index>'."""
        if not isinstance(feature, dict):
            return f"feature #{index}"
        props = feature.get("properties")
        try:
            return f"feature {self._external_id(feature, props if isinstance(props, dict) else {})}"
        except FeedRejected:
            return f"feature #{index}"

    def _external_id(self, feature: dict[str, Any], props: dict[str, Any]) -> str:
        if self.options.id_property is not None:
            candidates = [(self.options.id_property, props.get(self.options.id_property))]
        else:
            candidates = [("the feature's id", feature.get("id"))]
            candidates += [(f"properties.{n}", props.get(n)) for n in DEFAULT_ID_PROPERTIES]
        for _name, value in candidates:
            text = _scalar_text(value)
            if text is not None and text.strip():
                return text.strip()
        tried = ", ".join(name for name, _ in candidates)
        raise FeedRejected(f"no id (looked for {tried}; set id_property)")

    def _time(
        self, props: dict[str, Any], received_at: datetime
    ) -> tuple[datetime, UnreadableTime | None]:
        """The feature's time; with `auto`, the fetch time and why when it cannot be read."""
        names = (
            (self.options.time_property,)
            if self.options.time_property is not None
            else DEFAULT_TIME_PROPERTIES
        )
        for name in names:
            value = props.get(name)
            if value is None or value == "":
                continue
            if self.options.time_format != "auto":
                return self._parse_time(value, name), None
            try:
                return read_published_time(value, zone=self.context.zone, field=name), None
            except UnreadableTime as exc:
                return received_at, exc
        raise FeedRejected(f"no time (looked for {', '.join(names)}; set time_property)")

    def _parse_time(self, value: Any, field: str) -> datetime:
        """A time in the configured format: a promise, so a value that breaks it is refused."""
        fmt, zone = self.options.time_format, self.context.zone
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise FeedRejected(f"{field} is a JSON {json_type(value)}, not a time")
        if isinstance(value, float) and not math.isfinite(value):
            raise FeedRejected(f"{field} {value!r} is not a time")
        return parse_time_format(value, fmt, zone=zone, field=field)
