"""Runs adapters under supervision: everything adapters must not repeat lives here.

Polling on an interval with jitter, exponential backoff on failure (capped), a deadline per poll,
dedupe on `(event_id, version)`, districts from points, snapshot diff (what a full-set source stops
listing becomes `expired`, never deleted), expiry by `expires_at`, and health per feed. An outage
never touches stored events: the board keeps them and shows the feed as stale. The runner logs
(and appends a notice to the stream) once when a feed fails and once when it recovers.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feeds.kit import FeedAdapter, Parsed, PollingFeed, expired_version, newest_per_event
from feeds.kit.recent import Recent
from server.clock import Clock, SystemClock
from server.districts import Districts
from server.errors import FeedRejected
from server.stream.events import Action, Body, Event, Notice, Status, TimeBasis, iso_utc
from server.stream.log import AppendResult

log = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 600.0
INTERVAL_JITTER = 0.1  # ±10 % so many feeds on one interval do not poll in lockstep
POLL_TIMEOUT_FACTOR = 4  # a poll may make several requests (index + linked documents)
DOWN_AFTER_FAILURES = 3
REMEMBER_ENDED = 50_000  # ended events remembered per feed, so a source re-listing them is deduped
REMEMBER_INPUTS = 100_000  # source versions remembered per feed, to tell a change from a re-send

Sink = Callable[[Sequence[Body]], Awaitable[list[AppendResult]]]
ActiveLoader = Callable[[str], Awaitable[list[Event]]]


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
    items_skipped: int = 0
    items_filtered: int = 0  # sound items the feed's policy does not show (CAP Test alerts)
    warnings: int = 0  # secondary fields dropped from events that were kept

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
            "items_skipped": self.items_skipped,
            "items_filtered": self.items_filtered,
            "warnings": self.warnings,
        }


class FeedRunner:
    """Drives one adapter and commits what it yields through `sink` (the log's append)."""

    def __init__(
        self,
        adapter: FeedAdapter,
        sink: Sink,
        *,
        districts: Districts,
        load_active: ActiveLoader | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.adapter = adapter
        self.sink = sink
        self.districts = districts
        self.load_active = load_active
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        manifest = adapter.manifest
        self.health = FeedHealth(
            name=adapter.source,
            adapter=manifest.name,
            kind=",".join(manifest.kinds),
            demo=adapter.demo,
            sla_seconds=adapter.sla_seconds,
        )
        self._latest: dict[str, Event] = {}  # newest known version of each active event
        self._ended: Recent[str, Event] = Recent(REMEMBER_ENDED)  # recently ended, for dedupe
        self._diff_expired: set[str] = set()  # expired here because the source stopped listing them
        self._inputs: Recent[str, Event] = Recent(REMEMBER_INPUTS)  # as the source last sent it

    @property
    def snapshot(self) -> bool:
        """Whether each document is the source's whole current set (the feed config may say so
        for a generic adapter such as `mapping`)."""
        model = self.adapter.context.config.update_model or self.adapter.manifest.update_model
        return model == "snapshot"

    async def run(self) -> None:
        """Run until cancelled; adapter failures are recorded, never raised.

        A polled source is driven through its poll step on this runner's schedule (a deadline
        per poll, the interval with jitter, backoff never faster than the interval, snapshot
        diff over each whole document); any other adapter is followed as the async iterator it
        is, each entry committed as it comes.
        """
        if self.load_active is not None:
            for event in await self.load_active(self.adapter.source):
                self._latest[event.event_id] = event
        if isinstance(self.adapter, PollingFeed):
            await self._poll_forever(self.adapter)
        else:
            await self._follow_forever()

    # ---------------------------------------------------------------- polling sources

    async def _poll_forever(self, adapter: PollingFeed) -> None:
        interval = adapter.context.config.interval_seconds
        deadline = adapter.context.config.timeout_seconds * POLL_TIMEOUT_FACTOR
        while True:
            ok = await self.poll_once(adapter, deadline)
            if ok:
                wait = interval * self.rng.uniform(1 - INTERVAL_JITTER, 1 + INTERVAL_JITTER)
            else:
                backoff = BACKOFF_FIRST_SECONDS * 2 ** (self.health.consecutive_failures - 1)
                wait = min(max(interval, backoff), BACKOFF_MAX_SECONDS)
                wait *= self.rng.uniform(1 - INTERVAL_JITTER, 1)
            await self.clock.sleep(wait)

    async def poll_once(self, adapter: PollingFeed, deadline: float) -> bool:
        """One poll: fetch, parse, commit. True on success (including 'not modified')."""
        now = self.clock.now()
        try:
            async with asyncio.timeout(deadline):
                parsed = await adapter.poll(now)
            if parsed is not None and parsed.unusable and self.snapshot:
                raise FeedRejected(f"no usable item; first problem: {parsed.skipped[0]}")
        except FeedRejected as exc:
            self.health.documents_rejected += 1
            await self._failed(exc)
            return False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # unreachable upstream, timeout, or an adapter bug
            await self._failed(exc)
            return False
        if parsed is not None:
            await self._accept(parsed, now, snapshot=self.snapshot)
        else:
            await self._accept(Parsed(), now, snapshot=False)
        await self._succeeded(now)
        return True

    async def _accept(self, parsed: Parsed, now: datetime, *, snapshot: bool) -> None:
        self.health.items_skipped += self._logged(parsed.skipped, "skipped %d item(s)")
        self.health.items_filtered += len(parsed.filtered)
        self.health.warnings += self._logged(parsed.warnings, "dropped %d unreadable field(s)")
        batch: dict[str, Event] = {}
        for event in newest_per_event(parsed.events, ties="first"):
            placed = self._place(self.districts.fill(event))
            if placed is not None:
                batch[placed.event_id] = placed
        listed = {e.event_id for e in parsed.events}
        for event_id, known in list(self._latest.items()):
            if event_id in batch:
                continue
            gone = snapshot and event_id not in listed
            over = known.expires_at is not None and known.expires_at <= now
            if gone or over:
                batch[event_id] = expired_version(known, now)
                if gone:
                    self._diff_expired.add(event_id)
        await self._commit(list(batch.values()))

    def _logged(self, problems: Sequence[str], what: str) -> int:
        """Log one line for a poll's problems of one sort (the first named); their count."""
        if problems:
            first = problems[0]
            log.info("feed %s " + what + ", first: %s", self.health.name, len(problems), first)
        return len(problems)

    def _place(self, event: Event) -> Event | None:
        """Decide what a polled event becomes: None if nothing changed, else the event with a
        version above the log's, so a change is never lost as a 'conflict' and an event the
        snapshot diff expired comes back when the source lists it again. An event dated by our
        fetch keeps the fetch that first saw it as its sent time."""
        event_id = event.event_id
        known = self._latest.get(event_id) or self._ended.get(event_id)
        if known is not None and event.time_basis is known.time_basis is TimeBasis.FETCHED:
            event = event.model_copy(update={"sent_at": known.sent_at})
        last = self._inputs.get(event_id) or known  # what the source said last time
        if known is not None and last is not None:
            if event.version < last.version:
                return None  # older than what the source already told us
            revived = event_id in self._diff_expired
            if event.same_substance(last) and not revived:
                return None  # listed again, unchanged (perhaps restamped)
        self._inputs.remember(event_id, event)
        self._diff_expired.discard(event_id)
        if known is not None and event.version <= known.version:
            return event.model_copy(update={"version": known.version + 1})
        return event

    async def ingest(self, events: list[Event]) -> list[AppendResult]:
        """Commit pushed events on the same path as pulled ones; a push counts as a success."""
        results = await self._commit([self.districts.fill(e) for e in events])
        await self._succeeded(self.clock.now())
        return results

    async def _commit(self, events: list[Event]) -> list[AppendResult]:
        if not events:
            return []
        results = await self.sink(events)
        for event, result in zip(events, results, strict=True):
            if result.outcome != "appended":
                continue
            self.health.events_emitted += 1
            if event.status is Status.ACTIVE:
                self._latest[event.event_id] = event
                continue
            self._latest.pop(event.event_id, None)
            forgotten = self._ended.remember(event.event_id, event)
            if forgotten is not None:
                self._diff_expired.discard(forgotten)
        return results

    # -------------------------------------------------------------------- push sources

    async def _follow_forever(self) -> None:
        while True:
            try:
                async for body in self.adapter:
                    await self._commit_body(body)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # an adapter bug must not take the server down
                if isinstance(exc, FeedRejected):
                    self.health.documents_rejected += 1
                await self._failed(exc)
            backoff = BACKOFF_FIRST_SECONDS * 2 ** (self.health.consecutive_failures - 1)
            await self.clock.sleep(min(backoff, BACKOFF_MAX_SECONDS))

    async def _commit_body(self, body: Event | Action) -> None:
        if isinstance(body, Event):
            await self._commit([self.districts.fill(body)])
        else:
            await self.sink([body])
        await self._succeeded(self.clock.now())

    # ---------------------------------------------------------------------- health

    async def _succeeded(self, now: datetime) -> None:
        h = self.health
        if h.consecutive_failures:
            log.info("feed %s recovered after %d failure(s)", h.name, h.consecutive_failures)
            await self._notice(
                "info",
                "feed_recovered",
                f"feed {h.name} recovered after {h.consecutive_failures} failure(s)",
            )
        h.state, h.consecutive_failures, h.last_success = "ok", 0, now

    async def _failed(self, exc: BaseException) -> None:
        h = self.health
        reason = exc.message if isinstance(exc, FeedRejected) else f"{type(exc).__name__}: {exc}"
        reason = self.adapter.context.config.redact(reason)
        h.consecutive_failures += 1
        h.state = "down" if h.consecutive_failures >= DOWN_AFTER_FAILURES else "degraded"
        h.last_error, h.last_error_at = reason, self.clock.now()
        if h.consecutive_failures == 1:
            log.warning("feed %s failed: %s", h.name, reason)
            await self._notice("warning", "feed_failed", f"feed {h.name} failed: {reason}")

    async def _notice(self, level: str, code: str, message: str) -> None:
        notice = Notice.model_validate(
            {
                "level": level,
                "code": code,
                "message": message[:1000],
                "at": self.clock.now(),
                "source": self.health.name,
            }
        )
        try:
            await self.sink([notice])
        except Exception as exc:  # a notice must never break the runner
            log.error("could not log a notice for feed %s: %s", self.health.name, exc)
