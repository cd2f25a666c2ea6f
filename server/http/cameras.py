"""`GET /api/cameras`: the cameras near an incident or a place (nearest first), or all of them
for the map layer; media URLs go to operators, and to viewers only for public cameras."""

from __future__ import annotations

import math

import orjson
from aiohttp import web

from server.cameras.registry import MAX_CAMERA_RADIUS_M, MAX_CAMERAS, Camera
from server.http import roles
from server.http.board import BOARD
from server.http.reads import int_param
from server.http.responses import bad_request, error_response, json_response
from server.situations.geo import LonLat, position


async def api_cameras(request: web.Request) -> web.Response:
    """Cameras `?event=<id>` or `?near=lat,lon` (within `radius_m`, at most `limit`), else all;
    `?stream=public` as the citizens' board sees them."""
    return await cameras_for(request, public=request.query.get("stream") == "public")


async def public_cameras(request: web.Request) -> web.Response:
    """The public port's `/api/cameras`: always as the citizens' board sees them."""
    return await cameras_for(request, public=True)


async def cameras_for(request: web.Request, *, public: bool) -> web.Response:
    """The cameras answer; `public`: only cameras marked public (others not at all, whoever
    asks), and `event` is an id of the public stream."""
    board = request.app[BOARD]
    settings = board.settings.cameras
    role = roles.request_role(board.settings, request)
    operator = not public and roles.at_least(role, "operator")
    events = board.log
    if public:
        if board.public is None:
            return error_response(404, "unknown_stream", "the public stream is off")
        events = board.public.log
    event_id, near = request.query.get("event"), request.query.get("near")
    if event_id is not None and near is not None:
        raise bad_request("ask for cameras near an event or near a place, not both")
    radius = _radius(request, settings.radius_m)
    point: LonLat | None = None
    found: list[tuple[float | None, Camera]]
    if event_id is None and near is None:
        limit = int_param(request, "limit", MAX_CAMERAS, 1, MAX_CAMERAS)
        everything = sorted(board.cameras.cameras.values(), key=lambda c: c.event_id)
        shown = [c for c in everything if c.media.public or not public]
        found = [(None, c) for c in shown[:limit]]
    else:
        limit = int_param(request, "limit", settings.max_per_incident, 1, settings.max_per_incident)
        if event_id is not None:
            body = await events.current_event(event_id)
            if body is None:
                return error_response(404, "unknown_event", f"no event {event_id!r}")
            point = position(orjson.loads(body).get("point"))
        else:
            point = _place(near or "")
        nearest = [] if point is None else board.cameras.nearest(point, radius, MAX_CAMERAS)
        found = [(d, c) for d, c in nearest if c.media.public or not public]
        del found[limit:]
    refresh = settings.snapshot_refresh_seconds
    return json_response(
        {
            "near": list(point) if point else None,  # none: the event has no position
            "radius_m": radius,
            "cameras": [
                camera.wire(
                    with_urls=operator or camera.media.public, distance=d, refresh_seconds=refresh
                )
                for d, camera in found
            ],
        }
    )


def _radius(request: web.Request, default: float) -> float:
    """`radius_m`: metres, more than 0 and at most MAX_CAMERA_RADIUS_M."""
    raw = request.query.get("radius_m")
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_CAMERA_RADIUS_M:
        raise bad_request(
            f"radius_m must be a number of metres above 0, at most {MAX_CAMERA_RADIUS_M:g}"
        )
    return value


def _place(raw: str) -> LonLat:
    """`near=lat,lon` (the order people write) as a (lon, lat) position, or a 400."""
    lat_text, _, lon_text = raw.partition(",")
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        lat = lon = math.nan
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise bad_request("near must be 'lat,lon' in degrees, e.g. near=37.5665,126.978")
    return (lon, lat)
