"""The publisher: derives the `public` stream from `live`, entry by entry, through `redact`.

It reads the live log from its cursor, redacts each entry, holds it until it is due (its live
commit time plus its kind's delay) and appends it to the public log, in due order, all
that is due in one transaction. Each live entry is appended at most once, across restarts and
nodes: `append_claimed` claims the key `<live epoch>:<live seq>` in the same transaction as the
append, and leaves out an entry whose key another publisher (a node, an earlier run) took.

Where a restart starts: every public event carries, in `extra.public_cursor`, the live seq up
to which everything had been handled (published or withheld) when it was published, and a
digest of the live epoch it belongs to (the epoch itself keys the hash of public event ids, so
it is never shown). A restart reads it from the newest public event and reads the live
log again from there; what was already published is refused by its claim, what was waiting for
its delay waits again (its due time comes from the live entry), so nothing is lost or repeated.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import orjson

from server.errors import LogError
from server.public.redact import Unreadable, redact
from server.public.settings import PublicSettings
from server.stream.events import Body, Event, utcnow
from server.stream.log import Committed, LogStore

log = logging.getLogger(__name__)

CURSOR_KEY = "public_cursor"  # in a public event's extra: {"live": <epoch's digest>, "after": seq}
HISTORY_CHARS = 16  # hex digits of the live epoch's digest in a cursor stamp
PAGE_ENTRIES = 100  # live entries read at once (a burst costs this much memory, not more)
IDLE_SECONDS = 1.0  # at most this long between looks at the live log (commits wake it sooner)
RETRY_SECONDS = 2.0  # after a failed append to the public log, before trying again
BATCH_ENTRIES = 100  # due entries one public transaction takes at most (a backlog goes in steps)
# after a public transaction, the wait before the next: entries that come due faster than this
# share one transaction (the first after a quiet spell goes at once)
PUBLISH_EVERY_SECONDS = 0.05


class Pending(NamedTuple):
    """A redacted entry waiting for its due time."""

    due: datetime
    seq: int
    body: Body
    delay: float  # which queue it waits in


class Publisher:
    """Reads `live`, appends the redacted entries to `public` when due; `run` until cancelled."""

    def __init__(
        self,
        live: LogStore,
        public: LogStore,
        rules: PublicSettings,
        *,
        page_size: int = PAGE_ENTRIES,
        publish_every: float = PUBLISH_EVERY_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.live = live
        self.public = public
        self.rules = rules
        self.page_size = page_size
        self.publish_every = publish_every
        self.clock = clock
        self.cursor = 0  # the last live seq read
        self.published = 0
        self.transactions = 0  # appends to the public log
        self.withheld = 0  # actions, hidden kinds, operator notices
        self.unreadable = 0  # bodies that did not validate (fail closed)
        # one queue per delay: within one, due order is seq order, so the heads decide
        self._queues: dict[float, deque[Pending]] = {}
        self._wake = asyncio.Event()
        # what the live log handed over as it committed (at most a page): read from here, not
        # from the database, while it follows the cursor
        self._handed: deque[Committed] = deque()
        self._epoch: str | None = None  # the live history being read

    @property
    def _history(self) -> str:
        """The live epoch as public entries name it: a digest, not the hashing key itself."""
        return hashlib.sha256(self.live.epoch.encode()).hexdigest()[:HISTORY_CHARS]

    def committed(self, entries: list[Committed]) -> None:
        """The live log committed: look at it now rather than at the next idle tick, and keep
        the entries for reading if a page holds them (else they are read from the log)."""
        self._wake.set()
        if len(self._handed) + len(entries) <= self.page_size:
            self._handed.extend(entries)
        else:
            self._handed.clear()

    @property
    def pending(self) -> int:
        """Entries waiting for their delay."""
        return sum(len(q) for q in self._queues.values())

    async def run(self) -> None:
        """Publish until cancelled; a failing public log is retried, never skipped."""
        failing = False
        while True:
            transactions = self.transactions
            try:
                if self._epoch != self.live.epoch:  # at start, or the live log was recreated
                    await self._begin()
                more = await self.step()
            except Exception as exc:  # a log unreachable (Redis down, disk full): wait, retry
                if not failing:  # once per outage, not once per retry
                    log.error("public stream stalled: %s; trying again", _reason(exc))
                failing = True
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if failing:
                log.info("public stream publishing again from live seq %d", self.cursor)
                failing = False
            if more:
                continue
            if self.transactions != transactions:  # let what comes next gather for a while
                await asyncio.sleep(self.publish_every)
            await self._idle()

    async def _begin(self) -> None:
        """Start reading this live history: from the cursor the public log holds for it."""
        self._queues.clear()
        self._handed.clear()  # perhaps another history's
        self.cursor = await self.start_point()
        self._epoch = self.live.epoch
        log.info("publishing the public stream from live seq %d", self.cursor)

    async def step(self) -> bool:
        """Read one page of what the live log committed since the cursor, then publish what is
        due; True when there is more to read. A page at a time, so a burst on the live log
        costs a page of memory here, not the burst."""
        self._wake.clear()  # what commits from here on wakes the next wait
        full = self.pending >= self.rules.max_pending_entries
        more = await self._read()
        await self._publish_due()
        return more or (full and self.pending < self.rules.max_pending_entries)

    async def start_point(self) -> int:
        """The live seq to read after: the cursor stamped on the newest public event of this
        live history, or the start of the live log (claims keep republication out)."""
        public, start = self.public, self.live.first_seq - 1
        upper = public.head
        while upper >= public.first_seq:
            lower = max(public.first_seq - 1, upper - self.page_size)
            page = await public.entries_after(lower, upper - lower)
            for entry in reversed(page):
                if entry.type == "event":
                    stamp = orjson.loads(entry.raw)["body"].get("extra", {}).get(CURSOR_KEY)
                    if isinstance(stamp, dict) and stamp.get("live") == self._history:
                        return max(start, int(stamp.get("after", 0)))
                    return start
            upper = lower
        return start

    async def _read(self) -> bool:
        room = self.rules.max_pending_entries - self.pending
        if room <= 0:  # the delayed entries fill the budget: read again once some are out
            return False
        wanted = min(self.page_size, room)
        page = self._take_handed(wanted) or await self.live.entries_after(self.cursor, wanted)
        for entry in page:
            self._take(entry)
            self.cursor = entry.seq
        return len(page) == wanted

    def _take_handed(self, wanted: int) -> list[Committed]:
        """Up to `wanted` handed entries from just after the cursor; none if they do not follow
        it (some were dropped, or committed before the cursor was known): then the log is read."""
        while self._handed and self._handed[0].seq <= self.cursor:
            self._handed.popleft()
        if not self._handed or self._handed[0].seq != self.cursor + 1:
            self._handed.clear()
            return []
        return [self._handed.popleft() for _ in range(min(wanted, len(self._handed)))]

    def _take(self, entry: Committed) -> None:
        data: dict[str, Any] = orjson.loads(entry.raw)
        try:
            body = redact(data["type"], data["body"], self.rules, salt=self.live.epoch)
        except Unreadable as exc:
            self.unreadable += 1
            if self.unreadable == 1:  # once: a bad source would otherwise flood the log
                log.warning("public stream: dropped live seq %d: %s", entry.seq, exc)
            return
        if body is None:
            self.withheld += 1
            return
        delay = self.rules.delay_seconds.get(entry.kind or "", 0.0)
        due = datetime.fromisoformat(data["at"]) + timedelta(seconds=delay)
        self._queues.setdefault(delay, deque()).append(Pending(due, entry.seq, body, delay))

    async def _publish_due(self) -> None:
        """Append what is due, a transaction for up to BATCH_ENTRIES entries (one claim each);
        a batch that fails goes back to the front of its queues."""
        while batch := self._take_due():
            claims = [(f"{self.live.epoch}:{pending.seq}", [body]) for pending, body in batch]
            self.transactions += 1
            try:
                done = await self.public.append_claimed(claims)
            except LogError:
                for pending, _ in reversed(batch):  # not published: first in line again
                    self._queues[pending.delay].appendleft(pending)
                raise
            self.published += sum(result is not None for result in done)

    def _take_due(self) -> list[tuple[Pending, Body]]:
        """Up to BATCH_ENTRIES entries due now, out of their queues in due order; an event with
        the cursor stamped as it stands once the event is out."""
        now = self.clock()
        batch: list[tuple[Pending, Body]] = []
        while len(batch) < BATCH_ENTRIES and (head := self._next()) is not None and head.due <= now:
            self._queues[head.delay].popleft()
            body = head.body
            if isinstance(body, Event):
                stamp = {"live": self._history, "after": self._handled()}
                body = body.model_copy(update={"extra": {**body.extra, CURSOR_KEY: stamp}})
            batch.append((head, body))
        return batch

    def _next(self) -> Pending | None:
        heads = [q[0] for q in self._queues.values() if q]
        return min(heads, key=lambda p: (p.due, p.seq), default=None)

    def _handled(self) -> int:
        """The live seq up to which every entry is published or withheld (none still waits)."""
        waiting = [q[0].seq for q in self._queues.values() if q]
        return min(waiting, default=self.cursor + 1) - 1

    async def _idle(self) -> None:
        """Wait for a live commit, the next due time or the idle tick, whichever is first."""
        head = self._next()
        timeout = IDLE_SECONDS
        if head is not None:
            timeout = max(0.0, min(timeout, (head.due - self.clock()).total_seconds()))
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            pass


def _reason(exc: Exception) -> str:
    return exc.message if isinstance(exc, LogError) else f"{type(exc).__name__}: {exc}"
