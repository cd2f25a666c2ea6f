"""The sip dialer against a scripted stand-in for baresip's ctrl_tcp: outcomes real agents rarely
give on demand (busy, a refused dial, the phone dying mid-call, the longest call allowed)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
import pytest

from server.errors import DialerError
from server.officers.dialers.base import CallRequest, CallTarget, Outcome
from server.officers.dialers.sip import NetstringDecoder, SipDialer, netstring
from server.officers.model import Officer
from server.settings import Settings
from tests.officers.helpers import officer

URI = "sip:kim@127.0.0.1:5999"

Script = Callable[
    [dict[str, Any], Callable[[dict[str, Any]], Awaitable[None]], asyncio.StreamWriter],
    Awaitable[None],
]


class Recorder:
    """The CallEvents the call service would give: it writes down what the dialer reports."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, ...]] = []
        self.done = asyncio.Event()

    async def ringing(self) -> None:
        self.seen.append(("ringing",))

    async def answered(self) -> None:
        self.seen.append(("answered",))

    async def ended(self, outcome: Outcome, reason: str = "", code: str = "") -> None:
        self.seen.append(("ended", outcome, reason, code))
        self.done.set()


def call_event(kind: str, param: str = "") -> dict[str, Any]:
    return {
        "event": True,
        "type": kind,
        "class": "call",
        "direction": "outgoing",
        "peeruri": URI,
        "id": "abc123",
        "param": param,
    }


@pytest.fixture
async def fake_phone() -> AsyncIterator[Callable[[Script], Awaitable[int]]]:
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> int:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            decoder = NetstringDecoder()

            async def send(message: dict[str, Any]) -> None:
                writer.write(netstring(message))
                await writer.drain()

            try:
                while data := await reader.read(4096):
                    for raw in decoder.feed(data):
                        await script(orjson.loads(raw), send, writer)
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def dialer(port: int, **settings: Any) -> SipDialer:
    return SipDialer(
        Settings(sip_control_port=port, sip_control_timeout_seconds=1.0, **settings), {}
    )


def request(no_answer: float = 5.0, max_seconds: float = 60.0) -> CallRequest:
    kim = Officer.model_validate(officer("kim", sip_uri=URI))
    return CallRequest("call-1", "test:e1", kim, CallTarget(URI), no_answer, max_seconds)


async def test_busy_is_reported_as_busy(fake_phone: Callable[[Script], Awaitable[int]]) -> None:
    async def script(msg: dict[str, Any], send: Any, _: Any) -> None:
        if msg["command"] == "dial":
            assert msg["params"] == URI
            await send({"response": True, "ok": True, "data": "", "token": msg["token"]})
            await send(call_event("CALL_RINGING"))
            await send(call_event("CALL_CLOSED", "486 Busy Here"))

    recorder = Recorder()
    await dialer(await fake_phone(script)).dial(request(), recorder)
    await asyncio.wait_for(recorder.done.wait(), 5)
    assert recorder.seen == [("ringing",), ("ended", "busy", "486 Busy Here", "")]


async def test_a_refused_dial_is_a_dialer_error(
    fake_phone: Callable[[Script], Awaitable[int]],
) -> None:
    async def script(msg: dict[str, Any], send: Any, _: Any) -> None:
        await send({"response": True, "ok": False, "data": "invalid URI", "token": msg["token"]})

    recorder = Recorder()
    with pytest.raises(DialerError, match=r"refused to dial .*invalid URI") as info:
        await dialer(await fake_phone(script)).dial(request(), recorder)
    assert info.value.code == "dial_refused"
    assert recorder.seen == [], "the call service records the failure, not the dialer"


async def test_the_phone_dying_mid_call_ends_the_call_with_the_reason(
    fake_phone: Callable[[Script], Awaitable[int]],
) -> None:
    async def script(msg: dict[str, Any], send: Any, writer: asyncio.StreamWriter) -> None:
        await send({"response": True, "ok": True, "data": "", "token": msg["token"]})
        await send(call_event("CALL_ESTABLISHED"))
        writer.close()

    recorder = Recorder()
    await dialer(await fake_phone(script)).dial(request(), recorder)
    await asyncio.wait_for(recorder.done.wait(), 5)
    assert recorder.seen[0] == ("answered",)
    assert recorder.seen[1][:2] == ("ended", "answered")
    assert "closed its control connection" in recorder.seen[1][2]
    assert recorder.seen[1][3] == "dialer_lost"


async def test_the_longest_call_allowed_is_hung_up(
    fake_phone: Callable[[Script], Awaitable[int]],
) -> None:
    async def script(msg: dict[str, Any], send: Any, _: Any) -> None:
        await send({"response": True, "ok": True, "data": "", "token": msg["token"]})
        if msg["command"] == "dial":
            await send(call_event("CALL_ESTABLISHED"))
        elif msg["command"] == "hangup":
            await send(call_event("CALL_CLOSED", "Connection reset by user"))

    recorder = Recorder()
    phone = dialer(await fake_phone(script))
    await phone.dial(request(max_seconds=0.3), recorder)
    await asyncio.wait_for(recorder.done.wait(), 5)
    assert recorder.seen[-1][:2] == ("ended", "answered")
    assert "longest call allowed (0.3 s)" in recorder.seen[-1][2]
    assert recorder.seen[-1][3] == "max_length"


async def test_one_call_at_a_time_on_the_office_line(
    fake_phone: Callable[[Script], Awaitable[int]],
) -> None:
    async def script(msg: dict[str, Any], send: Any, _: Any) -> None:
        await send({"response": True, "ok": True, "data": "", "token": msg["token"]})
        if msg["command"] == "hangup":
            await send(call_event("CALL_CLOSED", "Connection reset by user"))

    recorder = Recorder()
    phone = dialer(await fake_phone(script))
    call = request()
    await phone.dial(call, recorder)
    with pytest.raises(DialerError, match="on call call-1") as info:
        phone.target(call.officer)
    assert info.value.code == "line_busy"
    await phone.hangup("call-1")
    assert recorder.seen == [
        ("ended", "cancelled", "hung up by the operator before an answer", "operator_hangup")
    ]
    assert phone.target(call.officer).number == URI, "the line is free again"
