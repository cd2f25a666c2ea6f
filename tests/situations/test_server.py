"""Situations on real servers (loopback, real SQLite files, real websocket clients): the recorded
flood pushed live, after a restart, and replayed; the `situations` message's pacing; operator
acts through the websocket round trip."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from server.situations import SituationSettings, fold, situation_id, split_id
from tests.conftest import Running, StartServer, wait_for
from tests.wsclient import BoardClient

FLOOD = Path(__file__).resolve().parents[1] / "fixtures" / "recordings" / "flood.jsonl"
WARNING = "kma-cap:kma-2026-0714-rain-11680"
SITUATION = situation_id(WARNING)
FIRE = "seoul-fire:fire-eunpyeong"
NOISE = "seoul-120:noise-1"


def recorded() -> list[dict[str, Any]]:
    """The recording's entries, in seq order."""
    return [orjson.loads(line) for line in FLOOD.read_bytes().splitlines()[1:]]


async def push_flood(running: Running, entries: list[dict[str, Any]] | None = None) -> None:
    """Push each recorded event to its source's push endpoint, one at a time, in order."""
    for entry in entries if entries is not None else recorded():
        body = dict(entry["body"])
        source = body.pop("source")
        body.pop("received_at")
        body["event_id"] = body["event_id"].removeprefix(f"{source}:")
        await running.push([body], source=source)
    await wait_for(lambda: running.board.situations.book.seq == running.board.log.head)


async def situations_of(running: Running, stream: str = "live") -> dict[str, Any]:
    async with running.session.get(
        f"{running.http}/api/situations", params={"stream": stream}
    ) as r:
        assert r.status == 200
        answer: dict[str, Any] = await r.json()
        return answer


def expected() -> dict[str, Any]:
    """What folding the recording itself gives: the yardstick for every stream."""
    entries = [(e["seq"], e["type"], e["body"]) for e in recorded()]
    book = fold(entries, SituationSettings())
    return {"situations": book.situations(), "clusters": book.clusters()}


async def act(client: BoardClient, action: str, target: str, **data: Any) -> dict[str, Any]:
    """An operator act through the websocket; its `result` or `error`."""
    ref = f"r{len(client.messages)}"
    await client.send(
        {"type": "action", "action": action, "event_id": target, "data": data, "ref": ref}
    )
    async with asyncio.timeout(5):
        while True:
            message = await client.next()
            if message.get("ref") == ref:
                return message


def check_flood(answer: dict[str, Any]) -> None:
    [situation] = answer["situations"]
    assert situation["id"] == SITUATION and situation["status"] == "open"
    assert situation["counts"] == {"complaint": 39, "disaster": 2, "traffic": 5}
    assert (situation["severity"], situation["raised"]) == ("extreme", True)
    assert situation["member_count"] == 47 and situation["districts"] == ["11680"]
    assert FIRE not in situation["members"] and NOISE not in situation["members"]
    [cluster] = answer["clusters"]
    assert (cluster["count"], cluster["situation"]) == (40, SITUATION)
    assert situation["clusters"] == [cluster["id"]]


async def test_a_pushed_flood_is_one_situation_and_the_same_after_a_restart(
    start_server: StartServer, tmp_path: Path
) -> None:
    db = tmp_path / "live.db"
    first = await start_server(db)
    await push_flood(first)
    live = await situations_of(first)
    check_flood(live)
    assert {k: live[k] for k in ("situations", "clusters")} == expected()
    await first.server.close()
    second = await start_server(db)  # the same SQLite file, folded afresh at start-up
    again = await situations_of(second)
    assert again == live


async def test_a_replay_of_the_recording_rebuilds_the_same_situations(running: Running) -> None:
    payload = await asyncio.to_thread(FLOOD.read_bytes)
    params = {"name": "flood", "speed": "0", "keep_times": "true"}
    async with running.session.post(
        f"{running.http}/api/replays", params=params, data=payload
    ) as r:
        assert r.status == 201, await r.text()
    player = running.board.replays.get("flood")
    await wait_for(lambda: player.state == "ended", timeout=20)
    answer = await situations_of(running, "replay:flood")
    check_flood(answer)
    assert {k: answer[k] for k in ("situations", "clusters")} == expected()
    assert (await situations_of(running))["situations"] == [], "the live stream has none"
    client = await BoardClient.connect(running.session, running.ws_url, stream="replay:flood")
    await client.next_of("snapshot")
    message = await client.next()
    assert message["type"] == "situations" and message["full"] is True
    assert message["situations"] == answer["situations"]
    async with running.session.get(
        f"{running.http}/api/situations", params={"stream": "replay:nope"}
    ) as r:
        assert r.status == 404 and (await r.json())["error"]["code"] == "unknown_stream"


