"""The `/ws` endpoint: the I/O around `server/protocol.py` for one board connection.

A connection says `hello`, gets `welcome`, then either a snapshot or exactly the entries it missed,
then live batches from the hub. While the backlog or snapshot is read, live entries are held by
the hub and merged by seq afterwards, so nothing is lost or repeated at the seam.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiohttp import WSMsgType, web

from server.errors import BadToken, ProtocolError
from server.http import roles
from server.http.board import BOARD, Board
from server.http.roles import origin_allowed
from server.replay.stream import ReplayStream
from server.situations.book import SITUATION_PREFIX
from server.situations.tracker import SituationTracker
from server.stream import protocol
from server.stream.events import Action, iso_utc, utcnow
from server.stream.hub import CLOSE_SLOW, Client, Hub
from server.stream.log import EventFilter, LogStore

log = logging.getLogger(__name__)

HELLO_TIMEOUT_SECONDS = 10.0
CLOSE_POLICY = 1008


async def handle_ws(request: web.Request) -> web.StreamResponse:
    """The main port's `/ws`: any stream, actions by role."""
    return await serve_board(request)


async def serve_board(
    request: web.Request, *, public_only: bool = False, bucket: protocol.TokenBucket | None = None
) -> web.StreamResponse:
    """Upgrade to a websocket (after the Origin check) and serve one board until it leaves;
    `public_only` for the public port (stream `public` only, no token), whose boards share a
    rate limit per address (`bucket`)."""
    board = request.app[BOARD]
    settings = board.settings
    if not origin_allowed(request.headers.get("Origin"), request.host, settings.allowed_origins):
        raise web.HTTPForbidden(text="origin not allowed\n")
    ws = web.WebSocketResponse(
        heartbeat=settings.ws_heartbeat_seconds,
        compress=False,
        max_msg_size=settings.ws_max_message_bytes,
    )
    await ws.prepare(request)
    transport = request.transport
    if transport is None:
        return ws
    connection = Connection(
        board, ws, transport, local=roles.is_local(request), public_only=public_only, bucket=bucket
    )
    board.connections.add(connection)
    try:
        await connection.serve()
    finally:
        board.connections.discard(connection)
        connection.detach()
        if transport.get_write_buffer_size():
            # the socket is done (its peer left, or the heartbeat gave up on a frozen screen)
            # yet bytes wait for it: a plain close would hold them until a drain that never comes
            transport.abort()
            board.memory_freed()
    return ws


