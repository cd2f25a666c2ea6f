"""Helpers for adapter golden tests: run an adapter's pure `parse` on a saved fixture."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feeds import registry
from feeds.base import FeedAdapter, Parsed, PollingFeed
from tests.conftest import feed_context

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RECEIVED_AT = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)


def adapter(name: str, **config: Any) -> FeedAdapter:
    """An adapter instance as the server would build it (feed name = adapter name by default)."""
    return registry.load(name)(feed_context(name, **config))


def parse_fixture(name: str, relpath: str, **config: Any) -> Parsed:
    """Parse `tests/fixtures/<relpath>` with adapter `name`, received at RECEIVED_AT."""
    feed = adapter(name, **config)
    assert isinstance(feed, PollingFeed)
    return feed.parse((FIXTURES / relpath).read_bytes(), received_at=RECEIVED_AT)
