"""Cameras on a real server (loopback, real SQLite, real websocket clients): kept off the boards,
folded into the registry at start-up and on commit, served by role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from tests.cameras.builders import CITY_HALL, camera_dict, east_of
from tests.conftest import Running, StartServer, event_dict, wait_for
from tests.redis_server import RedisServer, redis_server  # noqa: F401 (the fixture)
from tests.wsclient import BoardClient

OPERATOR = "test-operator-token"


async def cameras(running: Running, token: str | None = None, **params: Any) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with running.session.get(
        f"{running.http}/api/cameras", params=params, headers=headers
    ) as r:
        answer: dict[str, Any] = await r.json()
        assert r.status == 200, answer
        return answer


async def push_scene(running: Running) -> None:
    """An incident at city hall, two cameras near it (one public), one far away."""
    await running.push([event_dict(1, kind="disaster")])
    await running.push(
        [
            camera_dict(1, 120, public=True, snapshot_url="http://cams.test/1.jpg"),
            camera_dict(2, 40, mjpeg_url="http://cams.test/2.mjpg"),
            camera_dict(3, 2000),
        ],
        source="cams",
    )
    await wait_for(lambda: len(running.board.cameras.cameras) == 3)


async def test_cameras_never_reach_boards_events_situations_or_the_events_api(
    running: Running,
) -> None:
    live = await BoardClient.connect(running.session, running.ws_url)
    await live.next_of("snapshot")
    await push_scene(running)
    await live.until_seq(running.board.log.head)
    assert [e["body"]["event_id"] for e in live.entries() if e["type"] == "event"] == ["test:e1"]
    fresh = await BoardClient.connect(running.session, running.ws_url)
    snapshot = await fresh.next_of("snapshot")
    assert [e["event_id"] for e in snapshot["events"]] == ["test:e1"]
    resumed = await BoardClient.connect(
        running.session, running.ws_url, resume={"epoch": running.board.log.epoch, "after_seq": 0}
    )
    await resumed.until_seq(running.board.log.head)
    assert {e["body"]["event_id"] for e in resumed.entries() if e["type"] == "event"} == {"test:e1"}
    async with running.session.get(f"{running.http}/api/events") as r:
        assert [e["event_id"] for e in (await r.json())["events"]] == ["test:e1"]
    async with running.session.get(f"{running.http}/api/events?kind=camera") as r:
        assert r.status == 400
        assert "/api/cameras" in (await r.json())["error"]["message"]
    await live.send({"type": "filter", "filter": {"kinds": ["camera"]}})
    assert "reference data" in (await live.next_of("error"))["message"]
    assert sorted(running.board.situations.book.events) == ["test:e1"], "no camera is a member"
    for client in (live, fresh, resumed):
        await client.close()


async def test_nearest_cameras_of_an_event_and_of_a_place(running: Running) -> None:
    await push_scene(running)
    near_event = await cameras(running, event="test:e1")
    assert near_event["radius_m"] == 500 and near_event["near"] == list(CITY_HALL)
    assert [(c["id"], round(c["distance_m"])) for c in near_event["cameras"]] == [
        ("cams:cam2", 40),
        ("cams:cam1", 120),
    ]
    far = east_of(CITY_HALL, 2000)
    near_place = await cameras(running, near=f"{far[1]},{far[0]}", radius_m="100")
    assert [c["id"] for c in near_place["cameras"]] == ["cams:cam3"]
    assert len((await cameras(running))["cameras"]) == 3, "no place: every camera (the map)"
    async with running.session.get(f"{running.http}/api/cameras?event=test:nope") as r:
        assert r.status == 404
    await running.push([event_dict(2, geometry=None, district="11140")])
    nowhere = await cameras(running, event="test:e2")
    assert nowhere["near"] is None and nowhere["cameras"] == [], "no position, no cameras"
    for bad in ("near=91,0", "near=x", "radius_m=0", "radius_m=nan", "limit=99&event=test:e1"):
        async with running.session.get(f"{running.http}/api/cameras?{bad}") as r:
            assert r.status == 400, bad
            assert (await r.json())["error"]["message"]


async def test_viewers_get_media_urls_only_of_public_cameras(start_server: StartServer) -> None:
    running = await start_server(operator_token=OPERATOR)
    await push_scene(running)
    viewer = {c["id"]: c for c in (await cameras(running, event="test:e1"))["cameras"]}
    assert viewer["cams:cam1"]["snapshot_url"] == "http://cams.test/1.jpg"
    assert viewer["cams:cam1"]["refresh_seconds"] == 5.0
    assert set(viewer["cams:cam2"]) == {"id", "name", "point", "district", "public", "distance_m"}
    everything = orjson.dumps(await cameras(running))
    assert b"2.mjpg" not in everything and b"3.m3u8" not in everything
    operator = {c["id"]: c for c in (await cameras(running, OPERATOR))["cameras"]}
    assert operator["cams:cam2"]["mjpeg_url"] == "http://cams.test/2.mjpg"
    assert operator["cams:cam3"]["hls_url"] == "http://cams.test/3.m3u8"


async def test_the_registry_is_folded_from_the_log_at_start_up(
    start_server: StartServer, tmp_path: Path
) -> None:
    first = await start_server(db=tmp_path / "cams.db")
    await push_scene(first)
    await first.push([camera_dict(3, 2000, version=2) | {"status": "expired"}], source="cams")
    await wait_for(lambda: len(first.board.cameras.cameras) == 2)
    await first.server.close()
    second = await start_server(db=tmp_path / "cams.db")
    assert sorted(second.board.cameras.cameras) == ["cams:cam1", "cams:cam2"]
    await second.push([camera_dict(4, 10)], source="cams")
    await wait_for(lambda: "cams:cam4" in second.board.cameras.cameras)
    nearest = (await cameras(second, event="test:e1"))["cameras"]
    assert nearest[0]["id"] == "cams:cam4"


async def test_every_node_of_a_redis_scale_out_knows_the_cameras(
    start_server: StartServer,
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Cameras pushed on the ingest node reach an edge's registry through the shared log, a
    node started later folds them from it, and no board on any node gets them as events."""
    shared = {"log_backend": "redis", "redis_url": redis_server.url}
    ingest = await start_server(tmp_path / "ingest.db", node_role="ingest", **shared)
    edge = await start_server(tmp_path / "edge.db", node_role="edge", **shared)
    on_edge = await BoardClient.connect(edge.session, edge.ws_url)
    await on_edge.next_of("snapshot")
    await push_scene(ingest)
    await wait_for(lambda: len(edge.board.cameras.cameras) == 3)
    assert [c["id"] for c in (await cameras(edge, event="test:e1"))["cameras"]] == [
        "cams:cam2",
        "cams:cam1",
    ]
    await on_edge.until_seq(ingest.board.log.head)
    assert {e["body"]["event_id"] for e in on_edge.entries()} == {"test:e1"}
    late = await start_server(tmp_path / "late.db", node_role="edge", **shared)
    assert sorted(late.board.cameras.cameras) == ["cams:cam1", "cams:cam2", "cams:cam3"]
    await on_edge.close()
