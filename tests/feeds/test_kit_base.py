"""The adapter contract: every adapter is an async iterator of what its source produces."""

from __future__ import annotations

import inspect
from typing import Any

from feeds import registry
from feeds.kit import Event, FeedAdapter, PollingFeed
from tests.conftest import feed_context
from tests.feeds.conftest import FIXTURES

USGS = FIXTURES / "usgs-geojson" / "earthquakes-1.json"


class Upstream:
    """A stand-in for the runner's HTTP client: one fixed answer (None: 304 Not Modified)."""

    def __init__(self, body: bytes | None) -> None:
        self.body = body
        self.urls: list[str] = []

    async def get(self, url: str, *, conditional: bool = True) -> bytes | None:
        self.urls.append(url)
        return self.body


def usgs(upstream: Upstream) -> PollingFeed:
    http: Any = upstream  # duck-typed like feeds.kit.http.Fetcher.get
    feed = registry.load("usgs")(feed_context("usgs", url="https://example.org/q", http=http))
    assert isinstance(feed, PollingFeed)
    return feed


BUILT_IN = (
    "cap",
    "datex2",
    "demo",
    "gdacs",
    "geojson",
    "gtfs-rt",
    "mapping",
    "nws",
    "open311",
    "open511",
    "push",
    "usgs",
    "wzdx",
)


def test_every_built_in_adapter_is_a_concrete_async_iterator() -> None:
    for name in BUILT_IN:
        cls = registry.load(name)
        assert issubclass(cls, FeedAdapter) and not inspect.isabstract(cls), name
        assert inspect.isasyncgenfunction(cls.events), f"{name}: events() yields, never raises"


async def test_iterating_a_polled_source_reads_it_once() -> None:
    upstream = Upstream(USGS.read_bytes())
    feed = usgs(upstream)
    events = [event async for event in feed]
    parsed = feed.parse(USGS.read_bytes(), received_at=events[0].received_at)
    assert events and all(isinstance(e, Event) for e in events)
    assert [e.event_id for e in events] == [e.event_id for e in parsed.events]
    assert upstream.urls == ["https://example.org/q"], "one poll step, one request"


async def test_a_polled_source_that_has_not_changed_yields_nothing() -> None:
    upstream = Upstream(None)
    assert [event async for event in usgs(upstream)] == []
    assert len(upstream.urls) == 1
