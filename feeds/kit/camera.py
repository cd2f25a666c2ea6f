"""A camera's media from a source's values: one reading for every adapter that lists cameras."""

from __future__ import annotations

from typing import Any

from feeds.kit.jsondoc import json_type
from feeds.kit.numbers import finite_float
from feeds.kit.text import text_of, web_url
from server.errors import FeedRejected
from server.stream.events import MAX_CAMERA_REFRESH_SECONDS, MIN_CAMERA_REFRESH_SECONDS

MEDIA_FIELDS = ("snapshot_url", "mjpeg_url", "hls_url")
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "public", "공개"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "private", "비공개", ""})


def camera_media(
    urls: dict[str, Any], *, public: Any, refresh_seconds: Any, dropped: list[str]
) -> dict[str, Any]:
    """`extra["camera"]` from the source's URLs (keys of MEDIA_FIELDS), its public flag and its
    snapshot interval. A URL given but unusable refuses the camera (a player would show nothing
    and nobody would know why); so does a camera with no URL. A public flag or an interval that
    cannot be read costs only itself (private; the server's default interval)."""
    media: dict[str, Any] = {}
    for field in MEDIA_FIELDS:
        value = urls.get(field)
        if value is None or value == "":
            continue
        url = web_url(value)
        if url is None:
            shown = repr(value[:60]) if isinstance(value, str) else f"a JSON {json_type(value)}"
            raise FeedRejected(f"{field} {shown} is not an http(s) URL a browser can play")
        media[field] = url
    if not media:
        raise FeedRejected(f"no media URL: give one of {', '.join(MEDIA_FIELDS)}")
    media["public"] = _flag(public, dropped)
    if refresh_seconds is not None and refresh_seconds != "":
        seconds = _refresh(refresh_seconds, dropped)
        if seconds is not None:
            media["refresh_seconds"] = seconds
    return media


def _flag(value: Any, dropped: list[str]) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    word = text_of(value).strip().casefold() if isinstance(value, str | int) else None
    if word is not None and (word in TRUE_WORDS or word in FALSE_WORDS):
        return word in TRUE_WORDS
    dropped.append(f"public {str(value)[:30]!r} is not true or false; the camera stays private")
    return False


def _refresh(value: Any, dropped: list[str]) -> float | None:
    try:
        seconds = finite_float(value, field="refresh_seconds")
    except FeedRejected as exc:
        dropped.append(f"{exc.message}; the server's default is used")
        return None
    if not MIN_CAMERA_REFRESH_SECONDS <= seconds <= MAX_CAMERA_REFRESH_SECONDS:
        dropped.append(
            f"refresh_seconds {seconds:g} is outside {MIN_CAMERA_REFRESH_SECONDS:g}.."
            f"{MAX_CAMERA_REFRESH_SECONDS:g}; the server's default is used"
        )
        return None
    return seconds
