"""Replays: recorded pace divided by speed, pause/step/seek/speed, their own streams, drills."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from feeds.clock import ManualClock
from server.follow import Follower
from server.hub import Hub
from server.log import EventFilter
from server.recording import Header, RecordingWriter, read_entries
from server.replay import Player, PlayOptions, ReplayStream
from tests.conftest import Running, StartServer, event_dict, make_event, wait_for
from tests.officers.helpers import ADMIN_TOKEN, officer, put_officer
from tests.wsclient import BoardClient

T0 = datetime(2026, 7, 15, 5, 0, tzinfo=UTC)


def make_recording(path: Path, count: int = 10, spacing: float = 10.0) -> Path:
    """`count` events, `spacing` seconds apart, each a new version of a few incidents."""
    writer = RecordingWriter(path, Header(city="Seoul", stream="live", epoch="rec"))
    for n in range(count):
        at = T0 + timedelta(seconds=n * spacing)
        event = make_event(
            n % 3, version=n + 1, title=f"step {n}", sent_at=at.isoformat()
        ).model_copy(update={"received_at": at})
        writer.write(
            {
                "seq": n + 1,
                "epoch": "rec",
                "at": at.isoformat().replace("+00:00", "Z"),
                "type": "event",
                "body": orjson.loads(event.dump()),
            }
        )
    writer.close()
    return path


@pytest.fixture
async def player(tmp_path: Path) -> AsyncIterator[tuple[Player, ManualClock, list[int]]]:
    clock = ManualClock(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    stream = ReplayStream(
        "t",
        exercise=False,
        ring_entries=100,
        hub=Hub(buffer_limit_bytes=1 << 20, batch_max_entries=100),
        clock=clock,
    )
    published: list[int] = []
    original = stream.publish

    def spy(bodies: Any, **kw: Any) -> list[int]:
        seqs = original(bodies, **kw)
        if kw.get("broadcast", True):
            published.extend(seqs)
        return seqs

    stream.publish = spy  # type: ignore[method-assign]
    p = Player(make_recording(tmp_path / "r.jsonl"), stream, PlayOptions(speed=10))
    task = asyncio.create_task(p.run())
    yield p, clock, published
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def settle(clock: ManualClock) -> None:
    """Let the player run until it waits on the clock (or on a command) again."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_entries_keep_their_spacing_divided_by_the_speed(player: Any) -> None:
    p, clock, published = player
    await settle(clock)
    assert published == [1], "the first entry plays at once"
    for second in range(1, 10):
        clock.advance(1.0)  # 1 s of wall time = 10 s of recording at 10x
        await settle(clock)
        assert len(published) == second + 1, f"after {second} s"
    await settle(clock)
    assert p.state == "ended" and p.played == 10


async def test_pause_step_resume_speed_and_seek(player: Any) -> None:
    p, clock, published = player
    await settle(clock)
    p.command("pause")
    clock.advance(5)
    await settle(clock)
    assert published == [1], "nothing plays while paused"
    p.command("step")
    await settle(clock)
    assert published == [1, 2], "a step plays exactly the next entry"
    p.command("speed", speed=100)
    p.command("resume")
    await settle(clock)
    clock.advance(0.1)  # 10 s of recording at 100x
    await settle(clock)
    assert published == [1, 2, 3]
    epoch_before = p.stream.epoch
    p.command("seek", at=T0 + timedelta(seconds=45))
    await settle(clock)
    assert p.stream.epoch != epoch_before, "a seek starts a new history"
    snap = await p.stream.snapshot(EventFilter(), 100)
    titles = sorted(orjson.loads(b)["title"] for b in snap.events)
    assert titles == ["step 2", "step 3", "step 4"], "state rebuilt from steps 0-4 (0 s to 40 s)"
    assert p.position == T0 + timedelta(seconds=40)
    with pytest.raises(Exception, match="step works while paused"):
        p.command("step")
    with pytest.raises(Exception, match="speed must be"):
        p.command("speed", speed=99999)


async def start_replay(running: Running, path: Path, **params: Any) -> dict[str, Any]:
    query = {
        "name": "r1",
        **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()},
    }
    payload = await asyncio.to_thread(path.read_bytes)
    async with running.session.post(
        f"{running.http}/api/replays", params=query, data=payload
    ) as r:
        body = await r.json()
        assert r.status == 201, body
        return body


async def control(running: Running, name: str, **body: Any) -> dict[str, Any]:
    async with running.session.post(f"{running.http}/api/replays/{name}/control", json=body) as r:
        answer = await r.json()
        assert r.status == 200, answer
        return answer


async def test_two_boards_on_one_replay_see_the_same_entries(
    running: Running, tmp_path: Path
) -> None:
    await start_replay(running, make_recording(tmp_path / "r.jsonl", count=30, spacing=1), speed=50)
    await control(running, "r1", op="pause")
    boards = [
        await BoardClient.connect(running.session, running.ws_url, stream="replay:r1")
        for _ in range(2)
    ]
    welcomes = [await b.next_of("welcome") for b in boards]
    assert {w["stream"] for w in welcomes} == {"replay:r1"}
    assert welcomes[0]["replay"]["state"] == "paused"
    heads = [(await b.next_of("snapshot"))["seq"] for b in boards]
    await control(running, "r1", op="resume")
    for board, head in zip(boards, heads, strict=True):
        await board.until_seq(30)
        assert board.seqs() == list(range(head + 1, 31))
    assert [e["body"] for e in boards[0].entries()[-5:]] == [
        e["body"] for e in boards[1].entries()[-5:]
    ]
    assert running.board.log.head == 0, "a replay never writes into the live stream"


