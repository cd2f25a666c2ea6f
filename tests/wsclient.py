"""A minimal board client for tests: follows the protocol and records what it received."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import ClientSession, ClientWebSocketResponse, WSMsgType


class BoardClient:
    """One aiohttp websocket connection, with the messages it got, split by type."""

    def __init__(self, ws: ClientWebSocketResponse) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []

    @classmethod
    async def connect(cls, session: ClientSession, url: str, **hello: Any) -> BoardClient:
        ws = await session.ws_connect(url, autoping=True)
        client = cls(ws)
        await client.send({"type": "hello", **hello})
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(orjson.dumps({"v": 1, **message}).decode())

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=timeout)
        if msg.type != WSMsgType.TEXT:
            raise ConnectionError(f"socket ended: {msg.type} {msg.data} {msg.extra}")
        data: dict[str, Any] = orjson.loads(msg.data)
        self.messages.append(data)
        return data

    async def next_of(self, type_: str, timeout: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                message = await self.next(timeout)
                if message["type"] == type_:
                    return message

    def entries(self) -> list[dict[str, Any]]:
        return [e for m in self.messages if m["type"] == "batch" for e in m["entries"]]

    def seqs(self) -> list[int]:
        return [e["seq"] for e in self.entries()]

    async def until_seq(self, seq: int, timeout: float = 10.0) -> list[int]:
        """Read until an entry with this seq (or a batch head at or past it) arrives."""
        async with asyncio.timeout(timeout):
            while not self.messages or max(self._heads(), default=0) < seq:
                await self.next(timeout)
        return self.seqs()

    def _heads(self) -> list[int]:
        heads = [m["head"] for m in self.messages if m["type"] == "batch"]
        heads += [m["seq"] for m in self.messages if m["type"] == "snapshot"]
        return heads

    async def close(self) -> None:
        await self.ws.close()
