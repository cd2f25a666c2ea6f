"""HTTP API of the officer directory (docs/officers.md, server/http/openapi.yaml).

Reads are as open as the rest of the board's API, except officers' phone numbers and SIP addresses,
which only operators see (server/http/roles.py). Directory edits need the admin token (off when
`admin_token` is unset, like push).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from aiohttp import web
from pydantic import ValidationError

from server.errors import OfficerImportError
from server.http.board import BOARD, OFFICERS
from server.http.bodies import json_body, read_limited
from server.http.guard import JSON, accepts
from server.http.responses import bad_request, error_response, json_response
from server.http.roles import require_admin, sees_contacts
from server.officers.duty import duty_of, resolve
from server.officers.model import CITY_WIDE, COVERABLE_KINDS, Officer, order_key
from server.officers.transfer import Format, RawRow, export_csv, export_toml, parse_file, row_errors
from server.stream.events import CATEGORIES, Kind, iso_utc, utcnow

log = logging.getLogger(__name__)

CONTENT_TYPES: dict[str, Format] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/toml": "toml",
    "text/toml": "toml",
    "text/x-toml": "toml",
}


# --------------------------------------------------------------------------- helpers


def _at(request: web.Request) -> datetime:
    raw = request.query.get("at")
    if not raw:
        return utcnow()
    try:
        at = datetime.fromisoformat(raw.replace(" ", "+"))  # a '+' in a query string arrives as ' '
    except ValueError:
        raise bad_request(
            f"at {raw!r} is not an ISO 8601 time such as 2026-03-08T09:00:00+09:00"
        ) from None
    if at.tzinfo is None:
        raise bad_request(f"at {raw!r} has no zone; add Z or an offset such as +09:00")
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
        raise bad_request(f"unknown district {raw!r}; use a code from /api/districts, or *")
    return code


def _kind(request: web.Request) -> tuple[str | None, str | None]:
    kind = request.query.get("kind", "").strip() or None
    category = request.query.get("category", "").strip() or None
    if category is not None:
        prefix, _, sub = category.partition(".")
        if prefix not in COVERABLE_KINDS or sub not in CATEGORIES[Kind(prefix)]:
            raise bad_request(f"unknown category {category!r}")
        if kind is not None and kind != prefix:
            raise bad_request(f"category {category!r} is not of kind {kind!r}")
        kind = prefix
    if kind is not None and kind not in COVERABLE_KINDS:
        raise bad_request(f"unknown kind {kind!r}; use {', '.join(COVERABLE_KINDS)}")
    return kind, category


# ---------------------------------------------------------------------- the directory


def _search(officer: Officer, needle: str, *, contact: bool) -> bool:
    """Match who an officer is; their phone and SIP address only for operators, or a viewer
    could recover a number digit by digit."""
    fields = [officer.id, officer.name_ko, officer.name_en, officer.role, officer.department]
    if contact:
        fields += [officer.phone, officer.sip_uri or ""]
    return needle in " ".join(fields).lower()


async def api_officers(request: web.Request) -> web.Response:
    """The directory, filtered, each officer with their duty at `at` (default now)."""
    state = request.app[OFFICERS]
    at = _at(request)
    district = _district(request)
    kind, category = _kind(request)
    department = request.query.get("department", "").strip()
    needle = request.query.get("q", "").strip().lower()
    contact = sees_contacts(request)
    officers = [
        o
        for o in await state.store.all()
        if o.covers(district, kind, category)
        and (not department or o.department == department)
        and (not needle or _search(o, needle, contact=contact))
    ]
    officers.sort(key=lambda o: (o.department, *order_key(o)))
    return json_response(
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
    return json_response(answer.as_json(contact=sees_contacts(request)))


async def api_export(request: web.Request) -> web.Response:
    """The whole directory as CSV or TOML, in the form `import` reads (operators: it holds
    everyone's phone numbers)."""
    if not sees_contacts(request):
        return error_response(403, "forbidden", "the export holds phone numbers: operators only")
    state = request.app[OFFICERS]
    fmt = request.query.get("format", "toml")
    officers = await state.store.all()
    if fmt == "csv":
        text, content_type = export_csv(officers), "text/csv"
    elif fmt == "toml":
        text, content_type = export_toml(officers), "application/toml"
    else:
        raise bad_request("format is csv or toml")
    response = web.Response(text=text, content_type=content_type, charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="officers.{fmt}"'
    return response


@accepts(*CONTENT_TYPES)
async def api_import(request: web.Request) -> web.Response:
    """Import a CSV or TOML directory file: all rows or none (admin)."""
    denied = require_admin(request)
    if denied is not None:
        return denied
    state = request.app[OFFICERS]
    settings = state.board.settings
    fmt_name = request.query.get("format") or CONTENT_TYPES.get(request.content_type)
    if fmt_name not in ("csv", "toml"):
        return error_response(
            415,
            "unsupported_media_type",
            "send the file as Content-Type text/csv or application/toml (or add ?format=csv|toml)",
        )
    mode = request.query.get("mode", "merge")
    if mode not in ("merge", "replace"):
        return error_response(400, "bad_parameter", "mode is merge (add and update) or replace")
    dry_run = request.query.get("dry_run", "") in ("1", "true", "yes")
    try:
        raw = await read_limited(request, settings.officers_import_max_bytes)
    except web.HTTPRequestEntityTooLarge:
        return error_response(
            413, "too_large", f"file over {settings.officers_import_max_bytes} bytes"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return error_response(400, "bad_encoding", f"the file is not UTF-8: {exc}")
    try:
        officers = parse_file(text, cast(Format, fmt_name), state.board.districts)
    except OfficerImportError as exc:
        return error_response(400, exc.code, exc.message, errors=[e.as_json() for e in exc.errors])
    if dry_run:
        return json_response({"dry_run": True, "valid": len(officers), "mode": mode})
    summary = await state.store.load(officers, replace=mode == "replace")
    return json_response({"mode": mode, **summary.as_json()})


async def api_officer(request: web.Request) -> web.Response:
    """One officer, with their calendar and their duty at `at`."""
    state = request.app[OFFICERS]
    officer = await state.store.get(request.match_info["officer_id"])
    if officer is None:
        return error_response(
            404, "unknown_officer", f"no officer {request.match_info['officer_id']!r}"
        )
    at = _at(request)
    duty = duty_of(officer, at, state.zone, state.lookahead)
    return json_response(officer.public(duty, with_calendar=True, contact=sees_contacts(request)))


@accepts(JSON)
async def api_put_officer(request: web.Request) -> web.Response:
    """Create or replace one officer (admin)."""
    denied = require_admin(request)
    if denied is not None:
        return denied
    state = request.app[OFFICERS]
    officer_id = request.match_info["officer_id"]
    data = await json_body(request, required=True)
    if data.setdefault("id", officer_id) != officer_id:
        return error_response(
            400, "id_mismatch", f"the body's id {data['id']!r} is not {officer_id!r}"
        )
    try:
        officer = Officer.model_validate(data, context={"districts": state.board.districts})
    except ValidationError as exc:
        errors = [e.as_json() for e in row_errors(exc, RawRow(1, data), officer_id)]
        return error_response(
            400,
            "invalid_officer",
            f"officer {officer_id!r} is invalid: {errors[0]['field']}: {errors[0]['message']}",
            errors=errors,
        )
    created = await state.store.put(officer)
    duty = duty_of(officer, utcnow(), state.zone, state.lookahead)
    return json_response(officer.public(duty, with_calendar=True), 201 if created else 200)


@accepts(JSON)  # no body needed
async def api_delete_officer(request: web.Request) -> web.Response:
    """Remove one officer (admin); calls already made stay on the record."""
    denied = require_admin(request)
    if denied is not None:
        return denied
    officer_id = request.match_info["officer_id"]
    if not await request.app[OFFICERS].store.delete(officer_id):
        return error_response(404, "unknown_officer", f"no officer {officer_id!r}")
    return web.Response(status=204)


# ----------------------------------------------------------------------------- calls
