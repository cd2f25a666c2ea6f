"""Cross-site requests: no other web page can act through an operator's browser.

A page on another origin can make the browser send a "simple" request (POST with a text/plain or
form body, no custom headers) without asking the server first, and the server's machine counts
as an operator. Every state-changing request is therefore refused when it carries a foreign
`Origin`, and its body must have one of the types its route takes (a browser asks before sending
those cross-site, and this server never says yes).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from server.http.app import create_app
from server.http.guard import body_types
from server.settings import Settings
from tests.conftest import PUSH_TOKEN, Running, StartServer, event_dict
from tests.officers.helpers import ADMIN_TOKEN, officer
from tests.replay.test_replay import make_recording

EVIL = "https://evil.example"
PUSH = {"Authorization": f"Bearer {PUSH_TOKEN}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def send(
    running: Running,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str | None = None,
    **headers: str,
) -> tuple[int, dict[str, Any]]:
    """One raw request: exactly the headers given (aiohttp adds no Content-Type of its own)."""
    if content_type is not None:
        headers["Content-Type"] = content_type
    async with running.session.request(
        method,
        f"{running.http}{path}",
        data=body,
        headers=headers,
        skip_auto_headers=["Content-Type"],
    ) as r:
        return r.status, await r.json(content_type=None) if r.content_length != 0 else {}


@pytest.fixture
async def server(start_server: StartServer, tmp_path: Path) -> Running:
    running = await start_server(admin_token=ADMIN_TOKEN, recordings_dir=tmp_path / "rec")
    await running.push([event_dict(1, kind="disaster")])
    return running


async def test_a_foreign_page_cannot_start_a_replay_through_the_operators_browser(
    server: Running, tmp_path: Path
) -> None:
    recording = make_recording(tmp_path / "r.jsonl").read_bytes()
    # what `fetch(url, {method: "POST", mode: "no-cors", body})` on evil.example sends
    status, answer = await send(
        server, "POST", "/api/replays?name=evil", recording, "text/plain", Origin=EVIL
    )
    assert (status, answer["error"]["code"]) == (403, "origin_not_allowed")
    # the same body from a page that sends no Origin: a text/plain body is still no recording
    status, answer = await send(server, "POST", "/api/replays?name=evil", recording, "text/plain")
    assert (status, answer["error"]["code"]) == (415, "unsupported_media_type")
    assert "application/x-ndjson" in answer["error"]["message"], "the answer names what fits"
    assert server.board.replays.players == {}
    assert not any((tmp_path / "rec").glob("*")), "nothing of a refused upload is kept"


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type"),
    [
        ("POST", "/api/replays/r1/control", b'{"op": "pause"}', "text/plain"),
        ("DELETE", "/api/replays/r1", None, None),
        ("POST", "/api/calls", b'{"event_id": "test:e1", "officer_id": "kim"}', "text/plain"),
        ("POST", "/api/calls/c1/hangup", None, None),
        ("PUT", "/api/officers/kim", orjson.dumps(officer("kim")), "application/json"),
        ("DELETE", "/api/officers/kim", None, None),
        ("POST", "/api/officers/import?format=csv", b"id\n", "text/csv"),
        ("POST", "/api/push/test", orjson.dumps(event_dict(2)), "application/json"),
        ("POST", "/api/push/test", orjson.dumps(event_dict(2)), "text/plain"),
    ],
)
async def test_every_state_changing_request_from_a_foreign_origin_is_refused(
    server: Running, method: str, path: str, body: bytes | None, content_type: str | None
) -> None:
    auth = PUSH if "/push/" in path else ADMIN
    for origin in (EVIL, "null", "http://127.0.0.1.evil.example"):
        status, answer = await send(server, method, path, body, content_type, Origin=origin, **auth)
        assert (status, answer["error"]["code"]) == (403, "origin_not_allowed"), (origin, answer)
    assert server.board.log.head == 1, "nothing pushed from a foreign page is stored"


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type"),
    [
        ("POST", "/api/replays?name=x", b"{}", "text/plain"),
        ("POST", "/api/replays?name=x", b"{}", "application/x-www-form-urlencoded"),
        ("POST", "/api/replays?name=x", b"{}", None),
        ("POST", "/api/replays/r1/control", b'{"op": "pause"}', "text/plain"),
        ("POST", "/api/calls", b'{"event_id": "test:e1", "officer_id": "kim"}', "text/plain"),
        ("POST", "/api/calls/c1/hangup", b"{}", "multipart/form-data; boundary=x"),
        ("DELETE", "/api/replays/r1", b"{}", "text/plain"),
        ("PUT", "/api/officers/kim", orjson.dumps(officer("kim")), "text/plain"),
        ("POST", "/api/officers/import?format=csv", b"id\n", "text/plain"),
        ("POST", "/api/officers/import?format=csv", b"id\n", None),
    ],
)
async def test_bodies_of_a_type_the_route_does_not_take_are_refused_415(
    server: Running, method: str, path: str, body: bytes, content_type: str | None
) -> None:
    status, answer = await send(server, method, path, body, content_type, **ADMIN)
    assert (status, answer["error"]["code"]) == (415, "unsupported_media_type"), answer
    assert answer["error"]["message"].startswith("send the body as Content-Type")


async def test_the_board_its_tools_and_machine_ingest_keep_working(
    server: Running, start_server: StartServer, tmp_path: Path
) -> None:
    own = f"http://{server.server.host}:{server.server.port}"
    recording = make_recording(tmp_path / "r.jsonl").read_bytes()
    # the CLI uploads as octet-stream; gzip and NDJSON are recordings too
    for name, body, kind in [
        ("a", recording, "application/octet-stream"),
        ("b", gzip.compress(recording), "application/gzip"),
        ("c", recording, "application/x-ndjson"),
    ]:
        status, answer = await send(server, "POST", f"/api/replays?name={name}", body, kind)
        assert status == 201, answer
    # the board: JSON from its own origin (the replay controls, a hang-up with no body)
    status, answer = await send(
        server, "POST", "/api/replays/a/control", b'{"op":"pause"}', "application/json", Origin=own
    )
    assert status == 200, answer
    status, answer = await send(
        server, "POST", "/api/calls/c1/hangup", None, "application/json", Origin=own
    )
    assert (status, answer["error"]["code"]) == (404, "unknown_call"), answer
    status, _ = await send(server, "DELETE", "/api/replays/c", Origin=own)
    assert status == 204
    # other systems push with their token, no Origin and whatever type their tool sends
    for kind in ("application/json", "application/octet-stream", None):
        status, answer = await send(
            server, "POST", "/api/push/test", orjson.dumps(event_dict(3)), kind, **PUSH
        )
        assert status == 202, answer
    # an origin the operator allowed (a wall PC serving its own page) may act
    allowed = await start_server(
        db=tmp_path / "other.db", allowed_origins=["https://wall.example.org"]
    )
    status, answer = await send(
        allowed,
        "POST",
        "/api/push/test",
        orjson.dumps(event_dict(4)),
        "application/json",
        Origin="https://wall.example.org",
        **PUSH,
    )
    assert status == 202, answer


def test_every_state_changing_route_says_what_bodies_it_takes(tmp_path: Path) -> None:
    app = create_app(Settings(db_path=tmp_path / "x.db", demo=False))
    for route in app.router.routes():
        if route.method in ("POST", "PUT", "DELETE", "PATCH"):
            assert body_types(route.handler) is not None, route
