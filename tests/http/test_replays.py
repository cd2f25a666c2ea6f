"""Replays over HTTP: an upload that fails leaves nothing on disk, and errors name what the
caller gave, never where the server keeps its files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.conftest import StartServer, wait_for
from tests.replay.test_replay import make_recording


async def test_failed_uploads_leave_nothing_behind_and_name_what_was_sent(
    start_server: StartServer, tmp_path: Path
) -> None:
    folder = tmp_path / "recordings"
    running = await start_server(recordings_dir=folder)
    good = make_recording(tmp_path / "good.jsonl").read_bytes()

    async def upload(payload: bytes, **query: str) -> tuple[int, dict[str, Any]]:
        async with running.session.post(
            f"{running.http}/api/replays", params=query, data=payload
        ) as r:
            return r.status, await r.json()

    status, answer = await upload(b'{"type": "FeatureCollection"}\n', name="notes")
    assert status == 400 and answer["error"]["code"] == "bad_recording", answer
    assert "wrong file type" in answer["error"]["message"]
    assert "'notes'" in answer["error"]["message"], "the error names the upload by its replay"
    assert str(tmp_path) not in answer["error"]["message"], "no server path in an answer"
    assert list(folder.iterdir()) == []

    status, answer = await upload(good, name="drill", real_calls="true")
    assert (status, answer["error"]["code"]) == (400, "not_an_exercise")
    assert list(folder.iterdir()) == []

    status, _ = await upload(good, name="drill")
    assert status == 201
    [kept] = list(folder.iterdir())
    status, answer = await upload(good, name="drill")  # the name is taken: refused, not kept
    assert (status, answer["error"]["code"]) == (409, "replay_exists")
    assert list(folder.iterdir()) == [kept]
    assert kept.name.startswith("drill"), "files are named by the replay the caller named"


async def test_an_upload_cut_off_midway_is_removed(
    start_server: StartServer, tmp_path: Path
) -> None:
    folder = tmp_path / "recordings"
    running = await start_server(recordings_dir=folder)
    port = running.server.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /api/replays?name=cut HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n"
        + make_recording(tmp_path / "r.jsonl").read_bytes()
    )
    await writer.drain()
    await wait_for(lambda: folder.is_dir() and any(folder.iterdir()))  # the upload is under way
    writer.close()
    await wait_for(lambda: not any(folder.iterdir()))
    del reader


async def test_a_stored_recording_that_is_not_one_is_named_as_asked(
    start_server: StartServer, tmp_path: Path
) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "notes.txt").write_text("shopping list\n")
    running = await start_server(recordings_dir=folder)
    async with running.session.post(
        f"{running.http}/api/replays", json={"recording": "notes.txt", "name": "n"}
    ) as r:
        answer = await r.json()
    assert r.status == 400, answer
    assert "'notes.txt'" in answer["error"]["message"]
    assert str(tmp_path) not in answer["error"]["message"]
    assert (folder / "notes.txt").exists(), "a stored recording is the operator's: never removed"


async def test_an_upload_over_the_limit_is_a_413_and_leaves_nothing(
    start_server: StartServer, tmp_path: Path
) -> None:
    folder = tmp_path / "recordings"
    good = make_recording(tmp_path / "good.jsonl").read_bytes()
    running = await start_server(recordings_dir=folder, replay_max_upload_bytes=len(good) - 1)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: found out while streaming
        yield good[:100]
        yield good[100:]

    for body in (good, chunks()):
        async with running.session.post(
            f"{running.http}/api/replays", params={"name": "big"}, data=body
        ) as r:
            answer = await r.json()
            assert (r.status, answer["error"]["code"]) == (413, "too_large"), answer
            assert f"{len(good) - 1}-byte" in answer["error"]["message"]
    assert not folder.exists() or list(folder.iterdir()) == []
