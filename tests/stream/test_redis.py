"""The Redis Streams log: several nodes, one gap-free history, on a real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
import redis.asyncio as redis

from server.stream.events import Action, iso_utc
from server.stream.log import Committed, EventFilter
from server.stream.redis import MAX_WRITE_BODIES, RedisLog, _meta
from tests.conftest import PUSH_TOKEN, T0, StartServer, event_dict, make_event, wait_for
from tests.redis_server import RedisServer, redis_server  # noqa: F401 (the fixture)
from tests.wsclient import BoardClient


class Node:
    """One server's RedisLog and what its tail published."""

    def __init__(self, url: str, clock: list | None = None) -> None:
        self.published: list[Committed] = []
        kwargs = {"clock": lambda: clock[0]} if clock else {}
        self.log = RedisLog(url, prefix="test:live", on_commit=self.published.extend, **kwargs)


@pytest.fixture
async def nodes(
    redis_server: RedisServer,  # noqa: F811
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[Node, Node]]:
    """Two nodes on one stream; b speaks the RESP version a test's indirect parameter names."""
    protocol = getattr(request, "param", 3)
    a, b = Node(redis_server.url), Node(f"{redis_server.url}?protocol={protocol}")
    await a.log.open()
    await b.log.open()
    yield a, b
    await a.log.close()
    await b.log.close()


