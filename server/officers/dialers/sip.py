"""The `sip` dialer: the office phone — a baresip user agent — calls the officer's SIP URI.

cityboard drives baresip over its `ctrl_tcp` control socket (`sip_control_host`:`sip_control_port`),
where both sides speak netstrings of JSON (`LEN:{...},`): it sends `dial`, follows the call's
events (`CALL_RINGING`, `CALL_ESTABLISHED`, `CALL_CLOSED` with the reason in `param`) and sends
`hangup` when the operator asks, when nobody answers within `call_no_answer_seconds`, or when the
call reaches `call_max_seconds`. The office phone is one line: one call at a time.

Each call uses its own control connection, opened when the call starts, so an office phone that
is down is reported on the call that needed it (outcome `failed`, with the address tried).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from server.errors import DialerError
from server.officers.dialers.base import CallEvents, CallRequest, CallTarget, Dialer, Outcome
from server.officers.model import Officer
from server.settings import Settings

log = logging.getLogger(__name__)

MAX_NETSTRING_BYTES = 1024 * 1024
BUSY_CODES = frozenset({"486", "600", "603"})  # busy here, busy everywhere, declined
NO_ANSWER_CODES = frozenset({"408", "480", "487"})  # timeout, unavailable, terminated


def netstring(message: Mapping[str, Any]) -> bytes:
    """One JSON message framed as baresip's ctrl_tcp expects: `LEN:JSON,`."""
    payload = orjson.dumps(dict(message))
    return b"%d:%s," % (len(payload), payload)


class NetstringDecoder:
    """Splits a byte stream into netstring payloads; ValueError on a malformed stream."""

    def __init__(self, max_bytes: int = MAX_NETSTRING_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_bytes

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        found: list[bytes] = []
        while True:
            colon = self._buffer.find(b":")
            if colon < 0:
                if len(self._buffer) > 20:
                    raise ValueError("netstring length prefix is missing")
                return found
            digits = bytes(self._buffer[:colon])
            if not digits.isdigit() or len(digits) > 10:
                raise ValueError(f"bad netstring length {digits[:20]!r}")
            size = int(digits)
            if size > self._max:
                raise ValueError(f"netstring of {size} bytes is over {self._max}")
            end = colon + 1 + size
            if len(self._buffer) < end + 1:
                return found
            if self._buffer[end] != ord(","):
                raise ValueError("netstring does not end with ','")
            found.append(bytes(self._buffer[colon + 1 : end]))
            del self._buffer[: end + 1]


Ending = tuple[Outcome, str, str]  # outcome, reason, reason code (server.officers.dialers.base)


@dataclass(eq=False)
class _SipCall:
    """One call on the office phone and its control connection."""

    request: CallRequest
    events: CallEvents
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    responses: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    baresip_id: str | None = None
    rang: bool = False
    established: bool = False
    ending: Ending | None = None  # what we asked for when we sent hangup
    abandoned: bool = False  # dial failed: the service records the failure, not us
    finished: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)
    reader_task: asyncio.Task[None] | None = None
    timer_task: asyncio.Task[None] | None = None


