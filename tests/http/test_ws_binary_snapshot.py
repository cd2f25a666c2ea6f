"""`hello {binary_snapshot: true}`: the snapshot's parts as binary frames, everything else text."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import WSMsgType

from tests.conftest import Running, event_dict


async def frames_until_live(
    running: Running, **hello: Any
) -> list[tuple[WSMsgType, dict[str, Any]]]:
    """Each frame's type and message from the welcome up to the snapshot's last part."""
    ws = await running.session.ws_connect(running.ws_url)
    await ws.send_str(orjson.dumps({"v": 1, "type": "hello", **hello}).decode())
    got: list[tuple[WSMsgType, dict[str, Any]]] = []
    while not got or got[-1][1].get("part", -1) + 1 != got[-1][1].get("parts"):
        msg = await ws.receive(timeout=5)
        assert msg.type in (WSMsgType.TEXT, WSMsgType.BINARY), msg
        got.append((msg.type, orjson.loads(msg.data)))
    await ws.close()
    return got


async def test_a_board_that_asks_gets_the_snapshot_parts_as_binary_frames(running: Running) -> None:
    for start in range(0, 1200, 200):
        await running.push([event_dict(n) for n in range(start, start + 200)])
    got = await frames_until_live(running, binary_snapshot=True)
    assert [(t, m["type"]) for t, m in got] == [(WSMsgType.TEXT, "welcome")] + [
        (WSMsgType.BINARY, "snapshot")
    ] * 3
    assert sum(len(m["events"]) for _, m in got[1:]) == 1200


async def test_text_stays_the_default_and_a_filter_change_keeps_the_choice(
    running: Running,
) -> None:
    await running.push([event_dict(1, kind="traffic"), event_dict(2, kind="disaster")])
    got = await frames_until_live(running)
    assert [(t, m["type"]) for t, m in got] == [
        (WSMsgType.TEXT, "welcome"),
        (WSMsgType.TEXT, "snapshot"),
    ]
    ws = await running.session.ws_connect(running.ws_url)
    await ws.send_str('{"v":1,"type":"hello","binary_snapshot":true}')
    await ws.send_str('{"v":1,"type":"filter","filter":{"kinds":["disaster"]}}')
    frames = []
    while [t for _, t in frames].count("snapshot") < 2:
        msg = await ws.receive(timeout=5)
        frames.append((msg.type, orjson.loads(msg.data)["type"]))
    assert frames[0] == (WSMsgType.TEXT, "welcome")
    assert set(frames) == {
        (WSMsgType.TEXT, "welcome"),
        (WSMsgType.TEXT, "situations"),
        (WSMsgType.BINARY, "snapshot"),
    }, "only the snapshots, the first and the filter's, are binary"
    await ws.close()
