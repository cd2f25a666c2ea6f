"""Frozen walls: boards that stop reading must cost the server nothing once they are dropped."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import orjson
import pytest
import websockets

from tests.conftest import PUSH_TOKEN, event_dict
from tests.process import ServerProcess

pytestmark = pytest.mark.slow

FROZEN_BOARDS = 40
PUSHED_BYTES = 45 * 1024 * 1024
EVENT_BYTES = 9_000
ACTIVE_EVENTS = 200
RSS_MARGIN_MIB = 20  # "near the baseline": allocator and page-cache noise


def rss_mib(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def metric(http: aiohttp.ClientSession, server: ServerProcess, name: str) -> float:
    async with http.get(f"{server.http}/metrics") as resp:
        for line in (await resp.text()).splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


async def test_frozen_boards_are_dropped_and_their_memory_given_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twice, 40 boards stop reading while 45 MB is pushed: each is closed 4008 and dropped within
    the slow-close timeout, every event is stored, and the memory they held is given back — the
    process peaks at four times its baseline meanwhile and returns near it after each wave."""
    monkeypatch.setenv("CITYBOARD_WS_SLOW_CLOSE_SECONDS", "2")
    monkeypatch.setenv("CITYBOARD_MEMORY_TRIM_DELAY_SECONDS", "0.5")
    server = ServerProcess(tmp_path / "log.db").start()
    assert server.proc is not None
    pid = server.proc.pid
    headers = {"Authorization": f"Bearer {PUSH_TOKEN}"}
    filler = "x" * EVENT_BYTES
    sent = 0  # entries stored; the same ACTIVE_EVENTS ids get new versions, so every wave's
    # boards start from the same snapshot and the waves are alike
    try:
        async with aiohttp.ClientSession(headers=headers) as http:

            async def push(count: int) -> None:
                nonlocal sent
                events = [
                    event_dict(
                        (sent + i) % ACTIVE_EVENTS,
                        version=(sent + i) // ACTIVE_EVENTS + 1,
                        description=filler,
                    )
                    for i in range(count)
                ]
                async with http.post(f"{server.http}/api/push/test", json=events) as resp:
                    assert resp.status == 202, await resp.text()
                sent += count

            async def wave() -> tuple[float, float]:
                """Freeze the boards, push, wait for their drop and the trim: (peak, after)."""
                frozen = []
                for _ in range(FROZEN_BOARDS):  # max_queue=1: they stop reading at once
                    ws = await websockets.connect(
                        server.ws_url, compression=None, max_queue=1, max_size=None
                    )
                    await ws.send(orjson.dumps({"v": 1, "type": "hello"}).decode())
                    frozen.append(ws)
                peak, pushed = rss_mib(pid), 0
                while pushed < PUSHED_BYTES:
                    await push(50)
                    pushed += 50 * EVENT_BYTES
                    peak = max(peak, rss_mib(pid))
                async with asyncio.timeout(30):
                    while await metric(http, server, "cityboard_boards") > 0:
                        await asyncio.sleep(0.2)
                await asyncio.sleep(1.5)  # the trim follows the last drop by its delay
                for ws in frozen:
                    ws.transport.abort()
                return peak, rss_mib(pid)

            for _ in range(4):  # warm up: code paths, caches, the first pages
                await push(50)
            baseline = rss_mib(pid)
            peak1, after1 = await wave()
            peak2, after2 = await wave()
            figures = (
                f"baseline {baseline:.0f}, peaks {peak1:.0f} {peak2:.0f},"
                f" after {after1:.0f} {after2:.0f} MiB"
            )
            print(figures)
            assert (
                await metric(http, server, "cityboard_slow_boards_closed_total")
                == 2 * FROZEN_BOARDS
            )
            assert peak1 > baseline + 100, f"the frozen boards really held memory: {figures}"
            assert after1 <= baseline + RSS_MARGIN_MIB, f"given back: {figures}"
            assert after2 <= baseline + RSS_MARGIN_MIB, f"and again: {figures}"
            async with http.get(f"{server.http}/readyz") as resp:
                assert (await resp.json())["head"] == sent, "every pushed event is stored"
    finally:
        server.stop()
