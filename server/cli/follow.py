"""A terminal client of the board protocol that never loses its place: it follows a stream,
and after any drop reconnects with backoff and resumes after the last entry it had.

Used by `cityboard tail` (print) and `cityboard record --server` (write a recording).
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import AsyncIterator
from typing import Any

import orjson
import websockets

BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 30.0


def note(text: str) -> None:
    """A status line on stderr, so stdout stays clean for data."""
    print(f"# {text}", file=sys.stderr, flush=True)


class Follower:
    """Follows one stream; `epoch`/`after` say where it is, `gaps` counts lost continuity."""

    def __init__(
        self, url: str, *, stream: str = "live", epoch: str | None = None, after: int | None = None
    ) -> None:
        self.url = url
        self.stream = stream
        self.epoch = epoch
        self.after = after
        self.gaps = 0  # times the server could not resume us and sent a snapshot instead
        self.snapshot_events = 0  # active events in the snapshot's parts so far
        self.welcome: dict[str, Any] = {}

    async def entries(self) -> AsyncIterator[dict[str, Any]]:
        """Every entry after `after`, in order, exactly once, across reconnects."""
        delay = BACKOFF_FIRST_SECONDS
        while True:
            try:
                async with websockets.connect(self.url, compression=None, max_size=None) as ws:
                    await ws.send(orjson.dumps(self._hello()).decode())
                    delay = BACKOFF_FIRST_SECONDS
                    async for raw in ws:
                        for entry in self._handle(orjson.loads(raw)):
                            yield entry
                    reason = f"closed by the server: {ws.close_code} {ws.close_reason or ''}"
            except (OSError, websockets.exceptions.WebSocketException) as exc:
                reason = str(exc)
            note(f"disconnected ({reason.strip()}); reconnecting in {delay:.1f}s")
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, BACKOFF_MAX_SECONDS)

    def _hello(self) -> dict[str, Any]:
        hello: dict[str, Any] = {"v": 1, "type": "hello", "stream": self.stream}
        if self.epoch is not None and self.after is not None:
            hello["resume"] = {"epoch": self.epoch, "after_seq": self.after}
        return hello

    def _handle(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        kind = message.get("type")
        if kind == "welcome":
            self.welcome = message
            resumed = message["mode"] == "resume" and message["epoch"] == self.epoch
            if self.epoch is not None and not resumed:  # we had a place and it could not be kept
                self.gaps += 1
                note("the server could not resume this stream: entries may be missing here")
            if not resumed:
                self.after = None  # the snapshot that follows decides where we start
            self.epoch = message["epoch"]
            note(
                f"connected: {self.stream}, epoch {self.epoch}, head {message['head']}, "
                f"{message['mode']}"
            )
        elif kind == "snapshot":  # in parts: one note when the last is in
            if self.after is None:
                self.after = message["seq"]
            part, parts = message.get("part", 0), message.get("parts", 1)
            self.snapshot_events = (self.snapshot_events if part else 0) + len(message["events"])
            if part + 1 >= parts:
                note(f"snapshot at seq {message['seq']}: {self.snapshot_events} active events")
        elif kind == "batch":
            fresh = [e for e in message["entries"] if self.after is None or e["seq"] > self.after]
            if fresh:
                self.after = fresh[-1]["seq"]
            self.after = max(self.after or 0, message["head"])
            return fresh
        elif kind == "error":
            note(f"server error {message['code']}: {message['message']}")
        return []
