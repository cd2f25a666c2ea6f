"""Fixtures for escalation tests: a real local HTTP receiver for the webhook notifier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web


@dataclass
class Receiver:
    """A loopback HTTP server that records what it is posted and answers `status`."""

    url: str = ""
    status: int = 200
    posts: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    attempts: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.status >= 300:
            return web.Response(status=self.status, text="bot is down for maintenance")
        self.posts.append(await request.json())
        self.headers.append(dict(request.headers))
        return web.Response(status=self.status, text="ok")

    def steps(self) -> list[int]:
        return [int(p["step"]) for p in self.posts]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    found.url = f"http://127.0.0.1:{port}/hook"
    yield found
    await runner.cleanup()
