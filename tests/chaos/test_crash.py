"""Kill -9 mid-stream: every acknowledged entry survives, no seq is reused, the file is intact."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiohttp
import orjson
import pytest

from tests.conftest import PUSH_TOKEN, StartServer, event_dict
from tests.process import ServerProcess
from tests.redis_server import RedisServer, redis_server  # noqa: F401 (the fixture)
from tests.wsclient import BoardClient

pytestmark = pytest.mark.slow


KILL_ROUNDS = 3


@pytest.mark.parametrize("round_", range(KILL_ROUNDS))
async def test_kill_9_mid_stream_then_restart_and_resume(tmp_path: Path, round_: int) -> None:
    """Each round kills the server at a different moment of four pushers' stream."""
    server = ServerProcess(tmp_path / "crash.db").start()
    acknowledged: dict[int, str] = {}
    try:
        async with aiohttp.ClientSession() as session:
            watcher = await BoardClient.connect(session, server.ws_url)
            welcome = await watcher.next()
            epoch = welcome["epoch"]
            await watcher.next_of("snapshot")

            async def pusher(p: int) -> None:
                for n in range(10_000):
                    body = orjson.dumps([event_dict(f"{p}-{n}-{i}") for i in range(5)])
                    try:
                        async with session.post(
                            f"{server.http}/api/push/test",
                            data=body,
                            headers={"Authorization": f"Bearer {PUSH_TOKEN}"},
                        ) as r:
                            for res in (await r.json())["results"]:
                                acknowledged[res["seq"]] = res["event_id"]
                    except (aiohttp.ClientError, ValueError):
                        return  # the server died under us

            pushers = [asyncio.create_task(pusher(p)) for p in range(4)]
            while len(acknowledged) < 300 + 400 * round_:
                await asyncio.sleep(0.01)
            server.kill()  # mid-stream: pushers are still sending
            await asyncio.gather(*pushers)
            with pytest.raises(ConnectionError):
                while True:
                    await watcher.next(timeout=5)
            seen_before = {e["seq"]: e for e in watcher.entries()}
            last_seen = max(seen_before)

            server.start()  # same database, same port
            again = await BoardClient.connect(
                session, server.ws_url, resume={"epoch": epoch, "after_seq": last_seen}
            )
            welcome = await again.next()
            assert welcome["epoch"] == epoch and welcome["mode"] == "resume"
            head_after_restart = welcome["head"]
            assert head_after_restart >= max(acknowledged), "no acknowledged entry was lost"
            if head_after_restart > last_seen:  # committed but not yet published when killed
                await again.until_seq(head_after_restart)
            resumed = again.entries()
            assert [e["seq"] for e in resumed] == list(range(last_seen + 1, head_after_restart + 1))

            # a fresh reader from 0 sees one contiguous history that matches what was acknowledged
            full = await BoardClient.connect(
                session, server.ws_url, resume={"epoch": epoch, "after_seq": 0}
            )
            await full.until_seq(head_after_restart)
            history = {e["seq"]: e for e in full.entries()}
            assert sorted(history) == list(range(1, head_after_restart + 1))
            for seq, event_id in acknowledged.items():
                assert history[seq]["body"]["event_id"] == event_id
            for seq, entry in seen_before.items():
                assert history[seq] == entry, "what boards saw before the crash is unchanged"

            async with session.post(
                f"{server.http}/api/push/test",
                data=orjson.dumps(event_dict("post-crash")),
                headers={"Authorization": f"Bearer {PUSH_TOKEN}"},
            ) as r:
                [res] = (await r.json())["results"]
            assert res["seq"] == head_after_restart + 1, "seqs continue; none is reused"
            for client in (again, full):
                await client.close()
    finally:
        server.stop()
    with sqlite3.connect(server.db) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        seqs = [r[0] for r in db.execute("SELECT seq FROM log ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))


async def test_redis_killed_mid_stream_keeps_every_acknowledged_entry(
    start_server: StartServer,
    redis_server: RedisServer,  # noqa: F811
) -> None:
    """The shared log's durability (docs/scale-out.md): an entry a node acknowledged is in Redis's
    append-only file, so it survives Redis being killed -9, and seqs stay gap-free. (fsync always
    extends that to a power cut of the machine, which a test cannot make.)"""
    running = await start_server(log_backend="redis", redis_url=redis_server.url)
    acknowledged: dict[int, str] = {}

    async def pusher(p: int) -> None:
        for n in range(10_000):
            body = orjson.dumps([event_dict(f"{p}-{n}-{i}") for i in range(5)])
            try:
                async with running.session.post(
                    f"{running.http}/api/push/test",
                    data=body,
                    headers={"Authorization": f"Bearer {PUSH_TOKEN}"},
                ) as r:
                    if r.status != 202:
                        return  # the log is gone: refused, nothing stored
                    for res in (await r.json())["results"]:
                        acknowledged[res["seq"]] = res["event_id"]
            except (aiohttp.ClientError, ValueError):
                return

    pushers = [asyncio.create_task(pusher(p)) for p in range(4)]
    while len(acknowledged) < 300:
        await asyncio.sleep(0.01)
    assert redis_server.process is not None
    redis_server.process.kill()  # SIGKILL: no shutdown, no last save
    redis_server.process.wait()
    await asyncio.gather(*pushers)

    redis_server.start()  # the same data folder: what the append-only file holds
    log = running.board.log
    async with asyncio.timeout(10):
        while True:
            try:
                stored = await log.entries_after(0, 1_000_000)
                break
            except Exception:  # the node's connection to Redis is still coming back
                await asyncio.sleep(0.1)
    by_seq = {e.seq: orjson.loads(e.raw)["body"]["event_id"] for e in stored}
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1)), "gap-free"
    lost = {s: i for s, i in acknowledged.items() if by_seq.get(s) != i}
    assert not lost, f"{len(lost)} acknowledged entries lost or changed"
    assert len(acknowledged) >= 300