async def test_a_drill_logs_actions_on_its_own_stream(running: Running, tmp_path: Path) -> None:
    answer = await start_replay(
        running, make_recording(tmp_path / "r.jsonl", count=3), speed=0, exercise=True
    )
    assert answer["exercise"] is True
    await wait_for(lambda: running.board.replays.get("r1").state == "ended")
    board = await BoardClient.connect(running.session, running.ws_url, stream="replay:r1")
    welcome = await board.next_of("welcome")
    assert welcome["replay"]["exercise"] is True
    snapshot = await board.next_of("snapshot")
    target = snapshot["events"][0]["event_id"]
    await board.send({"type": "action", "action": "ack", "event_id": target, "ref": "a"})
    assert (await board.next_of("result"))["ref"] == "a"
    await board.until_seq(snapshot["seq"] + 1)
    [entry] = board.entries()
    assert entry["type"] == "action" and entry["body"]["event_id"] == target
    assert running.board.log.head == 0, "the drill's actions stay out of the live log"


async def test_unknown_streams_and_bad_recordings_are_refused(
    running: Running, tmp_path: Path
) -> None:
    async with running.session.ws_connect(running.ws_url) as ws:
        await ws.send_str('{"v":1,"type":"hello","stream":"replay:nothing"}')
        message = orjson.loads((await ws.receive(timeout=5)).data)
        assert message["code"] == "unknown_stream"
    bogus = tmp_path / "bogus.jsonl"
    bogus.write_text('{"type": "FeatureCollection"}\n')
    async with running.session.post(
        f"{running.http}/api/replays", params={"name": "x"}, data=bogus.read_bytes()
    ) as r:
        body = await r.json()
        assert r.status == 400 and "wrong file type" in body["error"]["message"]
    async with running.session.post(
        f"{running.http}/api/replays/nothing/control", json={"op": "pause"}
    ) as r:
        assert r.status == 404


async def test_record_a_live_run_across_a_reconnect_then_replay_it_at_60x(
    start_server: StartServer, tmp_path: Path
) -> None:
    running = await start_server()
    writer = RecordingWriter(tmp_path / "live.jsonl", Header(stream="live"))
    follower = Follower(running.ws_url)

    async def record(until: int) -> None:
        async for entry in follower.entries():
            writer.write(entry)
            if entry["seq"] >= until:
                return

    recorder = asyncio.create_task(record(40))
    await wait_for(lambda: follower.epoch is not None)
    for n in range(20):
        await running.push([event_dict(n)])
        await asyncio.sleep(0.01)
    await wait_for(lambda: writer.count == 20)
    for connection in list(running.board.connections):  # force a reconnect mid-recording
        await connection.ws.close(code=1012, message=b"restart")
    for n in range(20, 40):
        await running.push([event_dict(n)])
        await asyncio.sleep(0.01)
    await asyncio.wait_for(recorder, 30)
    writer.close()
    assert follower.gaps == 0, "the reconnect resumed; nothing was lost"
    recorded = list(read_entries(tmp_path / "live.jsonl"))
    assert [e["seq"] for e in recorded] == list(range(1, 41))

    await start_replay(running, tmp_path / "live.jsonl", speed=60, keep_times=True)
    board = await BoardClient.connect(
        running.session, running.ws_url, stream="replay:r1", resume={"epoch": "x", "after_seq": 0}
    )
    welcome = await board.next_of("welcome")
    first = (await board.next_of("snapshot"))["seq"]
    await board.until_seq(40)
    replayed = board.entries()
    assert [e["body"] for e in replayed] == [e["body"] for e in recorded[first:]]
    assert welcome["replay"]["entries"] == 40


async def test_replay_boards_get_the_player_state_as_a_heartbeat(
    start_server: StartServer, tmp_path: Path
) -> None:
    running = await start_server(feeds_broadcast_seconds=0.1)
    await start_replay(running, make_recording(tmp_path / "r.jsonl"), speed=1)
    await control(running, "r1", op="pause")
    board = await BoardClient.connect(running.session, running.ws_url, stream="replay:r1")
    await board.next_of("snapshot")
    status = (await board.next_of("replay", timeout=2))["status"]
    assert status["state"] == "paused" and status["name"] == "r1"
    await control(running, "r1", op="speed", speed=30)
    assert (await board.next_of("replay", timeout=2))["status"]["speed"] == 30


async def test_calls_in_a_drill_are_simulated_on_its_stream(start_server: StartServer,
                                                            tmp_path: Path) -> None:
    running = await start_server(admin_token=ADMIN_TOKEN)
    await start_replay(running, make_recording(tmp_path / "r.jsonl", count=3), speed=0,
                       exercise=True)
    await wait_for(lambda: running.board.replays.get("r1").state == "ended")
    await put_officer(running, officer("drill-1"))
    replay = running.board.replays.get("r1").stream
    target = next(iter(replay.current))
    origin = {"Origin": running.http}
    async with running.session.post(f"{running.http}/api/calls", headers=origin, json={
            "event_id": target, "officer_id": "drill-1", "stream": "replay:r1"}) as r:
        answer = await r.json()
    assert r.status == 202 and answer["status"] == "simulated", answer
    history = await replay.history(target, 100)
    calls = [orjson.loads(e.raw)["body"] for e in history if e.type == "action"]
    assert [c["action"] for c in calls] == ["call_started", "call_ended"]
    assert calls[1]["data"]["outcome"] == "simulated"
    assert running.board.log.head == 0, "nothing of the drill reached the live log"
