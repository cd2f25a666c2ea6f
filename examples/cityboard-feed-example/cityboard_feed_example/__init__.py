"""An example cityboard adapter, to copy: a ward office's list of current road works (JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import Field

from feeds.kit import (
    Event,
    FeedOptions,
    FeedRejected,
    Parsed,
    PollingFeed,
    make_event,
    parse_time,
    title_text,
    version_of,
)


class WardWorksOptions(FeedOptions):
    """Settings under [feeds.options]."""

    ward_name: str = Field(default="", description="prefixed to titles, e.g. '종로구'")


class WardWorksFeed(PollingFeed):
    """Each listed work becomes a traffic event; works that leave the list expire (snapshot)."""

    Options = WardWorksOptions
    options: WardWorksOptions  # narrows the type of the validated options for type checkers

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        try:
            works = orjson.loads(payload)["works"]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise FeedRejected(f"expected {{'works': [...]}}: {exc}") from None
        if not isinstance(works, list):
            raise FeedRejected("'works' is not a list")
        parsed = Parsed()
        for work in works:
            with parsed.item(str(work.get("no") if isinstance(work, dict) else work)):
                parsed.events.append(self._event(work, received_at))
        return parsed

    def _event(self, work: Any, received_at: datetime) -> Event:
        if not isinstance(work, dict) or "no" not in work:
            raise FeedRejected("an entry without 'no'")
        try:
            lon, lat, road = float(work["lon"]), float(work["lat"]), str(work["road"])
        except (KeyError, TypeError, ValueError) as exc:
            raise FeedRejected(f"missing or bad road/lon/lat: {exc}") from None
        zone = self.context.zone
        start = parse_time(work["start"], zone=zone, field="start")
        end = parse_time(work["end"], zone=zone, field="end") if work.get("end") else None
        closed, total = int(work.get("lanes_closed", 0)), int(work.get("lanes_total", 1))
        severity = "severe" if closed >= total else "moderate" if closed else "minor"
        prefix = f"{self.options.ward_name} " if self.options.ward_name else ""
        return make_event(
            self.source,
            str(work["no"]),
            kind="traffic",
            category="traffic.closure" if closed >= total else "traffic.roadwork",
            severity=severity,
            title=title_text(f"{prefix}{road} {work.get('from', '')}~{work.get('to', '')} 공사"),
            sent_at=start,
            updated_at=start,
            expires_at=end,
            received_at=received_at,
            version=version_of(start),
            geometry={"type": "Point", "coordinates": [lon, lat]},
        )
