"""Strict types where JSON comes in (push, the websocket, replay requests): a boolean is not a
coordinate, a string is not a number, and no identifier carries a control character."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import PUSH_TOKEN, Running, event_dict
from tests.replay.test_replay import make_recording
from tests.wsclient import BoardClient

POINT = {"type": "Point", "coordinates": [126.9779, 37.5663]}


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"geometry": {"type": "Point", "coordinates": [True, False]}}, "geometry"),
        ({"geometry": {"type": "Point", "coordinates": ["126.9", "37.5"]}}, "geometry"),
        ({"version": "5"}, "version"),
        ({"version": True}, "version"),
        ({"version": 5.0}, "version"),
        ({"event_id": "e\x001"}, "event_id"),
        ({"district": "11140\x00"}, "district"),
        ({"refs": ["test:e0\x07"]}, "refs"),
        ({"title": 42}, "title"),
        ({"severity": True}, "severity"),
    ],
)
async def test_pushed_values_of_the_wrong_type_or_with_control_characters_are_refused(
    running: Running, fields: dict[str, Any], where: str
) -> None:
    async with running.session.post(
        f"{running.http}/api/push/test",
        data=orjson.dumps(event_dict(1, **fields)),
        headers={"Authorization": f"Bearer {PUSH_TOKEN}"},
    ) as r:
        answer = await r.json()
    assert (r.status, answer["error"]["code"]) == (400, "invalid_event"), answer
    assert answer["error"]["errors"][0]["loc"][0] == where, answer
    assert running.board.log.head == 0, "nothing stored"


async def test_whole_numbers_are_still_coordinates(running: Running) -> None:
    body = await running.push([event_dict(1, geometry={"type": "Point", "coordinates": [127, 37]})])
    assert body["results"][0]["outcome"] == "appended"


@pytest.mark.parametrize(
    "message",
    [
        {"type": "hello", "resume": {"epoch": "x", "after_seq": "5"}},
        {"type": "hello", "resume": {"epoch": "x", "after_seq": True}},
        {"type": "hello", "resume": {"epoch": "x", "after_seq": 5.0}},
        {"type": "hello", "filter": {"districts": ["11140\x00"]}},
        {"type": "hello", "token": "tok\x00en"},
        {"type": "hello", "resume": {"epoch": "e\x00", "after_seq": 1}},
    ],
)
async def test_a_hello_of_the_wrong_types_is_refused(
    running: Running, message: dict[str, Any]
) -> None:
    async with running.session.ws_connect(running.ws_url) as ws:
        await ws.send_str(orjson.dumps({"v": 1, **message}).decode())
        answer = orjson.loads((await ws.receive(timeout=5)).data)
    assert answer["type"] == "error" and answer["code"] == "bad_message", answer


async def test_true_is_not_protocol_version_1(running: Running) -> None:
    async with running.session.ws_connect(running.ws_url) as ws:
        await ws.send_str('{"v": true, "type": "hello"}')
        answer = orjson.loads((await ws.receive(timeout=5)).data)
    assert answer["type"] == "error" and answer["code"] == "bad_version", answer


@pytest.mark.parametrize(
    "message",
    [
        {"type": "action", "action": "ack", "event_id": "test:e1\x00"},
        {"type": "action", "action": "ack", "event_id": "test:e1", "ref": "r\x00"},
        {"type": "ping", "ref": 7},
        {"type": "filter", "filter": {"kinds": "traffic"}},
    ],
)
async def test_messages_of_the_wrong_types_are_refused(
    running: Running, message: dict[str, Any]
) -> None:
    await running.push([event_dict(1)])
    client = await BoardClient.connect(running.session, running.ws_url)
    await client.next_of("snapshot")
    await client.send(message)
    answer = await client.next_of("error")
    assert answer["code"] == "bad_message", answer
    assert running.board.log.head == 1, "nothing logged"
    await client.close()


async def test_a_replay_request_of_the_wrong_types_is_refused(
    running: Running, tmp_path: Path
) -> None:
    folder = running.board.settings.recordings_dir
    folder.mkdir(parents=True, exist_ok=True)
    make_recording(folder / "r.jsonl")
    for bad in ({"speed": "2"}, {"loop": "yes"}, {"exercise": 1}):
        async with running.session.post(
            f"{running.http}/api/replays", json={"recording": "r.jsonl", "name": "r", **bad}
        ) as r:
            answer = await r.json()
        assert (r.status, answer["error"]["code"]) == (400, "bad_request"), (bad, answer)
    assert running.board.replays.players == {}
