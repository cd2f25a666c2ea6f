"""The servers a scenario's figures are divided by, run as their own process like the server:
`python -m bench.baselines KIND PORT [WS_PORT] [--drop SEQ] [--dup SEQ]`.

Each takes the same `POST /api/push/bench` (one event or an array) and answers 202 with a seq
per event; the fan-out ones send each push to every board as one `batch` frame shaped like
cityboard's, so the same board processes read them:

- `bare`: the bare aiohttp handler (`await request.json()`, 202): what any ingest costs;
- `durable`: the bare handler plus one durable SQLite commit of the body per request (WAL,
  `synchronous=FULL`, on one writer thread, `--db PATH`): the floor of an ingest that may not
  lose what it acknowledged, i.e. of a single-event push;
- `naive`: aiohttp, the frame encoded once, then `await ws.send_str(frame)` per board in a loop;
- `broadcast`: `websockets.broadcast()` of the frame (boards on WS_PORT);
- `floor`: plain sockets: the websocket frame (header and payload) built once and written to
  each board's transport (boards on WS_PORT): no framework between the bytes and the socket.

`--drop SEQ` leaves that entry out of its frame, `--dup SEQ` sends it twice: the harness's test
injects a lost and a duplicated entry this way to show the accounting catches them.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import websockets
from aiohttp import WSMsgType, web
from websockets.asyncio.server import ServerConnection, broadcast, serve

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC11B65"
MAX_HANDSHAKE_BYTES = 8192


class Fanout:
    """The log of a baseline: a seq per pushed event, and the frame each push becomes."""

    def __init__(self, drop: int | None, dup: int | None) -> None:
        self.head = 0
        self.drop = drop
        self.dup = dup

    def frames(self, events: list[dict[str, Any]]) -> list[bytes]:
        """One batch frame for the pushed events (two when an injected duplicate is due)."""
        entries = []
        for body in events:
            self.head += 1
            if self.head != self.drop:
                entries.append({"seq": self.head, "type": "event", "body": body})
        frames = [orjson.dumps({"v": 1, "type": "batch", "head": self.head, "entries": entries})]
        repeat = [e for e in entries if e["seq"] == self.dup]
        if repeat:
            frames.append(
                orjson.dumps({"v": 1, "type": "batch", "head": self.head, "entries": repeat})
            )
        return frames

    def greeting(self) -> list[bytes]:
        """What a board gets on hello: a welcome and an empty snapshot at the head."""
        return [
            orjson.dumps({"v": 1, "type": "welcome", "epoch": "baseline", "mode": "snapshot"}),
            orjson.dumps({"v": 1, "type": "snapshot", "seq": self.head, "events": []}),
        ]


def results(first: int, count: int) -> web.Response:
    seqs = range(first + 1, first + count + 1)
    body = {"results": [{"outcome": "appended", "seq": s} for s in seqs]}
    return web.json_response(body, status=202)


def push_route(
    fanout: Fanout,
    send: Callable[[list[bytes]], Awaitable[None]] | None,
    store: Callable[[bytes], Awaitable[None]] | None = None,
) -> Any:
    """The push handler: parse, (durable) store, number, and (unless bare) hand the frames to
    `send`."""

    async def push(request: web.Request) -> web.Response:
        data = await request.json()
        if store is not None:
            await store(await request.read())  # aiohttp keeps the body it parsed
        events = data if isinstance(data, list) else [data]
        first = fanout.head
        if send is None:
            fanout.head += len(events)
        else:
            await send(fanout.frames(events))
        return results(first, len(events))

    return push


async def ready(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def websocket_frame(payload: bytes) -> bytes:
    """An unmasked, final text frame."""
    n = len(payload)
    if n < 126:
        header = bytes([0x81, n])
    elif n < 1 << 16:
        header = bytes([0x81, 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([0x81, 127]) + n.to_bytes(8, "big")
    return header + payload


class FloorBoard(asyncio.Protocol):
    """A board on the floor server: the upgrade by hand, then nothing but writes."""

    def __init__(self, fanout: Fanout, boards: set[asyncio.Transport]) -> None:
        self.fanout = fanout
        self.boards = boards
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.upgraded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        if self.upgraded:  # hello, pongs, close: a baseline does not answer them
            if data[:1] and data[0] & 0x0F == 0x8:
                self.transport.close()
            return
        self.buffer += data
        if b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > MAX_HANDSHAKE_BYTES:
                self.transport.close()
            return
        key = next(
            line.split(b":", 1)[1].strip()
            for line in self.buffer.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
        self.transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        self.upgraded = True
        for payload in self.fanout.greeting():
            self.transport.write(websocket_frame(payload))
        self.boards.add(self.transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.boards.discard(self.transport)


def durable_store(path: Path) -> Callable[[bytes], Awaitable[None]]:
    """One INSERT and COMMIT per body on a writer thread: WAL, full sync, as cityboard's log."""
    writer = ThreadPoolExecutor(1)
    conn: list[sqlite3.Connection] = []

    def connect() -> None:
        conn.append(sqlite3.connect(path, isolation_level=None))
        conn[0].execute("PRAGMA journal_mode=WAL")
        conn[0].execute("PRAGMA synchronous=FULL")
        conn[0].execute("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, body BLOB)")

    def insert(body: bytes) -> None:
        conn[0].execute("BEGIN IMMEDIATE")
        conn[0].execute("INSERT INTO log(body) VALUES (?)", (body,))
        conn[0].execute("COMMIT")

    writer.submit(connect).result()

    async def store(body: bytes) -> None:
        await asyncio.get_running_loop().run_in_executor(writer, insert, body)

    return store


