"""`cityboard serve` settles the garbage collector once it is up (server/memory.py)."""

from __future__ import annotations

import gc
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.memory import YOUNG_COLLECTION_ALLOCATIONS, settle_collector
from tests.process import ServerProcess

METRICS_WAIT_SECONDS = 10.0


@pytest.fixture
def collector_restored() -> Iterator[None]:
    """This test process's collector as it was, whatever the test did to it."""
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_settling_freezes_start_up_and_collects_the_young_generation_less_often(
    collector_restored: None,
) -> None:
    _, older, oldest = gc.get_threshold()
    gc.unfreeze()
    settle_collector()
    assert gc.get_freeze_count() > 1_000, "start-up's objects are kept out of collections"
    assert gc.get_threshold() == (YOUNG_COLLECTION_ALLOCATIONS, older, oldest)
    assert gc.isenabled(), "cycles are still collected"


def gc_metrics(url: str) -> dict[str, float]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("cityboard_gc_")
    }


def test_a_running_server_has_settled_its_collector(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "log.db").start()
    try:
        deadline = time.monotonic() + METRICS_WAIT_SECONDS
        while (metrics := gc_metrics(server.http)).get("cityboard_gc_frozen_objects", 0) == 0:
            assert time.monotonic() < deadline, f"nothing frozen: {metrics}"
            time.sleep(0.1)
        assert metrics["cityboard_gc_frozen_objects"] > 10_000  # aiohttp, pydantic, the app
        assert {f'cityboard_gc_collections_total{{generation="{n}"}}' for n in range(3)} <= set(
            metrics
        )
    finally:
        server.stop()
