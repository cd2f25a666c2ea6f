"""The aiohttp application: wires the log, the hub, the feeds and the HTTP and websocket endpoints.

One path for every entry: adapter/push → log (commit) → hub (publish) → boards.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from pydantic import SecretStr, ValidationError

from feeds import registry
from feeds.demo import retirements
from feeds.kit.base import FeedConfig, FeedContext
from feeds.kit.http import Fetcher, SharedSession
from feeds.push import PushFeed
from feeds.runner import FeedRunner
from server.districts import Districts
from server.errors import ConfigError, LogError
from server.http import replays as replay_api
from server.replay.player import CLOSE_RESET, Replays, ReplayStream
from server.settings import Settings
from server.stream import protocol
from server.stream.events import SOURCE_PATTERN, Event, iso_utc, utcnow
from server.stream.hub import Hub
from server.stream.log import EventFilter, EventLog, LogStore

log = logging.getLogger(__name__)

FRONTEND_DIR = Path(__file__).resolve().parents[2] / "frontend"
SERVER_FIELDS = ("source", "received_at")  # filled by the server on push, never by the sender
MAX_REPORTED_ERRORS = 50
CLOSE_GOING_AWAY = 1001


@dataclass
class Board:
    """Everything one running server holds; stored on the app under `BOARD`."""

    settings: Settings
    log: LogStore
    hub: Hub
    districts: Districts
    runners: list[FeedRunner] = field(default_factory=list)
    http: SharedSession = field(default_factory=SharedSession)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    connections: set[Any] = field(default_factory=set)
    closing: set[asyncio.Future[bool]] = field(default_factory=set)
    replays: Replays = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.replays = Replays(
            ring_entries=s.resume_max_entries,
            buffer_limit_bytes=s.ws_client_buffer_bytes,
            batch_max_entries=s.batch_max_entries,
            max_replays=s.max_replays,
        )
        self.replays.on_reset = lambda name: self.restart_boards(f"replay:{name}")
        if hasattr(self.log, "on_reset"):  # a shared log that can be recreated under us
            self.log.on_reset = lambda: self.restart_boards("live")

    def restart_boards(self, stream: str) -> None:
        """A stream's history was replaced (a replay sought or stopped, a shared log recreated):
        its boards reconnect (4009) and start from a fresh snapshot."""
        for connection in list(self.connections):
            if connection.stream_name == stream:
                closing = connection.ws.close(code=CLOSE_RESET, message=b"reset")
                task = asyncio.ensure_future(closing)
                self.closing.add(task)
                task.add_done_callback(self.closing.discard)

    def feed_health(self) -> list[dict[str, Any]]:
        """Health of every running feed, for the API and the websocket."""
        now = utcnow()
        return [r.health.as_json(now) for r in self.runners]


BOARD = web.AppKey("board", Board)


def create_app(settings: Settings) -> web.Application:
    """Build the application; the log opens and feeds start in its cleanup context."""
    app = web.Application(client_max_size=settings.push_max_body_bytes)
    hub = Hub(
        buffer_limit_bytes=settings.ws_client_buffer_bytes,
        batch_max_entries=settings.batch_max_entries,
    )
    event_log = _open_log(settings, hub)
    board = Board(settings, event_log, hub, Districts.load(settings.districts_path))
    board.runners = _build_runners(board, board.http)
    app[BOARD] = board
    app.cleanup_ctx.append(_lifecycle)
    app.on_shutdown.append(_close_websockets)

    from server.http.officers import setup as setup_officers
    from server.http.ws import handle_ws

    setup_officers(app, board)  # the officer directory and calls (after the log in cleanup_ctx)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/events", api_events)
    app.router.add_get("/api/events/{event_id}/history", api_event_history)
    app.router.add_get("/api/feeds", api_feeds)
    app.router.add_get("/api/districts", api_districts)
    app.router.add_post("/api/push/{source}", api_push)
    app.router.add_get("/ws", handle_ws)
    replay_api.setup(app)
    app.router.add_get("/", index)
    if FRONTEND_DIR.is_dir():
        app.router.add_static("/", FRONTEND_DIR, append_version=False)
    return app


def _open_log(settings: Settings, hub: Hub) -> LogStore:
    """The embedded SQLite log, or the Redis Streams log shared by several nodes."""
    if settings.log_backend == "redis":
        from server.stream.redis import RedisLog

        prefix = f"{settings.redis_key_prefix}:live"
        return RedisLog(settings.redis_url, prefix=prefix, on_commit=hub.publish)
    return EventLog(settings.db_path, on_commit=hub.publish)


def _feed_configs(settings: Settings) -> list[FeedConfig]:
    if settings.node_role == "edge":  # edges serve boards; ingest nodes run the feeds
        return []
    demo = FeedConfig(
        name="demo", adapter="demo", sla_seconds=120, options={"speed": settings.demo_speed}
    )
    return ([demo] if settings.demo else []) + list(settings.feeds)


def _build_runners(board: Board, http: SharedSession) -> list[FeedRunner]:
    """An adapter and runner per configured feed; a bad config fails here, before serving."""
    runners = []
    for config in _feed_configs(board.settings):
        adapter_class = registry.load(config.adapter)
        fetcher = Fetcher(
            http,
            timeout_seconds=config.timeout_seconds,
            max_body_bytes=config.max_body_bytes,
            headers=config.resolved_headers,
        )
        try:
            adapter = adapter_class(FeedContext(config, board.districts, fetcher))
        except ValidationError as exc:
            raise ConfigError(f"feed {config.name!r} ({config.adapter}): {exc}") from None
        runners.append(
            FeedRunner(
                adapter,
                board.log.append,
                districts=board.districts,
                load_active=partial(_active_events, board.log),
            )
        )
    return runners


async def _active_events(event_log: LogStore, source: str) -> list[Event]:
    """What the log holds active for a source, so a restarted runner diffs against it."""
    flt = EventFilter(sources=(source,), statuses=("active",))
    rows = await event_log.events(flt, after_seq=0, limit=100_000)
    return [Event.model_validate_json(body) for _, body in rows]


async def _retain(board: Board) -> None:
    """Apply the retention settings now and then; a failure is logged and tried again later."""
    s = board.settings
    while True:
        older_than = utcnow() - timedelta(days=s.retention_days) if s.retention_days else None
        try:
            dropped = await board.log.prune(
                older_than=older_than, keep_entries=s.retention_max_entries or None
            )
        except LogError as exc:
            log.error("%s", exc.message)
        else:
            if dropped:
                log.info(
                    "retention dropped %d log entries; the log now starts at seq %d",
                    dropped,
                    board.log.first_seq,
                )
        await asyncio.sleep(s.retention_check_seconds)


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    board = app[BOARD]
    await board.log.open()
    log.info("log %s open: epoch %s, head %d", board.log.location, board.log.epoch, board.log.head)
    try:  # from here on, a failure must still close the log, or its writer keeps the process alive
        if board.settings.demo:
            await _retire_previous_demo(board)
        for runner in board.runners:
            name = f"feed-{runner.health.name}"
            board.tasks.append(asyncio.create_task(runner.run(), name=name))
        board.tasks.append(asyncio.create_task(_broadcast_health(board), name="feed-health"))
        s = board.settings
        if (s.retention_days or s.retention_max_entries) and s.node_role != "edge":
            board.tasks.append(asyncio.create_task(_retain(board), name="log-retention"))
        yield
    finally:
        for task in board.tasks:
            task.cancel()
        for task in board.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await board.replays.stop_all()
        await board.http.close()
        await board.log.close()


async def _retire_previous_demo(board: Board) -> None:
    """Expire what a previous run's demo left active, so restarts do not pile up demo events."""
    leftovers = await _active_events(board.log, "demo")
    if leftovers:
        await board.log.append(retirements(leftovers, utcnow()))


