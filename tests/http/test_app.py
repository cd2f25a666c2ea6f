"""The route table: a wrong method is named as such, and the board's files are still served."""

from __future__ import annotations

import pytest

from tests.conftest import Running


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/calls", {"POST"}),
        ("GET", "/api/push/test", {"POST"}),
        ("GET", "/api/calls/c1/hangup", {"POST"}),
        ("PUT", "/api/replays", {"GET", "HEAD", "POST"}),
        ("POST", "/healthz", {"GET", "HEAD"}),
    ],
)
async def test_a_wrong_method_is_answered_405_with_allow_in_the_error_shape(
    running: Running, method: str, path: str, allowed: set[str]
) -> None:
    async with running.session.request(method, f"{running.http}{path}") as r:
        body = await r.json(content_type=None)
        assert r.status == 405, body
        assert set(r.headers["Allow"].replace(" ", "").split(",")) == allowed
    assert body["error"]["code"] == "method_not_allowed"
    assert method in body["error"]["message"] and path in body["error"]["message"]


@pytest.mark.parametrize(
    "path", ["/", "/board.css", "/js/board.js", "/vendor/leaflet/leaflet.js", "/i18n/en.json"]
)
async def test_the_board_and_its_files_are_served(running: Running, path: str) -> None:
    async with running.session.get(f"{running.http}{path}") as r:
        assert r.status == 200
        assert await r.read()


async def test_an_unknown_api_path_is_a_404_in_the_error_shape(running: Running) -> None:
    async with running.session.get(f"{running.http}/api/nothing-here") as r:
        body = await r.json(content_type=None)
        assert r.status == 404
    assert body["error"]["code"] == "not_found"
