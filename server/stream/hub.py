"""Fan-out of committed entries to every connected board, built once and written without awaiting.

After each commit the hub joins the new entries (already encoded by the log) into one `batch`
message per distinct filter, frames it once as a websocket text frame, and writes the same bytes
straight to each client's transport. A client's unsent bytes are bounded by the transport's write
buffer: over `buffer_limit_bytes` it is closed with 4008 `slow` and resumes by seq. A client that
is still catching up (reading its backlog) gets entries held in a bounded pending list instead.

Under load the hub coalesces: an entry committed soon after the last frame waits for the window's
end and leaves in one frame with the others, so a board at 100 events/s costs the server a few
writes a second instead of a hundred; an idle hub writes at once. The window adapts to what a
delivery costs: `COALESCE_DUTY_FACTOR` times as long as the last one took, never longer than
`coalesce_seconds` — a hub with few boards delivers almost at once, one with a thousand spends at
most a tenth of its time writing (and at 100 commits/s its frames carry two entries or more).
A frame leaves before the window's end once it holds what the commit rate brings in a window
(at least `MIN_EARLY_FRAME_ENTRIES`): at a steady rate the frames are the same, and the entries
wait half as long as for a window that ends at a random point between two commits.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from server.stream import protocol
from server.stream.log import Committed, EventFilter

log = logging.getLogger(__name__)

CLOSE_SLOW = 4008
COALESCE_DUTY_FACTOR = 9.0  # wait 9 times the last delivery: writing takes <= 1/10 of the loop
GAP_WEIGHT = 0.2  # the newest gap's weight in the mean gap between committed entries
MIN_EARLY_FRAME_ENTRIES = 2  # a frame sent before its window's end carries at least this many


def text_frame(payload: bytes) -> bytes:
    """An unmasked, final websocket text frame (RFC 6455 §5.2); servers never mask, so one
    frame serves every client."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload


class Transport(Protocol):
    """The part of an asyncio transport the hub uses."""

    def write(self, data: bytes) -> None: ...
    def get_write_buffer_size(self) -> int: ...
    def is_closing(self) -> bool: ...


@dataclass(eq=False)
class Client:
    """One board connection as the hub sees it."""

    transport: Transport
    on_slow: Callable[[], None]
    filter: EventFilter = field(default_factory=EventFilter)
    pending: list[Committed] | None = None
    pending_bytes: int = 0
    floor: int = 0  # the client already has every entry up to this seq (from its snapshot/backlog)
    closed: bool = False

    def passes(self, entry: Committed) -> bool:
        """Filters apply to events only; actions and notices always pass."""
        return entry.type != "event" or self.filter.matches(
            entry.kind, entry.severity, entry.district
        )