async def test_boards_get_the_full_set_then_paced_changes_then_the_full_set_on_resume(
    start_server: StartServer,
) -> None:
    running = await start_server(situations_push_seconds=0.3)
    client = await BoardClient.connect(running.session, running.ws_url)
    snapshot = await client.next_of("snapshot")
    first = await client.next()
    assert first == {
        "v": 1,
        "type": "situations",
        "seq": snapshot["seq"],
        "full": True,
        "situations": [],
        "clusters": [],
        "removed": [],
    }
    entries = recorded()
    await push_flood(running, entries)
    head = running.board.log.head
    async with asyncio.timeout(5):
        while not any(m["type"] == "situations" and m["seq"] == head for m in client.messages):
            await client.next()
    partial = [m for m in client.messages if m["type"] == "situations"][1:]
    assert partial and all(m["full"] is False for m in partial)
    assert len(partial) < len(entries) / 2, "paced, never one per entry"
    for message in partial:  # each follows the batch that carried what it reflects
        before = client.messages[: client.messages.index(message)]
        assert max(m["head"] for m in before if m["type"] == "batch") >= message["seq"]
    latest = {s["id"]: s for m in partial for s in m["situations"]}
    assert latest[SITUATION]["counts"] == {"complaint": 39, "disaster": 2, "traffic": 5}
    epoch = running.board.log.epoch
    await client.close()

    again = await BoardClient.connect(
        running.session, running.ws_url, resume={"epoch": epoch, "after_seq": head - 3}
    )
    welcome = await again.next()
    assert welcome["mode"] == "resume"
    backlog = await again.next()
    assert backlog["type"] == "batch" and backlog["head"] == head
    full = await again.next()
    assert full["type"] == "situations" and full["full"] is True and full["seq"] == head
    check_flood(full)


async def test_operator_acts_round_trip_on_the_websocket_and_survive_a_restart(
    start_server: StartServer, tmp_path: Path
) -> None:
    db = tmp_path / "acts.db"
    running = await start_server(db)
    await push_flood(running)
    client = await BoardClient.connect(running.session, running.ws_url)
    await client.next_of("situations")
    book = running.board.situations.book

    assert (await act(client, "situation_link", SITUATION, event=FIRE))["type"] == "result"
    assert FIRE in book.get(SITUATION)["members"]  # type: ignore[index]
    assert (await act(client, "situation_unlink", SITUATION, event=FIRE))["type"] == "result"
    assert FIRE not in book.get(SITUATION)["members"]  # type: ignore[index]
    renamed = await act(client, "situation_rename", SITUATION, title="대치동 침수")
    assert renamed["type"] == "result"
    closures = ["seoul-topis:closure-0", "seoul-topis:closure-1"]
    assert (await act(client, "situation_split", SITUATION, events=closures))["type"] == "result"
    part = split_id(closures[0])
    assert sorted(book.get(part)["members"]) == closures  # type: ignore[index]
    merged = await act(client, "situation_merge", SITUATION, **{"from": part})
    assert merged["type"] == "result"
    assert book.get(part)["merged_into"] == SITUATION  # type: ignore[index]
    assert (await act(client, "ack", SITUATION))["type"] == "result"
    assert (await act(client, "situation_close", SITUATION))["type"] == "result"

    unknown = await act(client, "situation_close", "situation:000000000000")
    assert (unknown["type"], unknown["code"]) == ("error", "unknown_situation")
    assert "no situation 'situation:000000000000'" in unknown["message"]
    refused = await act(client, "situation_unlink", SITUATION, event=NOISE)
    assert (refused["type"], refused["code"]) == ("error", "bad_action")

    async with asyncio.timeout(5):  # the last act's changes reach the board
        while True:
            message = await client.next()
            if message["type"] == "situations" and any(
                s["id"] == SITUATION and s["status"] == "closed" for s in message["situations"]
            ):
                break
    before = await situations_of(running)
    [situation] = [s for s in before["situations"] if s["id"] == SITUATION]
    assert (situation["title"], situation["title_auto"]) == ("대치동 침수", False)
    assert situation["workflow"]["state"] == "acknowledged"
    assert set(closures) <= set(situation["members"]) and FIRE not in situation["members"]
    await client.close()
    await running.server.close()
    after = await situations_of(await start_server(db))
    assert after == before


@pytest.mark.parametrize("token", ["wrong-token"])
async def test_a_viewer_cannot_act_on_a_situation(start_server: StartServer, token: str) -> None:
    running = await start_server(operator_token="op-secret")
    await push_flood(running, recorded()[:3])
    client = await BoardClient.connect(running.session, running.ws_url, token=token)
    await client.next_of("situations")
    answer = await act(client, "situation_close", SITUATION)
    assert (answer["type"], answer["code"]) == ("error", "forbidden")


async def history_of(running: Running, id_: str, **params: str) -> tuple[int, dict[str, Any]]:
    async with running.session.get(f"{running.http}/api/events/{id_}/history", params=params) as r:
        return r.status, await r.json()


async def test_a_situations_history_is_its_acts_and_its_members_stories_merged(
    start_server: StartServer, tmp_path: Path
) -> None:
    running = await start_server(tmp_path / "story.db")
    await push_flood(running)
    client = await BoardClient.connect(running.session, running.ws_url)
    await client.next_of("situations")
    assert (await act(client, "situation_rename", SITUATION, title="대치동 침수"))[
        "type"
    ] == "result"
    await client.close()

    status, story = await history_of(running, SITUATION)
    assert status == 200 and story["event_id"] == SITUATION
    seqs = [e["seq"] for e in story["entries"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), "one story, in log order"
    members = set((await situations_of(running))["situations"][0]["members"])
    told = {e["body"]["event_id"] for e in story["entries"]}
    assert told == members | {SITUATION}, "every member shown, nothing from outside"
    assert story["entries"][-1]["body"]["action"] == "situation_rename"
    status, newest = await history_of(running, SITUATION, limit="5")
    assert status == 200 and newest["entries"] == story["entries"][-5:]

    [cluster] = (await situations_of(running))["clusters"]
    status, cluster_story = await history_of(running, cluster["id"])
    assert status == 200
    assert {e["body"]["event_id"] for e in cluster_story["entries"]} == set(cluster["members"])
    status, _ = await history_of(running, "situation:000000000000")
    assert status == 404
