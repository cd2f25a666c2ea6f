"""The bundled demo: synthetic Seoul incidents from a recording, looped, times shifted to now.

It makes `cityboard serve` show a living board with no network. Every event it emits has source
`demo` and `extra.synthetic = true`; each server run and each loop gets fresh event ids, so loops
never collide with each other or with a previous run's leftovers (which `retire_previous_runs`
expires at start).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import orjson
from pydantic import Field

from feeds.kit import (
    Action,
    Event,
    FeedAdapter,
    FeedContext,
    FeedOptions,
    expired_version,
    iso_utc,
    utcnow,
)

RECORDING = Path(__file__).with_name("seoul-demo.jsonl")
TIME_FIELDS = ("sent_at", "updated_at", "expires_at", "received_at", "at")
# The recording's first seconds build the baseline; play them at once so a new board is not empty.
PREROLL = timedelta(seconds=30)


def read_recording(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and entries of a recording file (the demo's is small enough to hold)."""
    lines = path.read_bytes().splitlines()
    header = orjson.loads(lines[0])
    if header.get("format") != "cityboard-recording":
        raise ValueError(f"{path} is not a cityboard recording")
    return header, [orjson.loads(line) for line in lines[1:] if line.strip()]


class DemoOptions(FeedOptions):
    """How the demo plays: speed (1 = real time) and how many loops (none = forever)."""

    speed: float = Field(default=1.0, gt=0, le=3600)
    loops: int | None = Field(default=None, ge=1)


class DemoFeed(FeedAdapter):
    """Plays the bundled recording on a loop into the live stream, clearly marked as demo."""

    demo: ClassVar[bool] = True
    Options = DemoOptions

    def __init__(
        self,
        context: FeedContext,
        *,
        recording: Path = RECORDING,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(context)
        assert isinstance(self.options, DemoOptions)
        self.speed = self.options.speed
        self.loops = self.options.loops
        self.header, self.entries = read_recording(recording)
        # recorded time `start` maps to "now" on each loop; earlier entries play at once
        self.start = datetime.fromisoformat(self.header["start"]) + PREROLL
        self.clock = clock
        self.run_id = secrets.token_hex(3)  # fresh per run: restarts never reuse an id

    async def events(self) -> AsyncIterator[Event | Action]:
        """Yield the recorded entries at their recorded pace, looping, with ids unique per loop."""
        loop = 0
        while self.loops is None or loop < self.loops:
            loop_start = self.clock()
            started = time.monotonic()
            for entry in self.entries:
                at = datetime.fromisoformat(entry["at"])
                due = (at - self.start).total_seconds() / self.speed
                wait = due - (time.monotonic() - started)
                if wait > 0:
                    await asyncio.sleep(wait)
                yield self._rebase(entry, loop_start, f"r{self.run_id}-l{loop}-")
            loop += 1

    def _rebase(self, entry: dict[str, Any], loop_start: datetime, prefix: str) -> Event | Action:
        """Shift the entry's times onto this loop and give its ids this run's prefix."""
        body = dict(entry["body"])
        for key in TIME_FIELDS:
            if body.get(key):
                recorded = datetime.fromisoformat(body[key])
                body[key] = iso_utc(loop_start + (recorded - self.start) / self.speed)
        body["event_id"] = _prefixed(body["event_id"], self.source, prefix)
        if entry["type"] == "event":
            body["source"] = self.source
            body["received_at"] = iso_utc(self.clock())
            body["refs"] = [_prefixed(r, self.source, prefix) for r in body.get("refs", [])]
            return Event.model_validate(body)
        return Action.model_validate(body)


def _prefixed(event_id: str, source: str, prefix: str) -> str:
    external = event_id.split(":", 1)[1]
    return f"{source}:{prefix}{external}"


def retirements(active: Iterable[Event], now: datetime) -> list[Event]:
    """Expired versions of demo events a previous run left active, so the board starts clean."""
    return [expired_version(ev, now) for ev in active]
