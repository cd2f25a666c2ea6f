"""The citizens' board's own port: an application with the public routes and nothing else.

`public_port` serves only what a citizen may see, from a router that holds nothing else: the
page and its files, `/ws` bound to the `public` stream (read-only, its own connection cap and
a rate limit per address), `/api/events` and `/api/districts` (cacheable: a strong ETag from
the stream's epoch and head, 304 on `If-None-Match`), `/api/cameras` (public cameras only) and
`/healthz`.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from server.http import cameras, frontend, reads
from server.http.board import BOARD
from server.http.guard import refuse_cross_site
from server.http.headers import HEADERS, harden
from server.http.responses import error_response, routing_errors
from server.http.serving import CONNECTIONS, ConnectionCap
from server.http.ws import serve_board
from server.public.stream import PublicStream
from server.stream import protocol

PUBLIC_APP = web.AppKey("public_app", web.Application)
PUBLIC_MAX_BODY_BYTES = 1024  # the public port takes no request bodies
BEHIND = "the public board may be behind"  # the heartbeat's words when the log has a problem


def create_public_app(main: web.Application) -> web.Application:
    """The public port's application over `main`'s board; no lifecycle of its own (it is
    served while `main` runs)."""
    settings = main[BOARD].settings
    connections = ConnectionCap(settings.http_max_connections)
    app = web.Application(
        client_max_size=PUBLIC_MAX_BODY_BYTES,
        middlewares=[connections.mark_busy, routing_errors, refuse_cross_site],
        handler_args={
            "keepalive_timeout": settings.http_idle_seconds,
            "lingering_time": settings.http_linger_seconds,
        },
    )
    app[CONNECTIONS] = connections
    app[BOARD] = main[BOARD]
    app[HEADERS] = main[HEADERS]
    app.on_response_prepare.append(harden)
    router = app.router
    router.add_get("/", frontend.public_page)
    router.add_get("/public", frontend.public_page)
    router.add_get("/ws", public_ws)
    router.add_get("/api/events", public_events)
    router.add_get("/api/districts", public_districts)
    router.add_get("/api/cameras", cameras.public_cameras)
    router.add_get("/healthz", reads.healthz)
    frontend.add_frontend(router)
    return app


def _public(request: web.Request) -> PublicStream:
    public = request.app[BOARD].public
    assert public is not None  # the public app exists only with the public stream
    return public


async def public_ws(request: web.Request) -> web.StreamResponse:
    """`/ws` of the public port: stream `public` only, at most `ws_max_connections` at once,
    one message rate per address however many tabs it opens."""
    public = _public(request)
    if public.sockets >= public.rules.ws_max_connections:
        return error_response(
            503,
            "too_many_boards",
            "the public board has as many viewers as it can take; try again in a minute",
        )
    address = request.remote or ""
    public.sockets += 1
    try:
        return await serve_board(request, public_only=True, bucket=public.bucket_for(address))
    finally:
        public.sockets -= 1
        public.release(address)


async def public_events(request: web.Request) -> web.StreamResponse:
    """`/api/events` of the public stream, cacheable until the stream moves."""
    public = _public(request)
    tag = f'"{public.log.epoch}-{public.log.head}"'
    return _cacheable(request, tag) or _tagged(
        request, await reads.events_of(request, public.log), tag
    )


async def public_districts(request: web.Request) -> web.StreamResponse:
    """The district boundaries, cacheable (they change only with the server's config)."""
    geojson = request.app[BOARD].districts.geojson
    tag = f'"{hashlib.sha256(geojson).hexdigest()[:32]}"'
    return _cacheable(request, tag) or _tagged(request, await reads.api_districts(request), tag)


def _cacheable(request: web.Request, tag: str) -> web.StreamResponse | None:
    """304 when the client holds this version already."""
    if tag in {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}:
        return _tagged(request, web.Response(status=304), tag)
    return None


def _tagged(request: web.Request, response: web.StreamResponse, tag: str) -> web.StreamResponse:
    response.headers["ETag"] = tag
    max_age = request.app[BOARD].settings.public.cache_max_age_seconds
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


def heartbeat(ok: bool) -> bytes:
    """The public stream's periodic `feeds` message: no feed names (sources are never
    public), no file paths or errors, only whether the board is current."""
    return protocol.feeds([], {"ok": ok, "problem": None if ok else BEHIND})
