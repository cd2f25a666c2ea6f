"""Runs adapters under supervision: commits what they yield, restarts with backoff, keeps health.

An adapter failure never touches stored events: the board keeps them and the feed is shown as
degraded or down until it recovers. The runner logs once on failure and once on recovery.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feeds.base import FeedAdapter, FeedRejected
from server.events import Action, Body, Event, iso_utc, utcnow
from server.log import AppendResult

log = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 300.0

Sink = Callable[[Sequence[Body]], Awaitable[list[AppendResult]]]


@dataclass
class FeedHealth:
    """What the board's freshness strip shows for one feed."""

    name: str
    adapter: str
    kind: str
    demo: bool
    sla_seconds: float
    state: str = "starting"  # starting · ok · degraded · down
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_failures: int = 0
    events_emitted: int = 0
    documents_rejected: int = 0

    def as_json(self, now: datetime) -> dict[str, Any]:
        """The health record for `/api/feeds` and the websocket, with its age against the SLA."""
        age = (now - self.last_success).total_seconds() if self.last_success else None
        return {
            "name": self.name,
            "adapter": self.adapter,
            "kind": self.kind,
            "demo": self.demo,
            "state": self.state,
            "stale": age is None or age > self.sla_seconds,
            "age_seconds": None if age is None else round(age, 1),
            "sla_seconds": self.sla_seconds,
            "last_success": iso_utc(self.last_success) if self.last_success else None,
            "last_error": self.last_error,
            "last_error_at": iso_utc(self.last_error_at) if self.last_error_at else None,
            "consecutive_failures": self.consecutive_failures,
            "events_emitted": self.events_emitted,
            "documents_rejected": self.documents_rejected,
        }


class FeedRunner:
    """Drives one adapter: every yielded entry is committed through `sink` before the next."""

    def __init__(self, adapter: FeedAdapter, sink: Sink, *, adapter_name: str) -> None:
        self.adapter = adapter
        self.sink = sink
        self.health = FeedHealth(
            name=adapter.name,
            adapter=adapter_name,
            kind=adapter.kind,
            demo=adapter.demo,
            sla_seconds=adapter.sla_seconds,
        )

    async def run(self) -> None:
        """Run the adapter forever, restarting it with exponential backoff and jitter on failure."""
        delay = BACKOFF_FIRST_SECONDS
        while True:
            try:
                async for body in self.adapter.events():
                    await self._commit(body)
                    delay = BACKOFF_FIRST_SECONDS
                return
            except asyncio.CancelledError:
                raise
            except FeedRejected as exc:
                self.health.documents_rejected += 1
                self._failed(exc)
            except Exception as exc:  # an adapter bug must not take the server down
                self._failed(exc)
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, BACKOFF_MAX_SECONDS)

    async def _commit(self, body: Event | Action) -> None:
        await self.sink([body])
        h = self.health
        if h.consecutive_failures:
            log.info("feed %s recovered after %d failures", h.name, h.consecutive_failures)
        h.state, h.consecutive_failures, h.last_success = "ok", 0, utcnow()
        if isinstance(body, Event):
            h.events_emitted += 1

    def _failed(self, exc: BaseException) -> None:
        h = self.health
        if h.consecutive_failures == 0:
            log.warning("feed %s failed: %s", h.name, exc)
        h.consecutive_failures += 1
        h.state = "degraded" if h.consecutive_failures < 3 else "down"
        h.last_error, h.last_error_at = f"{type(exc).__name__}: {exc}", utcnow()
