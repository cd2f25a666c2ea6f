"""The `gtfs-rt` feed: each service `alert` entity becomes a traffic.transit_disruption event.

The mapping is documented in `manifest.toml`. Locations are stop/route/agency ids, not
coordinates: resolving stops needs the agency's static GTFS (stops.txt), which this version does
not load, so events carry no geometry and the ids go to `extra` and `area_desc`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from google.transit import gtfs_realtime_pb2 as rt
from pydantic import Field

from feeds.gtfs_rt.decode import decode, entities
from feeds.kit import (
    LANG_PATTERN,
    MAX_AREA_DESC_CHARS,
    MAX_TRANSLATIONS,
    Event,
    FeedOptions,
    FeedRejected,
    Parsed,
    PollingFeed,
    from_epoch,
    make_event,
    plain_text,
    title_text,
    version_of,
    web_url,
)

SEVERITY_LEVEL = {"SEVERE": "severe", "WARNING": "moderate", "INFO": "info"}
EFFECT_SEVERITY = {
    "NO_SERVICE": "severe",
    "REDUCED_SERVICE": "moderate",
    "SIGNIFICANT_DELAYS": "moderate",
    "DETOUR": "moderate",
    "NO_EFFECT": "info",
}
IDS_KEPT = 50  # route/stop/agency ids kept in `extra` per kind (an alert may list hundreds)
FULL_DATASET = rt.FeedHeader.Incrementality.Value("FULL_DATASET")


class GtfsRtOptions(FeedOptions):
    """Settings under [feeds.options]."""

    format: Literal["auto", "protobuf", "json"] = Field(
        default="auto", description="auto: JSON when the body starts with '{', else protobuf"
    )
    language: str = Field(
        default="ko",
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        description="preferred language of title/description; then 'en', then untranslated",
    )


class GtfsRtFeed(PollingFeed):
    """A GTFS-realtime Alerts feed (FULL_DATASET): the runner diffs it as a snapshot."""

    Options = GtfsRtOptions
    options: GtfsRtOptions

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """A GTFS-realtime FeedMessage (protobuf or JSON): one event per service alert."""
        message, json_entities = decode(payload, self.options.format)
        if not message.HasField("header"):
            raise FeedRejected("not a GTFS-realtime FeedMessage: it has no header")
        header = message.header
        if header.incrementality != FULL_DATASET:
            raise FeedRejected(
                "DIFFERENTIAL GTFS-realtime feeds are not supported: this adapter is diffed as a "
                "snapshot (FULL_DATASET), so a partial document would expire every alert it omits"
            )
        stamp = (
            from_epoch(header.timestamp, field="header.timestamp")
            if header.timestamp
            else received_at
        )
        parsed = Parsed()
        for index, entity, extension, misfits in entities(message, json_entities, parsed):
            with parsed.item(entity.id or f"entity #{index}") as dropped:
                dropped += misfits
                if not entity.id:
                    raise FeedRejected("entity has no id")
                if not entity.IsInitialized():
                    missing = ", ".join(entity.FindInitializationErrors()[:3])
                    raise FeedRejected(f"entity lacks required fields: {missing}")
                parsed.events.append(self._event(entity, extension, stamp, received_at, dropped))
        return parsed

    # -------------------------------------------------------------------------- mapping

    def _event(
        self,
        entity: rt.FeedEntity,
        extension: dict[str, Any],
        stamp: datetime,
        received_at: datetime,
        dropped: list[str],
    ) -> Event:
        alert = entity.alert
        effect = rt.Alert.Effect.Name(alert.effect)
        cause = rt.Alert.Cause.Name(alert.cause)
        severity = (
            SEVERITY_LEVEL.get(rt.Alert.SeverityLevel.Name(alert.severity_level))
            if alert.HasField("severity_level")
            else None
        )
        severity = severity or EFFECT_SEVERITY.get(effect, "minor")

        periods = list(alert.active_period) or list(alert.communication_period)
        starts = [
            from_epoch(p.start, field="active_period.start") for p in periods if p.HasField("start")
        ]
        ends = [from_epoch(p.end, field="active_period.end") for p in periods if p.HasField("end")]
        open_start = not periods or len(starts) < len(periods)
        sent_at = min([stamp, *starts]) if open_start else min(starts)
        expires_at = max(ends) if periods and len(ends) == len(periods) else None
        if open_start and expires_at is not None:  # "since always, until then": not after it
            sent_at = min(sent_at, expires_at)

        updated_at = stamp
        modified = extension.get("last_modified_timestamp")  # MBTA enhanced JSON, per alert
        if isinstance(modified, int | str) and str(modified).isdigit():
            updated_at = from_epoch(modified, field="last_modified_timestamp")

        status = "active"
        if entity.is_deleted:
            status = "cancelled"
        elif expires_at is not None and expires_at < stamp:
            status = "expired"  # every period ended before the feed's own timestamp

        titles = _translations(alert.header_text)
        descriptions = _translations(alert.description_text)
        lang = self._pick(titles) if titles else self._pick(descriptions)  # '' = untranslated
        description = plain_text(descriptions.get(lang) or _first(descriptions))
        fallback = description.split("\n", 1)[0] or effect.replace("_", " ").capitalize()
        title = title_text(titles.get(lang) or _first(titles), fallback=fallback)
        translations: dict[str, dict[str, str]] = {}
        for other in sorted(set(titles) - {lang, ""}):
            tag = _tag(other)
            if tag is None:
                dropped.append(
                    f"alert.header_text.translation.language {other[:20]!r} is not a language "
                    "tag; ignored"
                )
            elif len(translations) < MAX_TRANSLATIONS and title_text(titles[other]):
                translations[tag] = {
                    "title": title_text(titles[other]),
                    "description": plain_text(descriptions.get(other)),
                }

        routes, stops, agencies = _informed(alert.informed_entity)
        extra: dict[str, Any] = {"effect": effect, "cause": cause}
        for key, ids in (("route_ids", routes), ("stop_ids", stops), ("agency_ids", agencies)):
            if ids:
                extra[key] = ids[:IDS_KEPT]
                if len(ids) > IDS_KEPT:
                    extra[f"{key[:-4]}_count"] = len(ids)
        if len(periods) > 1:
            extra["periods"] = len(periods)
        urls = _translations(alert.url)

        return make_event(
            self.source,
            entity.id,
            kind="traffic",
            category="traffic.transit_disruption",
            severity=severity,
            status=status,
            title=title,
            description=description,
            translations=translations,
            area_desc=_area(routes, stops, agencies),
            sent_at=sent_at,
            updated_at=updated_at,
            expires_at=expires_at,
            received_at=received_at,
            version=version_of(updated_at),
            url=web_url(urls.get(self._pick(urls)) or _first(urls)),
            extra=extra,
        )

    def _pick(self, texts: dict[str, str]) -> str:
        """The language key to show: the configured one, then English, then the untranslated."""
        wanted = self.options.language.lower()
        for choice in (wanted, wanted.split("-")[0], "en"):
            for key in texts:
                if key.lower() == choice or key.lower().split("-")[0] == choice:
                    return key
        return "" if "" in texts else next(iter(texts), "")


# ------------------------------------------------------------------------------ helpers


def _translations(value: rt.TranslatedString) -> dict[str, str]:
    """Language → text; the translation without a language is under ''. First one wins."""
    texts: dict[str, str] = {}
    for t in value.translation:
        if t.text.strip():
            texts.setdefault(t.language.strip(), t.text)
    return texts


def _first(texts: dict[str, str]) -> str:
    return next(iter(texts.values()), "")


def _tag(language: str) -> str | None:
    """A BCP 47 tag as the event model spells it ('EN-us' → 'en-us'), or None if it is not one."""
    primary, _, rest = language.partition("-")
    tag = primary.lower() + (f"-{rest}" if rest else "")
    return tag if LANG_PATTERN.match(tag) else None


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _informed(entities: Iterable[rt.EntitySelector]) -> tuple[list[str], list[str], list[str]]:
    items = list(entities)
    routes = _unique([e.route_id or e.trip.route_id for e in items])
    stops = _unique(e.stop_id for e in items)
    agencies = _unique(e.agency_id for e in items)
    return routes, stops, agencies


def _area(routes: list[str], stops: list[str], agencies: list[str]) -> str:
    """'Routes: Red, Orange'; stops only when no route is named, the agency when nothing else."""
    if routes:
        text = "Routes: " + ", ".join(routes)
    elif stops:
        text = "Stops: " + ", ".join(stops)
    elif agencies:
        text = "Agency: " + ", ".join(agencies)
    else:
        return ""
    return text if len(text) <= MAX_AREA_DESC_CHARS else text[: MAX_AREA_DESC_CHARS - 1] + "…"