async def _broadcast_health(board: Board) -> None:
    """Feed health to every board every few seconds (their heartbeat), and to replay boards the
    player's state too, so a paused replay is not mistaken for a frozen wall."""
    while True:
        await asyncio.sleep(board.settings.feeds_broadcast_seconds)
        problem = board.log.problem
        health = protocol.feeds(board.feed_health(), {"ok": problem is None, "problem": problem})
        board.hub.broadcast(health)
        for player in board.replays.players.values():
            player.stream.hub.broadcast(health)
            player.stream.hub.broadcast(protocol.replay_status(player.status()))


async def _close_websockets(app: web.Application) -> None:
    for connection in list(app[BOARD].connections):
        await connection.ws.close(code=CLOSE_GOING_AWAY, message=b"server shutting down")


# ------------------------------------------------------------------------------ HTTP


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def _error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return _json({"error": {"code": code, "message": message, **extra}}, status)


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return _json({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: the log is open and its writer alive, so appends will be committed."""
    board = request.app[BOARD]
    try:
        await board.log.current_event("readyz:probe")
        writer_alive = board.log.writing
    except Exception as exc:
        return _error(503, "not_ready", f"log unavailable: {exc}")
    if not writer_alive:
        return _error(503, "not_ready", "the log writer is not running")
    return _json(
        {
            "status": "ready",
            "epoch": board.log.epoch,
            "head": board.log.head,
            "feeds": len(board.runners),
        }
    )


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition: the numbers an operator alerts on."""
    board = request.app[BOARD]
    lines = [
        "# HELP cityboard_log_head_seq Last committed seq of the live stream.",
        "# TYPE cityboard_log_head_seq gauge",
        f"cityboard_log_head_seq {board.log.head}",
        "# HELP cityboard_log_first_seq Oldest seq still held (retention raises it).",
        "# TYPE cityboard_log_first_seq gauge",
        f"cityboard_log_first_seq {board.log.first_seq}",
        "# HELP cityboard_log_pruned_total Entries dropped by retention since start.",
        "# TYPE cityboard_log_pruned_total counter",
        f"cityboard_log_pruned_total {board.log.pruned}",
        "# HELP cityboard_log_commits_total Transactions committed (group commits).",
        "# TYPE cityboard_log_commits_total counter",
        f"cityboard_log_commits_total {board.log.commits}",
        "# HELP cityboard_boards Websocket connections open.",
        "# TYPE cityboard_boards gauge",
        f"cityboard_boards {len(board.connections)}",
        "# HELP cityboard_slow_boards_closed_total Boards closed with 4008 for falling behind.",
        "# TYPE cityboard_slow_boards_closed_total counter",
        f"cityboard_slow_boards_closed_total {board.hub.slow_closed}",
        "# HELP cityboard_replays Replays playing.",
        "# TYPE cityboard_replays gauge",
        f"cityboard_replays {len(board.replays.players)}",
    ]
    per_feed = (
        ("feed_up", "gauge", "1 when the feed's last poll succeeded", lambda h: h["state"] == "ok"),
        ("feed_stale", "gauge", "1 when the feed is older than its SLA", lambda h: h["stale"]),
        (
            "feed_age_seconds",
            "gauge",
            "Seconds since the feed's last success",
            lambda h: h["age_seconds"] if h["age_seconds"] is not None else float("nan"),
        ),
        ("feed_events_total", "counter", "Events the feed added", lambda h: h["events_emitted"]),
        (
            "feed_rejected_documents_total",
            "counter",
            "Documents the feed rejected",
            lambda h: h["documents_rejected"],
        ),
        (
            "feed_consecutive_failures",
            "gauge",
            "Failures since the last success",
            lambda h: h["consecutive_failures"],
        ),
    )
    health = board.feed_health()
    for name, kind, text, value in per_feed:
        lines += [f"# HELP cityboard_{name} {text}.", f"# TYPE cityboard_{name} {kind}"]
        lines += [f'cityboard_{name}{{feed="{h["name"]}"}} {float(value(h)):g}' for h in health]
    return web.Response(
        text="\n".join(lines) + "\n",
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def _multi(request: web.Request, name: str) -> tuple[str, ...]:
    values = [v for raw in request.query.getall(name, []) for v in raw.split(",") if v]
    return tuple(values)


def _bad_parameter(message: str) -> web.HTTPBadRequest:
    """The 400 for a query parameter that cannot be used, in the API's error shape."""
    error = {"error": {"code": "bad_parameter", "message": message}}
    return web.HTTPBadRequest(text=orjson.dumps(error).decode(), content_type="application/json")


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high], or a 400 that says which and why."""
    raw = request.query.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise _bad_parameter(f"{name} must be an integer between {low} and {high}")
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
        raise _bad_parameter(
            f"{name} must be an ISO 8601 time with a zone, e.g. 2026-11-29T00:00:00Z"
        )
    return iso_utc(moment)


async def api_events(request: web.Request) -> web.Response:
    """Latest versions of events, filtered, paged by the seq of their last change."""
    board = request.app[BOARD]
    flt = EventFilter(
        kinds=_multi(request, "kind"),
        severities=_multi(request, "severity"),
        districts=_multi(request, "district"),
        statuses=_multi(request, "status"),
        sources=_multi(request, "source"),
        sent_after=_time_param(request, "sent_after"),
    )
    after_seq = _int_param(request, "after_seq", 0, 0, 2**62)
    limit = _int_param(request, "limit", 100, 1, board.settings.api_max_limit)
    source = _stream(request)
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
    """The stream a read is about: `?stream=live` (default) or a playing `replay:<name>`."""
    board = request.app[BOARD]
    name = request.query.get("stream", "live")
    if name == "live":
        return board.log
    replay = board.replays.stream_of(name)
    if replay is None:
        body = orjson.dumps(
            {"error": {"code": "unknown_stream", "message": f"no stream {name!r} is playing"}}
        ).decode()
        raise web.HTTPNotFound(text=body, content_type="application/json")
    return replay


async def api_event_history(request: web.Request) -> web.Response:
    """One event's story: every version and every action on it, oldest first."""
    board = request.app[BOARD]
    event_id = request.match_info["event_id"]
    limit = _int_param(
        request, "limit", board.settings.api_max_limit, 1, board.settings.api_max_limit
    )
    entries = await _stream(request).history(event_id, limit)
    if not entries:
        return _error(404, "unknown_event", f"no event {event_id!r}")
    body = b'{"event_id":%s,"entries":[%s]}' % (
        orjson.dumps(event_id),
        b",".join(e.raw for e in entries),
    )
    return web.Response(body=body, content_type="application/json")


async def api_feeds(request: web.Request) -> web.Response:
    """Health of every feed."""
    return _json({"feeds": request.app[BOARD].feed_health()})


async def api_districts(request: web.Request) -> web.Response:
    """The district boundaries the board draws (GeoJSON)."""
    return web.Response(
        body=request.app[BOARD].districts.geojson, content_type="application/geo+json"
    )


async def index(request: web.Request) -> web.StreamResponse:
    """The board page."""
    page = FRONTEND_DIR / "index.html"
    if not page.is_file():
        return web.Response(status=500, text=f"frontend missing: {page}\n")
    return web.FileResponse(page)


def _authorize(request: web.Request, expected: SecretStr | None) -> web.Response | None:
    """None when the bearer token matches `expected`; otherwise the 401/403 answer."""
    if expected is None:
        return _error(
            403, "push_disabled", "push ingest is off: set push_token or CITYBOARD_PUSH_TOKEN"
        )
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        response = _error(401, "unauthorized", "send Authorization: Bearer <push token>")
        response.headers["WWW-Authenticate"] = 'Bearer realm="cityboard push"'
        return response
    if not hmac.compare_digest(token.strip().encode(), expected.get_secret_value().encode()):
        return _error(403, "forbidden", "the push token is not valid")
    return None


async def api_push(request: web.Request) -> web.Response:
    """Ingest one event or an array of events for `source`; all are stored or none.

    A source configured as a `push` feed uses its own token and health; any other name uses the
    global push token; a pulled feed's name is refused.
    """
    board = request.app[BOARD]
    settings = board.settings
    source = request.match_info["source"]
    runner = next((r for r in board.runners if r.health.name == source), None)
    feed = runner.adapter if runner is not None else None
    if feed is not None and not isinstance(feed, PushFeed):
        return _error(409, "source_taken", f"{source!r} is a pulled feed; push under another name")
    expected = feed.token if isinstance(feed, PushFeed) else settings.push_token
    denied = _authorize(request, expected)
    if denied is not None:
        return denied
    if not re.match(SOURCE_PATTERN, source):
        return _error(400, "invalid_source", f"source must match {SOURCE_PATTERN}")
    if request.content_length is not None and request.content_length > settings.push_max_body_bytes:
        return _error(413, "too_large", f"body over {settings.push_max_body_bytes} bytes")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "too_large", f"body over {settings.push_max_body_bytes} bytes")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return _error(400, "bad_json", f"body is not JSON: {exc}")
    items = data if isinstance(data, list) else [data]
    if not items:
        return _error(400, "invalid_event", "no events in the body")
    if len(items) > settings.push_max_events:
        return _error(
            413, "too_many_events", f"at most {settings.push_max_events} events a request"
        )
    events, errors = _validate_pushed(items, source, board.districts)
    if errors:
        return _error(
            400,
            "invalid_event",
            f"{len({e['index'] for e in errors})} of {len(items)} events are invalid;"
            " nothing from this request was stored",
            errors=errors[:MAX_REPORTED_ERRORS],
        )
    try:
        results = await (runner.ingest(events) if runner is not None else board.log.append(events))
    except LogError as exc:
        return _error(
            503,
            "log_unavailable",
            f"the log cannot take events now ({exc.message}); send them again later — a re-send"
            " of the same version is answered as a duplicate, never stored twice",
        )
    return _json(
        {
            "head": board.log.head,
            "results": [
                {"event_id": ev.event_id, "seq": r.seq, "outcome": r.outcome}
                for ev, r in zip(events, results, strict=True)
            ],
        },
        202,
    )


def _validate_pushed(
    items: list[Any], source: str, districts: Districts
) -> tuple[list[Event], list[dict[str, Any]]]:
    """Turn pushed objects into events (server fills source, received_at, id prefix, district)."""
    now = iso_utc(utcnow())
    events: list[Event] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append({"index": index, "loc": [], "msg": "an event is a JSON object"})
            continue
        reserved = [k for k in SERVER_FIELDS if k in item]
        if reserved:
            errors.append(
                {
                    "index": index,
                    "loc": reserved,
                    "msg": f"{', '.join(reserved)} is filled by the server; leave it out",
                }
            )
            continue
        external = item.get("event_id")
        if not isinstance(external, str) or not external:
            errors.append(
                {
                    "index": index,
                    "loc": ["event_id"],
                    "msg": "event_id (the source's own id) is required",
                }
            )
            continue
        try:
            event = Event.model_validate(
                {**item, "source": source, "received_at": now, "event_id": f"{source}:{external}"}
            )
        except ValidationError as exc:
            errors.extend(
                {"index": index, "loc": list(e["loc"]), "msg": e["msg"]}
                for e in exc.errors(include_url=False, include_input=False)
            )
            continue
        if event.district is None and event.point is not None:
            code = districts.locate(*event.point)
            if code is not None:
                event = event.model_copy(update={"district": code})
        events.append(event)
    return events, errors
