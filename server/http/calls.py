"""HTTP API of calls: place one about an event (operators), follow it, hang it up.

Calls need the operator role (server/http/roles.py): the operator or admin token, or — when no
operator token is configured — a request from this machine; always from the board's own origin.
On a drill's stream a call is simulated and logged there, unless the drill rings real phones.
"""

from __future__ import annotations

import secrets
from typing import cast

from aiohttp import web

from server.errors import CallError, CityboardError, LogError
from server.http.board import BOARD, OFFICERS
from server.http.bodies import json_body
from server.http.guard import JSON, accepts
from server.http.responses import error_response, json_response
from server.http.roles import require_operator, sees_contacts
from server.officers.calls import CallFailed, CallRecord
from server.officers.dialers.base import OUTCOMES, Outcome
from server.replay.stream import ReplayStream
from server.situations.tracker import SituationTracker
from server.stream.events import Action, ActionName, utcnow
from server.stream.log import LogStore


@accepts(JSON)
async def api_start_call(request: web.Request) -> web.Response:
    """Call an officer about an event through the configured dialer (operator)."""
    denied = require_operator(request)
    if denied is not None:
        return denied
    state = request.app[OFFICERS]
    data = await json_body(request, required=True)
    event_id, officer_id = data.get("event_id"), data.get("officer_id")
    actor = data.get("actor", "operator")
    for name, value in (("event_id", event_id), ("officer_id", officer_id), ("actor", actor)):
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            return error_response(400, "bad_call", f"{name} is required: a non-empty string")
    assert isinstance(event_id, str) and isinstance(officer_id, str) and isinstance(actor, str)
    stream = data.get("stream", "live")
    record: CallRecord | None = None
    if stream == "live":
        board = request.app[BOARD]
        if not await _about(board.log, board.situations, event_id):
            return error_response(404, "unknown_event", f"no event {event_id!r}")
    else:
        drill = await _drill(request, str(stream), event_id)
        if isinstance(drill, web.Response):
            return drill
        if not drill.real_calls:
            return await _simulated_call(request, drill, event_id, officer_id, actor.strip()[:100])
        record = drill
    try:
        call = await state.calls.start(event_id, officer_id, actor.strip()[:100], record=record)
    except CallError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except CallFailed as exc:
        return error_response(502, exc.code, exc.message, call=exc.call.as_json())
    except LogError as exc:
        return error_response(
            503, "log_unavailable", f"the call could not be recorded: {exc.message}"
        )
    return json_response({**call.as_json(), "stream": stream}, 202)


async def _drill(request: web.Request, stream: str, event_id: str) -> ReplayStream | web.Response:
    """The exercise stream a call on a replay is made on, or why none can be."""
    replay = request.app[BOARD].replays.stream_of(stream)
    if replay is None:
        return error_response(404, "unknown_stream", f"no stream {stream!r} is playing")
    if not replay.exercise:
        return error_response(
            409,
            "not_an_exercise",
            "calls are placed from the live board; a replay of the past places none",
        )
    if not await _about(replay, replay.situations, event_id):
        return error_response(404, "unknown_event", f"no event {event_id!r} on {stream}")
    return replay


async def _about(
    source: LogStore | ReplayStream, situations: SituationTracker | None, event_id: str
) -> bool:
    """True when a call may be about `event_id` on this stream: one of its events, or one of its
    situations or clusters (a situation's detail panel calls as an event's does)."""
    if situations is not None and situations.holds(event_id):
        return True
    return await source.current_event(event_id) is not None


async def _simulated_call(
    request: web.Request, drill: ReplayStream, event_id: str, officer_id: str, actor: str
) -> web.Response:
    """A call on a drill that does not ring real phones: logged to the drill's stream as made
    and simulated, so the exercise's record shows who would have been called."""
    officer = await request.app[OFFICERS].store.get(officer_id)
    if officer is None:
        return error_response(404, "unknown_officer", f"no officer {officer_id!r} in the directory")
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
    return json_response(
        {"call_id": call_id, "dialer": "drill", "status": "simulated", "stream": drill.stream}, 202
    )


async def api_call(request: web.Request) -> web.Response:
    """Where one call stands."""
    call = request.app[OFFICERS].calls.get(request.match_info["call_id"])
    if call is None:
        return error_response(404, "unknown_call", f"no call {request.match_info['call_id']!r}")
    return json_response(call.as_json(contact=sees_contacts(request)))


@accepts(JSON)
async def api_hangup(request: web.Request) -> web.Response:
    """End a call (operator); for a handed-off tel: call, say how it went with `outcome`."""
    denied = require_operator(request)
    if denied is not None:
        return denied
    data = await json_body(request, required=False)
    outcome = data.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        return error_response(400, "bad_outcome", f"outcome is one of {', '.join(OUTCOMES)}")
    try:
        call = await request.app[OFFICERS].calls.hangup(
            request.match_info["call_id"], cast(Outcome | None, outcome)
        )
    except CallError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except CityboardError as exc:
        return error_response(503, exc.code, exc.message)
    return json_response(call.as_json())