async def test_two_nodes_appending_at_once_share_one_gap_free_history(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    results = await asyncio.gather(
        *[(a if n % 2 else b).log.append([make_event(n)]) for n in range(200)]
    )
    seqs = sorted(r[0].seq for r in results)
    assert seqs == list(range(1, 201)), "unique and contiguous across nodes"
    assert a.log.epoch == b.log.epoch
    await wait_for(lambda: len(a.published) == 200 and len(b.published) == 200)
    assert [e.seq for e in a.published] == seqs, "every node publishes every entry, in order"
    assert [e.raw for e in a.published] == [e.raw for e in b.published]
    assert a.log.raced + b.log.raced > 0, "the nodes really did race for the head"
    assert a.log.retries + b.log.retries == 0, "different events: nothing was decided twice"


async def test_a_burst_is_written_in_bounded_scripts_so_redis_never_stalls_long(
    nodes: tuple[Node, Node],
) -> None:
    a, _ = nodes
    burst = 2 * MAX_WRITE_BODIES + 1
    results = await asyncio.gather(*[a.log.append([make_event(n)]) for n in range(burst)])
    assert sorted(r.seq for [r] in results) == list(range(1, burst + 1))
    assert a.log.commits == 3, "no script took more than MAX_WRITE_BODIES bodies"


def commit_between_read_and_write(node: Node, meanwhile: Callable[[], Awaitable[object]]) -> None:
    """Have another node commit after this node has read what it decides on, before it writes
    (once): the race two nodes appending at once run into, made certain."""
    read = node.log._read
    pending = [meanwhile]

    async def read_then_let_another_commit(wanted: dict[str, set[int]]) -> object:
        found = await read(wanted)
        if pending:
            await pending.pop()()
        return found

    node.log._read = read_then_let_another_commit  # type: ignore[assignment,method-assign]


async def test_a_node_overtaken_on_other_events_moves_its_seqs_without_deciding_again(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    commit_between_read_and_write(a, lambda: b.log.append([make_event(2), make_event(3)]))
    ack = Action(action="ack", event_id="test:e1", actor="op", at=T0)
    results = await a.log.append([make_event(1), ack])
    assert [(r.seq, r.outcome) for r in results] == [(3, "appended"), (4, "appended")]
    assert (a.log.raced, a.log.retries) == (1, 0), "its seqs moved; nothing was decided twice"
    await wait_for(lambda: len(b.published) == 4)
    assert [e.event_id for e in b.published] == ["test:e2", "test:e3", "test:e1", "test:e1"]
    assert [orjson.loads(e.raw)["seq"] for e in b.published] == [1, 2, 3, 4]
    assert [e.seq for e in await b.log.history("test:e1", 10)] == [3, 4]
    [dup] = await b.log.append([make_event(1)])
    assert (dup.seq, dup.outcome) == (3, "duplicate"), "the stored version knows its real seq"
    assert (await b.log.workflows_of(["test:e1"]))["test:e1"]["state"] == "acknowledged"


async def test_a_node_whose_events_another_node_changed_meanwhile_decides_again(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    newer = make_event(1, version=3)
    ack = Action(action="ack", event_id="test:e1", actor="op-b", at=T0)
    commit_between_read_and_write(a, lambda: b.log.append([newer, ack]))
    assign = Action(action="assign", event_id="test:e1", actor="op-a", at=T0, data={"to": "X"})
    results = await a.log.append([make_event(1, version=2), assign])
    assert [(r.seq, r.outcome) for r in results] == [(1, "stale"), (3, "appended")]
    assert a.log.retries == 1, "the write was refused and the batch decided on what B stored"
    assert [e.seq for e in await a.log.history("test:e1", 10)] == [1, 2, 3]
    flow = (await a.log.workflows_of(["test:e1"]))["test:e1"]
    assert (flow["state"], flow["acked_by"], flow["assigned_to"]) == ("assigned", "op-b", "X")
    assert orjson.loads(await a.log.current_event("test:e1") or b"{}")["version"] == 3


async def test_a_node_reads_a_stored_body_only_where_an_incoming_version_ties(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    await b.log.append([make_event(1), make_event(2), make_event(3)])
    read, bodies_read = a.log._read, set()

    async def noting_bodies(wanted: dict[str, set[int]]) -> object:
        found = await read(wanted)
        bodies_read.update(i for i, current in found[1].items() if current.body)
        return found

    a.log._read = noting_bodies  # type: ignore[assignment,method-assign]
    ack = Action(action="ack", event_id="test:e2", actor="op", at=T0)
    results = await a.log.append(
        [make_event(1), make_event(2, version=2), make_event(3, title="other words"), ack]
    )
    assert [(r.seq, r.outcome) for r in results] == [
        (1, "duplicate"),
        (4, "appended"),
        (3, "conflict"),
        (5, "appended"),
    ]
    assert bodies_read == {"test:e1", "test:e3"}, "no body came back for the newer version"
    assert orjson.loads(await b.log.current_event("test:e2") or b"{}")["version"] == 2


@pytest.mark.parametrize("nodes", [2, 3], indirect=True, ids=["RESP2", "RESP3"])
async def test_every_field_of_an_entry_reaches_the_other_node_as_written(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    odd = make_event(
        "한강:북단/1",
        district="11110",
        title="separator \x1f and \u2028 in text",
        description='quotes " and backslash \\ and a tab\t',
        extra={"note": "\x1f\x00"},
    )
    plain = make_event(2, kind="disaster")
    note = Action(action="note", event_id=odd.event_id, actor="op", at=T0, data={"text": "\x1f"})
    results = await a.log.append([odd, plain, note])
    await wait_for(lambda: len(b.published) == 3)
    stored = await a.log.entries_after(0, 10)
    assert b.published == stored == await b.log.entries_after(0, 10), "tail and reads agree"
    assert [e.seq for e in stored] == [r.seq for r in results] == [1, 2, 3]
    assert [(e.type, e.event_id, e.kind, e.severity, e.district) for e in stored] == [
        ("event", odd.event_id, "traffic", "moderate", "11110"),
        ("event", plain.event_id, "disaster", "moderate", None),
        ("action", odd.event_id, None, None, None),
    ]
    assert [orjson.loads(e.raw)["body"] for e in stored] == [
        orjson.loads(odd.dump()),
        orjson.loads(plain.dump()),
        orjson.loads(note.dump()),
    ]
    assert await b.log.current_event(odd.event_id) == odd.dump()
    assert [e.seq for e in await b.log.history(odd.event_id, 10)] == [1, 3]
    assert (await b.log.workflows_of([odd.event_id]))[odd.event_id]["notes"] == 1


async def test_versions_snapshots_workflows_and_history_behave_as_on_sqlite(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    await a.log.append([make_event(1, version=2), make_event(2, kind="disaster")])
    [stale] = await b.log.append([make_event(1, version=1)])
    [dup] = await b.log.append([make_event(1, version=2)])
    [conflict] = await b.log.append([make_event(1, version=2, title="other words")])
    assert (stale.outcome, dup.outcome, conflict.outcome) == ("stale", "duplicate", "conflict")
    await b.log.append([make_event(2, kind="disaster", version=2, status="cancelled")])
    ack = Action(action="ack", event_id="test:e1", actor="op", at=T0)
    [acked] = await a.log.append([ack])
    assert acked.seq == 4

    snap = await b.log.snapshot(EventFilter(), 100)
    assert snap.seq == 4
    assert [orjson.loads(body)["event_id"] for body in snap.events] == ["test:e1"]
    assert snap.workflows["test:e1"]["state"] == "acknowledged"
    assert (await b.log.snapshot(EventFilter(kinds=("disaster",)), 100)).events == []

    ended = await a.log.events(EventFilter(statuses=("cancelled",)), after_seq=0, limit=10)
    assert [orjson.loads(body)["version"] for _, body in ended] == [2]
    story = await a.log.history("test:e1", 100)
    assert [e.seq for e in story] == [1, 4] and [e.type for e in story] == ["event", "action"]
    assert [e.seq for e in await b.log.entries_after(2, 10)] == [3, 4]
    assert await a.log.current_event("test:nope") is None
    assert orjson.loads(await b.log.current_event("test:e2") or b"{}")["status"] == "cancelled"


async def test_the_history_survives_a_redis_restart(redis_server: RedisServer) -> None:  # noqa: F811
    node = Node(redis_server.url)
    await node.log.open()
    await node.log.append([make_event(n) for n in range(3)])
    epoch = node.log.epoch
    await node.log.close()
    redis_server.stop()  # everything was fsynced to the append-only file
    redis_server.start()
    again = Node(redis_server.url)
    await again.log.open()
    assert (again.log.epoch, again.log.head) == (epoch, 3)
    [r] = await again.log.append([make_event(9)])
    assert r.seq == 4, "seqs continue, never reused"
    await wait_for(lambda: [e.seq for e in again.published] == [4])
    await again.log.close()


async def test_a_tail_never_publishes_a_new_history_as_the_rest_of_the_old_one(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    published: list[tuple[str, str]] = []  # (the node's epoch then, the entry's epoch)
    node = RedisLog(redis_server.url, prefix="test:live")
    node.on_commit = lambda es: published.extend(
        (node.epoch, orjson.loads(e.raw)["epoch"]) for e in es
    )
    await node.open()
    await node.append([make_event(n) for n in range(3)])
    await wait_for(lambda: len(published) == 3)
    await asyncio.sleep(0.05)  # the tail is blocked reading after seq 3
    client = redis.Redis.from_url(redis_server.url)
    await client.flushall()  # the history is lost while the tail waits...
    other = Node(redis_server.url)
    await other.log.open()  # ...and a new one begins, longer than what the tail had read
    await other.log.append([make_event(n) for n in range(10, 15)])
    await wait_for(lambda: node.epoch == other.log.epoch and node.head == 5)
    assert all(mine == theirs for mine, theirs in published), "no entry under the wrong epoch"
    assert [theirs for _, theirs in published[3:]] == [other.log.epoch] * 5
    await client.aclose()
    await other.log.close()
    await node.close()


async def test_retention_on_redis_keeps_active_events_and_the_head(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    now = [T0]
    node = Node(redis_server.url, clock=now)
    await node.log.open()
    await node.log.append([make_event(1), make_event(2)])
    await node.log.append([make_event(2, version=2, status="resolved")])
    now[0] = T0 + timedelta(days=10)
    await node.log.append([make_event(3)])
    assert await node.log.prune(older_than=T0 + timedelta(days=1), keep_entries=None) == 3
    assert node.log.first_seq == 4
    assert [e.seq for e in await node.log.entries_after(0, 10)] == [4]
    every = await node.log.events(EventFilter(), after_seq=0, limit=10)
    assert {orjson.loads(b)["event_id"] for _, b in every} == {"test:e1", "test:e3"}
    assert await node.log.history("test:e2", 10) == []
    await node.log.close()


async def test_boards_on_two_nodes_see_the_same_seqs_and_resume_across_them(
    start_server: StartServer,
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    shared = {"log_backend": "redis", "redis_url": redis_server.url}
    ingest = await start_server(tmp_path / "ingest.db", node_role="ingest", **shared)
    edge = await start_server(tmp_path / "edge.db", node_role="edge", **shared)

    on_edge = await BoardClient.connect(edge.session, edge.ws_url)
    on_ingest = await BoardClient.connect(ingest.session, ingest.ws_url)
    await on_edge.next_of("snapshot")
    await on_ingest.next_of("snapshot")
    await ingest.push([event_dict(n) for n in range(5)])
    assert await on_edge.until_seq(5) == [1, 2, 3, 4, 5]
    await on_ingest.until_seq(5)
    assert [e["body"] for e in on_edge.entries()] == [e["body"] for e in on_ingest.entries()]

    await on_edge.send({"type": "action", "action": "ack", "event_id": "test:e0", "ref": "r"})
    await on_ingest.until_seq(6)  # an operator on the edge, seen by a board on the ingest node
    assert on_ingest.entries()[-1]["body"]["action"] == "ack"

    epoch = edge.board.log.epoch
    await on_edge.close()
    await ingest.push([event_dict(n) for n in range(5, 8)])  # 7-9 while the board is away
    await wait_for(lambda: edge.board.log.head == 9 and ingest.board.log.head == 9)
    back = await BoardClient.connect(
        ingest.session, ingest.ws_url, resume={"epoch": epoch, "after_seq": 6}
    )
    assert (await back.next_of("welcome"))["mode"] == "resume", "one history on every node"
    assert await back.until_seq(9) == [7, 8, 9]
    assert edge.board.runners == [], "an edge runs no feeds"


async def test_a_stream_recreated_under_the_nodes_restarts_their_boards(
    start_server: StartServer,
    redis_server: RedisServer,  # noqa: F811
) -> None:
    running = await start_server(log_backend="redis", redis_url=redis_server.url)
    await running.push([event_dict(n) for n in range(3)])
    old_epoch = running.board.log.epoch
    board = await BoardClient.connect(running.session, running.ws_url)
    await board.until_seq(3)

    client = redis.Redis.from_url(redis_server.url)
    await client.flushall()  # Redis lost its data (restarted without persistence, flushed)
    await client.aclose()
    closed = await board.ws.receive(timeout=5)
    while closed.type.name not in ("CLOSE", "CLOSED"):
        closed = await board.ws.receive(timeout=5)
    assert closed.data == 4009, "the board is told to start over, not left frozen"
    assert running.board.log.epoch != old_epoch and running.board.log.head == 0

    await running.push([event_dict(9)])
    again = await BoardClient.connect(
        running.session, running.ws_url, resume={"epoch": old_epoch, "after_seq": 3}
    )
    welcome = await again.next_of("welcome")
    assert welcome["mode"] == "snapshot" and welcome["epoch"] == running.board.log.epoch
    snap = await again.next_of("snapshot")
    assert [e["event_id"] for e in snap["events"]] == ["test:e9"] and snap["seq"] == 1
    await board.close()
    await again.close()


async def test_workflows_of_events_come_from_the_shared_log(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    await a.log.append([make_event(1), make_event(2)])
    await b.log.append([Action(action="ack", event_id="test:e2", actor="op", at=T0)])
    flows = await a.log.workflows_of(["test:e1", "test:e2", "test:nope"])
    assert list(flows) == ["test:e2"] and flows["test:e2"]["acked_by"] == "op"


async def test_a_node_says_not_ready_while_redis_is_down_and_recovers_by_itself(
    start_server: StartServer,
    redis_server: RedisServer,  # noqa: F811
) -> None:
    running = await start_server(
        log_backend="redis", redis_url=redis_server.url, feeds_broadcast_seconds=0.1
    )
    await running.push([event_dict(1)])
    board = await BoardClient.connect(running.session, running.ws_url)
    await board.until_seq(1)
    assert (await board.next_of("feeds"))["log"] == {"ok": True, "problem": None}

    redis_server.stop()
    async with asyncio.timeout(10):  # the boards are told, not left looking at a frozen wall
        while (status := (await board.next_of("feeds"))["log"])["ok"]:
            pass
    assert "unreachable" in status["problem"]
    async with running.session.get(f"{running.http}/readyz") as r:
        assert r.status == 503 and "log unavailable" in (await r.json())["error"]["message"]
    async with running.session.post(
        f"{running.http}/api/push/test",
        data=orjson.dumps([event_dict(2)]),
        headers={"Authorization": f"Bearer {PUSH_TOKEN}"},
    ) as r:
        refused = await r.json()
    assert r.status == 503, refused

    redis_server.start()  # the same data (AOF): the node picks up where it was
    async with asyncio.timeout(10):
        while True:
            async with running.session.get(f"{running.http}/readyz") as r:
                if r.status == 200:
                    break
            await asyncio.sleep(0.1)
    async with asyncio.timeout(10):
        while not (await board.next_of("feeds"))["log"]["ok"]:
            pass
    await running.push([event_dict(3)])
    assert await board.until_seq(2, timeout=10) == [2], "the same board, no gap, no repeat"
    assert board.entries()[-1]["body"]["event_id"] == "test:e3", "the refused push stored nothing"
    await board.close()


async def test_a_resume_from_what_another_node_pruned_gets_a_snapshot_not_a_gap(
    start_server: StartServer,
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    shared = {"log_backend": "redis", "redis_url": redis_server.url}
    ingest = await start_server(tmp_path / "i.db", node_role="ingest", **shared)
    edge = await start_server(tmp_path / "e.db", node_role="edge", **shared)
    await ingest.push([event_dict(n) for n in range(6)])
    await wait_for(lambda: edge.board.log.head == 6)
    assert await ingest.board.log.prune(older_than=None, keep_entries=2) == 4
    assert edge.board.log.first_seq == 1, "the edge has not heard of the pruning"

    board = await BoardClient.connect(
        edge.session, edge.ws_url, resume={"epoch": edge.board.log.epoch, "after_seq": 2}
    )
    assert (await board.next_of("welcome"))["mode"] == "snapshot", "3-4 are gone: no silent gap"
    assert len((await board.next_of("snapshot"))["events"]) == 6
    await board.close()


async def test_append_once_takes_a_key_once_across_nodes(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    await a.log.append([make_event(1)])

    def step(n: int) -> Action:
        return Action(
            action="escalation_step", event_id="test:e1", actor="cityboard", at=T0, data={"step": n}
        )

    tries = await asyncio.gather(
        *[(a if n % 2 else b).log.append_once("esc:e1:1", [step(1)]) for n in range(6)]
    )
    assert sorted(r is None for r in tries) == [False] + [True] * 5
    assert await b.log.append_once("esc:e1:2", [step(2)]) is not None
    await wait_for(lambda: len(a.published) == 3 and len(b.published) == 3)
    assert [e.seq for e in a.published] == [1, 2, 3], "a refused claim takes no seq"
    flows = await a.log.workflows_of(["test:e1"])
    assert flows["test:e1"]["escalation"]["step"] == 2


@pytest.mark.parametrize("microsecond", [0, 5, 123_456])
def test_an_events_meta_writes_its_times_as_the_log_does_everywhere(microsecond: int) -> None:
    at = T0.replace(microsecond=microsecond)
    event = make_event(1, sent_at=at, updated_at=at + timedelta(seconds=1))
    meta = orjson.loads(_meta(event, 7))
    assert (meta["seq"], meta["version"]) == (7, 1)
    assert meta["sent_at"] == iso_utc(at)
    assert meta["updated_at"] == iso_utc(at + timedelta(seconds=1))
    assert orjson.loads(_meta(make_event(2, sent_at=at), 8))["updated_at"] == iso_utc(at)


async def test_append_claimed_writes_the_keys_no_node_holds_in_one_script(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    await a.log.append([make_event(1)])

    def step(n: int) -> Action:
        return Action(
            action="escalation_step", event_id="test:e1", actor="cityboard", at=T0, data={"step": n}
        )

    assert await b.log.append_once("esc:e1:2", [step(2)]) is not None  # the other node's
    scripts = []
    write = a.log._write_script

    async def counted_write(**kwargs: object) -> object:
        scripts.append(kwargs["keys"])
        return await write(**kwargs)

    a.log._write_script = counted_write
    results = await a.log.append_claimed(
        [
            ("esc:e1:1", [step(1)]),
            ("esc:e1:2", [step(2)]),  # held by node b
            ("esc:e1:3", [step(3)]),
            ("esc:e1:1", [step(1)]),  # taken earlier in the same call
        ]
    )
    assert [None if r is None else [x.seq for x in r] for r in results] == [[3], None, [4], None]
    assert len(scripts) == 2, "one script refused for b's claim, one writing both others"
    assert await b.log.append_claimed([("esc:e1:3", [step(3)]), ("esc:e1:1", [step(1)])]) == [
        None,
        None,
    ]
    await wait_for(lambda: len(a.published) == 4 and len(b.published) == 4)
    assert [e.seq for e in b.published] == [1, 2, 3, 4], "refused claims take no seq"
    flows = await a.log.workflows_of(["test:e1"])
    assert flows["test:e1"]["escalation"]["step"] == 3
