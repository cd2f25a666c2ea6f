"""The bundled demo: a valid recording, played on a loop with fresh ids and times shifted to now."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feeds.demo import RECORDING, DemoFeed, read_recording, retirements
from server.stream.events import Action, Event, Status
from tests.conftest import StartServer, feed_context, wait_for


def test_the_recording_is_valid_and_every_incident_ends() -> None:
    header, entries = read_recording(RECORDING)
    assert header["synthetic"] is True and header["entries"] == len(entries)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    last: dict[str, Event] = {}
    for entry in entries:
        if entry["type"] == "event":
            ev = Event.model_validate(entry["body"])
            assert ev.extra.get("synthetic") is True
            last[ev.event_id] = ev
        else:
            Action.model_validate(entry["body"])
    assert len(last) > 50
    assert all(ev.status is not Status.ACTIVE for ev in last.values()), "the loop ends clean"
    kinds = {ev.kind.value for ev in last.values()}
    assert kinds == {"disaster", "traffic", "complaint"}
    assert len({ev.district for ev in last.values()}) == 25, "every Seoul district appears"


async def test_two_fast_loops_have_distinct_ids_and_current_times() -> None:
    feed = DemoFeed(feed_context("demo", options={"speed": 3600, "loops": 2}))
    started = datetime.now(UTC)
    bodies = [body async for body in feed.events()]
    _, entries = read_recording(RECORDING)
    assert len(bodies) == 2 * len(entries)
    ids_by_loop: dict[str, set[str]] = defaultdict(set)
    for body in bodies:
        loop = body.event_id.split("-")[1]
        ids_by_loop[loop].add(body.event_id)
        assert body.event_id.startswith(f"demo:r{feed.run_id}-")
        if isinstance(body, Event):
            assert body.source == "demo"
            assert abs(body.received_at - started) < timedelta(minutes=1)
            assert body.updated_at is not None
            assert abs(body.updated_at - started) < timedelta(hours=1), "times are shifted to now"
    assert set(ids_by_loop) == {"l0", "l1"}
    assert not ids_by_loop["l0"] & ids_by_loop["l1"], "loops never collide"


def test_retirements_expire_leftovers_with_a_newer_version() -> None:
    now = datetime(2026, 11, 29, tzinfo=UTC)
    _, entries = read_recording(RECORDING)
    first = Event.model_validate(entries[0]["body"])
    [retired] = retirements([first], now)
    assert retired.version == first.version + 1
    assert retired.status is Status.EXPIRED and retired.updated_at == now


async def test_a_restart_expires_what_the_previous_demo_run_left_active(
    start_server: StartServer,
    tmp_path: Path,
) -> None:
    db = tmp_path / "demo.db"
    first = await start_server(db=db, demo=True)
    await wait_for(lambda: first.board.log.head >= 5)
    await first.server.close()
    await first.session.close()
    second = await start_server(db=db, demo=True)
    await wait_for(lambda: second.board.runners[0].health.events_emitted >= 5)
    async with second.session.get(
        f"{second.http}/api/events", params={"status": "active", "limit": 1000}
    ) as r:
        active = (await r.json())["events"]
    assert active, "the new run's baseline is on the board"
    current_run = f"demo:r{second.board.runners[0].adapter.run_id}-"  # type: ignore[attr-defined]
    assert all(e["event_id"].startswith(current_run) for e in active), "no leftovers stay active"
