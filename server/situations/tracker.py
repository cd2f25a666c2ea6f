"""One stream's situation book, fed by what its hub delivers, and the throttled `situations`
messages its boards receive: the whole set after a snapshot or a resume's backlog, the changes
at most once per `push_seconds` afterwards, always behind the batch frame that carried them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from server.situations.book import SITUATION_PREFIX, SituationBook
from server.situations.clusters import CLUSTER_PREFIX
from server.situations.settings import SituationSettings
from server.stream import protocol
from server.stream.hub import Hub
from server.stream.log import Committed

GROUP_PREFIXES = (SITUATION_PREFIX, CLUSTER_PREFIX)  # ids the book gives out, beside events'
MAX_HELD_ENTRIES = 100_000  # entries delivered while the start-up fold runs, applied after it
#: told, with each push, of the situations it carried (None: forgotten) — the escalator
OnChange = Callable[[Mapping[str, dict[str, Any] | None]], None]


class SituationTracker:
    """A book plus the pacing of its messages; `feed` must see every entry in seq order."""

    def __init__(self, settings: SituationSettings, hub: Hub, *, push_seconds: float) -> None:
        self.settings = settings
        self.hub = hub
        self.push_seconds = push_seconds
        self.book = SituationBook(settings)
        self._changed: set[str] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._last_push = float("-inf")
        self._held: list[Committed] | None = None  # while the start-up fold reads the log
        self.on_change: OnChange | None = None

    def feed(self, entries: Sequence[Committed]) -> None:
        """Fold delivered entries; a message follows within `push_seconds` if anything changed."""
        if self._held is not None:
            self._held.extend(entries[: MAX_HELD_ENTRIES - len(self._held)])
            return
        for entry in entries:
            if entry.seq <= self.book.seq:
                continue  # the start-up fold read it already
            self.add(entry.seq, entry.type, entry.event_id, entry.raw)
        if self._changed and self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # folded outside the server (a test, a tool): no boards to tell
                return
            due = max(loop.time(), self._last_push + self.push_seconds)
            # never sooner than the next turn: the batch frame being written now goes first
            self._timer = loop.call_at(due, self.push)

    def add(self, seq: int, type_: str, event_id: str | None, raw: bytes) -> None:
        """Fold one encoded entry, decoding only what the book can use."""
        wanted = type_ == "event" or (
            type_ == "action" and event_id is not None and event_id.startswith(SITUATION_PREFIX)
        )
        if wanted:
            self._changed |= self.book.apply(seq, type_, orjson.loads(raw)["body"])
        self.book.seq = max(self.book.seq, seq)

    def hold(self) -> None:
        """Keep delivered entries aside while the log is folded from its start."""
        self._held = []

    def release(self) -> None:
        """The start-up fold is done: apply what was delivered meanwhile and go live."""
        held, self._held = self._held or [], None
        self._changed.clear()
        self.feed(held)

    def push(self) -> None:
        """Send what changed since the last push to every live board of the stream."""
        self._timer = None
        self._last_push = asyncio.get_running_loop().time()
        changed, self._changed = sorted(self._changed), set()
        if changed:
            self.hub.broadcast(self.message(changed))
            if self.on_change is not None:  # the objects `message` just built (the book caches)
                found = {i: self.book.get(i) for i in changed if i.startswith(SITUATION_PREFIX)}
                self.on_change(found)

    def message(self, ids: list[str] | None = None) -> bytes:
        """The `situations` message: the whole set, or the objects with these ids."""
        book = self.book
        if ids is None:
            return protocol.situations(
                seq=book.seq,
                full=True,
                situations=book.situations(),
                clusters=book.clusters(),
                removed=[],
            )
        found: list[tuple[str, dict[str, Any] | None]] = [(i, book.get(i)) for i in ids]
        return protocol.situations(
            seq=book.seq,
            full=False,
            situations=[w for i, w in found if w is not None and i.startswith(SITUATION_PREFIX)],
            clusters=[w for i, w in found if w is not None and not i.startswith(SITUATION_PREFIX)],
            removed=[i for i, w in found if w is None],
        )

    def holds(self, id_: str) -> bool:
        """True when `id_` is a situation or cluster of this stream (acts and calls may be
        about it as about an event)."""
        return id_.startswith(GROUP_PREFIXES) and self.book.get(id_) is not None

    def situations(self) -> list[dict[str, Any]]:
        """Every situation the book holds now, as on the wire (what the escalator recovers)."""
        return self.book.situations()

    def reset(self) -> None:
        """The stream's history was replaced: start an empty book (its boards start afresh)."""
        self.close()
        self.book = SituationBook(self.settings)
        self._changed.clear()

    def close(self) -> None:
        """Stop a pending push (shutdown, reset)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
