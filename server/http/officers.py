"""HTTP API of the officer directory and of calls (docs/officers.md, server/openapi.yaml).

Reads are as open as the rest of the board's API, except officers' phone numbers and SIP addresses,
which only operators see. Directory edits need the admin token (off when
`admin_token` is unset, like push). Calls need the operator role (server/roles.py): the operator
or admin token, or — when no operator token is configured — a request from this machine; always
from the board's own origin.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web
from pydantic import ValidationError

from server.errors import CityboardError, LogError
from server.http import roles
from server.http.app import BOARD, Board, _error, _json
from server.http.ws import origin_allowed
from server.officers import dialers
from server.officers.calls import CallError, CallFailed, CallRecord, CallService
from server.officers.dialers.base import OUTCOMES, Outcome
from server.officers.directory import (
    CITY_WIDE,
    COVERABLE_KINDS,
    Format,
    Officer,
    OfficerImportError,
    OfficerStore,
    RawRow,
    default_path,
    duty_of,
    export_csv,
    export_toml,
    load_demo,
    order_key,
    parse_file,
    resolve,
    row_errors,
)
from server.replay.player import ReplayStream
from server.stream.events import CATEGORIES, Action, ActionName, Kind, iso_utc, utcnow

log = logging.getLogger(__name__)

CONTENT_TYPES: dict[str, Format] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/toml": "toml",
    "text/toml": "toml",
    "text/x-toml": "toml",
}
MAX_CALL_BODY_BYTES = 16 * 1024


@dataclass
class Officers:
    """The directory and the calls of one running server; stored on the app under OFFICERS."""

    board: Board
    store: OfficerStore
    calls: CallService
    zone: ZoneInfo
    lookahead: timedelta


OFFICERS = web.AppKey("officers", Officers)


def setup(app: web.Application, board: Board) -> None:
    """Add the directory and call routes, and open the directory with the app."""
    settings = board.settings
    dialer = dialers.load(settings.dialer)(settings, settings.dialer_options)
    store = OfficerStore(settings.officers_db_path or default_path(settings.db_path))
    app[OFFICERS] = Officers(
        board=board,
        store=store,
        calls=CallService(board.log, store, dialer, settings),
        zone=ZoneInfo(settings.city_timezone),
        lookahead=timedelta(days=settings.on_duty_lookahead_days),
    )
    app.cleanup_ctx.append(_lifecycle)
    router = app.router
    router.add_get("/api/officers", api_officers)
    router.add_get("/api/officers/on-duty", api_on_duty)
    router.add_get("/api/officers/export", api_export)
    router.add_post("/api/officers/import", api_import)
    router.add_get("/api/officers/{officer_id}", api_officer)
    router.add_put("/api/officers/{officer_id}", api_put_officer)
    router.add_delete("/api/officers/{officer_id}", api_delete_officer)
    router.add_post("/api/calls", api_start_call)
    router.add_get("/api/calls/{call_id}", api_call)
    router.add_post("/api/calls/{call_id}/hangup", api_hangup)


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
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


# --------------------------------------------------------------------------- helpers


def _unauthorized(what: str) -> web.Response:
    response = _error(401, "unauthorized", f"send Authorization: Bearer <{what} token>")
    response.headers["WWW-Authenticate"] = f'Bearer realm="cityboard {what}"'
    return response


def _require_admin(request: web.Request) -> web.Response | None:
    """None when the request carries the admin token; otherwise the 401/403 answer."""
    settings = request.app[BOARD].settings
    if settings.admin_token is None:
        return _error(
            403,
            "admin_disabled",
            "editing the directory over HTTP is off: set CITYBOARD_ADMIN_TOKEN, or use"
            " `cityboard officers import FILE`",
        )
    token = roles.bearer(request)
    if token is None:
        return _unauthorized("admin")
    if not roles.matches(token, settings.admin_token):
        return _error(403, "forbidden", "the admin token is not valid")
    return None


def _require_operator(request: web.Request) -> web.Response | None:
    """None when the request may start or end calls; otherwise the 401/403 answer."""
    settings = request.app[BOARD].settings
    if not origin_allowed(request.headers.get("Origin"), request.host, settings.allowed_origins):
        return _error(403, "origin_not_allowed", "calls are started from the board's own origin")
    try:
        role = roles.role_of(settings, roles.bearer(request), local=roles.is_local(request))
    except roles.BadToken:
        return _error(403, "forbidden", "the operator token is not valid")
    if roles.at_least(role, "operator"):
        return None
    if settings.operator_token is not None:
        return _unauthorized("operator")
    return _error(
        403,
        "operator_token_required",
        "calls from other machines need the operator token: set CITYBOARD_OPERATOR_TOKEN on the"
        " server and send Authorization: Bearer <token>",
    )


def _sees_contacts(request: web.Request) -> bool:
    """Operators see officers' phone numbers (they call them); viewers see who, not how."""
    role = roles.request_role(request.app[BOARD].settings, request)
    return roles.at_least(role, "operator")


