"""The `open511` feed: Open511 `/events` in JSON or XML, and the legacy open511-server form.

An Open511 `/events` response lists the current set, so the feed is a snapshot: `poll` follows a
paginated response to its last page first, and an event listed on two pages (they shifted while
being read) is kept once. The mapping is in `manifest.toml`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import urljoin

from pydantic import Field

from feeds.kit import (
    FeedOptions,
    FeedRejected,
    Parsed,
    PollingFeed,
    load_json,
    newest_per_event,
)
from feeds.kit.xml import child, children, parse_xml
from feeds.open511.events import record_event
from feeds.open511.json_reader import json_items
from feeds.open511.record import Builder
from feeds.open511.xml_reader import xml_items


class Open511Options(FeedOptions):
    """Settings under [feeds.options]."""

    max_pages: int = Field(
        default=20,
        ge=1,
        le=200,
        description=(
            "pages of a paginated /events response to follow (pagination next_url / <link "
            "rel='next'>) before the poll is rejected; a snapshot must be read whole"
        ),
    )
    default_event_type: (
        Literal["CONSTRUCTION", "INCIDENT", "SPECIAL_EVENT", "WEATHER_CONDITION", "ROAD_CONDITION"]
        | None
    ) = Field(
        default=None,
        description=(
            "Open511 event_type assumed for events that carry none (the legacy Montreal RoadEvent "
            "form has no type; its notices are all CONSTRUCTION). None: traffic.other."
        ),
    )


class Open511Feed(PollingFeed):
    """Open511 `/events` documents in JSON or XML, and the legacy open511-server fixture form."""

    Options = Open511Options
    options: Open511Options

    _paginated = False  # the last poll followed pages: fetch page 1 unconditionally next time

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """One document (one page); `poll` follows the pages of a paginated response."""
        items, _ = self._page(payload)
        return self._build(items, received_at)

    async def poll(self, received_at: datetime) -> Parsed | None:
        """Fetch the URL and every following page, then map them as one snapshot."""
        url = self.context.config.resolved_url
        if self.context.http is None or url is None:
            return await super().poll(received_at)
        payload = await self.context.http.get(url, conditional=not self._paginated)
        if payload is None:
            return None
        items, next_url = self._page(payload)
        seen = {url}
        while next_url:
            if len(seen) >= self.options.max_pages:
                raise FeedRejected(
                    f"more than {self.options.max_pages} pages of events; raise "
                    "the max_pages option or ask for more per page (limit=)"
                )
            url = urljoin(url, next_url)
            if url in seen:
                raise FeedRejected(f"pagination loops back to {url}")
            seen.add(url)
            page = await self.context.http.get(url, conditional=False)
            if page is None:
                raise FeedRejected(f"{url}: a following page answered 304 Not Modified")
            more, next_url = self._page(page)
            items += more
        self._paginated = len(seen) > 1
        return self._build(items, received_at)

    def _page(self, payload: bytes) -> tuple[list[Builder], str | None]:
        """The events of one document, and the URL of the next page if it names one."""
        body = payload.removeprefix(b"\xef\xbb\xbf").lstrip()
        if not body:
            raise FeedRejected("empty document (expected Open511 JSON or XML)")
        if body.startswith(b"<"):
            root = parse_xml(payload, max_bytes=self.context.config.max_body_bytes)
            pagination = child(root, "pagination")
            links = children(pagination, "link") if pagination is not None else []
            next_url = next((ln.get("href") for ln in links if ln.get("rel") == "next"), None)
            return xml_items(root), next_url
        doc = load_json(payload, what="Open511 JSON document")
        pagination = doc.get("pagination") if isinstance(doc, dict) else None
        next_url = pagination.get("next_url") if isinstance(pagination, dict) else None
        return json_items(doc), next_url if isinstance(next_url, str) else None

    def _build(self, items: list[Builder], received_at: datetime) -> Parsed:
        parsed = Parsed()
        for label, build in items:
            with parsed.item(label) as warnings:
                parsed.events.append(
                    record_event(
                        build(),
                        received_at,
                        source=self.source,
                        zone=self.context.zone,
                        default_event_type=self.options.default_event_type,
                        warnings=warnings,
                    )
                )
        parsed.checked(len(items), "Open511 events")
        # an event listed twice (pages shifted while paging): the later listing stands
        parsed.events = newest_per_event(parsed.events, ties="last")
        return parsed
