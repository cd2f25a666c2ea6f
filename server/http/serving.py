"""Serving the app on a socket with a cap on concurrent connections, for `cityboard serve` and the
tests alike.

Every connection holds a file descriptor; a crowd of clients that connect and stall would exhaust
them, and then nothing, not even `/healthz`, gets in. So past `http_max_connections` the spare
connections are closed, oldest first, to make room: those with no request in a handler (still
sending a head, or kept alive between requests) and those whose handler waits for a body that has
not come. When every connection is busy, a newcomer is answered 503 and closed at once. Besides,
stalled bodies are cut short by deadlines (server/http/bodies.py), idle heads by aiohttp
(`http_idle_seconds`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable, Iterator, Sequence

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_protocol import RequestHandler

from server.http.responses import error_body

REFUSAL_BODY = error_body(
    "too_many_connections", "the server is at its connection limit; try again in a moment"
).encode()
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nServer: cityboard\r\nContent-Type: application/json\r\n"
    b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
    % (len(REFUSAL_BODY), REFUSAL_BODY)
)


class ConnectionCap:
    """At most `limit` connections: spare ones make room for newcomers, busy ones are kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.busy: set[asyncio.BaseProtocol] = set()  # connections whose request is in a handler
        self.reading: set[asyncio.BaseProtocol] = set()  # … which waits for the client's body
        self.evicted = 0
        self.refused = 0

    @web.middleware
    async def mark_busy(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """A connection is busy while a handler (a websocket's included) runs for it."""
        protocol = request.protocol
        self.busy.add(protocol)
        try:
            return await handler(request)
        finally:
            self.busy.discard(protocol)

    @contextlib.contextmanager
    def waiting_for_body(self, request: web.Request) -> Iterator[None]:
        """While its handler waits for the body, a connection may be let go to make room: a body
        that does not come must not hold a place."""
        self.reading.add(request.protocol)
        try:
            yield
        finally:
            self.reading.discard(request.protocol)

    def factory(self, server: web.Server) -> Callable[[], asyncio.BaseProtocol]:
        """The protocol factory for the listening socket: refuses a newcomer when every
        connection is busy, otherwise admits it; once it is made, spare ones make room."""
        loop = asyncio.get_running_loop()
        scheduled = False

        def make_room() -> None:
            nonlocal scheduled
            scheduled = False
            live = [c for c in server.connections if c.transport is not None]
            spare = [c for c in live if c not in self.busy or c in self.reading]  # oldest first
            for connection in spare[: max(0, len(live) - self.limit)]:
                connection.force_close()
                self.evicted += 1

        registered = server.connection_made

        def connection_made(handler: RequestHandler, transport: asyncio.Transport) -> None:
            """Room is made after a connection is counted, never on a guess of when that is: a
            burst of accepts makes its connections over several loop turns."""
            nonlocal scheduled
            registered(handler, transport)
            if not scheduled and len(server.connections) > self.limit:
                scheduled = True  # once for all the connections made in this turn
                loop.call_soon(make_room)

        server.connection_made = connection_made  # type: ignore[method-assign]

        def admit() -> asyncio.BaseProtocol:
            live = [c for c in server.connections if c.transport is not None]
            if len(live) >= self.limit and all(
                c in self.busy and c not in self.reading for c in live
            ):
                self.refused += 1
                return _Refused()
            return server()

        return admit


class _Refused(asyncio.Protocol):
    """A connection past the cap when every other is busy: a 503, then closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(REFUSAL)
        transport.close()


CONNECTIONS = web.AppKey("connections", ConnectionCap)


class CappedSite(web.BaseSite):
    """A TCP site whose connections pass through the app's ConnectionCap: on host:port, or on
    sockets bound beforehand (`cityboard serve` binds before it opens anything)."""

    def __init__(
        self,
        runner: web.AppRunner,
        host: str,
        port: int,
        sockets: Sequence[socket.socket] = (),
    ) -> None:
        super().__init__(runner)
        self.app = runner.app
        self.host = host
        self.port = port
        self.sockets = list(sockets)
        self._servers: list[asyncio.base_events.Server] = []

    @property
    def name(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        factory = self.app[CONNECTIONS].factory(server)
        loop = asyncio.get_running_loop()
        if self.sockets:
            for sock in self.sockets:
                self._servers.append(
                    await loop.create_server(factory, sock=sock, backlog=self._backlog)
                )
        else:
            self._servers.append(
                await loop.create_server(
                    factory, self.host, self.port, backlog=self._backlog, reuse_address=True
                )
            )
        self._server = self._servers[0]
        if self.port == 0:  # the port the system picked
            self.port = int(self._servers[0].sockets[0].getsockname()[1])

    async def stop(self) -> None:
        for extra in self._servers[1:]:
            extra.close()
        await super().stop()


class Serving:
    """An app being served on one capped site, until `close`."""

    def __init__(self, runner: web.AppRunner, site: CappedSite) -> None:
        self.runner = runner
        self.app = runner.app
        self.host = site.host
        self.port = site.port
        self._closed = False

    async def close(self) -> None:
        """Stop listening, close the boards' websockets, run the app's cleanup (once)."""
        if not self._closed:
            self._closed = True
            await self.runner.cleanup()


async def start(
    app: web.Application,
    host: str,
    port: int,
    *,
    sockets: Sequence[socket.socket] = (),
    shutdown_timeout: float = 5.0,
) -> Serving:
    """Serve `app` on host:port (0: any free port), or on bound `sockets`, with the cap."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    try:
        site = CappedSite(runner, host, port, sockets)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return Serving(runner, site)


def run(
    app: web.Application,
    sockets: Sequence[socket.socket],
    *,
    started: Callable[[], None],
    shutdown_timeout: float = 5.0,
    beside: Sequence[tuple[web.Application, Sequence[socket.socket]]] = (),
) -> None:
    """Serve on bound sockets until SIGINT or SIGTERM, then shut down gracefully; `started` is
    called once the app's startup (the log, the feeds) has run (`cityboard serve`). Apps
    `beside` it (the public port's) are served on their own sockets while it runs."""
    host, port = sockets[0].getsockname()[:2]

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        serving = await start(app, host, port, sockets=sockets, shutdown_timeout=shutdown_timeout)
        others: list[Serving] = []
        try:
            for other, other_sockets in beside:
                other_host, other_port = other_sockets[0].getsockname()[:2]
                others.append(
                    await start(
                        other,
                        other_host,
                        other_port,
                        sockets=other_sockets,
                        shutdown_timeout=shutdown_timeout,
                    )
                )
            started()
            await stop.wait()
        finally:
            for other_serving in others:  # before the main app closes the logs they read
                await other_serving.close()
            await serving.close()

    asyncio.run(main())
