"""USGS earthquake GeoJSON summary feeds (`summary/*.geojson`): each listed quake is one event.

The summary feed is the whole current set (`update_model = "snapshot"`); a quake that drops out
of it is expired by the runner. See manifest.toml for the mapping table.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pydantic import Field

from feeds.kit import (
    Event,
    FeedFiltered,
    FeedOptions,
    FeedRejected,
    Parsed,
    PollingFeed,
    feature_collection,
    from_epoch,
    geojson_geometry,
    json_type,
    make_event,
    title_text,
    version_of,
    web_url,
)

PAGER_SEVERITY = {"red": "extreme", "orange": "severe", "yellow": "moderate", "green": "minor"}
MAGNITUDE_SEVERITY = ((7.0, "extreme"), (6.0, "severe"), (5.0, "moderate"), (4.0, "minor"))
# USGS `type` values (https://earthquake.usgs.gov/fdsnws/event/1/application.json) that are not
# natural quakes but man-made blasts; everything else other than "earthquake" is `.other`.
EXPLOSION_TYPES = frozenset(
    {
        "explosion",
        "quarry blast",
        "chemical explosion",
        "nuclear explosion",
        "mining explosion",
        "experimental explosion",
        "industrial explosion",
        "mine blast",
        "quarry",
    }
)
TYPE_CATEGORY = {"earthquake": "disaster.earthquake", "landslide": "disaster.landslide"}
MAX_IDS = 20  # `ids` in extra: every network's id for the quake, capped to keep extra small


class UsgsOptions(FeedOptions):
    """Settings under [feeds.options]."""

    min_magnitude: float | None = Field(
        default=None, description="drop quakes below this magnitude (and those with no magnitude)"
    )


def magnitude_severity(mag: float | None) -> str:
    """≥7 extreme, ≥6 severe, ≥5 moderate, ≥4 minor, below (or unknown) info."""
    if mag is None:
        return "info"
    return next((sev for floor, sev in MAGNITUDE_SEVERITY if mag >= floor), "info")


def _number(value: Any, field: str) -> float | None:
    """A JSON number (not a boolean, not NaN) or None when absent/null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FeedRejected(f"{field} {str(value)[:40]!r} is not a number")
    return float(value)


def _id_list(value: Any) -> list[str]:
    """USGS `ids` is a comma-wrapped string: ',us700061e9,at00q07smw,' → ['us700061e9', …]."""
    if not isinstance(value, str):
        return []
    return [part.strip() for part in value.split(",") if part.strip()][:MAX_IDS]


class UsgsFeed(PollingFeed):
    """One event per listed quake, keyed by the feature id, versioned by `updated`."""

    Options = UsgsOptions
    options: UsgsOptions

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """A USGS summary GeoJSON feed: one event per listed quake."""
        features = feature_collection(payload)
        parsed = Parsed()
        for index, feature in enumerate(features):
            label = f"feature {index}"
            if isinstance(feature, dict) and isinstance(feature.get("id"), str | int):
                label = f"feature {feature['id']}"
            with parsed.item(label):
                parsed.events.append(self._event(feature, received_at))
        return parsed.checked(len(features), "features")

    def _event(self, feature: Any, received_at: datetime) -> Event:
        if not isinstance(feature, dict):
            raise FeedRejected(f"a feature is a JSON {json_type(feature)}, not an object")
        external_id = feature.get("id")
        if (
            isinstance(external_id, bool)
            or not isinstance(external_id, str | int)
            or not str(external_id).strip()
        ):
            raise FeedRejected("a feature has no 'id'")
        external_id = str(external_id).strip()
        props = feature.get("properties")
        if not isinstance(props, dict):
            raise FeedRejected(f"'properties' is a JSON {json_type(props)}, not an object")

        mag = _number(props.get("mag"), "mag")
        minimum = self.options.min_magnitude
        if minimum is not None and mag is None:
            raise FeedFiltered(f"no magnitude (min_magnitude {minimum:g})")
        if minimum is not None and mag is not None and mag < minimum:
            raise FeedFiltered(f"magnitude {mag:g} is below min_magnitude {minimum:g}")

        if props.get("time") is None:
            raise FeedRejected("no 'time'")
        sent_at = from_epoch(props["time"], unit="ms", field="time")
        updated_at = (
            from_epoch(props["updated"], unit="ms", field="updated")
            if props.get("updated") is not None
            else sent_at
        )

        raw_geometry = feature.get("geometry")
        depth = None
        if isinstance(raw_geometry, dict) and raw_geometry.get("type") == "Point":
            coords = raw_geometry.get("coordinates")
            if isinstance(coords, list) and len(coords) >= 3:
                depth = _number(coords[2], "depth")
        geometry = geojson_geometry(raw_geometry)  # [lon, lat]; depth goes to extra

        quake_type = str(props.get("type") or "earthquake").strip().lower()
        if quake_type in EXPLOSION_TYPES:
            category = "disaster.explosion"
        else:
            category = TYPE_CATEGORY.get(quake_type, "disaster.other")

        alert = str(props.get("alert") or "").strip().lower()
        severity = PAGER_SEVERITY.get(alert) or magnitude_severity(mag)
        status = "cancelled" if str(props.get("status") or "").lower() == "deleted" else "active"

        place = title_text(props.get("place") if isinstance(props.get("place"), str) else None)
        # USGS's own title form, "M 4.5 - 10 km SSW of …", when the feed has no title
        fallback = f"M {mag:g} - {place}" if mag is not None and place else place
        title = title_text(
            props.get("title") if isinstance(props.get("title"), str) else None,
            fallback or f"{quake_type.capitalize()} {external_id}",
        )

        extra: dict[str, Any] = {"mag": mag}
        if isinstance(props.get("magType"), str):
            extra["magType"] = props["magType"][:16]
        if depth is not None:
            extra["depth_km"] = depth
        extra["tsunami"] = props.get("tsunami") in (1, True, "1")  # an int flag, 0 or 1
        if alert in PAGER_SEVERITY:
            extra["alert"] = alert
        if quake_type != "earthquake":
            extra["type"] = quake_type[:40]
        ids = _id_list(props.get("ids"))
        if ids:
            extra["ids"] = ids

        return make_event(
            self.source,
            external_id,
            kind="disaster",
            category=category,
            severity=severity,
            status=status,
            title=title,
            area_desc=place,
            sent_at=sent_at,
            updated_at=updated_at,
            received_at=received_at,
            version=version_of(updated_at),
            geometry=geometry,
            url=web_url(props.get("url")),
            extra=extra,
        )
