"""The websocket endpoint against real clients: fan-out under load, slow consumers, bad input."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson
import pytest
import websockets

from tests.conftest import PUSH_TOKEN, Running, StartServer, event_dict, wait_for
from tests.wsclient import BoardClient

PUSHERS = 10
EVENTS = 1000


async def websockets_seqs(url: str, until: int, ready: asyncio.Event) -> list[int]:
    """An independent client (the `websockets` library) collecting every entry's seq."""
    seqs: list[int] = []
    async with websockets.connect(url, compression=None, max_size=None) as ws:
        await ws.send(orjson.dumps({"v": 1, "type": "hello"}).decode())
        async with asyncio.timeout(30):
            while not seqs or seqs[-1] < until:
                message = orjson.loads(await ws.recv())
                if message["type"] == "snapshot":
                    ready.set()
                if message["type"] == "batch":
                    seqs.extend(e["seq"] for e in message["entries"])
    return seqs


async def test_a_thousand_concurrent_pushes_reach_both_clients_once_in_order(
    running: Running,
) -> None:
    ready = asyncio.Event()
    other = asyncio.create_task(websockets_seqs(running.ws_url, EVENTS, ready))
    board = await BoardClient.connect(running.session, running.ws_url)
    await board.next_of("snapshot")
    await asyncio.wait_for(ready.wait(), 5)

    async def pusher(p: int) -> None:
        for start in range(0, EVENTS // PUSHERS, 10):  # 10 events a request, 10 requests at once
            await running.push([event_dict(f"{p}-{start + i}") for i in range(10)])

    await asyncio.gather(*[pusher(p) for p in range(PUSHERS)])
    expected = list(range(1, EVENTS + 1))
    assert await board.until_seq(EVENTS) == expected
    assert await other == expected
    assert running.board.log.commits < EVENTS / 10, "concurrent requests were group-committed"
    await board.close()


async def test_a_client_that_stops_reading_is_closed_4008_and_others_keep_up(
    start_server: StartServer,
) -> None:
    limit = 64 * 1024
    running = await start_server(ws_client_buffer_bytes=limit)
    # max_queue=1: once one message waits unread, this client stops pulling bytes off its socket
    stuck = await websockets.connect(running.ws_url, compression=None, max_queue=1, max_size=None)
    await stuck.send(orjson.dumps({"v": 1, "type": "hello"}).decode())
    healthy = await BoardClient.connect(running.session, running.ws_url)
    await healthy.next_of("snapshot")
    await wait_for(lambda: len(running.board.hub.clients) == 2)

    filler = "x" * 4000
    sent = 0
    while running.board.hub.slow_closed == 0 and sent < 20_000:
        await running.push([event_dict(sent + i, description=filler) for i in range(50)])
        sent += 50
        await healthy.until_seq(sent)
    assert running.board.hub.slow_closed == 1
    assert len(running.board.hub.clients) == 1, "only the healthy client is still subscribed"
    # memory stays bounded: what waits for the stuck client is the limit plus at most one batch
    one_batch = 50 * (len(filler) + 2_000)
    buffered = [c.transport.get_write_buffer_size() for c in running.board.connections]
    assert max(buffered) <= limit + one_batch, buffered
    # the healthy client keeps receiving after the drop
    await running.push([event_dict("after", description=filler)])
    assert (await healthy.until_seq(sent + 1))[-1] == sent + 1
    assert healthy.seqs() == list(range(1, sent + 2))
    # once the stuck client reads again it finds the 4008 close and can resume by seq
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(20):
            while True:
                await stuck.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
    assert closed.value.rcvd.reason == "slow"
    await wait_for(lambda: len(running.board.connections) == 1)  # its socket is gone, buffer freed
    await healthy.close()


async def test_a_frozen_board_that_never_reads_again_is_gone_within_the_close_timeout(
    start_server: StartServer,
) -> None:
    """A frozen kiosk tab never reads its 4008: the server still drops its socket (and the
    megabytes queued for it) within `ws_slow_close_seconds`, instead of waiting forever."""
    limit = 64 * 1024
    running = await start_server(ws_client_buffer_bytes=limit, ws_slow_close_seconds=1.0)
    frozen = await websockets.connect(running.ws_url, compression=None, max_queue=1, max_size=None)
    await frozen.send(orjson.dumps({"v": 1, "type": "hello"}).decode())
    await wait_for(lambda: len(running.board.hub.clients) == 1)
    filler = "x" * 4000
    sent = 0
    while running.board.hub.slow_closed == 0 and sent < 20_000:
        await running.push([event_dict(sent + i, description=filler) for i in range(50)])
        sent += 50
    assert running.board.hub.slow_closed == 1
    await wait_for(lambda: not running.board.connections, timeout=5)
    frozen.transport.abort()


async def test_a_silent_frozen_board_dropped_by_the_heartbeat_lets_go_of_its_buffer(
    start_server: StartServer,
) -> None:
    """A frozen tab that neither reads nor answers pings is dropped by the heartbeat before it
    falls 4008-far behind; its socket must go with it, not wait to flush bytes no one reads."""
    # the pushes below take 1-4 s on a busy 2-core machine: the heartbeat must not end it sooner
    running = await start_server(ws_heartbeat_seconds=5.0, ws_client_buffer_bytes=64 * 2**20)
    frozen = await websockets.connect(
        running.ws_url, compression=None, max_queue=1, max_size=None, ping_interval=None
    )
    await frozen.send(orjson.dumps({"v": 1, "type": "hello"}).decode())
    await wait_for(lambda: len(running.board.connections) == 1)
    [connection] = running.board.connections
    filler = "x" * 4000
    for n in range(0, 5000, 100):  # 20 MB: past the kernel's buffers, under the slow limit
        await running.push([event_dict(n + i, description=filler) for i in range(100)])
    assert connection.transport.get_write_buffer_size() > 2**20, "bytes wait in the server"
    await wait_for(lambda: not running.board.connections, timeout=20)  # the heartbeat dropped it
    assert running.board.hub.slow_closed == 0, "the heartbeat, not 4008, dropped it"
    await wait_for(lambda: connection.transport.get_write_buffer_size() == 0, timeout=3)
    assert connection.transport.is_closing()
    frozen.transport.abort()


async def test_heartbeat_is_on_and_compression_off(running: Running) -> None:
    async with running.session.ws_connect(running.ws_url) as ws:
        assert ws.compress == 0
        await ws.send_str('{"v":1,"type":"hello"}')
        await ws.receive(timeout=5)
    connection_settings = running.board.settings
    assert connection_settings.ws_heartbeat_seconds > 0


async def expect_error(client: BoardClient, raw: str | bytes, code: str) -> dict[str, Any]:
    if isinstance(raw, bytes):
        await client.ws.send_bytes(raw)
    else:
        await client.ws.send_str(raw)
    message = await client.next_of("error")
    assert message["code"] == code, message
    return message


async def test_bad_messages_get_coded_errors_then_a_close(running: Running) -> None:
    await running.push([event_dict(1)])
    client = await BoardClient.connect(running.session, running.ws_url)
    await client.next_of("snapshot")
    await expect_error(client, "{not json", "bad_json")
    await expect_error(client, '{"v":1,"type":"teleport"}', "unknown_type")
    await expect_error(client, '{"v":2,"type":"ping"}', "bad_version")
    await expect_error(
        client, '{"v":1,"type":"filter","filter":{"kinds":["weather"]}}', "bad_message"
    )
    await expect_error(
        client, '{"v":1,"type":"action","action":"ack","event_id":"test:nope"}', "unknown_event"
    )
    closing = await client.ws.receive(timeout=5)
    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 1008
    assert running.board.log.head == 1, "nothing stored was changed"


@pytest.mark.parametrize("depth", [300, 2000])
async def test_deeply_nested_data_is_refused_and_the_connection_lives(
    running: Running, depth: int
) -> None:
    """Nesting is bounded before decoding recurses: before hello and after, for any role."""
    nested = "[" * depth + "]" * depth
    action = '{"v":1,"type":"action","action":"note","event_id":"test:1","data":{"x":%s}}'
    async with running.session.ws_connect(running.ws_url) as ws:
        await ws.send_str(action % nested)  # before hello
        message = orjson.loads((await ws.receive(timeout=5)).data)
        assert message["type"] == "error" and message["code"] == "bad_message", message
        await ws.send_str('{"v":1,"type":"hello"}')
        while message["type"] != "situations":  # the full set follows the snapshot
            message = orjson.loads((await ws.receive(timeout=5)).data)
        await ws.send_str(action % nested)
        message = orjson.loads((await ws.receive(timeout=5)).data)
        assert message["type"] == "error" and message["code"] == "bad_message", message
        await ws.send_str('{"v":1,"type":"ping"}')
        while message["type"] != "pong":
            message = orjson.loads((await ws.receive(timeout=5)).data)
    assert running.board.log.head == 0, "nothing was stored"


async def test_hello_must_come_first(running: Running) -> None:
    async with running.session.ws_connect(running.ws_url) as ws:
        await ws.send_str('{"v":1,"type":"ping"}')
        message = orjson.loads((await ws.receive(timeout=5)).data)
        assert message["type"] == "error" and message["code"] == "hello_first"


async def test_oversize_messages_close_with_1009(running: Running) -> None:
    client = await BoardClient.connect(running.session, running.ws_url)
    await client.next_of("situations")  # the last message of the start
    await client.ws.send_str('{"v":1,"type":"ping","ref":"' + "x" * 70_000 + '"}')
    msg = await client.ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1009


async def test_message_rate_is_limited(start_server: StartServer) -> None:
    running = await start_server(ws_messages_per_second=1, ws_message_burst=3, ws_max_errors=100)
    client = await BoardClient.connect(running.session, running.ws_url)
    await client.next_of("snapshot")
    for i in range(6):
        await client.send({"type": "ping", "ref": str(i)})
    replies = [await client.next() for _ in range(6)]
    kinds = [m["type"] for m in replies if m["type"] in ("pong", "error")]
    assert kinds.count("pong") == 2  # burst of 3, the hello took one
    assert all(m["code"] == "rate_limited" for m in replies if m["type"] == "error")


async def test_foreign_origin_is_refused_at_the_handshake(start_server: StartServer) -> None:
    running = await start_server(allowed_origins=["https://wall.example.org"])
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await running.session.ws_connect(running.ws_url, origin="https://evil.example.com")
    assert refused.value.status == 403
    own = f"http://{running.server.host}:{running.server.port}"
    for origin in (own, "https://wall.example.org"):
        async with running.session.ws_connect(running.ws_url, origin=origin) as ws:
            await ws.send_str('{"v":1,"type":"hello"}')
            assert orjson.loads((await ws.receive(timeout=5)).data)["type"] == "welcome"


async def test_an_action_is_logged_and_seen_by_every_board(running: Running) -> None:
    await running.push([event_dict(1)])
    a = await BoardClient.connect(running.session, running.ws_url)
    b = await BoardClient.connect(running.session, running.ws_url)
    await a.next_of("snapshot")
    await b.next_of("snapshot")
    await a.send(
        {
            "type": "action",
            "action": "ack",
            "event_id": "test:e1",
            "ref": "r1",
            "actor": "Kim (duty desk)",
        }
    )
    result = await a.next_of("result")
    assert result["ref"] == "r1" and result["seq"] == 2
    await b.until_seq(2)
    [entry] = b.entries()
    assert entry["type"] == "action" and entry["body"]["action"] == "ack"
    assert entry["body"]["actor"] == "Kim (duty desk)"
    assert entry["body"]["event_id"] == "test:e1"


async def test_filter_change_sends_a_fresh_snapshot(running: Running) -> None:
    await running.push([event_dict(1, kind="traffic"), event_dict(2, kind="disaster")])
    client = await BoardClient.connect(running.session, running.ws_url)
    assert len((await client.next_of("snapshot"))["events"]) == 2
    await client.send({"type": "filter", "filter": {"kinds": ["disaster"]}})
    snap = await client.next_of("snapshot")
    assert [e["event_id"] for e in snap["events"]] == ["test:e2"]
    await running.push([event_dict(3, kind="traffic"), event_dict(4, kind="disaster")])
    batch = await client.next_of("batch")
    assert [e["body"]["event_id"] for e in batch["entries"]] == ["test:e4"]


async def test_feed_health_is_broadcast_as_a_heartbeat(start_server: StartServer) -> None:
    running = await start_server(feeds_broadcast_seconds=0.1)
    client = await BoardClient.connect(running.session, running.ws_url)
    await client.next_of("snapshot")
    message = await client.next_of("feeds", timeout=2)
    assert message["health"] == []
    assert PUSH_TOKEN  # the push endpoint is configured for the other tests


async def test_workflow_follows_actions_and_rides_in_the_snapshot(running: Running) -> None:
    await running.push([event_dict(1), event_dict(2)])
    client = await BoardClient.connect(running.session, running.ws_url)
    await client.next_of("snapshot")
    for action, data in (
        ("ack", {}),
        ("assign", {"to": "Kim (Jongno duty)"}),
        ("note", {"text": "x"}),
    ):
        await client.send({"type": "action", "action": action, "event_id": "test:e1", "data": data})
        await client.next_of("result")
    fresh = await BoardClient.connect(running.session, running.ws_url)
    snap = await fresh.next_of("snapshot")
    flow = snap["workflows"]["test:e1"]
    assert flow["state"] == "assigned" and flow["assigned_to"] == "Kim (Jongno duty)"
    assert flow["acked_by"] == "board" and flow["notes"] == 1
    assert "test:e2" not in snap["workflows"], "untouched events are simply new"
    async with running.session.get(f"{running.http}/api/events/test:e1/history") as r:
        history = (await r.json())["entries"]
    assert [e["type"] for e in history] == ["event", "action", "action", "action"]
    assert [e["body"].get("action") for e in history[1:]] == ["ack", "assign", "note"]
    async with running.session.get(f"{running.http}/api/events/test:nope/history") as r:
        assert r.status == 404


async def test_the_welcome_names_the_city_in_each_language(start_server: StartServer) -> None:
    running = await start_server(city_names={"ko": "부산", "en": "Busan"}, city_name="Busan")
    board = await BoardClient.connect(running.session, running.ws_url)
    welcome = await board.next_of("welcome")
    assert welcome["city"] == {
        "name": "Busan",
        "timezone": "Asia/Seoul",
        "names": {"ko": "부산", "en": "Busan"},
    }
