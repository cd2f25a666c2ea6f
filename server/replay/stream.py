"""A replay's stream: what a board connection needs of a log (epoch, head, snapshot, entries
after a seq, appending operator actions), held in memory — a bounded ring of recent entries for
resume and the current state of each event."""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import orjson

from server.clock import Clock
from server.replay.recording import EncodedEvent
from server.situations.tracker import SituationTracker
from server.stream import workflow
from server.stream.events import (
    Action,
    Body,
    Event,
    encode_entry,
    entry_type_of,
    iso_utc,
)
from server.stream.hub import Hub
from server.stream.log import AppendResult, Committed, EventFilter, Snapshot

CLOSE_RESET = 4009  # the stream's history was replaced (a seek): reconnect for a fresh snapshot


def _after_seq(epoch: str, at_iso: str) -> bytes:
    """The part of an event's wire form between its seq and its body, the same for every event
    of one publish: cut from `encode_entry`'s own output, so the form has one definition."""
    return encode_entry(0, epoch, at_iso, "event", b"")[len(b'{"seq":0') : -1]


class ReplayStream:
    """One replay's stream, in memory: the same read API as the live log, plus its own hub."""

    def __init__(
        self,
        name: str,
        *,
        exercise: bool,
        ring_entries: int,
        hub: Hub,
        clock: Clock,
        real_calls: bool = False,
        situations: SituationTracker | None = None,
    ) -> None:
        self.name = name
        self.exercise = exercise
        # a drill that rehearses the phone tree too: its calls ring real phones (logged here)
        self.real_calls = real_calls
        self.hub = hub
        # the replay's own situation book, fed by what it plays (none for the seek index's scratch)
        self.situations = situations
        self.clock = clock
        self.ring: deque[Committed] = deque(maxlen=ring_entries)
        # each active event with the seq that set it (a plain tuple: one is built per played
        # event, and a NamedTuple costs ~0.2 µs to build)
        self.current: dict[str, tuple[EncodedEvent, int]] = {}
        self.workflows: dict[str, dict[str, Any]] = {}
        self.claims: set[str] = set()  # keys `append_once` took in this history
        # told of what is played live, after the boards (a drill's escalator)
        self.listeners: list[Callable[[list[Committed]], None]] = []
        self.epoch = ""
        self.head = 0
        self.reset()

    @property
    def stream(self) -> str:
        return f"replay:{self.name}"

    @property
    def first_seq(self) -> int:
        """The oldest seq still held for resume; older resumes get a snapshot."""
        return self.ring[0].seq if self.ring else self.head + 1

    def reset(self) -> None:
        """Forget everything and start a new history (a new epoch)."""
        self.ring.clear()
        self.current.clear()
        self.workflows.clear()
        self.claims.clear()
        self.epoch = secrets.token_hex(8)
        self.head = 0
        if self.situations is not None:
            self.situations.reset()

    def publish(
        self, bodies: Sequence[Body | EncodedEvent], *, at: datetime, broadcast: bool = True
    ) -> list[int]:
        """Give bodies the next seqs, fold them into the state, and send them to the boards."""
        committed = []
        at_iso = iso_utc(at)
        epoch, ring, current = self.epoch, self.ring, self.current
        after_seq = _after_seq(epoch, at_iso)
        for body in bodies:
            self.head = seq = self.head + 1
            # a played entry's path first, folded inline: pydantic's isinstance costs ~1 µs
            if not isinstance(body, EncodedEvent) and isinstance(body, Event):
                body = EncodedEvent.of(body)
            if isinstance(body, EncodedEvent):
                event_id = body.event_id
                known = current.get(event_id)
                if known is None or known[0].version <= body.version:
                    if body.status == "active":
                        current[event_id] = (body, seq)
                    elif known is not None:
                        del current[event_id]
                raw = b"".join((b'{"seq":%d' % seq, after_seq, body.json, b"}"))
                entry = Committed(
                    seq, "event", event_id, body.kind, body.severity, body.district, raw
                )
            else:
                type_ = entry_type_of(body)
                action_of = body.event_id if isinstance(body, Action) else None
                if isinstance(body, Action):
                    self.workflows[body.event_id] = workflow.apply(
                        self.workflows.get(body.event_id), body
                    )
                raw = encode_entry(seq, epoch, at_iso, type_, body.dump())
                entry = Committed(seq, type_, action_of, None, None, None, raw)
            ring.append(entry)
            committed.append(entry)
        if broadcast:
            self.hub.publish(committed)
            for listener in self.listeners:
                listener(committed)
        if self.situations is not None:  # folded or played: a replayed drill rebuilds its book
            self.situations.feed(committed)
        return [c.seq for c in committed]

    def load(
        self, events: Sequence[tuple[EncodedEvent, int]], workflows: dict[str, Any], head: int
    ) -> None:
        """Take a checkpoint's state: the active events (each with the seq that set it), the
        workflows and the head, as folding every entry up to there would have left them."""
        for event, seq in events:
            self.current[event.event_id] = (event, seq)
        self.workflows.update(workflows)
        self.head = head

    # the read API a board connection uses (shared with server.stream.log.EventLog)

    async def snapshot(self, flt: EventFilter, limit: int) -> Snapshot:
        chosen = sorted(
            (
                (event, seq)
                for event, seq in self.current.values()
                if flt.matches(event.kind, event.severity, event.district)
            ),
            key=lambda c: (c[0].updated_at, c[1]),
            reverse=True,
        )
        kept = [event for event, _ in chosen[:limit]]
        ids = [event.event_id for event in kept]
        flows = {i: self.workflows[i] for i in ids if i in self.workflows}
        return Snapshot(self.head, [event.json for event in kept], len(chosen) > limit, flows)

    async def entries_after(self, after_seq: int, limit: int) -> list[Committed]:
        return [e for e in self.ring if e.seq > after_seq][:limit]

    async def events(
        self, flt: EventFilter, *, after_seq: int, limit: int
    ) -> list[tuple[int, bytes]]:
        """Latest versions of the events this replay still holds — the active ones and any
        ended within the resume ring — changed after `after_seq`, in seq order."""
        latest = {seq: event.json for event, seq in self.current.values()}
        ended: dict[str, tuple[int, bytes]] = {}
        for entry in self.ring:
            if entry.type == "event" and entry.event_id not in self.current:
                body = orjson.dumps(orjson.loads(entry.raw)["body"])
                ended[entry.event_id or ""] = (entry.seq, body)
        latest.update(dict(ended.values()))
        chosen = [
            (seq, body)
            for seq, body in sorted(latest.items())
            if seq > after_seq and flt.admits(orjson.loads(body))
        ]
        return chosen[:limit]

    async def workflows_of(self, event_ids: Sequence[str]) -> dict[str, Any]:
        """The handling state of those of these events someone has acted on."""
        return {i: self.workflows[i] for i in event_ids if i in self.workflows}

    async def current_event(self, event_id: str) -> bytes | None:
        found = self.current.get(event_id)
        return found[0].json if found else None

    async def history(self, event_id: str, limit: int) -> list[Committed]:
        return [e for e in self.ring if e.event_id == event_id][:limit]

    async def append(self, bodies: Sequence[Body]) -> list[AppendResult]:
        """Operator actions on a replay (drills) go into this stream, never the live log."""
        seqs = self.publish(bodies, at=self.clock.now())
        return [AppendResult(seq, "appended") for seq in seqs]

    async def append_once(self, key: str, bodies: Sequence[Body]) -> list[AppendResult] | None:
        """`append` unless `key` was taken before in this history (a drill's escalation steps)."""
        if key in self.claims:
            return None
        self.claims.add(key)
        return await self.append(bodies)