class Hub:
    """Holds the subscribed clients and delivers each commit's entries to them."""

    def __init__(
        self,
        *,
        buffer_limit_bytes: int,
        batch_max_entries: int,
        coalesce_seconds: float = 0.0,
        duty_factor: float = COALESCE_DUTY_FACTOR,
    ) -> None:
        self.buffer_limit_bytes = buffer_limit_bytes
        self.batch_max_entries = batch_max_entries
        self.coalesce_seconds = coalesce_seconds
        self.duty_factor = duty_factor
        self._window = 0.0  # the current coalescing window, set by the last delivery's cost
        self.clients: set[Client] = set()
        self.frames_built = 0
        self.slow_closed = 0
        self._waiting: list[Committed] = []  # committed, held for the end of the window
        self._flush_timer: asyncio.TimerHandle | None = None
        self._last_flush = float("-inf")
        self._last_publish = float("-inf")
        self._gap = 0.0  # mean seconds between committed entries (0: not known yet)
        # told of every entry once its frames are written (the situation book)
        self.on_deliver: Callable[[list[Committed]], None] | None = None

    def subscribe(self, client: Client, *, catching_up: bool) -> None:
        """Add a client; while it catches up, live entries are held for `go_live` to merge."""
        client.pending = [] if catching_up else None
        client.pending_bytes = 0
        self.clients.add(client)

    def unsubscribe(self, client: Client) -> None:
        """Forget a client (on disconnect); idempotent."""
        client.closed = True
        self.clients.discard(client)

    def go_live(self, client: Client, *, sent_up_to: int) -> None:
        """End a catch-up: deliver held entries newer than what was sent, then go live.

        Runs without awaiting, so no commit can slip in between the merge and going live.
        """
        held, client.pending, client.pending_bytes = client.pending or [], None, 0
        client.floor = sent_up_to
        fresh = [e for e in held if e.seq > sent_up_to]
        if fresh and not client.closed:
            for start in range(0, len(fresh), self.batch_max_entries):
                chunk = fresh[start : start + self.batch_max_entries]
                frame = text_frame(protocol.batch([e.raw for e in chunk], head=chunk[-1].seq))
                self._write(client, frame)

    def publish(self, entries: list[Committed]) -> None:
        """Deliver freshly committed entries (in seq order): at once when the last frame left a
        window ago or more, else with the others at the window's end or once they are as many
        as the commit rate brings in a window."""
        if not entries:
            return
        if self.coalesce_seconds <= 0:
            self._deliver(entries)
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._note_gap(now, len(entries))
        self._waiting.extend(entries)
        if self._flush_timer is not None:
            if len(self._waiting) >= self._window_share():
                self.flush()
            return
        due = self._last_flush + self._window
        if now >= due:
            self.flush()
        else:
            self._flush_timer = loop.call_at(due, self.flush)

    def _note_gap(self, now: float, count: int) -> None:
        """Average the time between committed entries (a gap longer than the window counts as
        the window: past it the hub is idle and delivers at once anyway)."""
        if self._last_publish > float("-inf"):
            gap = min(now - self._last_publish, self.coalesce_seconds) / count
            self._gap = gap if not self._gap else self._gap + GAP_WEIGHT * (gap - self._gap)
        self._last_publish = now

    def _window_share(self) -> float:
        """How many entries the commit rate brings in a window: a frame need not wait for more."""
        if self._gap <= 0:
            return float("inf")
        return max(MIN_EARLY_FRAME_ENTRIES, round(self._window / self._gap))

    def flush(self) -> None:
        """Deliver every waiting entry now (the window's end or its share reached, or shutdown)."""
        entries = self._take_waiting()
        self._last_flush = asyncio.get_running_loop().time()
        self._deliver(entries)

    def drop_waiting(self) -> None:
        """The stream's history was replaced: what waits belongs to the old one, never sent."""
        self._take_waiting()

    def _take_waiting(self) -> list[Committed]:
        """What waits for the window, with its timer stopped."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        entries, self._waiting = self._waiting, []
        return entries

    def _deliver(self, entries: list[Committed]) -> None:
        """Write the entries to every board, size the next window by what that cost, then tell
        `on_deliver` (after the frames: boards are not kept waiting for the situation book, and
        its cost is not taken for the writing's)."""
        started = time.perf_counter()
        self._write_to_boards(entries)
        cost = time.perf_counter() - started
        self._window = min(self.coalesce_seconds, cost * self.duty_factor)
        if entries and self.on_deliver is not None:
            self.on_deliver(entries)

    def _write_to_boards(self, entries: list[Committed]) -> None:
        if not entries or not self.clients:
            return
        head = entries[-1].seq
        frames: dict[EventFilter, list[bytes]] = {}
        for client in list(self.clients):
            if client.closed:
                continue
            if client.pending is not None:
                self._hold(client, entries)
                continue
            if client.floor >= entries[0].seq:
                # committed before its snapshot/backlog read but published after: skip what it has
                rest = [e for e in entries if e.seq > client.floor]
                for frame in self._frames_for(client, rest, head) if rest else ():
                    self._write(client, frame)
                continue
            built = frames.get(client.filter)
            if built is None:
                built = frames[client.filter] = self._frames_for(client, entries, head)
            for frame in built:
                if client.closed:
                    break
                self._write(client, frame)

    def broadcast(self, payload: bytes) -> None:
        """Send one non-entry message (feed health) to every live client, framed once."""
        frame = text_frame(payload)
        for client in list(self.clients):
            if not client.closed and client.pending is None:
                self._write(client, frame)

    def _frames_for(self, client: Client, entries: list[Committed], head: int) -> list[bytes]:
        chosen = [e for e in entries if client.passes(e)]
        self.frames_built += 1
        if not chosen:
            return [text_frame(protocol.batch([], head=head))]
        frames = []
        for start in range(0, len(chosen), self.batch_max_entries):
            chunk = chosen[start : start + self.batch_max_entries]
            last = start + self.batch_max_entries >= len(chosen)
            # only the last frame may claim the full head: earlier ones stop at their last entry
            chunk_head = head if last else chunk[-1].seq
            frames.append(text_frame(protocol.batch([e.raw for e in chunk], head=chunk_head)))
        return frames

    def _hold(self, client: Client, entries: list[Committed]) -> None:
        for entry in entries:
            if client.passes(entry):
                assert client.pending is not None
                client.pending.append(entry)
                client.pending_bytes += len(entry.raw)
        if client.pending_bytes > self.buffer_limit_bytes:
            self._drop_slow(client)

    def _write(self, client: Client, frame: bytes) -> None:
        transport = client.transport
        if transport.is_closing():
            self.unsubscribe(client)
            return
        transport.write(frame)
        if transport.get_write_buffer_size() > self.buffer_limit_bytes:
            self._drop_slow(client)

    def _drop_slow(self, client: Client) -> None:
        self.slow_closed += 1
        log.warning(
            "closing a board that fell %d bytes behind (4008 slow)",
            max(client.pending_bytes, client.transport.get_write_buffer_size()),
        )
        self.unsubscribe(client)
        client.on_slow()
