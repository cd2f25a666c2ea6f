"""The `open311` feed: each GeoReport v2 service request becomes a complaint event.

Category and severity come from the feed's tables by service code or name, else keyword defaults;
descriptions are citizens' words and are kept short. The mapping is documented in `manifest.toml`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from feeds.kit import (
    CATEGORIES,
    MAX_AREA_DESC_CHARS,
    MAX_DESCRIPTION_CHARS,
    Event,
    FeedOptions,
    FeedRejected,
    Kind,
    Parsed,
    PollingFeed,
    districts_in_text,
    iso_utc,
    json_type,
    lonlat_point,
    make_event,
    optional_text,
    optional_url,
    parse_time,
    plain_text,
    secondary,
    text_of,
    title_text,
    version_of,
)
from feeds.open311.documents import requests

SeverityName = Literal["extreme", "severe", "moderate", "minor", "info"]
COMPLAINT_TYPES = CATEGORIES[Kind.COMPLAINT]
TITLE_DESCRIPTION_CHARS = 80  # how much of the description a title carries after the service
STATUS_NOTES_CHARS = 300

# Keyword defaults (service name or code, lower-cased, first match wins; order matters:
# "illegal dumping of trash" is dumping, not waste). English and Korean.
KEYWORDS: tuple[tuple[str, str], ...] = (
    ("dumping", "illegal_dumping"),
    ("fly-tip", "illegal_dumping"),
    ("무단투기", "illegal_dumping"),
    ("noise", "noise"),
    ("소음", "noise"),
    ("parking", "illegal_parking"),
    ("주정차", "illegal_parking"),
    ("주차", "illegal_parking"),
    ("pothole", "road_damage"),
    ("pot hole", "road_damage"),
    ("포트홀", "road_damage"),
    ("도로파손", "road_damage"),
    ("도로 파손", "road_damage"),
    ("streetlight", "streetlight"),
    ("light", "streetlight"),
    ("가로등", "streetlight"),
    ("보안등", "streetlight"),
    ("garbage", "waste"),
    ("trash", "waste"),
    ("waste", "waste"),
    ("litter", "waste"),
    ("쓰레기", "waste"),
    ("water", "water"),
    ("leak", "water"),
    ("누수", "water"),
    ("상수도", "water"),
    ("하수", "water"),
    ("animal", "animal"),
    ("dog", "animal"),
    ("동물", "animal"),
    ("odor", "odor"),
    ("odour", "odor"),
    ("smell", "odor"),
    ("악취", "odor"),
    ("graffiti", "other"),
    ("낙서", "other"),
)


class Open311Options(FeedOptions):
    """Settings under [feeds.options]."""

    category_map: dict[str, str] = Field(
        default_factory=dict,
        description="service_code or service_name → complaint subtype ('noise' or "
        "'complaint.noise'); unlisted services use the keyword defaults",
    )
    default_severity: SeverityName = "minor"
    severity_map: dict[str, SeverityName] = Field(
        default_factory=dict, description="service_code or service_name → severity"
    )
    max_description_chars: int = Field(
        default=500,
        ge=0,
        le=MAX_DESCRIPTION_CHARS,
        description="descriptions are citizens' words and may hold personal data: keep it short",
    )

    @field_validator("category_map")
    @classmethod
    def _known_categories(cls, v: dict[str, str]) -> dict[str, str]:
        out = {}
        for key, value in v.items():
            sub = value.removeprefix("complaint.")
            if sub not in COMPLAINT_TYPES:
                allowed = ", ".join(COMPLAINT_TYPES)
                raise ValueError(f"category_map[{key!r}] = {value!r} is not one of: {allowed}")
            out[key] = sub
        return out


class Open311Feed(PollingFeed):
    """GeoReport v2 requests in a time window: new ones and status changes are appended."""

    Options = Open311Options
    options: Open311Options

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """A GeoReport v2 requests document (JSON or XML): one event per request."""
        parsed = Parsed()
        for index, request in enumerate(requests(payload)):
            rid = text_of(request.get("service_request_id")) if isinstance(request, dict) else ""
            with parsed.item(rid[:100] or f"request #{index}") as dropped:
                if not isinstance(request, dict):
                    raise FeedRejected(f"request is a JSON {json_type(request)}, not an object")
                if not rid:  # Chicago: requests still being processed have none; ignore them
                    raise FeedRejected("no service_request_id (not yet assigned by the server)")
                parsed.events.append(self._event(rid, request, received_at, dropped))
        return parsed

    def _event(
        self, rid: str, r: dict[str, Any], received_at: datetime, dropped: list[str]
    ) -> Event:
        zone = self.context.zone

        def optional(key: str) -> str:
            return optional_text(r.get(key), key, dropped)

        requested = text_of(r.get("requested_datetime"))
        if not requested:
            raise FeedRejected("no requested_datetime")
        sent_at = parse_time(requested, zone=zone, field="requested_datetime")
        updated = text_of(r.get("updated_datetime"))
        updated_at = (
            parse_time(updated, zone=zone, field="updated_datetime") if updated else sent_at
        )

        code, name = text_of(r.get("service_code")), text_of(r.get("service_name"))
        raw_status = optional("status").lower()
        status = "resolved" if raw_status == "closed" else "active"

        limit = self.options.max_description_chars
        description = plain_text(optional("description"), limit=limit) if limit else ""
        summary = description.split("\n", 1)[0]
        if len(summary) > TITLE_DESCRIPTION_CHARS:
            summary = summary[: TITLE_DESCRIPTION_CHARS - 1].rstrip() + "…"
        service = name or code or "Service request"
        title = title_text(f"{service}: {summary}" if summary else service)

        geometry = lonlat_point(r.get("long"), r.get("lat"), field="long/lat")
        address = plain_text(optional("address"), limit=MAX_AREA_DESC_CHARS)
        district = None
        if geometry is None and address:  # no point to locate: try the district the address names
            district = next(iter(districts_in_text(self.context.districts, address)), None)

        extra: dict[str, Any] = {}
        if code:
            extra["service_code"] = code[:100]
        if raw_status and raw_status not in ("open", "closed"):
            extra["source_status"] = raw_status[:50]
        for key, size in (("agency_responsible", 200), ("status_notes", STATUS_NOTES_CHARS)):
            if value := plain_text(optional(key), limit=size):
                extra[key] = value
        if expected := optional("expected_datetime"):
            # the city's own target date: informative, not worth losing the request over
            at = secondary(
                lambda: parse_time(expected, zone=zone, field="expected_datetime"), dropped
            )
            if at is not None:
                extra["expected_at"] = iso_utc(at)

        return make_event(
            self.source,
            rid,
            kind="complaint",
            category=f"complaint.{self._category(code, name)}",
            severity=self._severity(code, name),
            status=status,
            title=title,
            description=description,
            area_desc=address,
            sent_at=sent_at,
            updated_at=updated_at,
            received_at=received_at,
            version=version_of(updated_at),
            geometry=geometry,
            district=district,
            url=optional_url(r.get("media_url"), "media_url", dropped)
            or optional_url(r.get("url"), "url", dropped),
            extra=extra,
        )

    def _category(self, code: str, name: str) -> str:
        table = self.options.category_map
        for key in (code, name):
            if key and key in table:
                return table[key]
        lowered = {k.lower(): v for k, v in table.items()}
        if name.lower() in lowered:
            return lowered[name.lower()]
        text = f"{name} {code}".lower()
        return next((sub for word, sub in KEYWORDS if word in text), "other")

    def _severity(self, code: str, name: str) -> str:
        table = self.options.severity_map
        for key in (code, name):
            if key and key in table:
                return table[key]
        return self.options.default_severity
