"""Reading request bodies within a byte limit, so no client can make the server buffer more."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from server.http.responses import bad_request, error_body

MAX_CALL_BODY_BYTES = 16 * 1024


async def _read_limited(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(body))
    return bytes(body)


async def _json_body(request: web.Request, *, required: bool) -> dict[str, Any]:
    try:
        raw = await _read_limited(request, MAX_CALL_BODY_BYTES)
    except web.HTTPRequestEntityTooLarge:
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_CALL_BODY_BYTES,
            actual_size=request.content_length or MAX_CALL_BODY_BYTES + 1,
            text=error_body("too_large", f"body over {MAX_CALL_BODY_BYTES} bytes"),
            content_type="application/json",
        ) from None
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