class SipDialer(Dialer):
    """Places calls from a baresip user agent over its ctrl_tcp socket."""

    name = "sip"

    def __init__(self, settings: Settings, options: Mapping[str, Any]) -> None:
        super().__init__(settings, options)
        self.host = settings.sip_control_host
        self.port = settings.sip_control_port
        self.timeout = settings.sip_control_timeout_seconds
        self._active: _SipCall | None = None
        self._tokens = itertools.count(1)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def target(self, officer: Officer) -> CallTarget:
        if not officer.sip_uri:
            raise DialerError(
                f"officer {officer.id!r} has no SIP URI, so the office phone cannot call them;"
                " add sip_uri to their directory entry",
                code="no_sip_uri",
            )
        if self._active is not None and not self._active.finished:
            raise DialerError(
                f"the office phone is on call {self._active.request.call_id}; hang it up first",
                code="line_busy",
            )
        return CallTarget(officer.sip_uri, {"sip_uri": officer.sip_uri})

    async def dial(self, call: CallRequest, events: CallEvents) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.timeout
            )
        except (OSError, TimeoutError) as exc:
            why = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
            raise DialerError(
                f"cannot reach the office phone's control socket (baresip ctrl_tcp) at"
                f" {self.address}: {why.lower()} — is baresip running with ctrl_tcp_listen"
                f" {self.address}?",
                code="dialer_unreachable",
            ) from None
        sip = _SipCall(call, events, reader, writer)
        self._active = sip
        sip.reader_task = asyncio.create_task(self._read(sip), name=f"sip-{call.call_id}")
        try:
            response = await self._command(sip, "dial", call.target.number)
        except (TimeoutError, ConnectionError, OSError) as exc:
            await self._abandon(sip)
            what = (
                f"did not answer the dial command within {self.timeout:g} s"
                if isinstance(exc, TimeoutError)
                else "closed the control connection during the dial command"
            )
            raise DialerError(
                f"the office phone at {self.address} {what}", code="dialer_failed"
            ) from None
        if not response.get("ok"):
            await self._abandon(sip)
            detail = str(response.get("data") or "no reason given").strip()
            raise DialerError(
                f"the office phone refused to dial {call.target.number}: {detail}",
                code="dial_refused",
            )
        if not sip.finished and not sip.established:
            sip.timer_task = asyncio.create_task(self._no_answer(sip))

    async def hangup(self, call_id: str, outcome: Outcome | None = None) -> None:
        sip = self._active
        if sip is None or sip.request.call_id != call_id or sip.finished:
            return
        if sip.established:
            await self._end(sip, "answered", "hung up by the operator", "operator_hangup")
        else:
            await self._end(
                sip, "cancelled", "hung up by the operator before an answer", "operator_hangup"
            )

    async def close(self) -> None:
        sip = self._active
        if sip is not None and not sip.finished:
            reason = "the server shut down during the call"
            outcome: Outcome = "answered" if sip.established else "cancelled"
            await self._end(sip, outcome, reason, "server_shutdown")

    # ------------------------------------------------------------------ the connection

    async def _command(
        self, sip: _SipCall, command: str, params: str | None = None
    ) -> dict[str, Any]:
        token = f"cityboard-{next(self._tokens)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        sip.responses[token] = future
        message: dict[str, Any] = {"command": command, "token": token}
        if params is not None:
            message["params"] = params
        sip.writer.write(netstring(message))
        await sip.writer.drain()
        return await asyncio.wait_for(future, self.timeout)

    async def _read(self, sip: _SipCall) -> None:
        decoder = NetstringDecoder()
        lost = "the office phone closed its control connection (did baresip stop?)"
        try:
            while True:
                data = await sip.reader.read(65536)
                if not data:
                    break
                for raw in decoder.feed(data):
                    await self._handle(sip, orjson.loads(raw))
        except (OSError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
            lost = f"the office phone's control connection failed: {exc}"
        finally:
            for future in sip.responses.values():
                if not future.done():
                    future.set_exception(ConnectionError(lost))
            sip.responses.clear()
            if not sip.finished and not sip.abandoned:
                lost_end: Ending = (
                    "answered" if sip.established else "failed",
                    lost,
                    "dialer_lost",
                )
                await self._finish(sip, *(sip.ending or lost_end))

    async def _handle(self, sip: _SipCall, message: dict[str, Any]) -> None:
        if message.get("response"):
            future = sip.responses.pop(str(message.get("token")), None)
            if future is not None and not future.done():
                future.set_result(message)
            return
        kind = str(message.get("type", ""))
        if not message.get("event") or not kind.startswith("CALL_") or sip.abandoned:
            return
        if message.get("direction", "outgoing") != "outgoing":
            return  # an incoming call on the office phone is not ours
        call_id = message.get("id")
        if not call_id:
            return  # SDP notices before the call has an id
        if sip.baresip_id is None:
            sip.baresip_id = str(call_id)
        elif call_id != sip.baresip_id:
            return
        if kind == "CALL_RINGING" and not sip.rang:
            sip.rang = True
            await sip.events.ringing()
        elif kind == "CALL_ESTABLISHED" and not sip.established:
            sip.established = True
            self._cancel_timer(sip)
            await sip.events.answered()
            if not sip.finished and sip.ending is None:
                sip.timer_task = asyncio.create_task(self._max_length(sip))
        elif kind == "CALL_CLOSED":
            await self._finish(sip, *self._closed(sip, str(message.get("param") or "")))

    def _closed(self, sip: _SipCall, param: str) -> Ending:
        """The outcome of a call baresip reports closed, with the reason it gave."""
        if sip.ending is not None:
            outcome, reason, code = sip.ending
            return ("answered" if sip.established else outcome), reason, code
        if sip.established:
            return (
                "answered",
                f"closed by the other side ({param or 'no reason given'})",
                "other_side",
            )
        match = re.match(r"\s*(\d{3})\b", param)
        status = match.group(1) if match else ""
        if status in BUSY_CODES:
            return "busy", param, ""
        if status in NO_ANSWER_CODES:
            return "no_answer", param, ""
        return (
            "failed",
            f"the call could not be connected: {param or 'no reason given'}",
            "not_connected",
        )

    # ----------------------------------------------------------------------- ending

    async def _no_answer(self, sip: _SipCall) -> None:
        seconds = sip.request.no_answer_seconds
        await asyncio.sleep(seconds)
        if not sip.established:
            await self._end(
                sip, "no_answer", f"no answer within {seconds:g} s", "no_answer_timeout"
            )

    async def _max_length(self, sip: _SipCall) -> None:
        seconds = sip.request.max_seconds
        await asyncio.sleep(seconds)
        reason = f"hung up at the longest call allowed ({seconds:g} s)"
        await self._end(sip, "answered", reason, "max_length")

    async def _end(self, sip: _SipCall, outcome: Outcome, reason: str, code: str) -> None:
        """Ask baresip to hang up and wait for it to say the call closed (or give up waiting)."""
        if sip.finished:
            return
        if sip.ending is None:
            sip.ending = (outcome, reason, code)
        with contextlib.suppress(TimeoutError, ConnectionError, OSError):
            await self._command(sip, "hangup")
        try:
            await asyncio.wait_for(sip.done.wait(), self.timeout)
        except TimeoutError:
            log.warning("office phone did not report call %s closed", sip.request.call_id)
            await self._finish(sip, *sip.ending)

    def _cancel_timer(self, sip: _SipCall) -> None:
        task = sip.timer_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        sip.timer_task = None

    async def _finish(self, sip: _SipCall, outcome: Outcome, reason: str, code: str) -> None:
        if sip.finished:
            return
        sip.finished = True
        self._cancel_timer(sip)
        try:
            await sip.events.ended(outcome, reason, code)
        finally:
            sip.done.set()
            if self._active is sip:
                self._active = None
            sip.writer.close()

    async def _abandon(self, sip: _SipCall) -> None:
        """Drop a call whose dial failed: best-effort hangup, close, no events."""
        sip.abandoned = True
        sip.finished = True
        sip.done.set()
        self._cancel_timer(sip)
        if self._active is sip:
            self._active = None
        with contextlib.suppress(Exception):
            sip.writer.write(netstring({"command": "hangup", "token": "cityboard-abandon"}))
        sip.writer.close()
        if sip.reader_task is not None and sip.reader_task is not asyncio.current_task():
            sip.reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sip.reader_task
