"""The pusher starts no request before the phase's scheduled start, at a fixed rate or flat out:
a phase's rates (events/s, deliveries/s) divide by the time since that start, so a request sent
before it made the "max" cells read tens of millions of deliveries a second."""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.boards import Push, push_all

LEAD_SECONDS = 0.3  # the start is this far ahead when the pusher is told to go


async def pushes_against_a_recording_server(
    plan: Push,
) -> tuple[float, list[float], dict[str, Any]]:
    """Run `push_all` against a server that notes when each request arrived."""
    arrived: list[float] = []
    seq = 0

    async def push(request: web.Request) -> web.Response:
        nonlocal seq
        arrived.append(time.time())
        events = await request.json()
        results = []
        for _ in events if isinstance(events, list) else [events]:
            seq += 1
            results.append({"outcome": "appended", "seq": seq})
        return web.json_response({"results": results}, status=202)

    app = web.Application()
    app.router.add_post("/api/push/{source}", push)
    async with TestServer(app) as server:
        go = threading.Event()
        start = SimpleNamespace(value=time.time() + LEAD_SECONDS)
        go.set()
        base = str(server.make_url("")).rstrip("/")
        result = await push_all(base, plan, queue.Queue(), go, start)
    return start.value, arrived, result


@pytest.mark.parametrize(
    "plan",
    [Push(20, 0, batch=10, seconds=5.0), Push(4, 100.0, batch=1)],
    ids=["flat out", "at a rate"],
)
def test_no_push_leaves_before_the_phase_starts_and_its_time_covers_every_push(
    plan: Push,
) -> None:
    start_at, arrived, result = asyncio.run(pushes_against_a_recording_server(plan))
    assert result["sent"] == plan.count
    assert min(arrived) >= start_at
    assert result["seconds"] >= max(arrived) - start_at
