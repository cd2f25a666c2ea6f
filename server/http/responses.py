"""The API's answers in one shape: JSON bodies, and errors as `{"error": {code, message, …}}`."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON answer, encoded once with orjson."""
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def error_response(status: int, code: str, message: str, **extra: Any) -> web.Response:
    """An error a client can act on: a stable `code` and a sentence for a person."""
    return json_response({"error": {"code": code, "message": message, **extra}}, status)


def error_body(code: str, message: str) -> str:
    """The error shape as text, for the aiohttp exceptions a handler raises."""
    return orjson.dumps({"error": {"code": code, "message": message}}).decode()


def bad_request(message: str, code: str = "bad_parameter") -> web.HTTPBadRequest:
    """The 400 for a parameter or body that cannot be used, to raise from a helper."""
    return web.HTTPBadRequest(text=error_body(code, message), content_type="application/json")


@web.middleware
async def routing_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The router's own answers in the API's shape: a wrong method is a 405 naming the right
    ones (with `Allow`), an unknown `/api/` path a 404 with a code, not aiohttp's plain text."""
    try:
        return await handler(request)
    except web.HTTPMethodNotAllowed as exc:
        allowed = sorted(exc.allowed_methods)
        response = error_response(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}",
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    except web.HTTPNotFound as exc:
        if exc.content_type != "text/plain" or not request.path.startswith("/api/"):
            raise
        return error_response(404, "not_found", f"nothing at {request.path}")
