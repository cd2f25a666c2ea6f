"""Two nodes, one city, in a real browser: the board on an edge node shows what was pushed to the
ingest node, and when the edge restarts while the city goes on, it resumes with nothing lost or
shown twice (a real redis-server holds the shared log)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import CONN, event_ids, pushed_event, wait_live
from tests.process import ServerProcess
from tests.redis_server import RedisServer, redis_server  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser

ROW = '[data-testid="event-row"]'


@pytest.fixture
def nodes(
    redis_server: RedisServer,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[str], ServerProcess]]:
    """Start `cityboard serve` nodes on the shared Redis log; each stopped after the test."""
    monkeypatch.setenv("CITYBOARD_LOG_BACKEND", "redis")
    monkeypatch.setenv("CITYBOARD_REDIS_URL", redis_server.url)
    started: list[ServerProcess] = []

    def start(role: str) -> ServerProcess:
        monkeypatch.setenv("CITYBOARD_NODE_ROLE", role)  # the subprocess inherits it
        node = ServerProcess(tmp_path / f"{role}.db", log_path=tmp_path / f"{role}.log")
        started.append(node)
        return node.start()

    yield start
    for node in started:
        node.stop()


def test_a_board_on_an_edge_follows_the_ingest_node_across_an_edge_restart(
    nodes: Callable[[str], ServerProcess], open_board: Callable[..., Any]
) -> None:
    ingest, edge = nodes("ingest"), nodes("edge")
    page = open_board(edge)
    wait_live(page)
    base = datetime.now(UTC) - timedelta(minutes=5)
    ingest.push([pushed_event(f"e{i}", at=base + timedelta(seconds=i)) for i in range(1, 4)])
    expect(page.locator(ROW)).to_have_count(3, timeout=5_000)

    edge.stop()  # the wall's node goes down; the city does not
    expect(page.locator(CONN)).to_have_attribute("data-state", "reconnecting", timeout=10_000)
    for i in range(4, 6):
        ingest.push(pushed_event(f"e{i}", at=base + timedelta(seconds=i)))
    edge.start()

    wait_live(page, timeout_ms=45_000)
    expect(page.locator(ROW)).to_have_count(5, timeout=5_000)
    assert event_ids(page) == [f"test:e{i}" for i in range(5, 0, -1)], "nothing lost or repeated"
    assert page.evaluate("window.cityboard.store.mode") == "resume", "resumed, not reloaded"
    expect(page.locator('[data-testid="last-seq"]')).to_have_text(str(ingest.head()))


def test_a_board_says_so_while_its_node_has_lost_redis(
    nodes: Callable[[str], ServerProcess],
    open_board: Callable[..., Any],
    redis_server: RedisServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CITYBOARD_FEEDS_BROADCAST_SECONDS", "0.5")
    node = nodes("all-in-one")
    page = open_board(node)
    wait_live(page)
    alarm = page.locator('[data-testid="feed-alarm"]')
    expect(alarm).to_be_hidden()

    redis_server.stop()  # the board's websocket is fine; the log behind it is not
    expect(alarm).to_be_visible(timeout=10_000)
    expect(alarm).to_have_attribute("data-log", "down")
    expect(alarm).to_contain_text("로그에 연결할 수 없음")
    expect(alarm).to_have_attribute("title", re.compile("unreachable"))

    redis_server.start()
    expect(alarm).to_be_hidden(timeout=15_000)
    node.push(pushed_event("after", at=datetime.now(UTC)))
    expect(page.locator(ROW)).to_have_count(1, timeout=10_000)
