"""HTTP control of replays: start one (upload a recording, or name a stored one), watch its status
and density for the scrubber, pause/resume/step/seek/speed, stop.

Starting and stopping replays is allowed from the server's own machine (the CLI) or with the admin
token, controlling a running one (pause, seek…) also with the operator token, since drills are run
from the wall; boards watch replays over /ws (`hello {stream}`).
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server.errors import RecordingError, ReplayError
from server.http import roles
from server.http.board import BOARD, ESCALATOR
from server.http.bodies import MAX_CALL_BODY_BYTES, body_timeout, client_gone, read_limited
from server.http.guard import JSON, RECORDING_TYPES, accepts
from server.http.responses import error_response, json_response
from server.http.serving import CONNECTIONS
from server.replay.player import MAX_SPEED, NAME_PATTERN, PlayOptions
from server.replay.recording import GZIP_MAGIC, read_header, read_lines
from server.settings import Settings
from server.stream import protocol

DENSITY_BUCKETS = 120
UPLOAD_CHUNK_BYTES = 1024 * 1024


class StartRequest(BaseModel):
    """How to start a replay of a stored recording (or of an uploaded one: query parameters)."""

    model_config = ConfigDict(extra="forbid")

    recording: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,200}$")
    name: str = Field(pattern=NAME_PATTERN)
    speed: float = Field(default=1.0, ge=0, le=MAX_SPEED)
    loop: bool = False
    start: datetime | None = None
    exercise: bool = False
    # a drill that also rehearses the phone tree: its calls ring real phones (exercise only)
    real_calls: bool = False
    keep_times: bool = False
    skip_bad: bool = False


def _board(request: web.Request) -> Any:

    return request.app[BOARD]


def _denied(request: web.Request, needed: roles.Role = "admin") -> web.Response | None:
    """None when the caller is on this machine or shows a token of the `needed` role."""
    if roles.is_local(request):
        return None
    if roles.at_least(roles.request_role(_board(request).settings, request), needed):
        return None
    return error_response(
        403,
        "forbidden",
        f"replays are {'controlled' if needed == 'operator' else 'started and stopped'} from the"
        f" server's machine or with the {needed} token",
    )


async def list_replays(request: web.Request) -> web.Response:
    """Every running replay's status."""
    return json_response(
        {"replays": [p.status() for p in _board(request).replays.players.values()]}
    )


@accepts(JSON, *RECORDING_TYPES)  # JSON names a stored recording; the rest is one
async def start_replay(request: web.Request) -> web.Response:
    """Start a replay: JSON naming a stored recording, or the recording itself as the body."""
    if (denied := _denied(request)) is not None:
        return denied
    board = _board(request)
    folder: Path = board.settings.recordings_dir
    upload: Path | None = None  # a file this request saved: removed unless its replay starts
    started = False
    try:
        if request.content_type == "application/json":
            raw = await read_limited(request, MAX_CALL_BODY_BYTES)
            spec = StartRequest.model_validate_json(raw, strict=True)
            if spec.recording is None:
                return error_response(
                    400, "bad_request", "name a stored `recording`, or upload one"
                )
            path = folder / spec.recording
            shown_as = f"recording {spec.recording!r}"
            if not path.is_file():
                return error_response(404, "unknown_recording", f"no recording {spec.recording!r}")
        else:
            spec = StartRequest.model_validate(dict(request.query))
            path = upload = await _save_upload(request, folder, spec.name, board.settings)
            shown_as = f"the upload for replay {spec.name!r}"
        header = read_header(path, shown_as)  # wrong file type or version: refuse now, clearly
        if spec.real_calls and not (spec.exercise or header.exercise):
            return error_response(
                400,
                "not_an_exercise",
                "real_calls is for drills: add exercise, or replay a recording marked exercise",
            )
        options = PlayOptions(
            speed=spec.speed,
            loop=spec.loop,
            start=spec.start,
            shift_times=not spec.keep_times,
            skip_bad=spec.skip_bad,
        )
        player = await board.replays.start(
            spec.name, path, options, exercise=spec.exercise, real_calls=spec.real_calls
        )
        started = True
        if spec.real_calls and ESCALATOR in request.app:  # a drill of the whole phone tree
            board.escalate_drill(spec.name, request.app[ESCALATOR])
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        return error_response(
            400, "bad_request", f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
        )
    except (RecordingError, ReplayError) as exc:
        return error_response(STATUS_OF.get(exc.code, 400), exc.code, exc.message)
    finally:
        if upload is not None and not started:
            upload.unlink(missing_ok=True)
    return json_response(player.status(), 201)