def _bad(message: str, code: str = "bad_parameter") -> web.HTTPBadRequest:
    body = orjson.dumps({"error": {"code": code, "message": message}}).decode()
    return web.HTTPBadRequest(text=body, content_type="application/json")


def _at(request: web.Request) -> datetime:
    raw = request.query.get("at")
    if not raw:
        return utcnow()
    try:
        at = datetime.fromisoformat(raw.replace(" ", "+"))  # a '+' in a query string arrives as ' '
    except ValueError:
        raise _bad(
            f"at {raw!r} is not an ISO 8601 time such as 2026-03-08T09:00:00+09:00"
        ) from None
    if at.tzinfo is None:
        raise _bad(f"at {raw!r} has no zone; add Z or an offset such as +09:00")
    return at


def _district(request: web.Request) -> str | None:
    raw = request.query.get("district", "").strip()
    if not raw:
        return None
    if raw == CITY_WIDE:
        return raw
    districts = request.app[BOARD].districts
    code = raw if raw in districts.by_code else districts.by_name(raw)
    if code is None:
        raise _bad(f"unknown district {raw!r}; use a code from /api/districts, or *")
    return code


def _kind(request: web.Request) -> tuple[str | None, str | None]:
    kind = request.query.get("kind", "").strip() or None
    category = request.query.get("category", "").strip() or None
    if category is not None:
        prefix, _, sub = category.partition(".")
        if prefix not in COVERABLE_KINDS or sub not in CATEGORIES[Kind(prefix)]:
            raise _bad(f"unknown category {category!r}")
        if kind is not None and kind != prefix:
            raise _bad(f"category {category!r} is not of kind {kind!r}")
        kind = prefix
    if kind is not None and kind not in COVERABLE_KINDS:
        raise _bad(f"unknown kind {kind!r}; use {', '.join(COVERABLE_KINDS)}")
    return kind, category


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
        error = {"code": "too_large", "message": f"body over {MAX_CALL_BODY_BYTES} bytes"}
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_CALL_BODY_BYTES,
            actual_size=request.content_length or MAX_CALL_BODY_BYTES + 1,
            text=orjson.dumps({"error": error}).decode(),
            content_type="application/json",
        ) from None
    if not raw.strip():
        if required:
            raise _bad("send a JSON object", "bad_json")
        return {}
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(
            text=orjson.dumps(
                {
                    "error": {
                        "code": "unsupported_media_type",
                        "message": "send the body as Content-Type: application/json",
                    }
                }
            ).decode(),
            content_type="application/json",
        )
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _bad(f"body is not JSON: {exc}", "bad_json") from None
    if not isinstance(data, dict):
        raise _bad("the body is a JSON object", "bad_json")
    return data


# ---------------------------------------------------------------------- the directory


def _search(officer: Officer, needle: str) -> bool:
    haystack = " ".join(
        (
            officer.id,
            officer.name_ko,
            officer.name_en,
            officer.role,
            officer.department,
            officer.phone,
        )
    ).lower()
    return needle in haystack


async def api_officers(request: web.Request) -> web.Response:
    """The directory, filtered, each officer with their duty at `at` (default now)."""
    state = request.app[OFFICERS]
    at = _at(request)
    district = _district(request)
    kind, category = _kind(request)
    department = request.query.get("department", "").strip()
    needle = request.query.get("q", "").strip().lower()
    officers = [
        o
        for o in await state.store.all()
        if o.covers(district, kind, category)
        and (not department or o.department == department)
        and (not needle or _search(o, needle))
    ]
    officers.sort(key=lambda o: (o.department, *order_key(o)))
    contact = _sees_contacts(request)
    return _json(
        {
            "at": iso_utc(at),
            "officers": [
                o.public(duty_of(o, at, state.zone, state.lookahead), contact=contact)
                for o in officers
            ],
        }
    )


