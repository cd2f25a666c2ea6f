"""Kill -9 mid-stream: every acknowledged entry survives, no seq is reused, the file is intact."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiohttp
import orjson
import pytest

from tests.conftest import PUSH_TOKEN, event_dict
from tests.process import ServerProcess
from tests.wsclient import BoardClient

pytestmark = pytest.mark.slow


async def test_kill_9_mid_stream_then_restart_and_resume(tmp_path: Path) -> None:
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
            while len(acknowledged) < 300:
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
