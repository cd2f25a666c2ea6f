"""Hardening headers on every answer: a strict Content-Security-Policy (the board runs no inline
script or style), no framing by other sites (the board is a target for clickjacking a wall's
operator), no type sniffing, no referrer, and a `Server` header that names no versions."""

from __future__ import annotations

from aiohttp import web
from multidict import CIMultiDict

from server.settings import Settings

HEADERS = web.AppKey("hardening_headers", CIMultiDict[str])


def hardening_headers(settings: Settings) -> CIMultiDict[str]:
    """The headers every answer carries, from the settings that open the policy up by name."""
    ancestors = " ".join(settings.frame_ancestors) or "'none'"
    media = settings.cameras.media_origins  # snapshots and MJPEG are images, HLS is fetched
    policy = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        # data: the empty icon
        "img-src": " ".join(["'self'", "data:", *settings.tile_origins, *media]),
        "media-src": " ".join(["'self'", "blob:", *media]),  # hls.js plays from a MediaSource
        "connect-src": " ".join(["'self'", *media]),
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": ancestors,
    }
    headers = CIMultiDict(
        {
            "Content-Security-Policy": "; ".join(f"{k} {v}" for k, v in policy.items()),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Server": "cityboard",
        }
    )
    if not settings.frame_ancestors:  # older browsers; it cannot name an allowed origin
        headers["X-Frame-Options"] = "DENY"
    return headers


async def harden(request: web.Request, response: web.StreamResponse) -> None:
    """Add the hardening headers to an answer about to be sent (on_response_prepare)."""
    response.headers.update(request.app[HEADERS])
