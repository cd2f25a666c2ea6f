"""Refusing cross-site requests: no other web page acts through an operator's browser.

A page on any origin can make a browser send a "simple" POST (a text/plain or form body, no
custom headers) without asking first, and callers on the server's machine are operators. So every
state-changing request (POST, PUT, DELETE) is refused when it carries an `Origin` that is neither
the server's own nor an allowed one, and its body, if it has one, must be of a type its route
declares with `@accepts(...)`: browsers ask before sending those cross-site, and this server
never says yes. Machine ingest (`/api/push`) takes any type, since its bearer token is something
no browser adds to a cross-site request unasked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from server.http.board import BOARD
from server.http.responses import error_response
from server.http.roles import origin_allowed

STATE_CHANGING = frozenset({"POST", "PUT", "DELETE", "PATCH"})
ANY_TYPE = "*/*"
JSON = "application/json"
RECORDING_TYPES = (
    "application/x-ndjson",
    "application/octet-stream",
    "application/gzip",
    "application/x-gzip",
)

F = TypeVar("F", bound=Callable[..., Any])
_ACCEPTED: dict[Callable[..., Any], tuple[str, ...]] = {}


def accepts(*content_types: str) -> Callable[[F], F]:
    """Declare the body types a state-changing handler takes; the guard refuses the rest."""

    def mark(handler: F) -> F:
        _ACCEPTED[handler] = content_types
        return handler

    return mark


def body_types(handler: Callable[..., Any]) -> tuple[str, ...] | None:
    """The body types a handler declared, or None when it declared none."""
    return _ACCEPTED.get(handler)


@web.middleware
async def refuse_cross_site(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Foreign origins and undeclared body types never reach a state-changing handler."""
    if request.method not in STATE_CHANGING or request.match_info.http_exception is not None:
        return await handler(request)
    settings = request.app[BOARD].settings
    origin = request.headers.get(hdrs.ORIGIN)
    if not origin_allowed(origin, request.host, settings.allowed_origins):
        return error_response(
            403,
            "origin_not_allowed",
            f"requests that change something come from the board's own origin, not {origin}",
        )
    accepted = body_types(request.match_info.handler) or (JSON,)
    if ANY_TYPE in accepted:
        return await handler(request)
    declared = hdrs.CONTENT_TYPE in request.headers  # aiohttp reads a missing one as binary
    if request.body_exists and (not declared or request.content_type not in accepted):
        return error_response(
            415,
            "unsupported_media_type",
            f"send the body as Content-Type {' or '.join(accepted)}",
        )
    return await handler(request)
