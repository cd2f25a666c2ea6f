"""The runner against a loopback upstream and a real log, with time moved by hand."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from feeds.kit import make_event, parse_time
from feeds.kit.base import Manifest, Parsed, PollingFeed
from feeds.kit.http import Fetcher, SharedSession
from feeds.runner import BACKOFF_MAX_SECONDS, FeedRunner
from server.clock import ManualClock
from server.errors import FeedRejected
from server.stream.events import Status
from server.stream.log import EventFilter
from server.stream.sqlite import EventLog
from tests.conftest import DISTRICTS, feed_context

START = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
CAP = 64 * 1024


class ListFeed(PollingFeed):
    """A minimal snapshot source: a JSON list of {id, title, v, expires?}."""

    manifest = Manifest(
        name="list",
        kinds=("traffic",),
        standard="test list",
        update_model="snapshot",
        interval_seconds=60,
        licence="",
    )

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        try:
            items = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise FeedRejected(f"not JSON: {exc}") from None
        parsed = Parsed()
        for item in items:
            with parsed.item(str(item.get("id"))):
                expires = parse_time(item["expires"]) if "expires" in item else None
                parsed.events.append(
                    make_event(
                        self.source,
                        item["id"],
                        kind="traffic",
                        category="traffic.closure",
                        severity="moderate",
                        title=item["title"],
                        version=item["v"],
                        sent_at=START,
                        expires_at=expires,
                        received_at=received_at,
                        geometry={"type": "Point", "coordinates": [126.9779, 37.5663]},
                    )
                )
        return parsed


class Upstream:
    """A loopback HTTP server whose answer the test sets: body, status, ETag."""

    def __init__(self) -> None:
        self.body: bytes = b"[]"
        self.status = 200
        self.etag: str | None = None
        self.gzip = False
        self.requests: list[dict[str, str]] = []
        app = web.Application()
        app.router.add_get("/feed", self.handle)
        self.server = TestServer(app, host="127.0.0.1", port=0)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.headers))
        if self.etag and request.headers.get("If-None-Match") == self.etag:
            return web.Response(status=304)
        headers = {"ETag": self.etag} if self.etag else {}
        body = self.body
        if self.gzip:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return web.Response(status=self.status, body=body, headers=headers)

    def serve(self, items: list[dict[str, Any]]) -> None:
        self.body, self.status = orjson.dumps(items), 200

    @property
    def url(self) -> str:
        return str(self.server.make_url("/feed"))


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    up = Upstream()
    await up.server.start_server()
    yield up
    await up.server.close()


@pytest.fixture
async def event_log(tmp_path: Path) -> AsyncIterator[EventLog]:
    log = EventLog(tmp_path / "runner.db")
    await log.open()
    yield log
    await log.close()


@pytest.fixture
async def make_runner(upstream: Upstream, event_log: EventLog) -> AsyncIterator[Any]:
    session = SharedSession()
    clock = ManualClock(START)

    def make(**config: Any) -> tuple[FeedRunner, ListFeed]:
        fetcher = Fetcher(session, timeout_seconds=5, max_body_bytes=CAP)
        feed = ListFeed(
            feed_context("list", name="city-list", url=upstream.url, http=fetcher, **config)
        )

        async def active(source: str) -> list[Any]:
            from server.stream.events import Event

            rows = await event_log.events(
                EventFilter(sources=(source,), statuses=("active",)), after_seq=0, limit=1000
            )
            return [Event.model_validate_json(b) for _, b in rows]

        runner = FeedRunner(
            feed,
            event_log.append,
            districts=DISTRICTS,
            load_active=active,
            clock=clock,
            rng=random.Random(1),
        )
        return runner, feed

    make.clock = clock  # type: ignore[attr-defined]
    yield make
    await session.close()


async def current(event_log: EventLog) -> dict[str, dict[str, Any]]:
    rows = await event_log.events(EventFilter(), after_seq=0, limit=1000)
    return {orjson.loads(b)["event_id"]: orjson.loads(b) for _, b in rows}


async def test_snapshot_diff_expires_what_disappears_and_revives_what_returns(
    upstream: Upstream, event_log: EventLog, make_runner: Any
) -> None:
    runner, feed = make_runner()
    upstream.serve([{"id": "a", "title": "A", "v": 1}, {"id": "b", "title": "B", "v": 1}])
    assert await runner.poll_once(feed, 10)
    assert event_log.head == 2
    assert await runner.poll_once(feed, 10)
    assert event_log.head == 2, "an unchanged document writes nothing"

    upstream.serve([{"id": "a", "title": "A", "v": 1}])
    assert await runner.poll_once(feed, 10)
    now = await current(event_log)
    assert now["city-list:b"]["status"] == "expired" and now["city-list:b"]["version"] == 2
    assert now["city-list:a"]["status"] == "active"
    assert now["city-list:a"]["district"] == "11140", "the runner fills districts from points"

    upstream.serve([{"id": "a", "title": "A", "v": 1}, {"id": "b", "title": "B", "v": 1}])
    assert await runner.poll_once(feed, 10)
    now = await current(event_log)
    assert now["city-list:b"]["status"] == "active" and now["city-list:b"]["version"] == 3


async def test_a_change_the_source_did_not_re_version_is_kept_with_a_higher_version(
    upstream: Upstream, event_log: EventLog, make_runner: Any
) -> None:
    runner, feed = make_runner()
    upstream.serve([{"id": "a", "title": "first words", "v": 7}])
    assert await runner.poll_once(feed, 10)
    upstream.serve([{"id": "a", "title": "corrected words", "v": 7}])  # same version, new text
    assert await runner.poll_once(feed, 10)
    now = (await current(event_log))["city-list:a"]
    assert (now["title"], now["version"]) == ("corrected words", 8)
    assert await runner.poll_once(feed, 10)
    assert event_log.head == 2, "re-listing the corrected item writes nothing more"
    upstream.serve([{"id": "a", "title": "older words", "v": 6}])
    assert await runner.poll_once(feed, 10)
    assert (await current(event_log))["city-list:a"]["title"] == "corrected words"


async def test_expiry_by_expires_at(
    upstream: Upstream, event_log: EventLog, make_runner: Any
) -> None:
    runner, feed = make_runner()
    soon = (START + timedelta(minutes=5)).isoformat()
    upstream.serve([{"id": "a", "title": "A", "v": 1, "expires": soon}])
    assert await runner.poll_once(feed, 10)
    make_runner.clock.advance(600)
    assert await runner.poll_once(feed, 10)
    assert (await current(event_log))["city-list:a"]["status"] == "expired"


async def test_outage_keeps_events_logs_once_and_recovers(
    upstream: Upstream, event_log: EventLog, make_runner: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="feeds.runner")
    runner, feed = make_runner(interval_seconds=60)
    upstream.serve([{"id": "a", "title": "A", "v": 1}])
    assert await runner.poll_once(feed, 10)
    head = event_log.head
    upstream.status, upstream.body = 503, b"maintenance"
    for _ in range(3):
        make_runner.clock.advance(61)
        assert not await runner.poll_once(feed, 10)
    h = runner.health
    assert h.state == "down" and h.consecutive_failures == 3 and "HTTP 503" in (h.last_error or "")
    assert h.as_json(make_runner.clock.now())["stale"] is True, "183 s > SLA of 3 intervals"
    assert (await current(event_log))["city-list:a"]["status"] == "active", "events stay"
    entries = await event_log.entries_after(head, 100)
    assert [orjson.loads(e.raw)["body"]["code"] for e in entries] == ["feed_failed"]

    upstream.serve([{"id": "a", "title": "A", "v": 1}])
    make_runner.clock.advance(60)
    assert await runner.poll_once(feed, 10)
    assert (
        runner.health.state == "ok" and not runner.health.as_json(make_runner.clock.now())["stale"]
    )
    codes = [
        orjson.loads(e.raw)["body"].get("code") for e in await event_log.entries_after(head, 100)
    ]
    assert codes == ["feed_failed", "feed_recovered"]
    messages = [r.getMessage() for r in caplog.records]
    assert (
        sum("failed" in m for m in messages) == 1 and sum("recovered" in m for m in messages) == 1
    )


async def test_backoff_grows_and_is_capped(upstream: Upstream, make_runner: Any) -> None:
    runner, _feed = make_runner(interval_seconds=60)
    upstream.status = 500
    waits: list[float] = []
    clock = make_runner.clock
    original = clock.sleep

    async def record(seconds: float) -> None:
        waits.append(seconds)
        await original(seconds)

    clock.sleep = record
    task = asyncio.create_task(runner.run())
    for _ in range(12):
        while clock.sleepers == 0:
            await asyncio.sleep(0.01)
        clock.advance(BACKOFF_MAX_SECONDS * 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert waits[0] >= 60 * 0.9, "never faster than the interval"
    assert all(b >= a * 0.9 for a, b in itertools.pairwise(waits)), waits
    assert max(waits) <= BACKOFF_MAX_SECONDS and waits[-1] >= BACKOFF_MAX_SECONDS * 0.9


async def test_conditional_get_sends_the_etag_and_304_is_a_quiet_success(
    upstream: Upstream, event_log: EventLog, make_runner: Any
) -> None:
    runner, feed = make_runner()
    upstream.serve([{"id": "a", "title": "A", "v": 1}])
    upstream.etag = '"v1"'
    assert await runner.poll_once(feed, 10)
    assert await runner.poll_once(feed, 10)
    assert upstream.requests[-1].get("If-None-Match") == '"v1"'
    assert runner.health.state == "ok" and event_log.head == 1


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip-bomb"])
async def test_oversized_bodies_are_rejected_even_after_gzip(
    upstream: Upstream, event_log: EventLog, make_runner: Any, compressed: bool
) -> None:
    runner, feed = make_runner()
    upstream.serve([{"id": "a", "title": "A", "v": 1}])
    assert await runner.poll_once(feed, 10)
    upstream.body = b"[" + b" " * (20 * 1024 * 1024) + b"]"  # 20 MiB; gzip makes it ~20 KiB
    upstream.gzip = compressed
    assert not await runner.poll_once(feed, 10)
    assert runner.health.documents_rejected == 1
    assert "limit" in (runner.health.last_error or "")
    assert (await current(event_log))["city-list:a"]["status"] == "active", "nothing removed"


async def test_a_bad_item_is_skipped_and_counted(
    upstream: Upstream, event_log: EventLog, make_runner: Any
) -> None:
    runner, feed = make_runner()
    upstream.serve([{"id": "a", "title": "A", "v": 1}, {"id": "b", "title": "", "v": 1}])
    assert await runner.poll_once(feed, 10)
    assert runner.health.items_skipped == 1
    assert list(await current(event_log)) == ["city-list:a"]


async def test_a_restarted_runner_expires_what_vanished_while_it_was_down(
    upstream: Upstream, event_log: EventLog, make_runner: Any
) -> None:
    first, feed = make_runner()
    upstream.serve([{"id": "a", "title": "A", "v": 1}, {"id": "b", "title": "B", "v": 1}])
    assert await first.poll_once(feed, 10)
    second, _feed2 = make_runner()
    upstream.serve([{"id": "a", "title": "A", "v": 1}])
    task = asyncio.create_task(second.run())
    while make_runner.clock.sleepers == 0:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    now = await current(event_log)
    assert now["city-list:b"]["status"] == Status.EXPIRED.value
    assert now["city-list:a"]["version"] == 1, "a is unchanged and not rewritten"


async def test_cap_update_and_cancel_chain_bumps_the_version_and_ends_the_event(
    event_log: EventLog,
) -> None:
    """Alert → Update → Cancel of one Korean CAP alert: one event, rising versions, cancelled."""
    from feeds.cap import CapFeed
    from tests.feeds.conftest import FIXTURES

    feed = CapFeed(feed_context("cap", name="kma"))
    runner = FeedRunner(feed, event_log.append, districts=DISTRICTS, clock=ManualClock(START))
    versions = []
    for name in ("heavy-rain-jongno", "heavy-rain-jongno-update", "heavy-rain-jongno-cancel"):
        parsed = feed.parse((FIXTURES / "cap-kr" / f"{name}.cap").read_bytes(), received_at=START)
        await runner._accept(parsed, START, snapshot=False)
        [event] = (await current(event_log)).values()
        versions.append((event["version"], event["status"], event["severity"]))
    assert event["event_id"] == "kma:cap@weather.example.kr,KMA-2026-11-29-0001"
    assert [v[1:] for v in versions] == [
        ("active", "severe"),
        ("active", "extreme"),
        ("cancelled", "severe"),
    ]
    assert versions[0][0] < versions[1][0] < versions[2][0]
    assert event_log.head == 3


async def test_a_restamped_but_unchanged_document_writes_nothing(
    upstream: Upstream, event_log: EventLog, make_runner: Any
) -> None:
    """GTFS-rt style: every document carries a new header time, so versions rise each poll."""
    runner, feed = make_runner()
    for version in (100, 160, 220):
        upstream.serve([{"id": "a", "title": "A", "v": version}])
        assert await runner.poll_once(feed, 10)
    assert event_log.head == 1


async def test_a_feed_config_may_declare_its_source_a_snapshot(
    upstream: Upstream, event_log: EventLog, make_runner: Any
) -> None:
    runner, feed = make_runner(update_model="append")
    upstream.serve([{"id": "a", "title": "A", "v": 1}, {"id": "b", "title": "B", "v": 1}])
    assert await runner.poll_once(feed, 10)
    upstream.serve([{"id": "a", "title": "A", "v": 1}])
    assert await runner.poll_once(feed, 10)
    assert (await current(event_log))["city-list:b"]["status"] == "active", "append: no expiry"


def test_secrets_come_from_the_environment_not_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from feeds.kit.base import FeedConfig

    monkeypatch.setenv("SEOUL_API_KEY", "k3y")
    config = FeedConfig(
        name="x",
        adapter="mapping",
        url="https://api.example/${SEOUL_API_KEY}/json",
        headers={"Authorization": "Bearer ${SEOUL_API_KEY}"},
    )
    assert config.resolved_url == "https://api.example/k3y/json"
    assert config.resolved_headers["Authorization"] == "Bearer k3y"
    assert "k3y" not in repr(config), "the config itself holds only the reference"
    assert config.redact("GET https://api.example/k3y/json: 500") == (
        "GET https://api.example/${SEOUL_API_KEY}/json: 500"
    )
    monkeypatch.delenv("SEOUL_API_KEY")
    with pytest.raises(ValidationError, match=r"SEOUL_API_KEY .* is not set"):
        FeedConfig(name="x", adapter="mapping", url="https://api.example/${SEOUL_API_KEY}/json")


@pytest.fixture
async def serve_fixture(upstream: Upstream, event_log: EventLog) -> AsyncIterator[Any]:
    """A runner for adapter `name` polling `upstream`, which serves fixture `relpath`."""
    from feeds import registry
    from tests.feeds.conftest import FIXTURES

    session = SharedSession()

    def make(name: str, relpath: str, **config: Any) -> tuple[FeedRunner, PollingFeed]:
        upstream.body, upstream.status = (FIXTURES / relpath).read_bytes(), 200
        fetcher = Fetcher(session, timeout_seconds=5, max_body_bytes=CAP)
        feed = registry.load(name)(feed_context(name, url=upstream.url, http=fetcher, **config))
        assert isinstance(feed, PollingFeed)
        runner = FeedRunner(feed, event_log.append, districts=DISTRICTS, clock=ManualClock(START))
        return runner, feed

    yield make
    await session.close()


async def test_a_warning_is_counted_and_the_event_stored(
    serve_fixture: Any, event_log: EventLog
) -> None:
    """canada_errors.cap: `<references/>` is dropped with a warning, the alert is stored."""
    runner, feed = serve_fixture("cap", "cap/canada_errors.cap")
    assert await runner.poll_once(feed, 10)
    health = runner.health.as_json(START)
    assert (health["state"], health["warnings"], health["items_skipped"]) == ("ok", 1, 0)
    assert list(await current(event_log)) == ["cap:cap@ec.gc.ca,2.49.0.1.124.6bddbc91.2012"]


async def test_a_non_finite_time_costs_only_its_item(
    serve_fixture: Any, upstream: Upstream, event_log: EventLog
) -> None:
    runner, feed = serve_fixture("usgs", "usgs-geojson/earthquakes-1.json")
    doc = orjson.loads(upstream.body)
    doc["features"][1]["properties"]["time"] = "NaN"
    upstream.body = orjson.dumps(doc)
    assert await runner.poll_once(feed, 10)
    assert (runner.health.state, runner.health.items_skipped) == ("ok", 1)
    assert sorted(await current(event_log)) == ["usgs:1234", "usgs:3456"]


async def test_a_document_of_filtered_alerts_is_a_healthy_poll(
    serve_fixture: Any, upstream: Upstream, event_log: EventLog
) -> None:
    runner, feed = serve_fixture("cap", "cap/thunderstorm.cap", update_model="snapshot")
    upstream.body = upstream.body.replace(b"<status>Actual</status>", b"<status>Test</status>")
    assert await runner.poll_once(feed, 10)
    health = runner.health.as_json(START)
    assert (health["state"], health["items_filtered"]) == ("ok", 1)
    assert (health["documents_rejected"], health["items_skipped"]) == (0, 0)
    assert event_log.head == 0


async def test_a_fetch_dated_event_keeps_its_version_across_polls(
    serve_fixture: Any, upstream: Upstream, event_log: EventLog
) -> None:
    """NSW RFS pubDates with no `timezone`: dated by the fetch, marked, and not re-versioned
    each poll although the fetch time moves; a real change is a new version from first sight."""
    runner, feed = serve_fixture("geojson", "geojson/nsw_rural_fire_service_feed.json")
    assert await runner.poll_once(feed, 10)
    first = (await current(event_log))["geojson:1234"]
    assert first["time_basis"] == "fetched"
    assert first["sent_at"] == first["received_at"] == "2026-11-29T09:00:00Z"
    assert runner.health.warnings == 1 and event_log.head == 3
    for _ in range(2):
        runner.clock.advance(120)
        assert await runner.poll_once(feed, 10)
    assert event_log.head == 3, "only the fetch time moved: nothing new"
    assert runner.health.warnings == 3  # one per document, each poll

    runner.clock.advance(120)
    upstream.body = upstream.body.replace(b"Title 1", b"Title 1 (grown)")
    assert await runner.poll_once(feed, 10)
    assert event_log.head == 4
    changed = (await current(event_log))["geojson:1234"]
    assert changed["title"] == "Title 1 (grown)" and changed["version"] > first["version"]
    assert changed["sent_at"] == first["sent_at"], "first sight stays the sent time"
    assert changed["updated_at"] == changed["received_at"] == "2026-11-29T09:06:00Z"
    assert changed["time_basis"] == "fetched"
