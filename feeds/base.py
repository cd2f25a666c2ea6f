"""The adapter contract: an upstream source is an async iterator of normalized entries.

Issue-level scope today: push-style adapters implement `events()`; polling helpers
(`PollingFeed` with `fetch`/`parse`) join this module with the adapter kit.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import ClassVar

from server.events import Action, Event


class FeedError(Exception):
    """Base of adapter errors; the runner records them on the feed's health."""


class FeedUnavailable(FeedError):
    """The upstream cannot be reached or answered badly: retry later, keep the board as it is."""


class FeedRejected(FeedError):
    """This document is bad: skip it, count it on the feed's health, keep going."""


class FeedAdapter(ABC):
    """One configured source; `name` becomes the `source` of every event it yields."""

    kind: ClassVar[str] = "mixed"
    demo: ClassVar[bool] = False
    sla_seconds: ClassVar[float] = 300.0  # how old the last success may be before it is stale

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def events(self) -> AsyncIterator[Event | Action]:
        """Yield entries as the source produces them; runs until cancelled."""
