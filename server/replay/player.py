"""Replays: a recording played into its own stream `replay:<name>`, never into the live one.

A `ReplayStream` offers what a board connection needs of a stream (epoch, head, snapshot,
entries after a seq, appending operator actions) from memory: a bounded ring of recent entries for
resume, and the current state of each event. A `Player` reads the recording file as a stream and
publishes its entries with the original spacing divided by the speed; pause, resume, step, speed
and seek are commands. A seek rebuilds the state and starts a new epoch, so every board watching
takes a fresh snapshot (its socket is closed with 4009 and it reconnects).

Seeks are quick however long the file: whenever the player rests, an index pass reads the file once
and keeps a checkpoint every `checkpoint_every` entries (its byte offset and the state there, in
the recording's own times so any seek's time shift applies), within `checkpoint_budget` bytes. A
seek restores the checkpoint a resume ring's worth of entries before the target and folds from
there. docs/recording-format.md ("Seeking in a replay") has the details.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import orjson

from server.clock import Clock, SystemClock
from server.errors import CityboardError
from server.replay.recording import (
    Header,
    ReadStats,
    RecordingError,
    at_of,
    read_header,
    read_lines,
)
from server.stream import workflow
from server.stream.events import Action, Body, Event, Notice, encode_entry, entry_type_of, iso_utc
from server.stream.hub import Hub
from server.stream.log import AppendResult, Committed, EventFilter, Snapshot

log = logging.getLogger(__name__)

CLOSE_RESET = 4009  # the stream's history was replaced (a seek): reconnect for a fresh snapshot
TIME_FIELDS = ("sent_at", "updated_at", "expires_at", "received_at", "at")
MAX_SPEED = 3600.0
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
YIELD_EVERY = 200  # entries a player handles before letting the event loop serve others
CHECKPOINT_EVERY = 5_000  # entries between seek checkpoints (doubled each time they are thinned)
CHECKPOINT_BUDGET_BYTES = 32 * 1024 * 1024  # a player's checkpoints, at most; then every other goes
CHECKPOINT_OVERHEAD_BYTES = 512  # a checkpoint's own objects, counted besides its packed state
CHECKPOINT_ZLIB_LEVEL = 1  # packing checkpoints: the fastest level still shrinks JSON several times

Op = Literal["pause", "resume", "step", "speed", "seek"]


class ReplayError(CityboardError):
    """A replay command cannot be carried out; the code tells the client why."""

    code = "replay"


@dataclass
class _Current:
    body: bytes
    kind: str
    severity: str
    district: str | None
    status: str
    updated_at: str
    seq: int
    version: int

    @classmethod
    def of(cls, event: Event, body_json: bytes, seq: int) -> _Current:
        """What snapshots need of an event, alike whether folded or restored from a checkpoint."""
        return cls(
            body_json,
            event.kind.value,
            event.severity.value,
            event.district,
            event.status.value,
            iso_utc(event.updated_at or event.sent_at),
            seq,
            event.version,
        )


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
    ) -> None:
        self.name = name
        self.exercise = exercise
        # a drill that rehearses the phone tree too: its calls ring real phones (logged here)
        self.real_calls = real_calls
        self.hub = hub
        self.clock = clock
        self.ring: deque[Committed] = deque(maxlen=ring_entries)
        self.current: dict[str, _Current] = {}
        self.workflows: dict[str, dict[str, Any]] = {}
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
        self.epoch = secrets.token_hex(8)
        self.head = 0

    def publish(self, bodies: Sequence[Body], *, at: datetime, broadcast: bool = True) -> list[int]:
        """Give bodies the next seqs, fold them into the state, and send them to the boards."""
        committed = []
        at_iso = iso_utc(at)
        for body in bodies:
            self.head += 1
            body_json = body.dump()
            type_ = entry_type_of(body)
            kind = severity = district = None
            event_id = body.event_id if isinstance(body, Event | Action) else None
            if isinstance(body, Event):
                kind, severity, district = body.kind.value, body.severity.value, body.district
                self._fold_event(body, body_json)
            elif isinstance(body, Action):
                self.workflows[body.event_id] = workflow.apply(
                    self.workflows.get(body.event_id), body
                )
            raw = encode_entry(self.head, self.epoch, at_iso, type_, body_json)
            entry = Committed(self.head, type_, event_id, kind, severity, district, raw)
            self.ring.append(entry)
            committed.append(entry)
        if broadcast:
            self.hub.publish(committed)
        return [c.seq for c in committed]

    def _fold_event(self, event: Event, body_json: bytes) -> None:
        known = self.current.get(event.event_id)
        if known is not None and known.version > event.version:
            return
        if event.status.value != "active":
            self.current.pop(event.event_id, None)
            return
        self.current[event.event_id] = _Current.of(event, body_json, self.head)

    def load(
        self, events: Sequence[tuple[Event, int]], workflows: dict[str, Any], head: int
    ) -> None:
        """Take a checkpoint's state: the active events (each with the seq that set it), the
        workflows and the head, as folding every entry up to there would have left them."""
        for event, seq in events:
            self.current[event.event_id] = _Current.of(event, event.dump(), seq)
        self.workflows.update(workflows)
        self.head = head

    # the read API a board connection uses (shared with server.stream.log.EventLog)

    async def snapshot(self, flt: EventFilter, limit: int) -> Snapshot:
        chosen = sorted(
            (c for c in self.current.values() if flt.matches(c.kind, c.severity, c.district)),
            key=lambda c: (c.updated_at, c.seq),
            reverse=True,
        )
        kept = chosen[:limit]
        ids = [orjson.loads(c.body)["event_id"] for c in kept]
        flows = {i: self.workflows[i] for i in ids if i in self.workflows}
        return Snapshot(self.head, [c.body for c in kept], len(chosen) > limit, flows)

    async def entries_after(self, after_seq: int, limit: int) -> list[Committed]:
        return [e for e in self.ring if e.seq > after_seq][:limit]

    async def events(
        self, flt: EventFilter, *, after_seq: int, limit: int
    ) -> list[tuple[int, bytes]]:
        """Latest versions of the events this replay still holds — the active ones and any
        ended within the resume ring — changed after `after_seq`, in seq order."""
        latest = {c.seq: c.body for c in self.current.values()}
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
        return found.body if found else None

    async def history(self, event_id: str, limit: int) -> list[Committed]:
        return [e for e in self.ring if e.event_id == event_id][:limit]

    async def append(self, bodies: Sequence[Body]) -> list[AppendResult]:
        """Operator actions on a replay (drills) go into this stream, never the live log."""
        seqs = self.publish(bodies, at=self.clock.now())
        return [AppendResult(seq, "appended") for seq in seqs]


@dataclass
class PlayOptions:
    """How a recording is played."""

    speed: float = 1.0  # 1 = as recorded; 0 = as fast as possible
    loop: bool = False
    start: datetime | None = None  # skip (but fold into the state) what came before this time
    shift_times: bool = True  # move the recording's times so it happens now
    skip_bad: bool = False


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The state after reading up to `line`, so a seek restores it instead of refolding the file
    from its start. Times are the recording's own; a seek's time shift is applied on restoring."""

    line: int  # the last line read
    offset: int  # where the next line starts (in decompressed bytes)
    entries: int  # entries read up to here
    latest: datetime  # the latest `at` up to here: a seek to any later time may start here
    head: int  # entries folded into the state (the stream's head)
    position: datetime | None  # `at` of the last one folded
    state: bytes  # zlib'd JSON: [[recorded event body, seq], ...] and the workflows


