"""Replays: recorded pace divided by speed, pause/step/seek/speed, their own streams, drills."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from server.cli.follow import Follower
from server.clock import Clock, ManualClock
from server.errors import RecordingError
from server.replay.checkpoints import CHECKPOINT_OVERHEAD_BYTES
from server.replay.player import LOOP_GAP_SECONDS, Player, PlayOptions
from server.replay.recording import Header, RecordingWriter, read_entries
from server.replay.stream import ReplayStream
from server.stream.events import Event, encode_entry, iso_utc
from server.stream.hub import Hub
from server.stream.log import EventFilter
from tests.conftest import Running, StartServer, event_dict, make_event, wait_for
from tests.officers.helpers import ADMIN_TOKEN, officer, put_officer
from tests.wsclient import BoardClient

T0 = datetime(2026, 7, 15, 5, 0, tzinfo=UTC)


def write_recording(path: Path, timed: Iterable[tuple[datetime, Event]]) -> Path:
    """A recording of these events, each logged at its time (seqs from 1)."""
    writer = RecordingWriter(path, Header(city="Seoul", stream="live", epoch="rec"))
    for seq, (at, event) in enumerate(timed, 1):
        writer.write(
            {
                "seq": seq,
                "epoch": "rec",
                "at": at.isoformat().replace("+00:00", "Z"),
                "type": "event",
                "body": orjson.loads(event.dump()),
            }
        )
    writer.close()
    return path


def make_recording(path: Path, count: int = 10, spacing: float = 10.0) -> Path:
    """`count` events, `spacing` seconds apart, each a new version of a few incidents."""
    times = [T0 + timedelta(seconds=n * spacing) for n in range(count)]
    return write_recording(
        path,
        (
            (
                at,
                make_event(
                    n % 3, version=n + 1, title=f"step {n}", sent_at=at.isoformat()
                ).model_copy(update={"received_at": at}),
            )
            for n, at in enumerate(times)
        ),
    )


def replay_stream(clock: ManualClock, *, ring_entries: int = 100) -> ReplayStream:
    """A replay stream named "t" on its own hub, timed by `clock`."""
    return ReplayStream(
        "t",
        exercise=False,
        ring_entries=ring_entries,
        hub=Hub(buffer_limit_bytes=1 << 20, batch_max_entries=100),
        clock=clock,
    )


@pytest.fixture
async def player(tmp_path: Path) -> AsyncIterator[tuple[Player, ManualClock, list[int]]]:
    clock = ManualClock(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    stream = replay_stream(clock)
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


async def settle(clock: Clock) -> None:
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


async def test_times_move_by_whole_seconds_to_land_at_most_a_second_before_now(
    tmp_path: Path,
) -> None:
    now = datetime(2026, 11, 29, 9, 0, 0, 750_000, tzinfo=UTC)
    stream = replay_stream(ManualClock(now))
    p = Player(make_recording(tmp_path / "r.jsonl", count=2), stream, PlayOptions(speed=0))
    task = asyncio.create_task(p.run())
    await settle(stream.clock)
    task.cancel()
    first = orjson.loads(stream.ring[0].raw)["body"]
    assert first["sent_at"] == first["received_at"] == "2026-11-29T09:00:00Z"
    assert orjson.loads(stream.ring[1].raw)["body"]["sent_at"] == "2026-11-29T09:00:10Z"


def test_played_entries_have_the_wire_form_of_the_log() -> None:
    at = datetime(2026, 11, 29, 9, 0, 0, 250_000, tzinfo=UTC)
    stream = replay_stream(ManualClock(at))
    events = [make_event(1), make_event(2, status="resolved")]
    stream.publish(events, at=at, broadcast=False)
    assert [entry.raw for entry in stream.ring] == [
        encode_entry(seq, stream.epoch, iso_utc(at), "event", event.dump())
        for seq, event in enumerate(events, 1)
    ]


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


async def test_a_looped_replay_keeps_its_pace_the_second_time_round(player: Any) -> None:
    p, clock, published = player
    p.options.loop = True
    for _ in range(9):
        await settle(clock)
        clock.advance(1.0)
    await settle(clock)
    assert p.loops == 1 and len(published) == 10, "a pass ends, then rests between passes"
    clock.advance(LOOP_GAP_SECONDS)
    await settle(clock)
    assert len(published) == 11, "the first entry of the second round plays after the rest"
    clock.advance(0.5)
    await settle(clock)
    assert len(published) == 11, "the next one waits its recorded 10 s (1 s at 10x)"
    clock.advance(0.5)
    await settle(clock)
    assert len(published) == 12


# ------------------------------------------------------------------------------ seeking


NOW = datetime(2026, 11, 29, 9, 0, 0, 123456, tzinfo=UTC)  # microseconds: shifted times keep them
ACTIONS = ("ack", "assign", "note", "resolve")


def story_entry(n: int) -> dict[str, Any]:
    """Entry n of a busy recording: versions of 7 incidents (every fifth resolves one), operator
    actions on them and a notice now and then, 10 s apart."""
    at = T0 + timedelta(seconds=n * 10)
    stamp = at.isoformat().replace("+00:00", "Z")
    if n % 3 == 2:
        name = ACTIONS[n // 3 % len(ACTIONS)]
        type_, body = (
            "action",
            {
                "action": name,
                "event_id": f"test:e{n % 7}",
                "actor": "op",
                "at": stamp,
                "data": {"to": f"unit {n}"} if name == "assign" else {},
            },
        )
    elif n % 11 == 10:
        type_, body = "notice", {"level": "info", "code": "x", "message": f"n{n}", "at": stamp}
    else:
        event = make_event(
            n % 7,
            version=n + 1,
            title=f"step {n}",
            status="resolved" if n % 5 == 4 else "active",
            sent_at=stamp,
            expires_at=(at + timedelta(hours=1)).isoformat(),
        ).model_copy(update={"received_at": at})
        type_, body = "event", orjson.loads(event.dump())
    return {"seq": n + 1, "epoch": "rec", "at": stamp, "type": type_, "body": body}


def make_story(path: Path, count: int) -> Path:
    writer = RecordingWriter(path, Header(city="Seoul", stream="live", epoch="rec"))
    for n in range(count):
        writer.write(story_entry(n))
    writer.close()
    return path


def story_player(path: Path, *, shift_times: bool = True, **index: Any) -> Player:
    """A paused player on a small ring, so seeks restore checkpoints a few entries back."""
    stream = replay_stream(ManualClock(NOW), ring_entries=5)
    p = Player(path, stream, PlayOptions(speed=10, shift_times=shift_times), **index)
    p.command("pause")
    return p


async def state_of(p: Player) -> tuple[Any, ...]:
    """All a board can read of the stream after a seek, except the epoch (new every time)."""
    snap = await p.stream.snapshot(EventFilter(), 1000)
    ring = [
        (c.seq, c.type, orjson.loads(c.raw)["at"], orjson.loads(c.raw)["body"])
        for c in p.stream.ring
    ]
    return snap.seq, snap.events, snap.workflows, ring, p.played, p.position


async def seek(p: Player, second: float) -> None:
    """Seek to T0 + `second` and wait until the state is rebuilt: boards are told then, once."""
    told: list[str] = []
    p.on_reset = lambda: told.append("reset")
    p.command("seek", at=T0 + timedelta(seconds=second))
    await wait_for(lambda: bool(told))
    await settle(p.stream.clock)
    assert told == ["reset"], "boards are told to take a fresh snapshot once per seek"


@contextlib.asynccontextmanager
async def running_players(*players: Player) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(p.run()) for p in players]
    await asyncio.sleep(0)
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.parametrize("name", ["r.jsonl", "r.jsonl.gz"])
@pytest.mark.parametrize("shift_times", [True, False])
@pytest.mark.parametrize(
    "budget", [1 << 20, 16 * CHECKPOINT_OVERHEAD_BYTES], ids=["all", "thinned"]
)
async def test_a_seek_from_a_checkpoint_leaves_what_a_full_reread_leaves(
    tmp_path: Path, name: str, shift_times: bool, budget: int
) -> None:
    path = make_story(tmp_path / name, 150)
    full = story_player(path, shift_times=shift_times, checkpoint_every=0)
    quick = story_player(
        path, shift_times=shift_times, checkpoint_every=4, checkpoint_budget=budget
    )
    async with running_players(full, quick):
        await wait_for(lambda: quick.indexed)
        assert quick.checkpoint_bytes <= budget and len(quick.checkpoints) >= 3
        # forwards, backwards, between entries, on an entry, across the checkpoints, the ends
        for second in (905, 1200, 305, 1490, 41, 640, 2000, -30, 1495, 666):
            await seek(full, second)
            await seek(quick, second)
            assert await state_of(quick) == await state_of(full), f"seek to +{second} s"
        restored = quick._checkpoint_for(T0 + timedelta(seconds=1200))
        assert restored is not None and restored.head > 0, "seeks start at a checkpoint"


async def test_checkpoints_are_thinned_to_stay_within_their_budget(tmp_path: Path) -> None:
    path = make_story(tmp_path / "r.jsonl", 400)
    roomy = story_player(path, checkpoint_every=4)
    budget = 10 * CHECKPOINT_OVERHEAD_BYTES
    tight = story_player(path, checkpoint_every=4, checkpoint_budget=budget)
    async with running_players(roomy, tight):
        await wait_for(lambda: roomy.indexed and tight.indexed)
    assert [c.entries for c in roomy.checkpoints] == list(range(4, 401, 4))
    assert roomy.checkpoint_bytes > budget, "the story needs thinning under this budget"
    assert tight.checkpoint_bytes <= budget and len(tight.checkpoints) > 1
    spacing = tight.checkpoints[1].entries - tight.checkpoints[0].entries
    assert spacing > 4 and spacing % 4 == 0, "thinned: every other one gone, new ones wider"
    assert [c.entries for c in tight.checkpoints] == [
        spacing * (i + 1) for i in range(len(tight.checkpoints))
    ]


async def test_bad_lines_after_a_seek_are_named_by_their_true_number(tmp_path: Path) -> None:
    path = make_story(tmp_path / "r.jsonl", 120)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[100] = b"{not an entry\n"  # line 101 of the file: entry 100, at +990 s
    path.write_bytes(b"".join(lines))
    tolerant = story_player(path, checkpoint_every=4)
    tolerant.options.skip_bad = True
    async with running_players(tolerant):
        await wait_for(lambda: tolerant.indexed)
        for second in (1100, 200, 1150, 1100):
            await seek(tolerant, second)
        assert tolerant._checkpoint_for(T0 + timedelta(seconds=1100)) is not None
        assert tolerant.stats.skipped_lines == [101], "skipped and counted once, however reread"
        assert tolerant.status()["skipped_lines"] == 1
    strict = story_player(path, checkpoint_every=4)
    task = asyncio.create_task(strict.run())
    await wait_for(lambda: len(strict.checkpoints) > 15)
    strict.command("seek", at=T0 + timedelta(seconds=1100))
    with pytest.raises(RecordingError, match="line 101 is not a log entry"):
        await asyncio.wait_for(task, 5)
    assert strict._checkpoint_for(T0 + timedelta(seconds=1100)) is not None
    assert not strict.indexed, "the index stopped at the bad line; the player named it"


async def start_replay(running: Running, path: Path, **params: Any) -> dict[str, Any]:
    query = {
        "name": "r1",
        **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()},
    }
    payload = await asyncio.to_thread(path.read_bytes)
    async with running.session.post(f"{running.http}/api/replays", params=query, data=payload) as r:
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


async def test_calls_in_a_drill_are_simulated_on_its_stream(
    start_server: StartServer, tmp_path: Path
) -> None:
    running = await start_server(admin_token=ADMIN_TOKEN)
    await start_replay(
        running, make_recording(tmp_path / "r.jsonl", count=3), speed=0, exercise=True
    )
    await wait_for(lambda: running.board.replays.get("r1").state == "ended")
    await put_officer(running, officer("drill-1"))
    replay = running.board.replays.get("r1").stream
    target = next(iter(replay.current))
    origin = {"Origin": running.http}
    async with running.session.post(
        f"{running.http}/api/calls",
        headers=origin,
        json={"event_id": target, "officer_id": "drill-1", "stream": "replay:r1"},
    ) as r:
        answer = await r.json()
    assert r.status == 202 and answer["status"] == "simulated", answer
    history = await replay.history(target, 100)
    calls = [orjson.loads(e.raw)["body"] for e in history if e.type == "action"]
    assert [c["action"] for c in calls] == ["call_started", "call_ended"]
    assert calls[1]["data"]["outcome"] == "simulated"
    assert running.board.log.head == 0, "nothing of the drill reached the live log"


async def test_boards_asking_at_once_share_one_reading_for_the_density(
    running: Running, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.http import replays as replay_api

    readings: list[Path] = []

    def counted(path: Path, buckets: int) -> list[int]:
        readings.append(path)
        return replay_api_density(path, buckets)

    replay_api_density = replay_api.density
    monkeypatch.setattr(replay_api, "density", counted)
    await start_replay(running, make_recording(tmp_path / "r.jsonl", count=30), speed=1)

    async def status() -> dict[str, Any]:
        async with running.session.get(f"{running.http}/api/replays/r1") as r:
            return dict(await r.json())

    answers = await asyncio.gather(*(status() for _ in range(5)))
    assert len(readings) == 1, "five boards, one reading of the file"
    assert all(sum(a["density"]) == 30 for a in answers)


async def test_a_looped_replay_of_an_instant_rests_between_passes(tmp_path: Path) -> None:
    """A loop over entries that all happen at once (or at speed 0) used to spin without ever
    letting the server answer anyone; now each pass waits LOOP_GAP_SECONDS on the clock."""
    clock = ManualClock(NOW)
    stream = replay_stream(clock)
    path = write_recording(tmp_path / "instant.jsonl", [(T0, make_event(i)) for i in range(3)])
    looping = Player(path, stream, PlayOptions(speed=0, loop=True), checkpoint_every=0)
    task = asyncio.create_task(looping.run())
    try:
        await settle(clock)  # returns at all only if the player lets the loop run
        assert looping.loops == 1 and looping.played == 3
        clock.advance(LOOP_GAP_SECONDS)
        await settle(clock)
        assert looping.loops == 2, "the next pass starts once the gap has passed"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
