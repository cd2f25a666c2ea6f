"""The escalator on a real SQLite log, where a test must control which entries it sees."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from server.escalation.escalator import Escalator, plan_of
from server.escalation.settings import EscalationSettings
from server.officers.calls import CallService
from server.officers.dialers.tel import TelDialer
from server.officers.store import OfficerStore
from server.settings import Settings
from server.stream.events import Action
from server.stream.sqlite import EventLog
from tests.conftest import make_event
from tests.conftest import wait_for as wait_until

POLICY = {
    "name": "extreme",
    "severities": ["extreme"],
    "kinds": ["disaster"],
    "steps": [{"after_minutes": 60, "to": "district_officer"}],
}


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[tuple[EventLog, Escalator]]:
    settings = Settings(db_path=tmp_path / "log.db", demo=False)
    log = EventLog(settings.db_path)
    store = OfficerStore(tmp_path / "officers.db")
    await log.open()
    await store.open()
    escalation = EscalationSettings.model_validate({"policies": [POLICY]})
    calls = CallService(log, store, TelDialer(settings, {}), settings)
    escalator = Escalator(
        log,
        escalation,
        calls,
        {},
        zone=ZoneInfo("Asia/Seoul"),
        lookahead=timedelta(days=1),
        call_max_seconds=10,
    )
    yield log, escalator
    await store.close()
    await log.close()


async def test_a_chain_another_node_scheduled_meanwhile_is_followed_not_dropped(
    parts: tuple[EventLog, Escalator],
) -> None:
    """On a shared log a node may decide after another node's schedule is committed but before
    its tail brings it: it must follow that chain (and take its steps should the other die)."""
    log, escalator = parts
    task = asyncio.create_task(escalator.run())
    await asyncio.sleep(0.2)  # recovered (from an empty log), waiting for entries
    event = make_event(1, kind="disaster", severity="extreme")
    await log.append([event])
    policy = EscalationSettings.model_validate({"policies": [POLICY]}).policies[0]
    steps = plan_of(policy, datetime.now(UTC))  # due in an hour: the chain is running
    scheduled = Action(
        action="escalation_scheduled",
        event_id=event.event_id,
        actor="cityboard",
        at=datetime.now(UTC),
        data={"policy": "extreme", "steps": steps},
    )
    assert await log.append_once(f"escalation:{event.event_id}:scheduled", [scheduled])
    escalator.observe(await log.entries_after(0, 1))  # the event arrives; the schedule not yet
    try:
        await wait_until(lambda: event.event_id in escalator.chains)
        await wait_until(lambda: escalator.chains[event.event_id].plan == steps)
        await asyncio.sleep(0.2)
        assert escalator.chains[event.event_id].plan == steps, "followed, not dropped"
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
