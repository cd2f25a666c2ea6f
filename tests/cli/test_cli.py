"""`cityboard tail` follows the stream and resumes across a server restart without gaps."""

from __future__ import annotations

import asyncio
import re
import sys
import urllib.request
from pathlib import Path

import aiohttp
import orjson
import pytest

from server.stream.protocol import SNAPSHOT_PART_EVENTS
from tests.conftest import PUSH_TOKEN, event_dict
from tests.process import ServerProcess, cityboard

pytestmark = pytest.mark.slow


async def push(http: str, events: list[dict]) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{http}/api/push/test",
            data=orjson.dumps(events),
            headers={"Authorization": f"Bearer {PUSH_TOKEN}"},
        ) as r,
    ):
        assert r.status == 202


async def line_with(stream: asyncio.StreamReader, needle: bytes) -> bytes:
    """Read lines until one contains `needle` (stderr carries several notes)."""
    async with asyncio.timeout(15):
        while needle not in (line := await stream.readline()):
            assert line, f"stream ended before {needle!r}"
    return line


async def start_tail(ws_url: str, *flags: str) -> asyncio.subprocess.Process:
    """`cityboard tail` on a server, its stdout and stderr piped to the test."""
    tail = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli.main",
        "tail",
        ws_url,
        *flags,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert tail.stdout is not None and tail.stderr is not None
    return tail


async def test_tail_prints_entries_and_resumes_after_a_restart(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "tail.db").start()
    tail = await start_tail(server.ws_url, "--json", "--count", "10")
    try:
        await line_with(tail.stderr, b"connected")
        await push(server.http, [event_dict(i) for i in range(5)])
        lines = [orjson.loads(await asyncio.wait_for(tail.stdout.readline(), 10)) for _ in range(5)]
        server.stop()
        await line_with(tail.stderr, b"disconnected")
        server.start()
        await push(server.http, [event_dict(i) for i in range(5, 10)])
        lines += [
            orjson.loads(await asyncio.wait_for(tail.stdout.readline(), 30)) for _ in range(5)
        ]
        assert await asyncio.wait_for(tail.wait(), 10) == 0
    finally:
        if tail.returncode is None:
            tail.kill()
            await tail.wait()
        server.stop()
    assert [line["seq"] for line in lines] == list(range(1, 11))
    assert [line["body"]["event_id"] for line in lines] == [f"test:e{i}" for i in range(10)]


def test_serve_reports_a_bad_config_and_exits_2(tmp_path: Path) -> None:
    import subprocess

    config = tmp_path / "bad.toml"
    config.write_text("port = 99999\n")
    done = subprocess.run(
        [sys.executable, "-m", "server.cli.main", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "port" in done.stderr and str(config) in done.stderr


def test_serve_exits_with_a_clear_error_when_the_log_cannot_open(tmp_path: Path) -> None:
    not_a_file = tmp_path / "a-directory"
    not_a_file.mkdir()
    done = cityboard("serve", "--no-demo", "--port", "0", "--db", str(not_a_file), timeout=30)
    assert done.returncode == 2, done.stderr
    assert f"cannot open the log at {not_a_file}" in done.stderr


def test_serve_on_every_address_prints_links_that_open(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "all.db", host="0.0.0.0").start()
    try:
        said = next(line for line in server.log_tail().splitlines() if "board at" in line)
        links = re.findall(r"http://[^\s,]+", said)
        assert "0.0.0.0" not in said
        assert f"http://127.0.0.1:{server.port}/" in links
        for link in links:
            with urllib.request.urlopen(f"{link}healthz", timeout=5) as answer:
                assert answer.status == 200, link
    finally:
        server.stop()


async def test_tail_notes_a_snapshot_in_parts_once_with_all_its_events(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "parts.db").start()
    events = SNAPSHOT_PART_EVENTS + 100
    try:
        for start in range(0, events, 200):
            await push(server.http, [event_dict(i) for i in range(start, start + 200)])
        tail = await start_tail(server.ws_url, "--count", "1")
        line = await line_with(tail.stderr, b"snapshot at seq")
        await push(server.http, [event_dict(events)])
        rest = await asyncio.wait_for(tail.stderr.read(), 15)
        assert await asyncio.wait_for(tail.wait(), 10) == 0
    finally:
        server.stop()
    assert line.decode().strip().endswith(f": {events} active events"), line
    assert b"snapshot at seq" not in rest, "one note for the whole snapshot"
