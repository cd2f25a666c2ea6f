"""Shared fixtures: real loopback servers on temporary SQLite files, and event builders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import ClientSession

from feeds.kit.base import FeedConfig, FeedContext
from feeds.kit.http import Fetcher
from server.districts import Districts
from server.http import serving
from server.http.app import create_app
from server.http.board import BOARD, Board
from server.settings import Settings
from server.stream.events import Event

PUSH_TOKEN = "test-push-token"
T0 = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)


def event_dict(
    n: int | str, *, version: int = 1, kind: str = "traffic", **fields: Any
) -> dict[str, Any]:
    """A pushable event (no source/received_at; event_id is the external id)."""
    category = {
        "traffic": "traffic.accident",
        "disaster": "disaster.fire",
        "complaint": "complaint.noise",
    }[kind]
    data: dict[str, Any] = {
        "event_id": f"e{n}",
        "version": version,
        "kind": kind,
        "category": category,
        "severity": "moderate",
        "title": f"event {n}",
        "sent_at": T0.isoformat(),
        "geometry": {"type": "Point", "coordinates": [126.9779, 37.5663]},
    }
    data.update(fields)
    return data


def make_event(n: int | str, *, source: str = "test", **fields: Any) -> Event:
    """A validated event as an adapter would produce it."""
    data = event_dict(n, **fields)
    data["event_id"] = f"{source}:{data['event_id']}"
    return Event.model_validate(
        {**data, "source": source, "received_at": T0 + timedelta(seconds=1)}
    )


DISTRICTS = Districts.load()


def feed_context(
    adapter: str, *, name: str | None = None, http: Fetcher | None = None, **config: Any
) -> FeedContext:
    """The context an adapter gets from the server, for constructing one in a test."""
    return FeedContext(FeedConfig(name=name or adapter, adapter=adapter, **config), DISTRICTS, http)


class Running:
    """A live server in this process: its board, its URLs and an HTTP session."""

    def __init__(self, server: serving.Serving, session: ClientSession) -> None:
        self.server = server
        self.session = session
        self.board: Board = server.app[BOARD]
        self.http = f"http://{server.host}:{server.port}"
        self.ws_url = f"ws://{server.host}:{server.port}/ws"

    async def push(self, events: list[dict[str, Any]], source: str = "test") -> dict[str, Any]:
        """Push events and insist on 202."""
        async with self.session.post(
            f"{self.http}/api/push/{source}",
            data=orjson.dumps(events),
            headers={"Authorization": f"Bearer {PUSH_TOKEN}"},
        ) as r:
            body = await r.json()
            assert r.status == 202, body
            return body


StartServer = Callable[..., Awaitable[Running]]


@pytest.fixture
async def start_server(tmp_path: Path) -> AsyncIterator[StartServer]:
    """Start (and later stop) real servers on loopback with their own SQLite file."""
    started: list[tuple[serving.Serving, ClientSession]] = []

    async def start(db: Path | None = None, **overrides: Any) -> Running:
        values: dict[str, Any] = {
            "db_path": db or tmp_path / "log.db",
            "demo": False,
            "push_token": PUSH_TOKEN,
            **overrides,
        }
        server = await serving.start(create_app(Settings(**values)), "127.0.0.1", 0)
        session = ClientSession()
        started.append((server, session))
        return Running(server, session)

    yield start
    for server, session in reversed(started):
        await session.close()
        await server.close()


@pytest.fixture
async def running(start_server: StartServer) -> Running:
    """One server with the demo off and push enabled."""
    return await start_server()


def pytest_collection_finish(session: pytest.Session) -> None:
    """A test module's `start_early(session)` runs once the tests are chosen, so a slow
    preparation (the README's install) goes on while the other tests run."""
    modules = {id(m): m for m in (getattr(i, "module", None) for i in session.items) if m}
    for module in modules.values():
        if hasattr(module, "start_early"):
            module.start_early(session)


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll a condition on the event loop (for things that happen in other tasks)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
