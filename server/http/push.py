"""`POST /api/push/{source}`: token-authenticated ingest; every event of a request or none."""

from __future__ import annotations

import hmac
import re
from typing import Any

import orjson
from aiohttp import web
from pydantic import SecretStr, ValidationError

from feeds.push import PushFeed
from server.districts import Districts
from server.errors import LogError
from server.http.board import BOARD
from server.http.bodies import read_limited
from server.http.guard import ANY_TYPE, accepts
from server.http.responses import error_response, json_response
from server.stream.events import SOURCE_PATTERN, Event, iso_utc, utcnow

SERVER_FIELDS = ("source", "received_at")  # filled by the server on push, never by the sender

MAX_REPORTED_ERRORS = 50


def _authorize(request: web.Request, expected: SecretStr | None) -> web.Response | None:
    """None when the bearer token matches `expected`; otherwise the 401/403 answer."""
    if expected is None:
        return error_response(
            403, "push_disabled", "push ingest is off: set push_token or CITYBOARD_PUSH_TOKEN"
        )
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        response = error_response(401, "unauthorized", "send Authorization: Bearer <push token>")
        response.headers["WWW-Authenticate"] = 'Bearer realm="cityboard push"'
        return response
    if not hmac.compare_digest(token.strip().encode(), expected.get_secret_value().encode()):
        return error_response(403, "forbidden", "the push token is not valid")
    return None


@accepts(ANY_TYPE)  # other systems, with the push token; a foreign Origin is still refused
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
        return error_response(
            409, "source_taken", f"{source!r} is a pulled feed; push under another name"
        )
    expected = feed.token if isinstance(feed, PushFeed) else settings.push_token
    denied = _authorize(request, expected)
    if denied is not None:
        return denied
    if not re.match(SOURCE_PATTERN, source):
        return error_response(400, "invalid_source", f"source must match {SOURCE_PATTERN}")
    if request.content_length is not None and request.content_length > settings.push_max_body_bytes:
        return error_response(413, "too_large", f"body over {settings.push_max_body_bytes} bytes")
    try:
        raw = await read_limited(request, settings.push_max_body_bytes)
    except web.HTTPRequestEntityTooLarge:
        return error_response(413, "too_large", f"body over {settings.push_max_body_bytes} bytes")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return error_response(400, "bad_json", f"body is not JSON: {exc}")
    items = data if isinstance(data, list) else [data]
    if not items:
        return error_response(400, "invalid_event", "no events in the body")
    if len(items) > settings.push_max_events:
        return error_response(
            413, "too_many_events", f"at most {settings.push_max_events} events a request"
        )
    events, errors = _validate_pushed(items, source, board.districts)
    if errors:
        return error_response(
            400,
            "invalid_event",
            f"{len({e['index'] for e in errors})} of {len(items)} events are invalid;"
            " nothing from this request was stored",
            errors=errors[:MAX_REPORTED_ERRORS],
        )
    try:
        results = await (runner.ingest(events) if runner is not None else board.log.append(events))
    except LogError as exc:
        return error_response(
            503,
            "log_unavailable",
            f"the log cannot take events now ({exc.message}); send them again later — a re-send"
            " of the same version is answered as a duplicate, never stored twice",
        )
    return json_response(
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
        body = {**item, "source": source, "received_at": now, "event_id": f"{source}:{external}"}
        try:  # strict, as JSON: `true` is no coordinate and "5" no version
            event = Event.model_validate_json(orjson.dumps(body), strict=True)
        except ValidationError as exc:
            errors.extend(
                {"index": index, "loc": list(e["loc"]), "msg": e["msg"]}
                for e in exc.errors(include_url=False, include_input=False)
            )
            continue
        events.append(districts.fill(event))
    return events, errors
