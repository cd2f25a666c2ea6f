"""The public stream through a real server: real SQLite files, real websocket clients, the
public port, `cityboard record`; the PII corpus must come out clean everywhere it can leave."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from server.http import serving
from server.http.public import PUBLIC_APP
from tests.cameras.builders import camera_dict
from tests.conftest import Running, StartServer, event_dict, wait_for
from tests.process import REPO
from tests.public.corpus import CASES, leaks, lost
from tests.wsclient import BoardClient

NO_DELAY: dict[str, Any] = {"delay_seconds": {}}


class Public:
    """A running server with its public port."""

    def __init__(self, running: Running, port: serving.Serving) -> None:
        self.running = running
        self.port = port
        self.http = f"http://127.0.0.1:{port.port}"
        self.ws_url = f"ws://127.0.0.1:{port.port}/ws"

    @property
    def head(self) -> int:
        assert self.running.board.public is not None
        return self.running.board.public.log.head


StartPublic = Callable[..., Awaitable[Public]]


@pytest.fixture
async def start_public(start_server: StartServer) -> AsyncIterator[StartPublic]:
    """Start a server and serve its public app on a port of its own."""
    ports: list[serving.Serving] = []

    async def start(db: Path | None = None, **public: Any) -> Public:
        running = await start_server(db, public_port=0, public=public)
        port = await serving.start(running.server.app[PUBLIC_APP], "127.0.0.1", 0)
        ports.append(port)
        return Public(running, port)

    yield start
    for port in ports:
        await port.close()


def corpus_events() -> list[dict[str, Any]]:
    return [{**event_dict(0), **case["event"]} for case in CASES]


async def test_the_corpus_comes_out_clean_on_every_public_way_out(
    start_public: StartPublic, tmp_path: Path
) -> None:
    public = await start_public(**NO_DELAY)
    session = public.running.session
    live = await BoardClient.connect(session, public.ws_url, stream="public")
    await live.next_of("snapshot")
    await public.running.push(corpus_events(), source="minwon")
    await wait_for(lambda: public.head >= len(CASES))
    await live.until_seq(len(CASES))
    fresh = await BoardClient.connect(session, public.ws_url, stream="public")
    snapshot = await fresh.next_of("snapshot")
    async with session.get(f"{public.http}/api/events?limit=100") as r:
        assert r.status == 200
        read = await r.text()
    out = tmp_path / "public.jsonl"
    record = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli.main",
        "record",
        str(out),
        "--server",
        public.ws_url,
        "--stream",
        "public",
        "--epoch",
        live.messages[0]["epoch"],
        "--after-seq",
        "0",
        "--count",
        str(len(CASES)),
        cwd=REPO,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(record.communicate(), 30)
    assert record.returncode == 0, stderr.decode()
    recording = out.read_text(encoding="utf-8")
    ways_out = {
        "live batches": orjson.dumps(live.entries()).decode(),
        "snapshot": orjson.dumps(snapshot["events"]).decode(),
        "/api/events": read,
        "recording": recording,
    }
    for name, text in ways_out.items():
        assert leaks(text) == [], name
        assert lost(text) == [], name  # the texts are still there, only the PII went
    assert len(snapshot["events"]) == len(CASES)
    # the same corpus is on the operators' live stream, so the test could fail
    async with session.get(f"{public.running.http}/api/events?limit=100") as r:
        assert len(leaks(await r.text())) > 10


async def test_actions_and_operator_notes_never_reach_the_public_stream(
    start_public: StartPublic,
) -> None:
    public = await start_public(**NO_DELAY)
    running = public.running
    await running.push([event_dict(1, kind="disaster")], source="city")
    operator = await BoardClient.connect(running.session, running.ws_url)
    await operator.next_of("snapshot")
    await operator.send(
        {
            "type": "action",
            "action": "note",
            "event_id": "city:e1",
            "actor": "Officer Kim 010-4444-5555",
            "data": {"text": "caller 김민수 at 월드컵로 212"},
            "ref": "n",
        }
    )
    assert (await operator.next_of("result"))["seq"] == 2
    await running.push([event_dict(2, kind="disaster")], source="city")
    await wait_for(lambda: public.head >= 2)
    async with running.session.get(f"{public.http}/api/events") as r:
        body = await r.text()
    watcher = await BoardClient.connect(running.session, public.ws_url, stream="public")
    await watcher.send({"type": "hello"})  # ignored: hello was already received
    await watcher.next_of("snapshot")
    for text in (body, orjson.dumps(watcher.messages).decode()):
        assert "Kim" not in text and "김민수" not in text and "city:" not in text
    assert public.head == 2  # two events; the note was withheld
    async with running.session.get(f"{running.http}/metrics") as r:
        figures = await r.text()
    assert "cityboard_public_published_total 2" in figures
    assert "cityboard_public_withheld_total 1" in figures


async def test_a_complaint_waits_for_its_delay_and_order_is_due_order(
    start_public: StartPublic,
) -> None:
    public = await start_public(delay_seconds={"complaint": 1.0})
    running = public.running
    watcher = await BoardClient.connect(running.session, public.ws_url, stream="public")
    await watcher.next_of("snapshot")
    await running.push([event_dict("c", kind="complaint", title="소음 민원")], source="minwon")
    await running.push([event_dict("t", kind="traffic", title="도로 통제")], source="city")
    loop = asyncio.get_running_loop()
    pushed = loop.time()
    await watcher.until_seq(1)
    assert [e["body"]["title"] for e in watcher.entries()] == ["도로 통제"]
    await watcher.until_seq(2)
    waited = loop.time() - pushed
    assert [e["body"]["title"] for e in watcher.entries()] == ["도로 통제", "소음 민원"]
    assert waited >= 0.8  # the delay counts from the live commit, a moment before `pushed`


async def test_restart_resumes_gap_free_and_publishes_each_entry_once(
    start_public: StartPublic, tmp_path: Path
) -> None:
    db = tmp_path / "restart.db"
    first = await start_public(db, delay_seconds={"complaint": 1.5})
    await first.running.push([event_dict(1, kind="traffic")], source="city")
    await first.running.push([event_dict(2, kind="complaint")], source="minwon")  # waits
    await wait_for(lambda: first.head == 1)
    watcher = await BoardClient.connect(first.running.session, first.ws_url, stream="public")
    welcome = await watcher.next_of("welcome")
    await watcher.next_of("snapshot")
    await first.port.close()
    await first.running.server.close()  # the complaint has not been published yet

    second = await start_public(db, delay_seconds={"complaint": 1.5})
    await second.running.push([event_dict(3, kind="traffic")], source="city")
    resumed = await BoardClient.connect(
        second.running.session,
        second.ws_url,
        stream="public",
        resume={"epoch": welcome["epoch"], "after_seq": 1},
    )
    assert (await resumed.next_of("welcome"))["mode"] == "resume"
    await resumed.until_seq(3, timeout=10)
    assert resumed.seqs() == [2, 3]  # gap-free after the seq the board had
    kinds = sorted(e["body"]["kind"] for e in resumed.entries())
    assert kinds == ["complaint", "traffic"]  # the complaint that waited across the restart
    await asyncio.sleep(1.0)  # a second look at the live log publishes nothing again
    assert second.head == 3


async def test_the_public_socket_is_read_only_capped_and_rate_limited(
    start_public: StartPublic,
) -> None:
    public = await start_public(
        ws_max_connections=2, ws_messages_per_second=0.1, ws_message_burst=5
    )
    session = public.running.session
    refused = await BoardClient.connect(session, public.ws_url)  # stream live: not here
    error = await refused.next_of("error")
    assert error["code"] == "public_only"
    await refused.ws.receive()
    assert refused.ws.closed and refused.ws.close_code == 1008

    one = await BoardClient.connect(session, public.ws_url, stream="public")
    await one.next_of("snapshot")
    await one.send({"type": "action", "action": "ack", "event_id": "public:x", "ref": "a"})
    answer = await one.next_of("error")
    assert answer["code"] == "read_only" and answer["ref"] == "a"
    two = await BoardClient.connect(session, public.ws_url, stream="public")
    await two.next_of("snapshot")
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    async with session.get(f"{public.http}/ws", headers=upgrade) as third:
        assert third.status == 503
        assert (await third.json())["error"]["code"] == "too_many_boards"
    # one address, one budget of 5: two hellos and an action spent 3, two pings spend the rest
    await one.send({"type": "ping"})
    await two.send({"type": "ping"})
    await one.next_of("pong")
    await two.next_of("pong")
    await one.send({"type": "ping"})
    limited = await one.next_of("error")
    assert limited["code"] == "rate_limited"


async def test_public_reads_are_cacheable_and_the_port_has_no_operator_route(
    start_public: StartPublic,
) -> None:
    public = await start_public(**NO_DELAY)
    session = public.running.session
    async with session.get(f"{public.http}/api/events") as r:
        tag = r.headers["ETag"]
        assert r.headers["Cache-Control"] == "public, max-age=5"
    async with session.get(f"{public.http}/api/events", headers={"If-None-Match": tag}) as r:
        assert r.status == 304 and r.headers["ETag"] == tag
    await public.running.push([event_dict(1, kind="disaster")], source="city")
    await wait_for(lambda: public.head == 1)
    async with session.get(f"{public.http}/api/events", headers={"If-None-Match": tag}) as r:
        assert r.status == 200 and r.headers["ETag"] != tag
    async with session.get(f"{public.http}/api/districts") as r:
        district_tag = r.headers["ETag"]
    async with session.get(
        f"{public.http}/api/districts", headers={"If-None-Match": district_tag}
    ) as r:
        assert r.status == 304
    for path in (
        "/api/officers",
        "/api/calls/1",
        "/api/feeds",
        "/api/situations",
        "/api/replays",
        "/api/events/x/history",
        "/brief",
        "/metrics",
        "/readyz",
    ):
        async with session.get(f"{public.http}{path}") as r:
            assert r.status == 404, path
    async with session.post(f"{public.http}/api/push/city", data=b"[]") as r:
        assert r.status in (404, 405), r.status
    for path in ("/public", "/"):
        async with session.get(f"{public.http}{path}") as r:
            assert 'data-mode="public"' in await r.text()
    async with session.get(f"{public.http}/healthz") as r:
        assert r.status == 200


async def test_the_main_port_serves_public_read_only_too(start_public: StartPublic) -> None:
    public = await start_public(**NO_DELAY)
    running = public.running
    await running.push([event_dict(1, kind="complaint", title="민원 010-1234-5678")], "minwon")
    await wait_for(lambda: public.head == 1)
    watcher = await BoardClient.connect(running.session, running.ws_url, stream="public")
    snapshot = await watcher.next_of("snapshot")
    # the board is told the rules it shows citizens (no delays here, the default grid)
    assert watcher.messages[0]["public"] == {"delay_minutes": {}, "grid_meters": 250.0}
    assert "010-1234-5678" not in orjson.dumps(snapshot).decode()
    assert snapshot["feeds"] == []  # feed names are sources: never public
    await watcher.send({"type": "action", "action": "ack", "event_id": "public:x"})
    assert (await watcher.next_of("error"))["code"] == "read_only"  # even for this machine
    async with running.session.get(f"{running.http}/api/events?stream=public") as r:
        assert "010-1234-5678" not in await r.text()
    async with running.session.get(f"{running.http}/api/situations?stream=public") as r:
        assert r.status == 404  # the live stream's situations are not the public's
    async with running.session.get(f"{running.http}/public") as r:
        assert 'data-mode="public"' in await r.text()


async def test_the_public_board_gets_public_cameras_only(start_public: StartPublic) -> None:
    public = await start_public(**NO_DELAY)
    running = public.running
    await running.push([event_dict(1, kind="disaster")], source="city")
    await running.push(
        [
            camera_dict(1, 120, public=True, snapshot_url="http://cams.test/1.jpg"),
            camera_dict(2, 40, mjpeg_url="http://cams.test/2.mjpg"),
        ],
        source="cams",
    )
    await wait_for(lambda: len(running.board.cameras.cameras) == 2 and public.head == 1)
    async with running.session.get(f"{public.http}/api/events") as r:
        [incident] = (await r.json())["events"]  # the cameras are not events here either
    asked = (
        f"{public.http}/api/cameras",
        f"{public.http}/api/cameras?event={incident['event_id']}",
        f"{running.http}/api/cameras?stream=public",  # this machine is an operator, yet
        f"{running.http}/api/cameras?stream=public&event={incident['event_id']}",
    )
    for url in asked:
        async with running.session.get(url) as r:
            answer = await r.json()
            assert r.status == 200, answer
        assert [c["id"] for c in answer["cameras"]] == ["cams:cam1"], url
        assert answer["cameras"][0]["snapshot_url"] == "http://cams.test/1.jpg"
    async with running.session.get(f"{running.http}/api/cameras") as r:
        assert len((await r.json())["cameras"]) == 2  # the operators' answer has both
