"""The HTTP reads a board makes (events, an event's history) answer for the stream it watches."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.conftest import T0, Running, StartServer, event_dict, make_event
from tests.replay.test_replay import start_replay, write_recording
from tests.wsclient import BoardClient


def _recording(path: Path) -> Path:
    """Two incidents: a flood that is still on, and a fire that was put out (ended)."""
    steps = [
        make_event("flood", title="flood", kind="disaster", category="disaster.flood"),
        make_event("fire", title="fire", kind="disaster", category="disaster.fire"),
        make_event("fire", version=2, title="fire out", status="resolved"),
    ]
    return write_recording(path, ((T0 + timedelta(seconds=n), e) for n, e in enumerate(steps, 1)))


async def _get(running: Running, path: str, **query: str) -> tuple[int, dict]:
    async with running.session.get(f"{running.http}{path}", params=query) as r:
        return r.status, await r.json()


async def test_events_and_history_of_a_replay_come_from_its_stream(
    start_server: StartServer, tmp_path: Path
) -> None:
    running = await start_server()
    await running.push([event_dict(1)])  # the live log has its own, different event
    await start_replay(running, _recording(tmp_path / "r.jsonl"), speed=0, exercise=True)
    board = await BoardClient.connect(running.session, running.ws_url, stream="replay:r1")
    await board.next_of("snapshot")
    await board.until_seq(3)

    status, page = await _get(running, "/api/events", stream="replay:r1")
    assert status == 200
    by_id = {e["event_id"]: e for e in page["events"]}
    assert set(by_id) == {"test:eflood", "test:efire"}, "active and ended events, not live ones"
    assert by_id["test:efire"]["status"] == "resolved" and by_id["test:efire"]["version"] == 2
    assert page["head"] == 3 and page["epoch"] == running.board.replays.get("r1").stream.epoch

    status, page = await _get(running, "/api/events", stream="replay:r1", status="active")
    assert [e["event_id"] for e in page["events"]] == ["test:eflood"]

    status, story = await _get(running, "/api/events/test:efire/history", stream="replay:r1")
    assert status == 200 and [e["body"]["version"] for e in story["entries"]] == [1, 2]
    status, _ = await _get(running, "/api/events/test:e1/history", stream="replay:r1")
    assert status == 404, "the live event is not on the replay"

    status, page = await _get(running, "/api/events")
    assert [e["event_id"] for e in page["events"]] == ["test:e1"], "live reads stay live"

    await board.send({"type": "action", "action": "ack", "event_id": "test:eflood", "ref": "a"})
    await board.until_seq(4)  # a drill's action, on the drill
    status, page = await _get(running, "/api/events", stream="replay:r1", workflows="1")
    assert list(page["workflows"]) == ["test:eflood"]


async def test_reads_of_a_stream_that_does_not_play_are_refused(running: Running) -> None:
    status, answer = await _get(running, "/api/events", stream="replay:nope")
    assert status == 404 and answer["error"]["code"] == "unknown_stream"
    status, answer = await _get(running, "/api/events/x/history", stream="replay:nope")
    assert status == 404 and answer["error"]["code"] == "unknown_stream"


async def test_real_calls_are_only_for_drills(running: Running, tmp_path: Path) -> None:
    payload = _recording(tmp_path / "r.jsonl").read_bytes()
    async with running.session.post(
        f"{running.http}/api/replays", params={"name": "r2", "real_calls": "true"}, data=payload
    ) as r:
        answer = await r.json()
    assert r.status == 400 and answer["error"]["code"] == "not_an_exercise", answer
    assert running.board.replays.players == {}


async def test_events_can_come_with_their_workflows(running: Running) -> None:
    await running.push([event_dict(1), event_dict(2)])
    board = await BoardClient.connect(running.session, running.ws_url)
    await board.next_of("snapshot")
    await board.send({"type": "action", "action": "ack", "event_id": "test:e2", "ref": "a"})
    await board.until_seq(3)
    await running.push([event_dict(2, version=2, status="resolved")])  # ended, still counted

    status, page = await _get(running, "/api/events", workflows="1")
    assert status == 200 and set(page["workflows"]) == {"test:e2"}
    assert page["workflows"]["test:e2"]["state"] == "acknowledged"
    assert page["workflows"]["test:e2"]["acked_at"]
    status, page = await _get(running, "/api/events")
    assert "workflows" not in page, "only when asked"