async def api_on_duty(request: web.Request) -> web.Response:
    """Who is on duty for a district and kind at `at`, who is next, and the escalation order."""
    state = request.app[OFFICERS]
    at = _at(request)
    district = _district(request)
    kind, category = _kind(request)
    answer = resolve(
        await state.store.all(),
        at=at,
        zone=state.zone,
        lookahead=state.lookahead,
        district=district,
        kind=kind,
        category=category,
    )
    return _json(answer.as_json(contact=_sees_contacts(request)))


async def api_export(request: web.Request) -> web.Response:
    """The whole directory as CSV or TOML, in the form `import` reads (operators: it holds
    everyone's phone numbers)."""
    if not _sees_contacts(request):
        return _error(403, "forbidden", "the export holds phone numbers: operators only")
    state = request.app[OFFICERS]
    fmt = request.query.get("format", "toml")
    officers = await state.store.all()
    if fmt == "csv":
        text, content_type = export_csv(officers), "text/csv"
    elif fmt == "toml":
        text, content_type = export_toml(officers), "application/toml"
    else:
        raise _bad("format is csv or toml")
    response = web.Response(text=text, content_type=content_type, charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="officers.{fmt}"'
    return response


async def api_import(request: web.Request) -> web.Response:
    """Import a CSV or TOML directory file: all rows or none (admin)."""
    denied = _require_admin(request)
    if denied is not None:
        return denied
    state = request.app[OFFICERS]
    settings = state.board.settings
    fmt_name = request.query.get("format") or CONTENT_TYPES.get(request.content_type)
    if fmt_name not in ("csv", "toml"):
        return _error(
            415,
            "unsupported_media_type",
            "send the file as Content-Type text/csv or application/toml (or add ?format=csv|toml)",
        )
    mode = request.query.get("mode", "merge")
    if mode not in ("merge", "replace"):
        return _error(400, "bad_parameter", "mode is merge (add and update) or replace")
    dry_run = request.query.get("dry_run", "") in ("1", "true", "yes")
    try:
        raw = await _read_limited(request, settings.officers_import_max_bytes)
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "too_large", f"file over {settings.officers_import_max_bytes} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _error(400, "bad_encoding", f"the file is not UTF-8: {exc}")
    try:
        officers = parse_file(text, cast(Format, fmt_name), state.board.districts)
    except OfficerImportError as exc:
        return _error(400, exc.code, exc.message, errors=[e.as_json() for e in exc.errors])
    if dry_run:
        return _json({"dry_run": True, "valid": len(officers), "mode": mode})
    summary = await state.store.load(officers, replace=mode == "replace")
    return _json({"mode": mode, **summary.as_json()})


async def api_officer(request: web.Request) -> web.Response:
    """One officer, with their calendar and their duty at `at`."""
    state = request.app[OFFICERS]
    officer = await state.store.get(request.match_info["officer_id"])
    if officer is None:
        return _error(404, "unknown_officer", f"no officer {request.match_info['officer_id']!r}")
    at = _at(request)
    duty = duty_of(officer, at, state.zone, state.lookahead)
    return _json(officer.public(duty, with_calendar=True, contact=_sees_contacts(request)))


async def api_put_officer(request: web.Request) -> web.Response:
    """Create or replace one officer (admin)."""
    denied = _require_admin(request)
    if denied is not None:
        return denied
    state = request.app[OFFICERS]
    officer_id = request.match_info["officer_id"]
    data = await _json_body(request, required=True)
    if data.setdefault("id", officer_id) != officer_id:
        return _error(400, "id_mismatch", f"the body's id {data['id']!r} is not {officer_id!r}")
    try:
        officer = Officer.model_validate(data, context={"districts": state.board.districts})
    except ValidationError as exc:
        errors = [e.as_json() for e in row_errors(exc, RawRow(1, data), officer_id)]
        return _error(
            400,
            "invalid_officer",
            f"officer {officer_id!r} is invalid: {errors[0]['field']}: {errors[0]['message']}",
            errors=errors,
        )
    created = await state.store.put(officer)
    duty = duty_of(officer, utcnow(), state.zone, state.lookahead)
    return _json(officer.public(duty, with_calendar=True), 201 if created else 200)


async def api_delete_officer(request: web.Request) -> web.Response:
    """Remove one officer (admin); calls already made stay on the record."""
    denied = _require_admin(request)
    if denied is not None:
        return denied
    officer_id = request.match_info["officer_id"]
    if not await request.app[OFFICERS].store.delete(officer_id):
        return _error(404, "unknown_officer", f"no officer {officer_id!r}")
    return web.Response(status=204)


# ----------------------------------------------------------------------------- calls


async def api_start_call(request: web.Request) -> web.Response:
    """Call an officer about an event through the configured dialer (operator)."""
    denied = _require_operator(request)
    if denied is not None:
        return denied
    state = request.app[OFFICERS]
    data = await _json_body(request, required=True)
    event_id, officer_id = data.get("event_id"), data.get("officer_id")
    actor = data.get("actor", "operator")
    for name, value in (("event_id", event_id), ("officer_id", officer_id), ("actor", actor)):
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            return _error(400, "bad_call", f"{name} is required: a non-empty string")
    assert isinstance(event_id, str) and isinstance(officer_id, str) and isinstance(actor, str)
    stream = data.get("stream", "live")
    record: CallRecord | None = None
    if stream != "live":
        drill = await _drill(request, str(stream), event_id)
        if isinstance(drill, web.Response):
            return drill
        if not drill.real_calls:
            return await _simulated_call(request, drill, event_id, officer_id, actor.strip()[:100])
        record = drill
    try:
        call = await state.calls.start(event_id, officer_id, actor.strip()[:100], record=record)
    except CallError as exc:
        return _error(exc.status, exc.code, exc.message)
    except CallFailed as exc:
        return _error(502, exc.code, exc.message, call=exc.call.as_json())
    except LogError as exc:
        return _error(503, "log_unavailable", f"the call could not be recorded: {exc.message}")
    return _json({**call.as_json(), "stream": stream}, 202)


async def _drill(request: web.Request, stream: str, event_id: str) -> ReplayStream | web.Response:
    """The exercise stream a call on a replay is made on, or why none can be."""
    replay = request.app[BOARD].replays.stream_of(stream)
    if replay is None:
        return _error(404, "unknown_stream", f"no stream {stream!r} is playing")
    if not replay.exercise:
        return _error(
            409,
            "not_an_exercise",
            "calls are placed from the live board; a replay of the past places none",
        )
    if await replay.current_event(event_id) is None:
        return _error(404, "unknown_event", f"no event {event_id!r} on {stream}")
    return replay


async def _simulated_call(
    request: web.Request, drill: ReplayStream, event_id: str, officer_id: str, actor: str
) -> web.Response:
    """A call on a drill that does not ring real phones: logged to the drill's stream as made
    and simulated, so the exercise's record shows who would have been called."""
    officer = await request.app[OFFICERS].store.get(officer_id)
    if officer is None:
        return _error(404, "unknown_officer", f"no officer {officer_id!r} in the directory")
    call_id = f"drill-{secrets.token_hex(6)}"
    now = utcnow()
    common = {"call_id": call_id, "officer_id": officer.id, "dialer": "drill", "simulated": True}
    await drill.append(
        [
            Action(
                action=ActionName.CALL_STARTED,
                event_id=event_id,
                actor=actor,
                at=now,
                data={
                    **common,
                    "officer_name": officer.name_ko,
                    "officer_name_en": officer.name_en,
                    "role": officer.role,
                    "level": officer.level.value,
                },
            ),
            Action(
                action=ActionName.CALL_ENDED,
                event_id=event_id,
                actor="dialer:drill",
                at=now,
                data={
                    **common,
                    "outcome": "simulated",
                    "duration_s": 0.0,
                    "reason": "an exercise: the call was logged, no phone rang",
                    "reason_code": "simulated",
                },
            ),
        ]
    )
    return _json(
        {"call_id": call_id, "dialer": "drill", "status": "simulated", "stream": drill.stream}, 202
    )


async def api_call(request: web.Request) -> web.Response:
    """Where one call stands."""
    call = request.app[OFFICERS].calls.get(request.match_info["call_id"])
    if call is None:
        return _error(404, "unknown_call", f"no call {request.match_info['call_id']!r}")
    return _json(call.as_json(contact=_sees_contacts(request)))


async def api_hangup(request: web.Request) -> web.Response:
    """End a call (operator); for a handed-off tel: call, say how it went with `outcome`."""
    denied = _require_operator(request)
    if denied is not None:
        return denied
    data = await _json_body(request, required=False)
    outcome = data.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        return _error(400, "bad_outcome", f"outcome is one of {', '.join(OUTCOMES)}")
    try:
        call = await request.app[OFFICERS].calls.hangup(
            request.match_info["call_id"], cast(Outcome | None, outcome)
        )
    except CallError as exc:
        return _error(exc.status, exc.code, exc.message)
    except CityboardError as exc:
        return _error(503, exc.code, exc.message)
    return _json(call.as_json())
