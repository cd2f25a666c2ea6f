"""The HTTP API: health, event queries, and token-authenticated push that stores all or nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import PUSH_TOKEN, Running, StartServer, event_dict

AUTH = {"Authorization": f"Bearer {PUSH_TOKEN}"}


async def post(
    running: Running, body: bytes, headers: dict[str, str] | None = None, source: str = "test"
) -> tuple[int, dict[str, Any]]:
    async with running.session.post(
        f"{running.http}/api/push/{source}", data=body, headers=AUTH if headers is None else headers
    ) as r:
        return r.status, await r.json()


async def stored(running: Running) -> list[dict[str, Any]]:
    async with running.session.get(f"{running.http}/api/events?limit=1000") as r:
        return (await r.json())["events"]


async def test_health_and_readiness(running: Running) -> None:
    async with running.session.get(f"{running.http}/healthz") as r:
        assert r.status == 200 and (await r.json())["status"] == "ok"
    async with running.session.get(f"{running.http}/readyz") as r:
        body = await r.json()
        assert r.status == 200 and body["epoch"] == running.board.log.epoch


async def test_readiness_fails_when_the_log_is_closed(running: Running) -> None:
    await running.board.log.close()
    async with running.session.get(f"{running.http}/readyz") as r:
        assert r.status == 503 and (await r.json())["error"]["code"] == "not_ready"


async def test_readiness_fails_while_appends_fail_and_comes_back(
    start_server: StartServer, tmp_path: Path
) -> None:
    """Another process holding the database makes pushes 503 — and /readyz says so too (it used
    to say ready while every append failed)."""
    running = await start_server(log_busy_timeout_seconds=0.2)
    intruder = sqlite3.connect(tmp_path / "log.db", isolation_level=None)
    intruder.execute("BEGIN EXCLUSIVE")
    status, body = await post(running, orjson.dumps(event_dict(1)))
    assert status == 503 and body["error"]["code"] == "log_unavailable"
    async with running.session.get(f"{running.http}/readyz") as r:
        error = (await r.json())["error"]
        assert r.status == 503 and error["code"] == "not_ready" and "locked" in error["message"]
    intruder.execute("ROLLBACK")
    intruder.close()
    status, body = await post(running, orjson.dumps(event_dict(1)))
    assert status == 202 and body["results"][0]["seq"] == 1
    async with running.session.get(f"{running.http}/readyz") as r:
        assert r.status == 200


async def test_push_one_or_many_fills_source_received_at_and_district(running: Running) -> None:
    status, body = await post(running, orjson.dumps(event_dict(1)))
    assert status == 202 and body["results"] == [
        {"event_id": "test:e1", "seq": 1, "outcome": "appended"}
    ]
    status, body = await post(running, orjson.dumps([event_dict(2), event_dict(1)]))
    assert status == 202
    assert [r["outcome"] for r in body["results"]] == ["appended", "duplicate"]
    [first, _] = await stored(running)
    assert first["source"] == "test" and first["received_at"].endswith("Z")
    assert first["district"] == "11140", "City Hall's point lies in Jung-gu"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "unauthorized"),
        ({"Authorization": "Bearer wrong"}, 403, "forbidden"),
    ],
)
async def test_push_needs_the_token(
    running: Running, headers: dict[str, str], status: int, code: str
) -> None:
    got, body = await post(running, orjson.dumps(event_dict(1)), headers)
    assert (got, body["error"]["code"]) == (status, code)
    assert await stored(running) == []


async def test_push_is_off_without_a_configured_token(start_server: StartServer) -> None:
    running = await start_server(push_token=None)
    status, body = await post(running, orjson.dumps(event_dict(1)))
    assert status == 403 and body["error"]["code"] == "push_disabled"


async def test_an_invalid_event_rejects_the_whole_request_with_field_errors(
    running: Running,
) -> None:
    await post(running, orjson.dumps(event_dict(0, title="kept")))
    batch = [
        event_dict(1),
        event_dict(2, sent_at="2026-11-29T09:00:00"),
        event_dict(3, geometry={"type": "Point", "coordinates": [37.5, 127.0]}),
        {**event_dict(4), "source": "spoofed"},
        "not an object",
        {"title": "no id"},
    ]
    status, body = await post(running, orjson.dumps(batch))
    assert status == 400 and body["error"]["code"] == "invalid_event"
    by_index = {e["index"]: e for e in body["error"]["errors"]}
    assert set(by_index) == {1, 2, 3, 4, 5}
    assert by_index[1]["loc"] == ["sent_at"] and "timezone" in by_index[1]["msg"]
    assert by_index[2]["loc"][0] == "geometry" and "latitude" in by_index[2]["msg"]
    assert by_index[3]["loc"] == ["source"]
    assert by_index[5]["loc"] == ["event_id"]
    assert [e["title"] for e in await stored(running)] == ["kept"], (
        "nothing new stored, nothing lost"
    )


async def test_bad_json_and_oversize_bodies(start_server: StartServer) -> None:
    running = await start_server(push_max_body_bytes=4096, push_max_events=3)
    status, body = await post(running, b"{not json")
    assert status == 400 and body["error"]["code"] == "bad_json"
    status, body = await post(running, orjson.dumps([event_dict(1, description="x" * 5000)]))
    assert status == 413 and body["error"]["code"] == "too_large"
    status, body = await post(running, orjson.dumps([event_dict(i) for i in range(4)]))
    assert status == 413 and body["error"]["code"] == "too_many_events"
    status, body = await post(running, b"[]")
    assert status == 400
    status, body = await post(running, orjson.dumps(event_dict(1)), source="Bad Source!")
    assert status == 400 and body["error"]["code"] == "invalid_source"
    assert await stored(running) == []


async def test_a_chunked_body_is_capped_without_a_content_length(
    start_server: StartServer,
) -> None:
    """No Content-Length to refuse early: the cap still holds on the bytes that came, whether the
    whole body was there when the handler ran or it came in several reads."""
    running = await start_server(push_max_body_bytes=4096)

    async def chunked(body: bytes, pieces: int) -> tuple[int, dict[str, Any]]:
        reader, writer = await asyncio.open_connection(running.server.host, running.server.port)
        head = (
            "POST /api/push/test HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {PUSH_TOKEN}\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        step = -(-len(body) // pieces)
        chunks = [body[i : i + step] for i in range(0, len(body), step)]
        frames = [b"%x\r\n%s\r\n" % (len(c), c) for c in chunks] + [b"0\r\n\r\n"]
        if pieces == 1:  # head and the whole body in one write: all of it there at once
            writer.write(head + b"".join(frames))
        else:
            writer.write(head)
            for frame in frames:
                await writer.drain()
                await asyncio.sleep(0.01)
                writer.write(frame)
        answer = await reader.read()
        writer.close()
        status_line, _, rest = answer.partition(b"\r\n")
        return int(status_line.split()[1]), orjson.loads(rest.partition(b"\r\n\r\n")[2])

    oversize = orjson.dumps([event_dict(1, description="x" * 5000)])
    for pieces in (1, 4):
        status, body = await chunked(oversize, pieces)
        assert status == 413 and body["error"]["code"] == "too_large", pieces
    status, body = await chunked(orjson.dumps(event_dict(2, title="taken")), 1)
    assert status == 202 and body["results"][0]["outcome"] == "appended"
    assert [e["title"] for e in await stored(running)] == ["taken"]


async def test_events_api_filters_and_pages(running: Running) -> None:
    await running.push(
        [
            event_dict(
                i,
                kind=["traffic", "disaster", "complaint"][i % 3],
                severity=["minor", "severe"][i % 2],
            )
            for i in range(12)
        ]
    )
    await running.push([event_dict(0, version=2, kind="traffic", status="resolved")])
    url = f"{running.http}/api/events"
    async with running.session.get(
        url, params={"kind": "disaster,complaint", "severity": "severe"}
    ) as r:
        events = (await r.json())["events"]
    assert {(e["kind"], e["severity"]) for e in events} == {
        ("disaster", "severe"),
        ("complaint", "severe"),
    }
    async with running.session.get(url, params={"status": "resolved"}) as r:
        assert [e["event_id"] for e in (await r.json())["events"]] == ["test:e0"]
    seen: list[str] = []
    after = 0
    while True:
        async with running.session.get(url, params={"after_seq": after, "limit": 5}) as r:
            page = await r.json()
        if not page["events"]:
            break
        seen += [e["event_id"] for e in page["events"]]
        after = page["next_after_seq"]
    assert sorted(seen) == sorted(f"test:e{i}" for i in range(12)), (
        "each event once, latest version"
    )
    async with running.session.get(url, params={"limit": "0"}) as r:
        assert r.status == 400 and "limit" in (await r.json())["error"]["message"]
    async with running.session.get(url, params={"after_seq": "x"}) as r:
        assert r.status == 400


async def test_districts_and_feeds(running: Running) -> None:
    async with running.session.get(f"{running.http}/api/districts") as r:
        geo = await r.json(content_type=None)
    assert len(geo["features"]) == 25
    async with running.session.get(f"{running.http}/api/feeds") as r:
        assert (await r.json()) == {"feeds": []}


async def test_a_configured_push_feed_has_its_own_token_and_health(
    start_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WARD_PUSH_TOKEN", "ward-secret")
    running = await start_server(
        feeds=[
            {
                "name": "ward",
                "adapter": "push",
                "sla_seconds": 600,
                "options": {"token_env": "WARD_PUSH_TOKEN"},
            }
        ]
    )
    async with running.session.get(f"{running.http}/api/feeds") as r:
        [health] = (await r.json())["feeds"]
    assert health["name"] == "ward" and health["adapter"] == "push" and health["stale"] is True
    status, _ = await post(running, orjson.dumps(event_dict(1)), source="ward")
    assert status == 403, "the global token does not open a configured push feed"
    status, body = await post(
        running,
        orjson.dumps(event_dict(1)),
        source="ward",
        headers={"Authorization": "Bearer ward-secret"},
    )
    assert status == 202 and body["results"][0]["event_id"] == "ward:e1"
    async with running.session.get(f"{running.http}/api/feeds") as r:
        [health] = (await r.json())["feeds"]
    assert health["state"] == "ok" and health["stale"] is False and health["events_emitted"] == 1


async def test_a_push_feed_without_its_token_in_the_environment_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from server.errors import ConfigError
    from server.http.app import create_app
    from server.settings import Settings

    monkeypatch.delenv("MISSING_TOKEN", raising=False)
    settings = Settings(
        db_path=tmp_path / "x.db",
        demo=False,
        feeds=[{"name": "ward", "adapter": "push", "options": {"token_env": "MISSING_TOKEN"}}],
    )
    with pytest.raises(ConfigError, match="MISSING_TOKEN is unset"):
        create_app(settings)


async def test_metrics_in_prometheus_text(start_server: StartServer) -> None:
    running = await start_server(demo=True)
    await running.push([event_dict(1)])
    async with running.session.get(f"{running.http}/metrics") as r:
        text = await r.text()
    assert r.status == 200 and r.content_type == "text/plain"
    values = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    assert int(values["cityboard_log_head_seq"]) >= 1
    assert values['cityboard_feed_events_total{feed="demo"}'] is not None
    assert "# TYPE cityboard_feed_stale gauge" in text


async def test_events_sent_after_a_time(running: Running) -> None:
    await running.push(
        [
            event_dict(1, sent_at="2026-11-28T00:00:00Z"),
            event_dict(2, sent_at="2026-11-29T08:00:00+09:00"),
        ]
    )
    url = f"{running.http}/api/events"
    async with running.session.get(url, params={"sent_after": "2026-11-28T12:00:00Z"}) as r:
        assert [e["event_id"] for e in (await r.json())["events"]] == ["test:e2"]
    async with running.session.get(url, params={"sent_after": "yesterday"}) as r:
        assert r.status == 400 and "sent_after" in (await r.json())["error"]["message"]
