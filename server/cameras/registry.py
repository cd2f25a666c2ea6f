"""The cameras the log holds, by place: a fold of camera entries (start-up and each commit), so
an incident's detail panel finds the nearest ones without reading the log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from server.situations.geo import LonLat, Nearest, distance_m, position
from server.stream.events import CameraMedia, Kind, Status
from server.stream.log import Committed

MAX_CAMERA_RADIUS_M = 5_000.0  # the farthest a lookup reaches: beyond, a camera shows another scene
MAX_CAMERAS_PER_INCIDENT = 12  # players at once in one panel: more would starve the wall's link
MAX_CAMERAS = 100_000  # a city's whole CCTV network (Seoul has ~1,200 on its wall, ~80,000 in all)


@dataclass(frozen=True, slots=True)
class Camera:
    """One camera as the registry keeps it: the event's newest version, media validated."""

    event_id: str
    version: int
    name: str
    point: LonLat
    district: str | None
    media: CameraMedia

    def wire(
        self, *, with_urls: bool, distance: float | None, refresh_seconds: float
    ) -> dict[str, Any]:
        """The camera as `/api/cameras` sends it; its media URLs (and how often a snapshot is
        fetched again: its own setting, else `refresh_seconds`) only `with_urls`."""
        out: dict[str, Any] = {
            "id": self.event_id,
            "name": self.name,
            "point": list(self.point),
            "district": self.district,
            "public": self.media.public,
        }
        if distance is not None:
            out["distance_m"] = round(distance, 1)
        if with_urls:
            out.update(self.media.model_dump(exclude={"public"}, exclude_none=True))
            out.setdefault("refresh_seconds", refresh_seconds)
        return out


def read_camera(body: Any) -> Camera | None:
    """A camera from an event body as the log stores it, or None when it is not an active one."""
    if not isinstance(body, dict) or body.get("kind") != Kind.CAMERA.value:
        return None
    point = position(body.get("point"))
    if point is None or body.get("status", Status.ACTIVE.value) != Status.ACTIVE.value:
        return None
    try:
        media = CameraMedia.model_validate(body.get("extra", {}).get("camera"))
    except (ValidationError, AttributeError):
        return None  # the log only holds valid ones; a hand-edited recording may not
    district = body.get("district")
    return Camera(
        event_id=str(body.get("event_id")),
        version=int(body.get("version", 1)),
        name=str(body.get("title", "")),
        point=point,
        district=district if isinstance(district, str) else None,
        media=media,
    )


class CameraRegistry:
    """Active cameras by id and by place; newer versions replace older ones, an ended camera
    (expired when its list no longer names it) leaves."""

    def __init__(self) -> None:
        self.cameras: dict[str, Camera] = {}
        self._index = Nearest(MAX_CAMERA_RADIUS_M)
        self._order = 0

    def apply(self, body: Any) -> None:
        """Fold one event body (cameras only; anything else is ignored)."""
        if not isinstance(body, dict) or body.get("kind") != Kind.CAMERA.value:
            return
        event_id, version = str(body.get("event_id")), body.get("version", 1)
        known = self.cameras.get(event_id)
        if not isinstance(version, int) or (known is not None and version <= known.version):
            return  # the start-up fold and the commit listener may both bring one version
        camera = read_camera(body)
        if camera is None or (event_id not in self.cameras and len(self.cameras) >= MAX_CAMERAS):
            self.cameras.pop(event_id, None)
            self._index.remove(event_id)
        else:
            self.cameras[event_id] = camera
            self._order += 1
            self._index.add(event_id, self._order, camera.point, False)

    def observe(self, entries: Iterable[Committed]) -> None:
        """A commit listener: fold the camera entries just committed."""
        for entry in entries:
            if entry.type == "event" and entry.kind == Kind.CAMERA.value:
                self.apply(orjson.loads(entry.raw)["body"])

    def nearest(self, point: LonLat, radius_m: float, limit: int) -> list[tuple[float, Camera]]:
        """Up to `limit` cameras within `radius_m` of `point`, nearest first (ties by id)."""
        radius_m = min(radius_m, MAX_CAMERA_RADIUS_M)
        found: list[tuple[float, str]] = []
        for floor, ids in self._index.nearest_first(point, False):
            if floor > radius_m or (len(found) >= limit and floor > found[limit - 1][0]):
                break
            for event_id in ids:
                d = distance_m(point, self.cameras[event_id].point)
                if d <= radius_m:
                    found.append((d, event_id))
            found.sort()
        return [(d, self.cameras[event_id]) for d, event_id in found[:limit]]
