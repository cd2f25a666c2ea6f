"""Two nodes that run feeds, and an edge, on one real redis-server: each live entry reaches the
shared public log once, and the edge serves it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import StartServer, event_dict, wait_for
from tests.redis_server import RedisServer, redis_server  # noqa: F401 (the fixture)
from tests.wsclient import BoardClient


async def test_two_publishers_publish_each_entry_once_and_the_edge_serves_it(
    start_server: StartServer,
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    shared = {
        "log_backend": "redis",
        "redis_url": redis_server.url,
        "public": {"delay_seconds": {"complaint": 0.5}},
    }
    one = await start_server(tmp_path / "one.db", node_role="ingest", **shared)
    two = await start_server(tmp_path / "two.db", node_role="ingest", **shared)
    edge = await start_server(tmp_path / "edge.db", node_role="edge", **shared)
    watcher = await BoardClient.connect(edge.session, edge.ws_url, stream="public")
    await watcher.next_of("snapshot")
    await one.push([event_dict(n, kind="complaint") for n in range(10)], source="minwon")
    await two.push([event_dict(n, kind="traffic") for n in range(10, 20)], source="city")
    await watcher.until_seq(20, timeout=15)
    nodes = (one, two, edge)
    await wait_for(lambda: all(n.board.public and n.board.public.log.head == 20 for n in nodes))
    publishers = [n.board.public.publisher for n in (one, two) if n.board.public]
    assert sum(p.published for p in publishers if p) == 20  # each entry once, between them
    ids = [e["body"]["event_id"] for e in watcher.entries()]
    assert watcher.seqs() == list(range(1, 21)) and len(set(ids)) == 20
    assert edge.board.public is not None and edge.board.public.publisher is None