def _over_limit(limit: int) -> RecordingError:
    return RecordingError(f"the recording is over the {limit}-byte upload limit", code="too_large")


STATUS_OF = {"replay_exists": 409, "too_many": 409, "too_large": 413}  # else 400


async def _save_upload(request: web.Request, folder: Path, name: str, settings: Settings) -> Path:
    """Stream the request body to a file named after the replay, within the size limit, for as
    long as bytes keep coming; what fails midway (too large, empty, stalled, the client gone) is
    removed, never left on disk."""
    limit, idle = settings.replay_max_upload_bytes, settings.replay_upload_idle_seconds
    if request.content_length is not None and request.content_length > limit:
        raise _over_limit(limit)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    target = folder / f"{name}-{secrets.token_hex(3)}.jsonl"
    try:
        size = 0
        with target.open("wb") as out, request.app[CONNECTIONS].waiting_for_body(request):
            while True:
                try:
                    async with asyncio.timeout(idle):
                        chunk = await request.content.read(UPLOAD_CHUNK_BYTES)
                except TimeoutError:
                    raise body_timeout(f"the upload sent nothing for {idle:g} s") from None
                except ConnectionError:
                    raise client_gone() from None
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise _over_limit(limit)
                out.write(chunk)
        if size == 0:
            raise RecordingError("the upload is empty; send a recording as the body")
        with target.open("rb") as f:
            gzipped = f.read(2) == GZIP_MAGIC
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if gzipped:
        renamed = target.with_suffix(".jsonl.gz")
        target.rename(renamed)
        return renamed
    return target


async def replay_status(request: web.Request) -> web.Response:
    """One replay's status and its entries per time bucket (for the scrubber)."""
    board = _board(request)
    try:
        player = board.replays.get(request.match_info["name"])
    except ReplayError as exc:
        return error_response(404, exc.code, exc.message)
    if player.density is None:
        if player.density_task is None:  # one reading of the file, however many boards ask
            player.density_task = asyncio.ensure_future(
                asyncio.to_thread(density, player.path, DENSITY_BUCKETS)
            )
        try:
            player.density = await asyncio.shield(player.density_task)
        except OSError as exc:  # the file went away: say so, and read again next time
            player.density_task = None
            return error_response(
                409, "recording_unreadable", f"the recording cannot be read: {exc}"
            )
    return json_response({**player.status(), "density": player.density})


@accepts(JSON)
async def control_replay(request: web.Request) -> web.Response:
    """Pause, resume, step, speed or seek: `{"op": ..., "speed": N, "at": TIME}` (operators:
    drills are run from the wall)."""
    if (denied := _denied(request, "operator")) is not None:
        return denied
    board = _board(request)
    try:
        body = orjson.loads(await read_limited(request, MAX_CALL_BODY_BYTES) or b"{}")
        player = board.replays.get(request.match_info["name"])
        raw_at = body.get("at")
        at = datetime.fromisoformat(str(raw_at).replace("Z", "+00:00")) if raw_at else None
        if at is not None and at.tzinfo is None:
            raise ReplayError("`at` needs a time zone (Z or +09:00)", code="bad_seek")
        player.command(body.get("op"), speed=body.get("speed"), at=at)
        player.stream.hub.broadcast(protocol.replay_status(player.status()))
    except orjson.JSONDecodeError:
        return error_response(400, "bad_json", "send a JSON object")
    except (ValueError, TypeError) as exc:
        return error_response(400, "bad_request", str(exc))
    except ReplayError as exc:
        return error_response(404 if exc.code == "unknown_replay" else 400, exc.code, exc.message)
    return json_response(player.status())


@accepts(JSON)  # no body needed
async def stop_replay(request: web.Request) -> web.Response:
    """Stop a replay; its boards are told to reconnect (and find it gone)."""
    if (denied := _denied(request)) is not None:
        return denied
    try:
        await _board(request).replays.stop(request.match_info["name"])
    except ReplayError as exc:
        return error_response(404, exc.code, exc.message)
    return web.Response(status=204)


def density(path: Path, buckets: int) -> list[int]:
    """Entries per equal slice of the recording's span: the scrubber's picture of when things
    happened. Streams the file once."""
    header = read_header(path)
    if not header.start or not header.end:
        return []
    start = datetime.fromisoformat(header.start.replace("Z", "+00:00"))
    span = (datetime.fromisoformat(header.end.replace("Z", "+00:00")) - start).total_seconds()
    counts = [0] * buckets
    for _, _, at, _ in read_lines(path, skip_bad=True):
        offset = (at - start).total_seconds()
        index = 0 if span <= 0 else min(buckets - 1, max(0, int(offset / span * buckets)))
        counts[index] += 1
    return counts
