"""`GET /brief`: the shift briefing of the live log, as a printable page (or md, json) for
operators; `GET /brief.css` its stylesheet (the board's CSP allows no inline style);
`POST /api/brief/link` a short-lived ticket that opens the page in a new tab, since a browser
holding the operator token cannot send it with a plain link."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from typing import Any

import orjson
from aiohttp import web

from server.brief.build import BriefBuilder
from server.brief.period import period
from server.brief.render import CSS, check, render
from server.errors import BriefError
from server.http.board import BOARD
from server.http.guard import JSON, accepts
from server.http.responses import error_response, json_response
from server.http.roles import require_operator
from server.situations import SituationBook
from server.stream.events import utcnow
from server.stream.log import Committed

PAGE_ENTRIES = 5_000  # entries read from the log per step (each step folded off the event loop)
BRIEFS_AT_ONCE = 1  # briefings built at the same time: each reads the whole log
CONTENT_TYPES = {"html": "text/html", "md": "text/markdown", "json": "application/json"}
BUILDING = web.AppKey("briefings_building", asyncio.Semaphore)  # set by the composition root
TICKET_SECONDS = 300  # a briefing link from the board opens the page for five minutes
MAX_TICKET_CHARS = 80


class Tickets:
    """Signed expiry times that stand for the operator token on `GET /brief` only."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    @classmethod
    def keyed(cls, operator_token: str | None) -> Tickets:
        """Keyed by the operator token, so every node of a city accepts another's tickets (and a
        new token voids the old ones); without a token, by a secret of this process."""
        if operator_token is None:
            return cls(secrets.token_bytes(32))
        return cls(hashlib.sha256(b"cityboard brief ticket\0" + operator_token.encode()).digest())

    def issue(self, now: float) -> str:
        expires = int(now) + TICKET_SECONDS
        return f"{expires}.{self._sign(expires)}"

    def valid(self, ticket: str, now: float) -> bool:
        expires, _, signature = ticket[:MAX_TICKET_CHARS].partition(".")
        if not expires.isdigit() or len(expires) > 12 or int(expires) < now:
            return False
        return hmac.compare_digest(signature, self._sign(int(expires)))

    def _sign(self, expires: int) -> str:
        return hmac.new(self.key, b"brief:%d" % expires, hashlib.sha256).hexdigest()


TICKETS = web.AppKey("brief_tickets", Tickets)  # set by the composition root


@accepts(JSON)  # no body needed
async def brief_link(request: web.Request) -> web.Response:
    """A ticket for the board's "briefing" button (operators only)."""
    denied = require_operator(request)
    if denied is not None:
        return denied
    ticket = request.app[TICKETS].issue(time.time())
    return json_response({"ticket": ticket, "expires_in_seconds": TICKET_SECONDS})


async def brief_page(request: web.Request) -> web.StreamResponse:
    """The briefing of `since`..`until` (default the last 8 hours) in `format` and `lang`."""
    if not request.app[TICKETS].valid(request.query.get("ticket", ""), time.time()):
        denied = require_operator(request)
        if denied is not None:
            return denied
    board = request.app[BOARD]
    settings = board.settings
    query = request.query
    fmt, lang = query.get("format", "html"), query.get("lang", "ko")
    try:
        check(fmt, lang)
        span = period(query.get("since", "8h"), query.get("until"), utcnow(), ("since", "until"))
        book = SituationBook(settings.situations)
        builder = BriefBuilder(
            span,
            settings.city_name,
            settings.city_timezone,
            "log",
            book=book,
            city_names=settings.city_names,
        )
        async with request.app[BUILDING]:
            after = 0
            while page := await board.log.entries_after(after, PAGE_ENTRIES):
                await asyncio.to_thread(_fold, builder, page)
                after = page[-1].seq
            text = await asyncio.to_thread(
                render,
                builder.briefing(),
                fmt,
                lang,
                board.districts,
                stylesheet="/brief.css",
            )
    except BriefError as exc:
        return error_response(400, exc.code, exc.message)
    return web.Response(text=text, content_type=CONTENT_TYPES[fmt], charset="utf-8")


def _fold(builder: BriefBuilder, page: list[Committed]) -> None:
    for committed in page:
        entry: dict[str, Any] = orjson.loads(committed.raw)
        builder.add(entry)


async def brief_css(request: web.Request) -> web.StreamResponse:
    """The briefing's stylesheet (print on A4)."""
    return web.FileResponse(CSS, headers={"Content-Type": "text/css"})