async def main(
    kind: str, port: int, ws_port: int | None, fanout: Fanout, db: Path | None = None
) -> None:
    app = web.Application()
    app.router.add_get("/readyz", ready)
    send: Callable[[list[bytes]], Awaitable[None]] | None = None
    store = None
    if kind == "durable":
        assert db is not None, "durable needs --db"
        store = durable_store(db)
    servers: list[Any] = []
    if kind == "naive":
        sockets: set[web.WebSocketResponse] = set()

        async def board(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse(autoping=True)
            await ws.prepare(request)
            for payload in fanout.greeting():
                await ws.send_str(payload.decode())
            sockets.add(ws)
            try:
                async for msg in ws:
                    if msg.type == WSMsgType.ERROR:
                        break
            finally:
                sockets.discard(ws)
            return ws

        async def naive_send(frames: list[bytes]) -> None:
            for frame in frames:
                text = frame.decode()
                for ws in list(sockets):
                    await ws.send_str(text)

        app.router.add_get("/ws", board)
        send = naive_send
    elif kind == "broadcast":
        connections: set[ServerConnection] = set()

        async def handler(ws: ServerConnection) -> None:
            for payload in fanout.greeting():
                await ws.send(payload.decode())
            connections.add(ws)
            try:
                async for _ in ws:
                    pass
            except websockets.ConnectionClosed:
                pass
            finally:
                connections.discard(ws)

        async def broadcast_send(frames: list[bytes]) -> None:
            for frame in frames:
                broadcast(connections, frame.decode())

        assert ws_port is not None
        servers.append(await serve(handler, "127.0.0.1", ws_port, compression=None))
        send = broadcast_send
    elif kind == "floor":
        transports: set[asyncio.Transport] = set()

        async def floor_send(frames: list[bytes]) -> None:
            for frame in frames:
                data = websocket_frame(frame)
                for transport in transports:
                    transport.write(data)

        loop = asyncio.get_running_loop()
        assert ws_port is not None
        servers.append(
            await loop.create_server(
                lambda: FloorBoard(fanout, transports), "127.0.0.1", ws_port, backlog=4096
            )
        )
        send = floor_send
    app.router.add_post("/api/push/{source}", push_route(fanout, send, store))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=4096).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("kind", choices=("bare", "durable", "naive", "broadcast", "floor"))
    parser.add_argument("port", type=int)
    parser.add_argument("ws_port", type=int, nargs="?")
    parser.add_argument("--drop", type=int, help="leave this seq out (a lost entry)")
    parser.add_argument("--dup", type=int, help="send this seq twice (a duplicated entry)")
    parser.add_argument("--db", type=Path, help="the SQLite file of `durable`")
    args = parser.parse_args()
    asyncio.run(main(args.kind, args.port, args.ws_port, Fanout(args.drop, args.dup), args.db))
