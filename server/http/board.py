"""The state one running server shares with its handlers, each part under its typed AppKey."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from feeds.kit.http import SharedSession
from feeds.runner import FeedRunner
from server import memory
from server.cameras.registry import CameraRegistry
from server.districts import Districts
from server.escalation.escalator import Escalator
from server.officers.calls import CallService
from server.officers.store import OfficerStore
from server.public.stream import PublicStream
from server.replay.registry import Replays
from server.replay.stream import CLOSE_RESET
from server.settings import Settings
from server.situations.tracker import SituationTracker
from server.stream.events import utcnow
from server.stream.hub import Hub
from server.stream.log import LogStore


@dataclass
class Board:
    """Everything one running server holds; stored on the app under `BOARD`."""

    settings: Settings
    log: LogStore
    hub: Hub
    districts: Districts
    situations: SituationTracker
    runners: list[FeedRunner] = field(default_factory=list)
    cameras: CameraRegistry = field(default_factory=CameraRegistry)
    public: PublicStream | None = None  # the citizens' stream, when [public] is enabled
    http: SharedSession = field(default_factory=SharedSession)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    connections: set[Any] = field(default_factory=set)
    closing: set[asyncio.Future[bool]] = field(default_factory=set)
    replays: Replays = field(init=False)
    trim: asyncio.TimerHandle | None = field(default=None, init=False)
    # drills that ring real phones escalate on their own stream: the live escalator, per replay
    drills: dict[str, Escalator] = field(default_factory=dict, init=False)
    drill_tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.replays = Replays(
            ring_entries=s.resume_max_entries,
            buffer_limit_bytes=s.ws_client_buffer_bytes,
            batch_max_entries=s.batch_max_entries,
            max_replays=s.max_replays,
            situations=s.situations,
            situations_push_seconds=s.situations_push_seconds,
        )
        self.replays.on_reset = self._replay_reset
        if hasattr(self.log, "on_reset"):  # a shared log that can be recreated under us
            self.log.on_reset = lambda: self.restart_boards("live")

    def escalate_drill(self, name: str, live: Escalator) -> None:
        """Escalate on the drill `name` as on the live stream (it rings real phones)."""
        self.drills[name] = live
        self._run_drill(name)

    def _run_drill(self, name: str) -> None:
        stream = self.replays.get(name).stream
        tracker = stream.situations
        # fresh: derived from this history only, and its situations from this replay's book
        escalator = self.drills[name].on(stream, tracker.situations if tracker else tuple)
        stream.listeners[:] = [escalator.observe]
        if tracker is not None:
            tracker.on_change = escalator.situations_changed
        task = asyncio.create_task(escalator.run(), name=f"escalator-replay-{name}")
        self.drill_tasks[name] = task

    def _replay_reset(self, name: str) -> None:
        """A replay sought (new history) or stopped: its boards start over, and so does its
        escalation, from the new history (or it ends with the replay)."""
        self.restart_boards(f"replay:{name}")
        task = self.drill_tasks.pop(name, None)
        if task is not None:
            task.cancel()
        if name in self.drills:
            if name in self.replays.players:
                self._run_drill(name)
            else:
                del self.drills[name]

    def restart_boards(self, stream: str) -> None:
        """A stream's history was replaced (a replay sought or stopped, a shared log recreated):
        its boards reconnect (4009) and start from a fresh snapshot."""
        if stream == "live":
            self.hub.drop_waiting()
        elif stream == "public" and self.public is not None:
            self.public.hub.drop_waiting()
        for connection in list(self.connections):
            if connection.stream_name == stream:
                closing = connection.ws.close(code=CLOSE_RESET, message=b"reset")
                task = asyncio.ensure_future(closing)
                self.closing.add(task)
                task.add_done_callback(self.closing.discard)

    def memory_freed(self) -> None:
        """A dropped board freed its buffers: give the memory back to the OS once things settle
        (one trim for a wave of drops, `memory_trim_delay_seconds` after the first)."""
        if self.trim is None:
            self.trim = asyncio.get_running_loop().call_later(
                self.settings.memory_trim_delay_seconds, self._trim
            )

    def _trim(self) -> None:
        self.trim = None
        memory.give_back()

    def feed_health(self) -> list[dict[str, Any]]:
        """Health of every running feed, for the API and the websocket."""
        now = utcnow()
        return [r.health.as_json(now) for r in self.runners]


BOARD = web.AppKey("board", Board)


@dataclass
class Officers:
    """The directory and the calls of one running server; stored on the app under OFFICERS."""

    board: Board
    store: OfficerStore
    calls: CallService
    zone: ZoneInfo
    lookahead: timedelta


OFFICERS = web.AppKey("officers", Officers)

ESCALATOR = web.AppKey("escalator", Escalator)  # present when policies are configured
