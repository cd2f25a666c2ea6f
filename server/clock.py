"""Time for feeds, injected: the runner and adapters never read the wall clock directly.

Tests pass a `ManualClock` and move time forward instead of sleeping.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the runner needs of time: the current UTC time and a way to wait."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock tests move by hand; `sleep` returns when `advance` has passed its deadline."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._waiters: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self._now + timedelta(seconds=seconds), future))
        await future

    @property
    def sleepers(self) -> int:
        """How many tasks are waiting on this clock (tests wait for the runner to go idle)."""
        return sum(1 for _, f in self._waiters if not f.done())

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has come."""
        self._now += timedelta(seconds=seconds)
        due = [(t, f) for t, f in self._waiters if t <= self._now]
        self._waiters = [(t, f) for t, f in self._waiters if t > self._now]
        for _, future in due:
            if not future.done():
                future.set_result(None)
