"""The aiohttp application: wires the log, the hub, the feeds and the HTTP and websocket endpoints.

One path for every entry: adapter/push → log (commit) → hub (publish) → boards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web
from pydantic import ValidationError

from feeds import registry
from feeds.demo import retirements
from feeds.kit.base import FeedConfig, FeedContext
from feeds.kit.http import Fetcher, SharedSession
from feeds.runner import FeedRunner
from server.districts import Districts
from server.errors import ConfigError, LogError, OfficerImportError
from server.escalation import notifiers
from server.escalation.escalator import Escalator
from server.http import brief, calls, cameras, directory, frontend, public, reads, replays
from server.http.board import BOARD, ESCALATOR, OFFICERS, Board, Officers
from server.http.frontend import add_frontend
from server.http.guard import refuse_cross_site
from server.http.headers import HEADERS, harden, hardening_headers
from server.http.metrics import metrics
from server.http.push import api_push
from server.http.responses import routing_errors
from server.http.serving import CONNECTIONS, ConnectionCap
from server.http.ws import handle_ws
from server.officers import dialers
from server.officers.calls import CallService
from server.officers.store import OfficerStore, default_path
from server.officers.transfer import load_demo
from server.public.publisher import Publisher
from server.public.stream import PublicStream
from server.settings import Settings, config_problems
from server.situations.tracker import SituationTracker
from server.stream import protocol
from server.stream.events import Event, Kind, Status, utcnow
from server.stream.hub import Hub
from server.stream.log import Committed, EventFilter, LogStore
from server.stream.redis import RedisLog
from server.stream.sqlite import EventLog

log = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001


def create_app(settings: Settings) -> web.Application:
    """Build the application; the log opens and feeds start in its cleanup context."""
    connections = ConnectionCap(settings.http_max_connections)
    app = web.Application(
        client_max_size=settings.push_max_body_bytes,
        middlewares=[connections.mark_busy, routing_errors, refuse_cross_site],
        handler_args={  # for every connection, however the app is served
            "keepalive_timeout": settings.http_idle_seconds,
            "lingering_time": settings.http_linger_seconds,
        },
    )
    app[CONNECTIONS] = connections
    hub = Hub(
        buffer_limit_bytes=settings.ws_client_buffer_bytes,
        batch_max_entries=settings.batch_max_entries,
        coalesce_seconds=settings.ws_coalesce_seconds,
    )
    listeners: list[Callable[[list[Committed]], None]] = [hub.publish]
    situations = SituationTracker(
        settings.situations, hub, push_seconds=settings.situations_push_seconds
    )
    hub.on_deliver = situations.feed
    board = Board(
        settings,
        _open_log(settings, listeners),
        hub,
        Districts.load(settings.districts_path),
        situations,
    )
    board.runners = _build_runners(board, board.http)
    if settings.public.enabled:
        board.public = _public_stream(settings, board.log, listeners)
    listeners.append(board.cameras.observe)
    app[BOARD] = board
    app[HEADERS] = hardening_headers(settings)
    app.on_response_prepare.append(harden)
    app[OFFICERS] = _officers(board)
    app[brief.BUILDING] = asyncio.Semaphore(brief.BRIEFS_AT_ONCE)
    token = settings.operator_token
    app[brief.TICKETS] = brief.Tickets.keyed(token.get_secret_value() if token else None)
    app.cleanup_ctx.append(_lifecycle)
    app.cleanup_ctx.append(_officers_lifecycle)  # after the log: calls are logged on events
    if settings.escalation.policies and settings.node_role != "edge":  # nodes that run feeds
        escalator = _escalator(app[OFFICERS])
        listeners.append(escalator.observe)
        situations.on_change = escalator.situations_changed  # from the same book boards see
        app[ESCALATOR] = escalator
        app.cleanup_ctx.append(_escalation_lifecycle)  # after the calls it places
    app.on_shutdown.append(_close_websockets)
    _add_routes(app.router)
    if board.public is not None and settings.public_port is not None:
        app[public.PUBLIC_APP] = public.create_public_app(app)
    return app


def _add_routes(router: web.UrlDispatcher) -> None:
    """Every route the server answers, in one place (server/http/openapi.yaml describes them)."""
    router.add_get("/healthz", reads.healthz)
    router.add_get("/readyz", reads.readyz)
    router.add_get("/metrics", metrics)
    router.add_get("/api/events", reads.api_events)
    router.add_get("/api/events/{event_id}/history", reads.api_event_history)
    router.add_get("/api/feeds", reads.api_feeds)
    router.add_get("/api/situations", reads.api_situations)
    router.add_get("/api/districts", reads.api_districts)
    router.add_get("/api/cameras", cameras.api_cameras)
    router.add_post("/api/push/{source}", api_push)
    router.add_get("/api/officers", directory.api_officers)
    router.add_get("/api/officers/on-duty", directory.api_on_duty)
    router.add_get("/api/officers/export", directory.api_export)
    router.add_post("/api/officers/import", directory.api_import)
    router.add_get("/api/officers/{officer_id}", directory.api_officer)
    router.add_put("/api/officers/{officer_id}", directory.api_put_officer)
    router.add_delete("/api/officers/{officer_id}", directory.api_delete_officer)
    router.add_post("/api/calls", calls.api_start_call)
    router.add_get("/api/calls/{call_id}", calls.api_call)
    router.add_post("/api/calls/{call_id}/hangup", calls.api_hangup)
    router.add_get("/api/replays", replays.list_replays)
    router.add_post("/api/replays", replays.start_replay)
    router.add_get("/api/replays/{name}", replays.replay_status)
    router.add_post("/api/replays/{name}/control", replays.control_replay)
    router.add_delete("/api/replays/{name}", replays.stop_replay)
    router.add_get("/brief", brief.brief_page)
    router.add_get("/brief.css", brief.brief_css)
    router.add_post("/api/brief/link", brief.brief_link)
    router.add_get("/ws", handle_ws)
    router.add_get("/", frontend.index)
    router.add_get("/public", frontend.public_page)
    add_frontend(router)


def _open_log(settings: Settings, listeners: list[Callable[[list[Committed]], None]]) -> LogStore:
    """The embedded SQLite log, or the Redis Streams log shared by several nodes; what they
    commit goes to each listener in turn (the hub first)."""

    def on_commit(entries: list[Committed]) -> None:
        for listener in listeners:
            listener(entries)

    if settings.log_backend == "redis":
        prefix = f"{settings.redis_key_prefix}:live"
        return RedisLog(settings.redis_url, prefix=prefix, on_commit=on_commit)
    return EventLog(
        settings.db_path,
        on_commit=on_commit,
        busy_timeout_seconds=settings.log_busy_timeout_seconds,
    )


def public_db_path(db_path: Path) -> Path:
    """The public stream's SQLite file, beside the live log's: `<db>.public.sqlite3`."""
    return db_path.with_name(db_path.name + ".public.sqlite3")


def _public_stream(
    settings: Settings, live: LogStore, listeners: list[Callable[[list[Committed]], None]]
) -> PublicStream:
    """The public stream: its own log (own seqs and epoch) and hub; nodes that run feeds also
    derive it from the live log, edges only serve it (docs/public.md)."""
    hub = Hub(
        buffer_limit_bytes=settings.ws_client_buffer_bytes,
        batch_max_entries=settings.batch_max_entries,
        coalesce_seconds=settings.ws_coalesce_seconds,
    )
    public_log: LogStore
    if settings.log_backend == "redis":
        prefix = f"{settings.redis_key_prefix}:public"
        public_log = RedisLog(settings.redis_url, prefix=prefix, on_commit=hub.publish)
    else:
        public_log = EventLog(
            public_db_path(settings.db_path),
            on_commit=hub.publish,
            busy_timeout_seconds=settings.log_busy_timeout_seconds,
        )
    stream = PublicStream(settings.public, public_log, hub)
    if settings.node_role != "edge":
        stream.publisher = Publisher(live, public_log, settings.public)
        listeners.append(stream.publisher.committed)
    return stream


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
            problems = config_problems(exc, adapter_class.Options, "options")
            raise ConfigError(f"feed {config.name!r} ({config.adapter}): {problems}") from None
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
        if board.public is not None:
            await _open_public(board, board.public)
        await _fold_situations(board)
        await _fold_cameras(board)
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
        board.situations.close()
        await board.replays.stop_all()
        await board.http.close()
        if board.public is not None:
            await board.public.log.close()
        await board.log.close()


async def _open_public(board: Board, stream: PublicStream) -> None:
    """Open the public log and, on nodes that run feeds, start deriving it."""
    await stream.log.open()
    if hasattr(stream.log, "on_reset"):  # a shared log that can be recreated under us
        stream.log.on_reset = lambda: board.restart_boards("public")
    if stream.publisher is not None:
        board.tasks.append(asyncio.create_task(stream.publisher.run(), name="public-publisher"))


async def _fold_situations(board: Board) -> None:
    """Build the live stream's situations from the whole log, a page at a time (bounded memory);
    what commits meanwhile is held and applied after, in seq order."""
    tracker, page_size = board.situations, board.settings.batch_max_entries
    tracker.hold()
    after, started = board.log.first_seq - 1, asyncio.get_running_loop().time()
    while True:
        page = await board.log.entries_after(after, page_size)
        for entry in page:
            tracker.add(entry.seq, entry.type, entry.event_id, entry.raw)
        if len(page) < page_size:
            break
        after = page[-1].seq
    tracker.release()
    took = asyncio.get_running_loop().time() - started
    log.info(
        "situations folded from the log up to seq %d in %.1f s: %d situations",
        tracker.book.seq,
        took,
        len(tracker.book.situations()),
    )


async def _fold_cameras(board: Board) -> None:
    """Fill the camera registry from the log's current cameras, a page at a time; commits that
    arrive meanwhile reach it through its listener (a version it has is not applied twice)."""
    flt = EventFilter(kinds=(Kind.CAMERA.value,), statuses=(Status.ACTIVE.value,))
    after = 0
    while True:
        rows = await board.log.events(flt, after_seq=after, limit=board.settings.batch_max_entries)
        for _, body in rows:
            board.cameras.apply(orjson.loads(body))
        if len(rows) < board.settings.batch_max_entries:
            break
        after = rows[-1][0]
    if board.cameras.cameras:
        log.info("cameras folded from the log: %d", len(board.cameras.cameras))


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
        if board.public is not None:  # its heartbeat names no feed and no file
            board.public.hub.broadcast(public.heartbeat(problem is None))
        for player in board.replays.players.values():
            player.stream.hub.broadcast(health)
            player.stream.hub.broadcast(protocol.replay_status(player.status()))


async def _close_websockets(app: web.Application) -> None:
    board = app[BOARD]
    board.hub.flush()  # what waits for the coalescing window goes out before the close
    if board.public is not None:
        board.public.hub.flush()
    for connection in list(app[BOARD].connections):
        await connection.ws.close(code=CLOSE_GOING_AWAY, message=b"server shutting down")


def _officers(board: Board) -> Officers:
    """The officer directory and the call service, with the configured dialer."""
    settings = board.settings
    dialer = dialers.load(settings.dialer)(settings, settings.dialer_options)
    store = OfficerStore(settings.officers_db_path or default_path(settings.db_path))
    return Officers(
        board=board,
        store=store,
        calls=CallService(board.log, store, dialer, settings),
        zone=ZoneInfo(settings.city_timezone),
        lookahead=timedelta(days=settings.on_duty_lookahead_days),
    )


async def _officers_lifecycle(app: web.Application) -> AsyncIterator[None]:
    state = app[OFFICERS]
    await state.store.open()
    try:
        await _prepare_directory(state)
        closed = await state.calls.recover()
        if closed:
            log.warning("closed %d call(s) left open by the previous run", closed)
        yield
    finally:
        await state.calls.close()
        await state.store.close()


async def _prepare_directory(state: Officers) -> None:
    """Demo on and the directory empty: load the fictional one. Demo off: drop its entries."""
    if state.board.settings.demo:
        if await state.store.count() == 0:
            try:
                officers = load_demo(state.board.districts)
            except OfficerImportError as exc:  # another city's districts: the demo is Seoul's
                log.warning("demo officer directory not loaded: %s", exc.message)
                return
            await state.store.load(officers, replace=False)
            log.info("loaded the demo officer directory (%d fictional officers)", len(officers))
    else:
        removed = await state.store.delete_demo()
        if removed:
            log.info("demo is off: removed %d demo officers from the directory", len(removed))


def _escalator(state: Officers) -> Escalator:
    """The escalator of the live stream, with the configured notifiers (a bad one fails here)."""
    settings = state.board.settings
    configured = {
        name: notifiers.load(config.plugin)(config.options)
        for name, config in settings.escalation.notifiers.items()
    }
    return Escalator(
        state.board.log,
        settings.escalation,
        state.calls,
        configured,
        zone=state.zone,
        lookahead=state.lookahead,
        call_max_seconds=settings.call_max_seconds,
        situations=state.board.situations.situations,  # folded from the log before it recovers
    )


async def _escalation_lifecycle(app: web.Application) -> AsyncIterator[None]:
    escalator = app[ESCALATOR]
    task = asyncio.create_task(escalator.run(), name="escalator")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await escalator.close()