class Connection:
    """One board's session: protocol state, its hub subscription, its limits."""

    def __init__(
        self,
        board: Board,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport,
        *,
        local: bool = False,
        public_only: bool = False,
        bucket: protocol.TokenBucket | None = None,
    ) -> None:
        self.board = board
        self.local = local
        self.public_only = public_only
        self.role: roles.Role = "viewer"  # set from the hello's token
        self.ws = ws
        self.transport = transport
        s = board.settings
        self.bucket = bucket or protocol.TokenBucket(
            rate=s.ws_messages_per_second, burst=s.ws_message_burst
        )
        self.errors = 0
        self.client: Client | None = None
        self.filter = EventFilter()
        self._close_task: asyncio.Task[None] | None = None
        # the stream this connection watches: the live log, or a replay (set by hello)
        self.stream_name = "live"
        self.snapshot_frames = WSMsgType.TEXT  # BINARY when the hello asked (binary_snapshot)
        self.source: LogStore | ReplayStream = board.log
        self.hub: Hub = board.hub
        self.situations: SituationTracker | None = board.situations

    async def serve(self) -> None:
        """Read messages until the socket closes; the first must be `hello`."""
        hello: protocol.Hello | None = None
        try:
            async with asyncio.timeout(HELLO_TIMEOUT_SECONDS):
                while hello is None and not self.ws.closed:
                    message = await self._next()
                    if message is None:
                        return
                    if isinstance(message, protocol.Hello):
                        hello = message
                    else:
                        await self._error("hello_first", "send hello first")
        except TimeoutError:
            await self.ws.close(code=CLOSE_POLICY, message=b"no hello")
            return
        if hello is None or not await self._choose(hello):
            return
        if hello.binary_snapshot:
            self.snapshot_frames = WSMsgType.BINARY
        await self._start(hello.filter.to_filter(), hello.resume)
        while not self.ws.closed:
            message = await self._next()
            if message is None:
                return
            await self._dispatch(message)

    async def _choose(self, hello: protocol.Hello) -> bool:
        """Take the hello's role and stream; False (after saying why) when it may not watch."""
        if self.public_only and hello.stream != "public":
            await self._refuse(
                "public_only", 'this port serves only the public board: send hello stream "public"'
            )
            return False
        if not self.public_only:  # the public port handles no tokens: everyone only watches
            try:
                self.role = roles.role_of(self.board.settings, hello.token, local=self.local)
            except BadToken:
                await self._error(
                    "bad_token", "the token is not valid: this board can watch, not act"
                )
        if hello.stream == "public":
            public = self.board.public
            if public is None:
                await self._refuse("unknown_stream", "the public stream is off ([public] enabled)")
                return False
            self.stream_name, self.source, self.hub = "public", public.log, public.hub
            self.situations = None
        elif hello.stream != "live":
            replay = self.board.replays.stream_of(hello.stream)
            if replay is None:
                await self._refuse("unknown_stream", f"no stream {hello.stream!r} is playing")
                return False
            self.stream_name, self.source, self.hub = hello.stream, replay, replay.hub
            self.situations = replay.situations
        return True

    async def _refuse(self, code: str, message: str) -> None:
        """Say why this socket may not watch, then close it."""
        await self._error(code, message)
        await self.ws.close(code=CLOSE_POLICY, message=code.encode())

    async def _next(
        self,
    ) -> protocol.Hello | protocol.SetFilter | protocol.ActionRequest | protocol.Ping | None:
        """The next valid message; errors are answered here. None when the socket is done."""
        while True:
            msg = await self.ws.receive()
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return None
            if not self.bucket.take(time.monotonic()):
                await self._error("rate_limited", "too many messages; slow down")
                continue
            if msg.type != WSMsgType.TEXT:
                await self._error("bad_message", "send JSON text messages")
                continue
            try:
                return protocol.parse_client_message(msg.data)
            except ProtocolError as exc:
                await self._error(exc.code, exc.message)

    async def _dispatch(
        self, message: protocol.Hello | protocol.SetFilter | protocol.ActionRequest | protocol.Ping
    ) -> None:
        if isinstance(message, protocol.Ping):
            await self._send(protocol.pong(ref=message.ref, server_time=iso_utc(utcnow())))
        elif isinstance(message, protocol.SetFilter):
            self.detach()
            await self._start(message.filter.to_filter(), None)
        elif isinstance(message, protocol.ActionRequest):
            await self._act(message)
        else:
            await self._error("bad_message", "hello was already received")

    async def _act(self, request: protocol.ActionRequest) -> None:
        if self.stream_name == "public":
            await self._error(
                "read_only",
                "the public board is read-only: it shows what the city publishes, and takes no"
                " actions",
                ref=request.ref,
            )
            return
        if not roles.at_least(self.role, "operator"):
            await self._error(
                "forbidden",
                "view only: acting on events needs the operator token (open the board with its"
                " operator link, /?token=…)",
                ref=request.ref,
            )
            return
        problem = await self._cannot(request)
        if problem is not None:
            await self._error(problem[0], problem[1], ref=request.ref)
            return
        action = Action(
            action=request.action,
            event_id=request.event_id,
            actor=(request.actor or "board").strip() or "board",
            at=utcnow(),
            data=request.data,
        )
        [outcome] = await self.source.append([action])
        if action.event_id.startswith(SITUATION_PREFIX):
            self.hub.flush()  # the book takes the act now: the operator's next act builds on it
        await self._send(protocol.result(ref=request.ref, seq=outcome.seq))

    async def _cannot(self, request: protocol.ActionRequest) -> tuple[str, str] | None:
        """Why an action cannot be logged (code, message), or None: an event must exist; a
        situation must exist in this stream's book and the act must make sense there."""
        target = request.event_id
        if request.action.startswith("situation_") or target.startswith(SITUATION_PREFIX):
            if self.situations is None:
                return ("unknown_situation", "this stream keeps no situations")
            self.hub.flush()  # what waits for the coalescing window reaches the book first
            book = self.situations.book
            problem = book.check(request.action, target, request.data)
            if problem is None:
                return None
            if book.get(target) is None and request.action != "situation_link":
                return ("unknown_situation", problem)
            return ("bad_action", problem)
        if await self.source.current_event(target) is None:
            return ("unknown_event", f"no event {target!r}")
        return None

    async def _start(self, flt: EventFilter, resume: protocol.Resume | None) -> None:
        """Subscribe (holding live entries), send snapshot or backlog, then merge and go live."""
        board, s, source = self.board, self.board.settings, self.source
        self.filter = flt
        mode = protocol.start_mode(
            resume,
            epoch=source.epoch,
            head=source.head,
            resume_max_entries=s.resume_max_entries,
            first_seq=source.first_seq,
        )
        if mode == "resume" and not await self._still_held(resume):
            mode = "snapshot"
        client = Client(self.transport, on_slow=self._on_slow, filter=flt)
        self.client = client
        self.hub.subscribe(client, catching_up=True)
        named = self.stream_name.startswith("replay:")
        replay = board.replays.get(self.stream_name[7:]) if named else None
        await self._send(
            protocol.welcome(
                stream=self.stream_name,
                role=self.role,
                replay=replay.status() if replay else None,
                public=s.public.for_boards() if self.stream_name == "public" else None,
                epoch=source.epoch,
                head=source.head,
                server_time=iso_utc(utcnow()),
                city={"name": s.city_name, "timezone": s.city_timezone, "names": s.city_names},
                mode=mode,
                demo=s.demo,
                limits={
                    "max_message_bytes": s.ws_max_message_bytes,
                    "messages_per_second": self.bucket.rate,
                },
            )
        )
        if mode == "snapshot":
            snap = await source.snapshot(flt, s.snapshot_max_events)
            for part in protocol.snapshot(
                seq=snap.seq,
                events=snap.events,
                truncated=snap.truncated,
                feeds=[] if self.stream_name == "public" else board.feed_health(),
                workflows=snap.workflows,
            ):
                await self._send(part, self.snapshot_frames)
            sent_up_to = snap.seq
        else:
            assert resume is not None
            sent_up_to = await self._send_backlog(resume.after_seq)
        if not client.closed:
            self.hub.go_live(client, sent_up_to=sent_up_to)
            if self.situations is not None:  # the whole set, behind what the client now has
                await self._send(self.situations.message())

    async def _still_held(self, resume: protocol.Resume | None) -> bool:
        """The entry after the client's still exists: retention elsewhere (another node's, on a
        shared log) may have dropped it since this node last learned where the log starts."""
        assert resume is not None
        if resume.after_seq >= self.source.head:
            return True
        page = await self.source.entries_after(resume.after_seq, 1)
        return bool(page) and page[0].seq == resume.after_seq + 1

    async def _send_backlog(self, after_seq: int) -> int:
        """Send every committed entry after `after_seq` in pages; returns the last seq read."""
        page_size = self.board.settings.batch_max_entries
        while self.client is not None and not self.client.closed:
            page = await self.source.entries_after(after_seq, page_size)
            if not page:
                break
            wanted = [e.raw for e in page if self.client.passes(e)]
            after_seq = page[-1].seq
            await self._send(protocol.batch(wanted, head=after_seq))
            if len(page) < page_size:
                break
        return after_seq

    def detach(self) -> None:
        """Leave the hub (on close or before re-subscribing with a new filter)."""
        if self.client is not None:
            self.hub.unsubscribe(self.client)
            self.client = None

    def _on_slow(self) -> None:
        if self._close_task is None:
            self._close_task = asyncio.create_task(self._close_slow(), name="close-slow")

    async def _close_slow(self) -> None:
        """Send 4008 behind what is queued, wait at most `ws_slow_close_seconds` for the peer to
        take it, then drop the socket: a frozen screen never reads again, and a graceful close
        would hold its buffer (and the connection) for ever."""
        try:
            async with asyncio.timeout(self.board.settings.ws_slow_close_seconds):
                await self.ws.close(code=CLOSE_SLOW, message=b"slow")
        except TimeoutError:
            log.info("dropped a slow board that did not take its 4008 in time")
        finally:
            self.transport.abort()
            self.board.memory_freed()

    async def _send(self, payload: bytes, frame: WSMsgType = WSMsgType.TEXT) -> None:
        with contextlib.suppress(ConnectionError):
            await self.ws.send_frame(payload, frame)

    async def _error(self, code: str, message: str, *, ref: str | None = None) -> None:
        self.errors += 1
        await self._send(protocol.error(code, message, ref=ref))
        if self.errors >= self.board.settings.ws_max_errors:
            log.info("closing a websocket after %d bad messages", self.errors)
            await self.ws.close(code=CLOSE_POLICY, message=b"too many bad messages")
