"""Fixtures for the officer directory and call tests (helpers are in tests/officers/helpers.py,
imported by one name so their state, such as the ports handed out, is shared)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.officers.helpers import (
    StartAgent,
    UserAgent,
    require_baresip,
    spawn_agent,
    wait_ready,
)


@pytest.fixture
async def baresip(tmp_path: Path) -> AsyncIterator[StartAgent]:
    """Start baresip user agents on loopback (and stop them after the test).

    Fails — never skips — when baresip is missing: CI installs Debian's baresip-core.
    """
    require_baresip()
    agents: list[UserAgent] = []

    async def start(name: str, *, auto_answer: bool = False, control: bool = False) -> UserAgent:
        agent = spawn_agent(tmp_path, name, auto_answer=auto_answer, control=control)
        agents.append(agent)
        await wait_ready(agent)
        return agent

    yield start
    for agent in agents:
        agent.stop()
