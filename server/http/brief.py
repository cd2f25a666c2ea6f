"""`GET /brief`: the shift briefing of the live log, as a printable page (or md, json) for
operators; `GET /brief.css` its stylesheet (the board's CSP allows no inline style)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import web

from server.brief.build import BriefBuilder
from server.brief.period import period
from server.brief.render import CSS, check, render
from server.errors import BriefError
from server.http.board import BOARD
from server.http.responses import error_response
from server.http.roles import require_operator
from server.situations import SituationBook
from server.stream.events import utcnow
from server.stream.log import Committed

PAGE_ENTRIES = 5_000  # entries read from the log per step (each step folded off the event loop)
BRIEFS_AT_ONCE = 1  # briefings built at the same time: each reads the whole log
CONTENT_TYPES = {"html": "text/html", "md": "text/markdown", "json": "application/json"}
BUILDING = web.AppKey("briefings_building", asyncio.Semaphore)  # set by the composition root


async def brief_page(request: web.Request) -> web.StreamResponse:
    """The briefing of `since`..`until` (default the last 8 hours) in `format` and `lang`."""
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
