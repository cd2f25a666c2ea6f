"""WZDx (Work Zone Data Exchange, USDOT) v4.x WorkZoneFeed: each road event becomes a traffic event.

A WorkZoneFeed is a GeoJSON FeatureCollection that lists every current road event, so the feed is a
snapshot: a feature that disappears has ended (the runner expires it). The version is detected from
`feed_info.version` (v4.1+) or `road_event_feed_info.version` (v4.0); v3 and DeviceFeed documents
are rejected with a clear reason. The mapping is documented in `manifest.toml`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feeds.kit import (
    MAX_AREA_DESC_CHARS,
    Event,
    FeedRejected,
    Parsed,
    PollingFeed,
    geojson_geometry,
    iso_utc,
    json_type,
    load_json,
    make_event,
    optional_text,
    parse_time,
    plain_text,
    title_text,
    version_of,
)

CATEGORY = {
    "work-zone": "traffic.roadwork",
    "detour": "traffic.other",  # the geometry is the detour route, which is open: not a closure
    "restriction": "traffic.hazard",
}
EVENT_NAME = {"work-zone": "Work zone", "detour": "Detour", "restriction": "Restriction"}
SEVERE_IMPACT = {"all-lanes-closed"}
MODERATE_IMPACT = {
    "some-lanes-closed",
    "some-lanes-closed-merge-left",
    "some-lanes-closed-merge-right",
    "some-lanes-closed-split",
    "alternating-one-way",
    "flagging",
    "temporary-traffic-signal",
}
STATUS = {"completed": "resolved", "cancelled": "cancelled"}  # deprecated `event_status`
QUIET_DIRECTIONS = {"", "undefined", "unknown"}


def _severity(vehicle_impact: str) -> str:
    if vehicle_impact in SEVERE_IMPACT:
        return "severe"
    if vehicle_impact in MODERATE_IMPACT:
        return "moderate"
    return "minor"  # all-lanes-open (with or without a shift), unknown, absent


def _time(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise FeedRejected(f"{field} is not a date-time string")
    return parse_time(value, field=field)


def _feed_info(doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The feed header and the major.minor version it declares (v4.0 and v4.1+ member names)."""
    info = doc.get("feed_info")
    if info is None:
        info = doc.get("road_event_feed_info")
    if not isinstance(info, dict):
        raise FeedRejected("no feed_info (v4.1+) or road_event_feed_info (v4.0): not a WZDx feed")
    version = info.get("version")
    if version is None:  # v4.x requires it; infer from the shape, as v3 had no core_details
        features = doc.get("features")
        first = features[0] if isinstance(features, list) and features else {}
        props = first.get("properties") if isinstance(first, dict) else None
        version = "4" if isinstance(props, dict) and "core_details" in props else "3"
    return info, str(version).strip()


