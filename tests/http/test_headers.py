"""Hardening headers on every answer: a strict CSP the board passes, no framing by other sites, no
type sniffing, no referrer, and a `Server` that names no versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.errors import ConfigError
from server.settings import load_settings
from tests.conftest import Running, StartServer

PATHS = ["/", "/js/board.js", "/board.css", "/api/events", "/healthz", "/api/nothing"]


def directives(csp: str) -> dict[str, list[str]]:
    parts = [d.split() for d in csp.split(";") if d.strip()]
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize("path", PATHS)
async def test_every_answer_carries_the_hardening_headers(running: Running, path: str) -> None:
    async with running.session.get(f"{running.http}{path}") as r:
        headers = r.headers
    csp = directives(headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"], "no inline script, no eval"
    assert csp["style-src"] == ["'self'"], "no inline style attributes or elements"
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"], "no other site frames the board"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Server"] == "cityboard", "no versions for an attacker to look up"


async def test_a_kiosk_that_embeds_the_board_and_a_tile_server_are_allowed_by_name(
    start_server: StartServer,
) -> None:
    running = await start_server(
        frame_ancestors=["https://kiosk.example.org"],
        tile_origins=["https://tiles.example.org"],
    )
    async with running.session.get(f"{running.http}/") as r:
        csp = directives(r.headers["Content-Security-Policy"])
        assert "X-Frame-Options" not in r.headers, "it cannot name an origin; the CSP does"
    assert csp["frame-ancestors"] == ["https://kiosk.example.org"]
    assert csp["img-src"] == ["'self'", "data:", "https://tiles.example.org"]
    assert csp["connect-src"] == ["'self'"] and csp["media-src"] == ["'self'", "blob:"]


async def test_camera_media_origins_open_images_media_and_fetches_to_those_origins_only(
    start_server: StartServer,
) -> None:
    cctv = "https://cctv.example.org"
    running = await start_server(cameras={"media_origins": [cctv]})
    async with running.session.get(f"{running.http}/") as r:
        csp = directives(r.headers["Content-Security-Policy"])
    assert csp["img-src"] == ["'self'", "data:", cctv], "snapshots and MJPEG are images"
    assert csp["media-src"] == ["'self'", "blob:", cctv], "hls.js plays a MediaSource's blob"
    assert csp["connect-src"] == ["'self'", cctv], "hls.js fetches playlists and segments"
    assert csp["script-src"] == ["'self'"]


@pytest.mark.parametrize(
    "value",
    [
        'frame_ancestors = ["https://a.example; script-src *"]',
        'frame_ancestors = ["*"]',
        'tile_origins = ["https://tiles.example.org/{z}/{x}/{y}.png"]',
        'tile_origins = ["javascript:alert(1)"]',
        '[cameras]\nmedia_origins = ["*"]',
        '[cameras]\nmedia_origins = ["https://cctv.example.org; connect-src *"]',
    ],
)
def test_what_goes_into_the_policy_is_an_origin_and_nothing_else(
    tmp_path: Path, value: str
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(value)
    with pytest.raises(ConfigError, match="is not an origin"):
        load_settings(config)
