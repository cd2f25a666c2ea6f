"""Reading request bodies within a byte limit and a deadline, so no client can make the server
buffer more, or hold a connection and a handler by sending a body slowly or never."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import web

from server.http.board import BOARD
from server.http.responses import bad_request, error_body
from server.http.serving import CONNECTIONS

MAX_CALL_BODY_BYTES = 16 * 1024


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The whole body: over `limit` bytes is a 413, not here within `http_body_read_seconds`
    a 408 (and the connection is let go); both in the API's error shape."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit, request.content_length)
    if request.content.is_eof():  # the whole body is already here (most small bodies): no wait
        whole = request.content.read_nowait()
        if len(whole) > limit:
            raise _too_large(limit, len(whole))
        return whole
    seconds = request.app[BOARD].settings.http_body_read_seconds
    body = bytearray()
    try:
        with request.app[CONNECTIONS].waiting_for_body(request):
            async with asyncio.timeout(seconds):
                async for chunk in request.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > limit:
                        raise _too_large(limit, len(body))
    except TimeoutError:
        raise body_timeout(f"the body did not arrive within {seconds:g} s") from None
    except ConnectionError:
        raise client_gone() from None
    return bytes(body)


def _too_large(limit: int, size: int) -> web.HTTPRequestEntityTooLarge:
    return web.HTTPRequestEntityTooLarge(
        max_size=limit,
        actual_size=size,
        text=error_body("too_large", f"body over {limit} bytes"),
        content_type="application/json",
    )


def body_timeout(message: str) -> web.HTTPRequestTimeout:
    """The 408 for a body that stopped coming; the connection is closed after it."""
    timeout = web.HTTPRequestTimeout(
        text=error_body("body_timeout", message), content_type="application/json"
    )
    timeout.force_close()
    return timeout


def client_gone() -> web.HTTPBadRequest:
    """For a client that left (or was let go) mid-body: an answer nobody reads, which aiohttp
    drops quietly, where the connection error itself would be logged as a server error."""
    return web.HTTPBadRequest(
        text=error_body("body_incomplete", "the client went away before its body arrived"),
        content_type="application/json",
    )


async def json_body(request: web.Request, *, required: bool) -> dict[str, Any]:
    raw = await read_limited(request, MAX_CALL_BODY_BYTES)
    if not raw.strip():
        if required:
            raise bad_request("send a JSON object", "bad_json")
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"body is not JSON: {exc}", "bad_json") from None
    if not isinstance(data, dict):
        raise bad_request("the body is a JSON object", "bad_json")
    return data
