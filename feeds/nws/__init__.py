"""NWS adapter: api.weather.gov alerts (GeoJSON FeatureCollection whose properties are CAP fields).

One feature is one event, mapped with the kit's CAP vocabulary (`feeds.kit.cap`) as the `cap`
adapter maps CAP XML, so both read a CAP message the same way: event_id is `sender,identifier` of
the chain's first message (an Update or Cancel takes its earliest reference), severity and
category use the CAP tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from feeds.kit import (
    MAX_AREA_DESC_CHARS,
    Event,
    FeedFiltered,
    FeedOptions,
    FeedRejected,
    Parsed,
    PollingFeed,
    feature_collection,
    geojson_geometry,
    json_type,
    make_event,
    newest_per_event,
    optional_text,
    optional_url,
    parse_time,
    plain_text,
    title_text,
    version_of,
    web_url,
)
from feeds.kit.cap import (
    Reference,
    cap_category,
    cap_severity,
    cap_status,
    cap_text,
    chain_key,
    read_references,
    reference_ids,
)

REFERENCE_PARTS = ("sender", "identifier", "sent")

MAX_EXTRA_TEXT = 200


class NwsOptions(FeedOptions):
    """Settings under [feeds.options] for an `nws` feed."""

    include_non_actual: bool = Field(
        default=False, description="also show Exercise/Test/System/Draft alerts (title prefixed)"
    )


def _text(props: dict[str, Any], name: str, dropped: list[str] | None = None) -> str:
    """A string property as stripped text; '' when absent, or (noted in `dropped`) not text."""
    return optional_text(props.get(name), f"properties.{name}", [] if dropped is None else dropped)


class NwsFeed(PollingFeed):
    """Active alerts from api.weather.gov (`/alerts/active?zone=…`, `?area=…`, `?point=…`)."""

    Options = NwsOptions
    options: NwsOptions

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """An api.weather.gov alerts FeatureCollection: one event per alert chain."""
        parsed = Parsed()
        for n, feature in enumerate(feature_collection(payload), 1):
            props = feature.get("properties") if isinstance(feature, dict) else None
            label = _text(props, "id") if isinstance(props, dict) else ""
            with parsed.item(label or f"feature {n}") as dropped:
                parsed.events.append(self._event(feature, received_at, dropped))
        parsed.events = newest_per_event(parsed.events, ties="last")
        return parsed

    def _references(self, value: Any) -> tuple[list[Reference], list[str]]:
        """The readable references and a warning for each unreadable one (`read_references`)."""
        if value is None:
            return [], []
        if not isinstance(value, list):
            return [], [f"references is a JSON {json_type(value)}, not an array; ignored"]
        triples, problems = [], []
        for i, ref in enumerate(value):
            parts = [_text(ref, k) if isinstance(ref, dict) else "" for k in REFERENCE_PARTS]
            if not all(parts) or any("," in p or p.split() != [p] for p in parts):
                problems.append(f"references[{i}] needs identifier, sender and sent; ignored")
            else:
                triples.append(",".join(parts))
        if not triples:
            return [], problems
        found, dropped = read_references(" ".join(triples), zone=self.context.zone)
        return found, problems + dropped

    def _event(self, feature: Any, received_at: datetime, dropped: list[str]) -> Event:
        if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
            raise FeedRejected("feature has no 'properties' object")
        props: dict[str, Any] = feature["properties"]
        identifier, sender = _text(props, "id", dropped), _text(props, "sender", dropped)
        msg_type, status = _text(props, "messageType", dropped), _text(props, "status", dropped)
        sent_raw = _text(props, "sent", dropped)
        for name, value in (
            ("id", identifier),
            ("sender", sender),
            ("sent", sent_raw),
            ("messageType", msg_type),
        ):
            if not value:
                raise FeedRejected(f"properties.{name} is missing or empty")
        if status and status != "Actual" and not self.options.include_non_actual:
            raise FeedFiltered(
                f"status {status}: only Actual alerts are shown (option include_non_actual)"
            )
        if msg_type not in ("Alert", "Update", "Cancel"):
            raise FeedRejected(f"messageType {msg_type[:20]!r} is not Alert, Update or Cancel")
        zone = self.context.zone
        sent = parse_time(sent_raw, zone=zone, field="sent")
        references, warnings = self._references(props.get("references"))
        dropped += warnings
        ends_raw = _text(props, "ends", dropped) or _text(
            props, "expires", dropped
        )  # when the hazard ends, first
        ends = parse_time(ends_raw, zone=zone, field="ends") if ends_raw else None
        event, headline = _text(props, "event", dropped), _text(props, "headline", dropped)
        kind, category = cap_category([_text(props, "category", dropped)], event, headline)
        prefix = "" if status in ("", "Actual") else f"[{status}] "
        extra = {"event": event[:MAX_EXTRA_TEXT], "messageType": msg_type}
        for k in ("urgency", "certainty", "onset", "effective"):
            extra[k] = _text(props, k, dropped)[:MAX_EXTRA_TEXT]
        extra = {k: v for k, v in extra.items() if v}
        built = make_event(
            self.source,
            chain_key(msg_type, sender, identifier, references),
            kind=kind,
            category=category,
            severity=cap_severity(_text(props, "severity", dropped)),
            status=cap_status(msg_type),
            title=title_text(prefix + (headline or event), fallback=identifier),
            description=cap_text(
                _text(props, "description", dropped), _text(props, "instruction", dropped)
            ),
            geometry=geojson_geometry(feature.get("geometry")),
            area_desc=plain_text(_text(props, "areaDesc", dropped), limit=MAX_AREA_DESC_CHARS),
            sent_at=sent,
            updated_at=sent,
            received_at=received_at,
            expires_at=ends if ends and ends >= sent else None,
            version=version_of(sent),
            url=web_url(props.get("@id")) or optional_url(feature.get("id"), "id", dropped),
            refs=reference_ids(self.source, references),
            extra=extra,
        )
        return built
