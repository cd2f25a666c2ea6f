"""A player reads a recording as a stream and publishes its entries into a ReplayStream with the
original spacing divided by the speed; pause, resume, step, speed and seek are commands. A seek
rebuilds the state and starts a new epoch, so every board watching takes a fresh snapshot (its
socket is closed with 4009 and it reconnects).

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
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import orjson

from server.errors import RecordingError, ReplayError
from server.replay.checkpoints import (
    CHECKPOINT_BUDGET_BYTES,
    CHECKPOINT_EVERY,
    CHECKPOINT_OVERHEAD_BYTES,
    Checkpoint,
    pack,
)
from server.replay.recording import (
    EncodedEvent,
    Header,
    ReadStats,
    Recorded,
    TimeShift,
    body_of,
    event_of,
    read_header,
    read_lines,
    shifted,
)
from server.replay.stream import ReplayStream
from server.stream.events import iso_utc
from server.stream.protocol import REPLAY_NAME

log = logging.getLogger(__name__)

MAX_SPEED = 3600.0
NAME_PATTERN = rf"^{REPLAY_NAME}$"
YIELD_EVERY = 200  # entries a player handles before letting the event loop serve others
LOOP_GAP_SECONDS = (
    1.0  # a looped replay rests this long between passes (a short file must not spin)
)

Op = Literal["pause", "resume", "step", "speed", "seek"]


@dataclass
class PlayOptions:
    """How a recording is played."""

    speed: float = 1.0  # 1 = as recorded; 0 = as fast as possible
    loop: bool = False
    start: datetime | None = None  # skip (but fold into the state) what came before this time
    shift_times: bool = True  # move the recording's times so it happens now
    skip_bad: bool = False


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
            await self._sleep_or_wake(LOOP_GAP_SECONDS)  # each pass also restarts its boards
            start = self._seek_to

    async def _play_once(self, start: datetime | None) -> datetime | None:
        """One pass over the file, from the best checkpoint for `start`; returns a time to
        restart at when a seek came in.

        Entries before `start` only build the state. Boards are told to take a fresh snapshot
        (on_reset) once it is built: any that connected while it was being built saw only part.
        """
        if self.stream.head or self.stream.current:  # a new history; an unused one keeps the
            self.stream.reset()  # epoch the start already answered with
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
        due: list[tuple[Recorded, datetime]] = []  # read and due, published before any await
        flat_out = self._flat_out()
        try:
            for count, (_, _, recorded, entry) in enumerate(lines, 1):
                if count % YIELD_EVERY == 0:
                    self._flush(due)
                    await asyncio.sleep(0)  # fast replays and seeks must not starve the server
                    if self._seek_to is not None:
                        return self._seek_to
                    flat_out = self._flat_out()
                if fold_until is not None:
                    if recorded < fold_until:
                        self._publish(entry, recorded, shift)
                        continue
                    fold_until = None
                    self.on_reset()
                if not (flat_out or self._due(recorded)):
                    self._flush(due)
                    restart = await self._wait_until(recorded)
                    if restart is not None:
                        return restart
                body = body_of(entry, shift)
                if body is not None:
                    due.append((body, recorded))
        finally:
            self._flush(due)
        if fold_until is not None:
            self.on_reset()
        return None

    def _shift_for(self, start: datetime | None) -> TimeShift | None:
        if not self.options.shift_times or self.rec_start is None:
            return None
        shift = self.stream.clock.now() - (start or self.rec_start)
        # whole seconds (the recording lands at most a second before now): see TimeShift
        return TimeShift(shift - timedelta(microseconds=shift.microseconds))

    def _publish(self, entry: dict[str, Any], recorded: datetime, shift: TimeShift | None) -> None:
        """Fold an entry before the start into the state, at its recorded time, telling no one."""
        body = body_of(entry, shift)
        if body is None:
            return
        self.stream.publish([body], at=recorded, broadcast=False)
        self.position = recorded
        self.played += 1

    def _flush(self, due: list[tuple[Recorded, datetime]]) -> None:
        """Publish the entries that came due since the last await together: one frame for the
        boards, and one `at` (now) when times are moved to now, else each its recorded time."""
        if not due:
            return
        self.position = due[-1][1]
        self.played += len(due)
        if self.options.shift_times:
            self.stream.publish([body for body, _ in due], at=self.stream.clock.now())
        else:
            for body, recorded in due:
                self.stream.publish([body], at=recorded)
        due.clear()

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
            for count, (line, offset, at, entry) in enumerate(lines, 1):
                if count % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
                    await self._resting.wait()  # so a fast replay keeps its pace
                latest = at if latest is None else max(latest, at)
                body = body_of(entry, None)
                if body is not None:
                    scratch.publish([body], at=at, broadcast=False)
                    position = at
                if isinstance(body, EncodedEvent):
                    kept = scratch.current.get(body.event_id)  # (event, the seq that set it)
                    if kept is None:
                        recorded.pop(body.event_id, None)
                    elif kept[1] == scratch.head:
                        recorded[body.event_id] = entry["body"]
                last = self.checkpoints[-1].entries if self.checkpoints else 0
                if count - last >= self._spacing:
                    state = pack(scratch, recorded)
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

    async def _restore(self, checkpoint: Checkpoint, shift: TimeShift | None) -> None:
        """Load a checkpoint's state into the stream, moved by this pass's time shift."""
        bodies, flows = orjson.loads(zlib.decompress(checkpoint.state))
        events = []
        for count, (body, seq) in enumerate(bodies, 1):
            if count % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            events.append((event_of(body, shift), seq))
        workflows = {
            event_id: shifted(flow, shift, [k for k in flow if k.endswith("_at")])
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

    def _flat_out(self) -> bool:
        """True when every entry is due at once until the next await (speed 0, no seek or pause
        pending): commands only arrive while the player awaits, so `_due` need not be asked."""
        return self.options.speed == 0 and self._seek_to is None and self.state != "paused"

    def _due(self, recorded: datetime) -> bool:
        """True when an entry may go out at once: no seek or pause pending, and its time has come
        (which `_wait_until` would otherwise wait for)."""
        if self._seek_to is not None or self.state == "paused":
            return False
        speed = self.options.speed
        if speed == 0:
            return True
        clock = self.stream.clock
        if self._anchor is None:
            self._anchor = (clock.now(), self.position or recorded)
        wall0, rec0 = self._anchor
        return wall0 + (recorded - rec0) / speed <= clock.now()

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
            await self._sleep_or_wake(delay)

    async def _sleep_or_wake(self, seconds: float) -> None:
        """Rest `seconds` on the replay's clock, or less if a command comes in."""
        self._wake.clear()
        sleeper = asyncio.ensure_future(self.stream.clock.sleep(seconds))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await self._rest(asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED))
        finally:
            for task in (sleeper, waker):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task


def _nothing() -> None:
    """The default reset hook: nobody to tell."""


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment else None
