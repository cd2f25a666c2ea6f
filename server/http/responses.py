"""The API's answers in one shape: JSON bodies, and errors as `{"error": {code, message, …}}`."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web


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