class WzdxFeed(PollingFeed):
    """A WZDx v4.0 to v4.2 WorkZoneFeed; each road event (feature) is one traffic event."""

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """A WZDx v4 WorkZoneFeed: one event per road event."""
        doc = load_json(payload, what="WZDx WorkZoneFeed (GeoJSON)")
        if not isinstance(doc, dict):
            raise FeedRejected(
                f"expected a GeoJSON FeatureCollection, got a JSON {type(doc).__name__}"
            )
        info, version = _feed_info(doc)
        major = version.split(".", 1)[0]
        if major in {"1", "2", "3"}:
            raise FeedRejected(
                f"WZDx v3 is not supported (feed declares version {version!r}); "
                "this adapter reads WorkZoneFeed v4.0 to v4.2"
            )
        if major != "4":
            raise FeedRejected(f"unsupported WZDx version {version!r}; expected 4.x")
        if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
            raise FeedRejected(
                "a WZDx feed must be a GeoJSON FeatureCollection with a features list"
            )
        features: list[Any] = doc["features"]
        if features and all(_is_device(f) for f in features):
            raise FeedRejected(
                "a WZDx DeviceFeed, not a WorkZoneFeed: field devices are not "
                "road events; point this feed at the WorkZoneFeed URL"
            )
        parsed = Parsed()
        for index, feature in enumerate(features):
            fid = feature.get("id") if isinstance(feature, dict) else None
            label = fid if isinstance(fid, str) and fid else f"features[{index}]"
            with parsed.item(label) as dropped:
                parsed.events.append(self._event(feature, info, received_at, dropped))
        return parsed.checked(len(features), "road events")

    def _event(
        self, feature: Any, info: dict[str, Any], received_at: datetime, dropped: list[str]
    ) -> Event:
        if not isinstance(feature, dict):
            raise FeedRejected("a feature that is not a JSON object")
        external_id = feature.get("id")
        if not isinstance(external_id, str) or not external_id.strip():
            raise FeedRejected("a feature without a string `id`")
        props = feature.get("properties")
        core = props.get("core_details") if isinstance(props, dict) else None
        if not isinstance(props, dict) or not isinstance(core, dict):
            raise FeedRejected("no properties.core_details")
        event_type = optional_text(core.get("event_type"), "core_details.event_type", dropped)
        impact = optional_text(props.get("vehicle_impact"), "vehicle_impact", dropped)

        start = _time(props.get("start_date"), "start_date")
        end = _time(props.get("end_date"), "end_date")
        created = _time(core.get("creation_date"), "core_details.creation_date")
        updated = (
            _time(core.get("update_date"), "core_details.update_date")
            or _time(info.get("update_date"), "feed_info.update_date")
            or created
            or start
        )
        sent = created or start or updated
        if sent is None or updated is None:
            raise FeedRejected("no creation_date, start_date or update_date to date it by")
        sent = min(sent, updated)  # first issued is never after the last change (v4.2 scenario 2)

        road_names = core.get("road_names")
        names = road_names if isinstance(road_names, list) else []
        if road_names is not None and not isinstance(road_names, list):
            dropped.append(
                f"core_details.road_names is a JSON {json_type(road_names)}, not an array; ignored"
            )
        road = " / ".join(r.strip() for r in names if isinstance(r, str) and r.strip())
        direction = optional_text(core.get("direction"), "core_details.direction", dropped)
        where = " ".join(p for p in (road, "" if direction in QUIET_DIRECTIONS else direction) if p)
        what = EVENT_NAME.get(event_type, "Road event")
        title = f"{what} on {where}" if where else what
        begin = optional_text(
            props.get("beginning_cross_street"), "beginning_cross_street", dropped
        )
        end_street = optional_text(props.get("ending_cross_street"), "ending_cross_street", dropped)
        area = f"{road} between {begin} and {end_street}" if road and begin and end_street else road

        legacy_status = optional_text(props.get("event_status"), "event_status", dropped)
        future = start is not None and start > received_at
        planned = future or legacy_status in {"planned", "pending"}
        extra: dict[str, Any] = {"planned": planned}
        if start is not None:
            extra["starts_at"] = iso_utc(start)
        if event_type:
            extra["event_type"] = event_type
        if impact:
            extra["vehicle_impact"] = impact
        return make_event(
            self.source,
            external_id.strip(),
            kind="traffic",
            category=CATEGORY.get(event_type, "traffic.other"),
            severity=_severity(impact),
            status=STATUS.get(legacy_status, "active"),
            title=title_text(title),
            description=plain_text(
                optional_text(core.get("description"), "core_details.description", dropped)
            ),
            area_desc=plain_text(area, limit=MAX_AREA_DESC_CHARS),
            sent_at=sent,
            updated_at=updated,
            expires_at=end,
            received_at=received_at,
            version=version_of(updated),
            geometry=geojson_geometry(feature.get("geometry")),
            extra=extra,
        )


def _is_device(feature: Any) -> bool:
    """A DeviceFeed feature: core_details names a device_type, not an event_type."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    core = props.get("core_details") if isinstance(props, dict) else None
    return isinstance(core, dict) and "device_type" in core and "event_type" not in core
