"""A server that stays healthy on its worst day: bodies that never arrive and crowds of idle
connections are let go in bounded time, and `/healthz` keeps answering.

The clients here are raw sockets that send a request's head and part of its body (or part of a
head) and then nothing, as a stalled or malicious client does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from server.http.board import OFFICERS
from tests.conftest import PUSH_TOKEN, Running, StartServer, event_dict
from tests.officers.helpers import ADMIN_TOKEN, officer
from tests.process import ServerProcess
from tests.replay.test_replay import make_recording
from tests.wsclient import BoardClient

Stalled = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def stall(port: int, head: bytes) -> Stalled:
    """Open a connection, send `head`, then send nothing more."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    await writer.drain()
    return reader, writer


def post_head(path: str, length: int, content_type: str, **headers: str) -> bytes:
    """A request head announcing a body of `length` bytes."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
    lines += [f"Content-Length: {length}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def answer_then_close(stalled: Stalled, within: float) -> bytes:
    """What the server sent before closing; fails when it keeps the connection longer."""
    reader, writer = stalled
    try:
        async with asyncio.timeout(within):
            return await reader.read()
    except ConnectionResetError:
        return b""
    finally:
        writer.close()


async def still_open(stalled: list[Stalled], grace: float = 0.5) -> int:
    """How many of these connections the server keeps open (then close them all)."""

    async def is_open(connection: Stalled) -> bool:
        try:
            await answer_then_close(connection, grace)
        except TimeoutError:
            return True
        return False

    return sum(await asyncio.gather(*(is_open(c) for c in stalled)))


async def healthz_seconds(running: Running) -> float:
    """How long a fresh connection takes to get `/healthz` answered."""
    started = time.monotonic()
    async with asyncio.timeout(10):
        reader, writer = await asyncio.open_connection("127.0.0.1", running.server.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = await reader.read()
        writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer
    return time.monotonic() - started


BODY_SECONDS = 0.5
LINGER_SECONDS = 0.5


@pytest.fixture
async def strict(start_server: StartServer, tmp_path: Path) -> Running:
    """A server with short body deadlines, and the routes that read bodies ready to be used."""
    running = await start_server(
        http_body_read_seconds=BODY_SECONDS,
        http_linger_seconds=LINGER_SECONDS,
        replay_upload_idle_seconds=BODY_SECONDS,
        admin_token=ADMIN_TOKEN,
        recordings_dir=tmp_path / "rec",
    )
    return running


def partial_bodies(tmp_path: Path) -> Iterator[tuple[bytes, bytes]]:
    """(head, the part of the body that arrives) for every route that reads a body."""
    push = orjson.dumps([event_dict(1)])
    yield (
        post_head(
            "/api/push/test",
            len(push),
            "application/json",
            Authorization=f"Bearer {PUSH_TOKEN}",
        ),
        push[:10],
    )
    data = orjson.dumps(officer("kim"))
    yield (
        post_head(
            "/api/officers/kim",
            len(data),
            "application/json",
            Authorization=f"Bearer {ADMIN_TOKEN}",
        ).replace(b"POST", b"PUT", 1),
        data[:10],
    )
    yield (
        post_head(
            "/api/officers/import",
            1000,
            "text/csv",
            Authorization=f"Bearer {ADMIN_TOKEN}",
        ),
        b"id,name_ko\n",
    )
    call = orjson.dumps({"event_id": "test:e1", "officer_id": "kim"})
    yield post_head("/api/calls", len(call), "application/json"), call[:10]
    yield post_head("/api/replays/r/control", 100, "application/json"), b'{"op": '
    yield post_head("/api/replays", 100, "application/json"), b'{"recording": '
    recording = make_recording(tmp_path / "r.jsonl").read_bytes()
    yield (
        post_head("/api/replays?name=slow", len(recording) * 2, "application/x-ndjson"),
        recording,
    )


async def test_bodies_that_never_arrive_are_answered_408_and_let_go(
    strict: Running, tmp_path: Path
) -> None:
    started = time.monotonic()
    stalled = [
        await stall(strict.server.port, head + part) for head, part in partial_bodies(tmp_path)
    ]
    limit = BODY_SECONDS + LINGER_SECONDS + 2.0
    answers = await asyncio.gather(*(answer_then_close(s, limit) for s in stalled))
    elapsed = time.monotonic() - started
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert b'"code":"body_timeout"' in answer, answer
    assert elapsed < limit, f"stalled connections held {elapsed:.1f} s"
    assert strict.board.log.head == 0, "nothing from a stalled push is stored"
    assert await strict.server.app[OFFICERS].store.count() == 0
    assert not any((tmp_path / "rec").glob("*")), "nothing of a stalled upload is kept"


async def test_an_upload_that_keeps_sending_is_not_cut_off_by_the_body_deadline(
    strict: Running, tmp_path: Path
) -> None:
    recording = make_recording(tmp_path / "r.jsonl", count=40).read_bytes()
    reader, writer = await stall(
        strict.server.port,
        post_head(
            "/api/replays?name=steady",
            len(recording),
            "application/x-ndjson",
            Connection="close",
        ),
    )
    pieces = 6  # over twice the body deadline in all, never idle for long
    step = len(recording) // pieces + 1
    for start in range(0, len(recording), step):
        writer.write(recording[start : start + step])
        await writer.drain()
        await asyncio.sleep(BODY_SECONDS / 3)
    answer = await answer_then_close((reader, writer), 5)
    assert answer.startswith(b"HTTP/1.1 201"), answer


async def test_unauthenticated_stalled_posts_are_let_go_after_their_refusal(
    strict: Running,
) -> None:
    stalled = [
        await stall(strict.server.port, post_head("/api/push/test", 10_000, "application/json"))
        for _ in range(50)
    ]
    answers = await asyncio.gather(*(answer_then_close(s, LINGER_SECONDS + 2.0) for s in stalled))
    assert all(a.startswith(b"HTTP/1.1 401") for a in answers), answers[0]


CAP = 20


async def test_past_the_cap_idle_connections_make_room_and_healthz_answers(
    start_server: StartServer,
) -> None:
    running = await start_server(http_max_connections=CAP, http_idle_seconds=600)
    port = running.server.port
    # twice the cap of clients that never finish a request head
    idle = [await stall(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n") for _ in range(2 * CAP)]
    assert await healthz_seconds(running) < 1.0
    assert await still_open(idle) < CAP, "idle connections were closed to make room"


async def test_past_the_cap_bodies_that_do_not_come_make_room_too(
    start_server: StartServer,
) -> None:
    running = await start_server(http_max_connections=CAP, http_body_read_seconds=600)
    head = post_head(
        "/api/push/test", 10_000, "application/json", Authorization=f"Bearer {PUSH_TOKEN}"
    )
    stalled = [await stall(running.server.port, head + b'[{"event_id": ') for _ in range(2 * CAP)]
    assert await healthz_seconds(running) < 1.0
    assert await still_open(stalled) < CAP, "stalled bodies were let go to make room"
    assert running.board.log.head == 0


async def test_when_every_connection_is_busy_a_newcomer_is_refused_at_once(
    start_server: StartServer,
) -> None:
    running = await start_server(http_max_connections=CAP)
    boards = [await BoardClient.connect(running.session, running.ws_url) for _ in range(CAP)]
    for board in boards:
        await board.next_of("welcome")
    started = time.monotonic()
    refused = await answer_then_close(
        await stall(running.server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"), 2.0
    )
    assert refused.startswith(b"HTTP/1.1 503"), refused
    assert b'"code":"too_many_connections"' in refused
    assert time.monotonic() - started < 1.0
    await boards[0].close()  # a board leaves: there is room again
    assert await healthz_seconds(running) < 1.0


def test_cityboard_serve_caps_connections_too(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path / "cap.db", env={"CITYBOARD_HTTP_MAX_CONNECTIONS": str(CAP)}
    ).start()
    try:

        async def check() -> None:
            idle = [
                await stall(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                for _ in range(2 * CAP)
            ]
            started = time.monotonic()
            async with asyncio.timeout(5):
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = await reader.read()
                writer.close()
            assert answer.startswith(b"HTTP/1.1 200") and time.monotonic() - started < 1.0
            assert await still_open(idle) < CAP

        asyncio.run(check())
    finally:
        server.stop()
