"""The read API: liveness and readiness, events and their history, feed health, districts —
from the live log or a playing replay (`?stream=replay:<name>`)."""

from __future__ import annotations

import heapq
import itertools
from datetime import datetime

import orjson
from aiohttp import web

from server.http.board import BOARD
from server.http.responses import bad_request, error_body, error_response, json_response
from server.replay.stream import ReplayStream
from server.situations.tracker import GROUP_PREFIXES, SituationTracker
from server.stream.events import REFERENCE_KINDS, iso_utc
from server.stream.log import EventFilter, LogStore


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: the log can be read, its writer runs and its last append did not fail."""
    board = request.app[BOARD]
    try:
        await board.log.current_event("readyz:probe")
    except Exception as exc:
        return error_response(503, "not_ready", f"log unavailable: {exc}")
    problem = board.log.problem
    if problem is not None:
        return error_response(503, "not_ready", problem)
    return json_response(
        {
            "status": "ready",
            "epoch": board.log.epoch,
            "head": board.log.head,
            "feeds": len(board.runners),
        }
    )


def _multi(request: web.Request, name: str) -> tuple[str, ...]:
    values = [v for raw in request.query.getall(name, []) for v in raw.split(",") if v]
    return tuple(values)


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high], or a 400 that says which and why."""
    raw = request.query.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise bad_request(f"{name} must be an integer between {low} and {high}")
    return value


def _time_param(request: web.Request, name: str) -> str | None:
    """An ISO 8601 query time with a zone, as the log's UTC text; 400 when it is not one."""
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise bad_request(f"{name} must be an ISO 8601 time with a zone, e.g. 2026-11-29T00:00:00Z")
    return iso_utc(moment)


async def api_events(request: web.Request) -> web.Response:
    """Latest versions of events, filtered, paged by the seq of their last change."""
    return await events_of(request, _stream(request))


async def events_of(request: web.Request, source: LogStore | ReplayStream) -> web.Response:
    """`/api/events` on one stream (the public port's is always `public`)."""
    board = request.app[BOARD]
    kinds = _multi(request, "kind")
    if REFERENCE_KINDS.intersection(kinds):
        raise bad_request("cameras are reference data, not events: GET /api/cameras")
    flt = EventFilter(
        kinds=kinds,
        severities=_multi(request, "severity"),
        districts=_multi(request, "district"),
        statuses=_multi(request, "status"),
        sources=_multi(request, "source"),
        sent_after=_time_param(request, "sent_after"),
    )
    after_seq = int_param(request, "after_seq", 0, 0, 2**62)
    limit = int_param(request, "limit", 100, 1, board.settings.api_max_limit)
    rows = await source.events(flt, after_seq=after_seq, limit=limit)
    next_after = rows[-1][0] if rows else after_seq
    body = b'{"epoch":"%s","head":%d,"next_after_seq":%d,"events":[%s]' % (
        source.epoch.encode(),
        source.head,
        next_after,
        b",".join(b for _, b in rows),
    )
    if request.query.get("workflows") in ("1", "true"):  # e.g. time-to-acknowledge over a day
        ids = [orjson.loads(b)["event_id"] for _, b in rows]
        body += b',"workflows":' + orjson.dumps(await source.workflows_of(ids))
    return web.Response(body=body + b"}", content_type="application/json")


def _stream(request: web.Request) -> LogStore | ReplayStream:
    """The stream a read is about: `?stream=live` (default), `public` or a playing
    `replay:<name>`."""
    board = request.app[BOARD]
    name = request.query.get("stream", "live")
    if name == "live":
        return board.log
    if name == "public" and board.public is not None:
        return board.public.log
    replay = board.replays.stream_of(name)
    if replay is None:
        raise web.HTTPNotFound(
            text=error_body("unknown_stream", f"no stream {name!r} is playing"),
            content_type="application/json",
        )
    return replay


def _situations_of(request: web.Request, source: LogStore | ReplayStream) -> SituationTracker:
    board = request.app[BOARD]
    tracker = source.situations if isinstance(source, ReplayStream) else None
    if source is board.log:
        tracker = board.situations
    if tracker is None:
        raise web.HTTPNotFound(
            text=error_body("unknown_stream", "this stream keeps no situations"),
            content_type="application/json",
        )
    return tracker


async def api_situations(request: web.Request) -> web.Response:
    """The stream's situations and complaint clusters, as the `situations` message carries them."""
    book = _situations_of(request, _stream(request)).book
    return json_response(
        {"seq": book.seq, "situations": book.situations(), "clusters": book.clusters()}
    )


async def api_event_history(request: web.Request) -> web.Response:
    """One event's story: every version and every action on it, oldest first. A situation's or a
    cluster's is its own acts merged with its members' stories (the newest `limit` entries)."""
    board = request.app[BOARD]
    event_id = request.match_info["event_id"]
    limit = int_param(
        request, "limit", board.settings.api_max_limit, 1, board.settings.api_max_limit
    )
    source = _stream(request)
    grouped = None
    if event_id.startswith(GROUP_PREFIXES):
        grouped = _situations_of(request, source).book.get(event_id)
    if grouped is None:
        entries = await source.history(event_id, limit)
        if not entries:
            return error_response(404, "unknown_event", f"no event {event_id!r}")
    else:
        stories = [await source.history(i, limit) for i in [event_id, *grouped["members"]]]
        entries = heapq.nlargest(limit, itertools.chain(*stories), key=lambda e: e.seq)[::-1]
    body = b'{"event_id":%s,"entries":[%s]}' % (
        orjson.dumps(event_id),
        b",".join(e.raw for e in entries),
    )
    return web.Response(body=body, content_type="application/json")


async def api_feeds(request: web.Request) -> web.Response:
    """Health of every feed."""
    return json_response({"feeds": request.app[BOARD].feed_health()})


async def api_districts(request: web.Request) -> web.Response:
    """The district boundaries the board draws (GeoJSON)."""
    return web.Response(
        body=request.app[BOARD].districts.geojson, content_type="application/geo+json"
    )
