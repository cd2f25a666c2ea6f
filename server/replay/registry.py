"""The replays one server runs, by name, within `max_replays`; each plays into its own stream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from server.clock import Clock, SystemClock
from server.errors import CityboardError, ReplayError
from server.replay.player import Player, PlayOptions
from server.replay.stream import ReplayStream
from server.situations.settings import SituationSettings
from server.situations.tracker import SituationTracker
from server.stream.hub import Hub

log = logging.getLogger(__name__)


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
        situations: SituationSettings | None = None,
        situations_push_seconds: float = 0.5,
    ) -> None:
        self.ring_entries = ring_entries
        self.buffer_limit_bytes = buffer_limit_bytes
        self.batch_max_entries = batch_max_entries
        self.max_replays = max_replays
        self.clock = clock or SystemClock()
        self.situations = situations or SituationSettings()
        self.situations_push_seconds = situations_push_seconds
        self.players: dict[str, Player] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.on_reset: Callable[[str], None] = lambda name: None

    async def start(
        self,
        name: str,
        path: Path,
        options: PlayOptions,
        *,
        exercise: bool,
        real_calls: bool = False,
    ) -> Player:
        """Start playing `path` as `replay:<name>`; an ended (or failed) replay of that name gives
        way, so a drill can be run again under its name."""
        if name in self.players and self.players[name].state in ("ended", "failed"):
            await self.stop(name)
        if name in self.players:
            raise ReplayError(
                f"a replay named {name!r} is {self.players[name].state};"
                " stop it or pick another name",
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
            situations=SituationTracker(
                self.situations, hub, push_seconds=self.situations_push_seconds
            ),
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
