"""Who may do what: viewers watch, operators act on events and call, admins edit the directory
and run replays from other machines.

A caller's role comes from the bearer token it shows — the HTTP `Authorization` header, or the
`token` of a websocket `hello`. With no operator token configured, callers on this machine
(loopback, not relayed by a proxy) are operators, so a board on the server's own PC works out of
the box while nothing from the network can act or make the office phone ring; once boards run on
other machines, set the operator token and open them with the operator link `/?token=…`.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Literal
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import SecretStr

from server.errors import BadToken
from server.http import roles
from server.http.board import BOARD
from server.http.responses import error_response
from server.settings import Settings

Role = Literal["viewer", "operator", "admin"]
RANK: dict[Role, int] = {"viewer": 0, "operator": 1, "admin": 2}
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def bearer(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer …` header, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def matches(token: str, expected: SecretStr | None) -> bool:
    """Constant-time comparison with a configured secret (never equal when it is unset)."""
    return expected is not None and hmac.compare_digest(
        token.encode(), expected.get_secret_value().encode()
    )


def is_local(request: web.Request) -> bool:
    """True for a request from this machine, not relayed by a proxy."""
    if any(h in request.headers for h in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address((request.remote or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def role_of(settings: Settings, token: str | None, *, local: bool) -> Role:
    """The role a token (or its absence) gives; raises BadToken for a wrong one."""
    if token is not None:
        if matches(token, settings.admin_token):
            return "admin"
        if matches(token, settings.operator_token):
            return "operator"
        raise BadToken("the token is neither the operator's nor the admin's")
    if local and settings.operator_token is None:
        return "operator"
    return "viewer"


def request_role(settings: Settings, request: web.Request) -> Role:
    """The role of an HTTP request (its bearer token and machine); a wrong token gives a viewer."""
    try:
        return role_of(settings, bearer(request), local=is_local(request))
    except BadToken:
        return "viewer"


def at_least(role: Role, needed: Role) -> bool:
    """True when `role` may do what `needed` may."""
    return RANK[role] >= RANK[needed]


def origin_allowed(origin: str | None, host: str | None, allowed: list[str]) -> bool:
    """Browsers send Origin: accept our own host and configured origins; tools send none."""
    if origin is None:
        return True
    if origin in allowed:
        return True
    parts = urlsplit(origin)
    return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host


def unauthorized(what: str) -> web.Response:
    response = error_response(401, "unauthorized", f"send Authorization: Bearer <{what} token>")
    response.headers["WWW-Authenticate"] = f'Bearer realm="cityboard {what}"'
    return response


def require_admin(request: web.Request) -> web.Response | None:
    """None when the request carries the admin token; otherwise the 401/403 answer."""
    settings = request.app[BOARD].settings
    if settings.admin_token is None:
        return error_response(
            403,
            "admin_disabled",
            "editing the directory over HTTP is off: set CITYBOARD_ADMIN_TOKEN, or use"
            " `cityboard officers import FILE`",
        )
    token = roles.bearer(request)
    if token is None:
        return unauthorized("admin")
    if not roles.matches(token, settings.admin_token):
        return error_response(403, "forbidden", "the admin token is not valid")
    return None


def require_operator(request: web.Request) -> web.Response | None:
    """None when the request may start or end calls; otherwise the 401/403 answer."""
    settings = request.app[BOARD].settings
    try:
        role = roles.role_of(settings, roles.bearer(request), local=roles.is_local(request))
    except BadToken:
        return error_response(403, "forbidden", "the operator token is not valid")
    if roles.at_least(role, "operator"):
        return None
    if settings.operator_token is not None:
        return unauthorized("operator")
    return error_response(
        403,
        "operator_token_required",
        "calls from other machines need the operator token: set CITYBOARD_OPERATOR_TOKEN on the"
        " server and send Authorization: Bearer <token>",
    )


def sees_contacts(request: web.Request) -> bool:
    """Operators see officers' phone numbers (they call them); viewers see who, not how."""
    role = roles.request_role(request.app[BOARD].settings, request)
    return roles.at_least(role, "operator")