@dataclass
class Player:
    """Reads a recording and publishes its entries into a ReplayStream at the recorded pace."""

    path: Path
    stream: ReplayStream
    options: PlayOptions
    checkpoint_every: int = CHECKPOINT_EVERY  # 0: no index, every seek refolds from the start
    checkpoint_budget: int = CHECKPOINT_BUDGET_BYTES
    header: Header = field(init=False)
    state: str = field(default="starting", init=False)  # playing · paused · ended
    position: datetime | None = field(default=None, init=False)  # recorded time of the last entry
    played: int = field(default=0, init=False)
    loops: int = field(default=0, init=False)
    stats: ReadStats = field(default_factory=ReadStats, init=False)
    density: list[int] | None = field(default=None, init=False)  # entries per scrubber bucket
    # the one reading of the file that computes it, shared by boards that ask at the same time
    density_task: asyncio.Future[list[int]] | None = field(default=None, init=False)
    on_reset: Callable[[], None] = field(default_factory=lambda: _nothing, init=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _resting: asyncio.Event = field(default_factory=asyncio.Event, init=False)  # see _rest
    _steps: int = field(default=0, init=False)
    _seek_to: datetime | None = field(default=None, init=False)
    _anchor: tuple[datetime, datetime] | None = field(default=None, init=False)  # (wall, recorded)
    checkpoints: list[Checkpoint] = field(default_factory=list, init=False)
    indexed: bool = field(default=False, init=False)  # the index pass has read the whole file

    def __post_init__(self) -> None:
        self._spacing = self.checkpoint_every
        self.header = read_header(self.path)
        self.rec_start = (
            datetime.fromisoformat(str(self.header.start).replace("Z", "+00:00"))
            if self.header.start
            else None
        )

    # ------------------------------------------------------------------- commands

    def command(self, op: Op, *, speed: float | None = None, at: datetime | None = None) -> None:
        """Pause, resume, step one entry, change speed, or seek to a recorded time."""
        if op not in ("pause", "resume", "step", "speed", "seek"):
            raise ReplayError(
                f"unknown op {op!r}: pause, resume, step, speed or seek", code="bad_op"
            )
        if op == "pause":
            self.state = "paused" if self.state != "ended" else "ended"
        elif op == "resume":
            if self.state == "paused":
                self.state = "playing"
            self._anchor = None
        elif op == "step":
            if self.state != "paused":
                raise ReplayError("step works while paused; pause first", code="not_paused")
            self._steps += 1
        elif op == "speed":
            if speed is None or not 0 <= speed <= MAX_SPEED:
                raise ReplayError(
                    f"speed must be 0 (as fast as possible) to {MAX_SPEED:g}", code="bad_speed"
                )
            self.options.speed = speed
            self._anchor = None
        elif op == "seek":
            if at is None:
                raise ReplayError("seek needs a time", code="bad_seek")
            self._seek_to = at
            if self.state == "ended":
                self.state = "playing"
        self._wake.set()

    def status(self) -> dict[str, Any]:
        """What the board's scrubber shows."""
        return {
            "name": self.stream.name,
            "stream": self.stream.stream,
            "state": self.state,
            "speed": self.options.speed,
            "loop": self.options.loop,
            "exercise": self.stream.exercise,
            "real_calls": self.stream.real_calls,
            "position": _iso(self.position),
            "start": self.header.start,
            "end": self.header.end,
            "entries": self.header.entries,
            "played": self.played,
            "loops": self.loops,
            "epoch": self.stream.epoch,
            "head": self.stream.head,
            "skipped_lines": len(self.stats.skipped_lines),
            "truncated_tail": self.stats.truncated_tail,
        }

    # -------------------------------------------------------------------- playing

    async def run(self) -> None:
        """Play until the end (or forever with loop); commands take effect at once. The seek
        index is built meanwhile, once."""
        indexer = asyncio.create_task(self._index()) if self.checkpoint_every > 0 else None
        try:
            await self._play()
        finally:
            if indexer is not None:
                indexer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await indexer

    async def _play(self) -> None:
        start = self.options.start
        while True:
            self.state = "playing" if self.state != "paused" else "paused"
            restart = await self._play_once(start)
            if restart is not None:  # a seek: new history up to the wanted time
                start = restart
                continue
            if not self.options.loop:
                self.state = "ended"
                while self._seek_to is None:  # an ended replay can still be sought
                    self._wake.clear()
                    await self._rest(self._wake.wait())
                start = self._seek_to
                continue
            self.loops += 1
            start = None

    async def _play_once(self, start: datetime | None) -> datetime | None:
        """One pass over the file, from the best checkpoint for `start`; returns a time to
        restart at when a seek came in.

        Entries before `start` only build the state. Boards are told to take a fresh snapshot
        (on_reset) once it is built: any that connected while it was being built saw only part.
        """
        self.stream.reset()
        self._seek_to = None
        self._anchor = None
        self.played, self.position = 0, None
        shift = self._shift_for(start)
        checkpoint = self._checkpoint_for(start)
        if checkpoint is not None:
            await self._restore(checkpoint, shift)
        fold_until = start
        if fold_until is None:
            self.on_reset()
        after = (checkpoint.line, checkpoint.offset) if checkpoint else None
        lines = read_lines(self.path, skip_bad=self.options.skip_bad, stats=self.stats, after=after)
        for count, (_, _, entry) in enumerate(lines, 1):
            if count % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # fast replays and seeks must not starve the server
                if self._seek_to is not None:
                    return self._seek_to
            recorded = at_of(entry)
            if fold_until is not None:
                if recorded < fold_until:
                    self._publish(entry, recorded, shift, broadcast=False)
                    continue
                fold_until = None
                self.on_reset()
            restart = await self._wait_until(recorded)
            if restart is not None:
                return restart
            self._publish(entry, recorded, shift, broadcast=True)
        if fold_until is not None:
            self.on_reset()
        return None

    def _shift_for(self, start: datetime | None) -> timedelta | None:
        if not self.options.shift_times or self.rec_start is None:
            return None
        return self.stream.clock.now() - (start or self.rec_start)

    def _publish(
        self, entry: dict[str, Any], recorded: datetime, shift: timedelta | None, *, broadcast: bool
    ) -> None:
        body = _body_of(entry, shift)
        if body is None:
            return
        at = self.stream.clock.now() if (broadcast and self.options.shift_times) else recorded
        self.stream.publish([body], at=at, broadcast=broadcast)
        self.position = recorded
        self.played += 1

    # ----------------------------------------------------------------- seek index

    @property
    def checkpoint_bytes(self) -> int:
        """What the checkpoints hold, as counted against `checkpoint_budget`."""
        return sum(len(c.state) + CHECKPOINT_OVERHEAD_BYTES for c in self.checkpoints)

    async def _index(self) -> None:
        """Read the file once, folding it in its own times, and keep a checkpoint every
        `checkpoint_every` entries; a bad line (not skipped) ends the index there. It reads while
        the player rests (between entries, paused, ended), never slowing a fast replay down."""
        scratch = ReplayStream(  # never broadcasts: the hub is only there to satisfy the type
            self.stream.name,
            exercise=False,
            ring_entries=0,
            hub=self.stream.hub,
            clock=self.stream.clock,
        )
        recorded: dict[str, dict[str, Any]] = {}  # each active event's body as the file has it
        latest: datetime | None = None
        position: datetime | None = None
        lines = read_lines(self.path, skip_bad=self.options.skip_bad, stats=self.stats)
        try:
            for count, (line, offset, entry) in enumerate(lines, 1):
                if count % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                    await self._resting.wait()  # so a fast replay keeps its pace
                at = at_of(entry)
                latest = at if latest is None else max(latest, at)
                body = _body_of(entry, None)
                if body is not None:
                    scratch.publish([body], at=at, broadcast=False)
                    position = at
                if isinstance(body, Event):
                    kept = scratch.current.get(body.event_id)
                    if kept is None:
                        recorded.pop(body.event_id, None)
                    elif kept.seq == scratch.head:
                        recorded[body.event_id] = entry["body"]
                last = self.checkpoints[-1].entries if self.checkpoints else 0
                if count - last >= self._spacing:
                    state = _pack(scratch, recorded)
                    self._keep(
                        Checkpoint(line, offset, count, latest, scratch.head, position, state)
                    )
        except (RecordingError, KeyError, ValueError) as exc:
            log.info("replay %s: seek index stops here: %s", self.stream.name, exc)
            return
        self.indexed = True

    def _keep(self, checkpoint: Checkpoint) -> None:
        """Add a checkpoint; over the budget, drop every other one and space new ones wider."""
        self.checkpoints.append(checkpoint)
        while self.checkpoints and self.checkpoint_bytes > self.checkpoint_budget:
            self.checkpoints = self.checkpoints[1::2]
            self._spacing *= 2

    def _checkpoint_for(self, start: datetime | None) -> Checkpoint | None:
        """The latest checkpoint a pass to `start` can begin at: everything before it is earlier
        than `start`, and a resume ring's worth of entries lies between, so the ring refills as
        a read from the start would fill it."""
        if start is None:
            return None
        before = [c for c in self.checkpoints if c.latest < start]
        if not before:
            return None
        ring_start = before[-1].head - (self.stream.ring.maxlen or 0)
        usable = [c for c in before if c.head <= ring_start]
        return usable[-1] if usable else None

    async def _restore(self, checkpoint: Checkpoint, shift: timedelta | None) -> None:
        """Load a checkpoint's state into the stream, moved by this pass's time shift."""
        bodies, flows = orjson.loads(zlib.decompress(checkpoint.state))
        events = []
        for count, (body, seq) in enumerate(bodies, 1):
            if count % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            events.append((Event.model_validate(_shifted(body, shift, TIME_FIELDS)), seq))
        workflows = {
            event_id: _shifted(flow, shift, [k for k in flow if k.endswith("_at")])
            for event_id, flow in flows.items()
        }
        self.stream.load(events, workflows, checkpoint.head)
        self.played, self.position = checkpoint.head, checkpoint.position

    async def _rest(self, waiting: Awaitable[Any]) -> None:
        """Await with nothing to do meanwhile: the index pass reads only while the player rests."""
        self._resting.set()
        try:
            await waiting
        finally:
            self._resting.clear()

    async def _wait_until(self, recorded: datetime) -> datetime | None:
        """Wait for an entry's turn; returns a seek target if one arrives meanwhile."""
        clock = self.stream.clock
        while True:
            if self._seek_to is not None:
                return self._seek_to
            if self.state == "paused":
                if self._steps:
                    self._steps -= 1
                    self._anchor = None
                    return None
                self._wake.clear()
                await self._rest(self._wake.wait())
                continue
            speed = self.options.speed
            if speed == 0:
                return None
            if self._anchor is None:
                self._anchor = (clock.now(), self.position or recorded)
            wall0, rec0 = self._anchor
            due = wall0 + (recorded - rec0) / speed
            delay = (due - clock.now()).total_seconds()
            if delay <= 0:
                return None
            self._wake.clear()
            sleeper = asyncio.ensure_future(clock.sleep(delay))
            waker = asyncio.ensure_future(self._wake.wait())
            try:
                await self._rest(
                    asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
                )
            finally:
                for task in (sleeper, waker):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task


def _nothing() -> None:
    """The default reset hook: nobody to tell."""


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment else None


def _shifted(data: dict[str, Any], shift: timedelta | None, keys: Sequence[str]) -> dict[str, Any]:
    """`data` with the times under `keys` moved by `shift` (a copy; `data` itself without one)."""
    if shift is None:
        return data
    moved = dict(data)
    for key in keys:
        if moved.get(key):
            when = datetime.fromisoformat(str(moved[key]).replace("Z", "+00:00")) + shift
            moved[key] = iso_utc(when)
    return moved


def _pack(stream: ReplayStream, bodies: dict[str, dict[str, Any]]) -> bytes:
    """A checkpoint's state: each active event's recorded body with its seq, and the workflows."""
    events = [[bodies[event_id], c.seq] for event_id, c in stream.current.items()]
    return zlib.compress(orjson.dumps([events, stream.workflows]), CHECKPOINT_ZLIB_LEVEL)


def _body_of(entry: dict[str, Any], shift: timedelta | None) -> Body | None:
    """The entry's body as a model, with its times moved by `shift` when shifting."""
    body = _shifted(entry["body"], shift, TIME_FIELDS)
    kind = entry.get("type")
    try:
        if kind == "event":
            return Event.model_validate(body)
        if kind == "action":
            return Action.model_validate(body)
        if kind == "notice":
            return Notice.model_validate(body)
    except ValueError as exc:
        log.warning("replay skipped entry %s: %s", entry.get("seq"), exc)
    return None


class Replays:
    """The server's running replays by name; each has its stream, hub and player task."""

    def __init__(
        self,
        *,
        ring_entries: int,
        buffer_limit_bytes: int,
        batch_max_entries: int,
        max_replays: int,
        clock: Clock | None = None,
    ) -> None:
        self.ring_entries = ring_entries
        self.buffer_limit_bytes = buffer_limit_bytes
        self.batch_max_entries = batch_max_entries
        self.max_replays = max_replays
        self.clock = clock or SystemClock()
        self.players: dict[str, Player] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.on_reset: Callable[[str], None] = lambda name: None

    def start(
        self,
        name: str,
        path: Path,
        options: PlayOptions,
        *,
        exercise: bool,
        real_calls: bool = False,
    ) -> Player:
        """Start playing `path` as `replay:<name>`."""
        if name in self.players:
            raise ReplayError(
                f"a replay named {name!r} is running; stop it or pick another name",
                code="replay_exists",
            )
        if len(self.players) >= self.max_replays:
            raise ReplayError(f"at most {self.max_replays} replays run at once", code="too_many")
        hub = Hub(
            buffer_limit_bytes=self.buffer_limit_bytes, batch_max_entries=self.batch_max_entries
        )
        stream = ReplayStream(
            name,
            exercise=exercise,
            ring_entries=self.ring_entries,
            hub=hub,
            clock=self.clock,
            real_calls=real_calls,
        )
        player = Player(path, stream, options)
        if player.header.exercise:
            stream.exercise = True
        player.on_reset = lambda: self.on_reset(name)
        self.players[name] = player
        task = asyncio.create_task(self._run(name, player), name=f"replay-{name}")
        self.tasks[name] = task
        return player

    async def _run(self, name: str, player: Player) -> None:
        try:
            await player.run()
        except CityboardError as exc:
            player.state = "failed"
            log.error("replay %s stopped: %s", name, exc.message)
        except asyncio.CancelledError:
            raise

    def get(self, name: str) -> Player:
        if name not in self.players:
            raise ReplayError(f"no replay named {name!r}", code="unknown_replay")
        return self.players[name]

    def stream_of(self, stream: str) -> ReplayStream | None:
        """The ReplayStream for a `replay:<name>` stream name, if it runs."""
        if not stream.startswith("replay:"):
            return None
        player = self.players.get(stream.removeprefix("replay:"))
        return player.stream if player else None

    async def stop(self, name: str) -> None:
        self.get(name)
        task = self.tasks.pop(name)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self.players.pop(name)
        self.on_reset(name)

    async def stop_all(self) -> None:
        for name in list(self.players):
            await self.stop(name)
