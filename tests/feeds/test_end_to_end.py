"""From an upstream CAP index to a board: the runner fetches the index and its linked alert, the
log commits the event with its district, and a websocket client sees it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import StartServer
from tests.feeds.conftest import FIXTURES
from tests.wsclient import BoardClient

KR = FIXTURES / "cap-kr"


@pytest.fixture
async def cap_upstream() -> AsyncIterator[str]:
    app = web.Application()

    async def index(_: web.Request) -> web.Response:
        return web.Response(
            body=(KR / "index.atom").read_bytes(), content_type="application/atom+xml"
        )

    async def alert(_: web.Request) -> web.Response:
        return web.Response(
            body=(KR / "heavy-rain-jongno.cap").read_bytes(), content_type="application/cap+xml"
        )

    app.router.add_get("/index.atom", index)
    app.router.add_get("/alerts/heavy-rain-jongno.cap", alert)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield str(server.make_url("/index.atom"))
    await server.close()


async def test_a_cap_index_reaches_the_board_with_its_district(
    start_server: StartServer, cap_upstream: str
) -> None:
    running = await start_server(
        feeds=[{"name": "kma", "adapter": "cap", "url": cap_upstream, "interval_seconds": 30}]
    )
    board = await BoardClient.connect(running.session, running.ws_url)
    snapshot = await board.next_of("snapshot")
    events = list(snapshot["events"])
    while not events:
        batch = await board.next_of("batch", timeout=10)
        events = [e["body"] for e in batch["entries"] if e["type"] == "event"]
    [event] = events
    assert event["event_id"] == "kma:cap@weather.example.kr,KMA-2026-11-29-0001"
    assert event["source"] == "kma" and event["kind"] == "disaster"
    assert event["severity"] == "severe" and event["district"] == "11110"
    assert event["sent_at"] == "2026-11-29T00:10:00Z"
    assert event["translations"]["en"]["title"].startswith("[Heavy rain warning]")
    assert event["geometry"]["type"] == "Polygon"
    assert event["geometry"]["coordinates"][0][0] == [126.972, 37.59], "lat,lon became lon,lat"
    [health] = running.board.feed_health()
    assert health["state"] == "ok" and health["events_emitted"] == 1
    await board.close()


async def test_pushing_under_a_pulled_feeds_name_is_refused(
    start_server: StartServer, cap_upstream: str
) -> None:
    running = await start_server(feeds=[{"name": "kma", "adapter": "cap", "url": cap_upstream}])
    async with running.session.post(f"{running.http}/api/push/kma", data=b"{}") as r:
        assert r.status == 409 and (await r.json())["error"]["code"] == "source_taken"
