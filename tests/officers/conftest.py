"""Fixtures for the officer directory and call tests (helpers are in tests/officers/helpers.py,
imported by one name so their state, such as the ports handed out, is shared)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.officers.helpers import (
    BARESIP,
    BARESIP_MODULES,
    StartAgent,
    UserAgent,
    baresip_config,
    port_block,
    spawn_baresip,
    wait_ready,
)


@pytest.fixture
async def baresip(tmp_path: Path) -> AsyncIterator[StartAgent]:
    """Start baresip user agents on loopback (and stop them after the test).

    Fails — never skips — when baresip is missing: CI installs Debian's baresip-core.
    """
    if not os.access(BARESIP, os.X_OK):
        pytest.fail(f"{BARESIP} is missing: apt-get install baresip-core (scripts/test does)")
    for module in ("opus", "aufile", "ausine", "account", "menu", "ctrl_tcp"):
        if not (BARESIP_MODULES / f"{module}.so").is_file():
            pytest.fail(
                f"baresip module {module}.so is missing from {BARESIP_MODULES}:"
                " apt-get install baresip-core (scripts/test does)"
            )
    agents: list[UserAgent] = []

    async def start(name: str, *, auto_answer: bool = False, control: bool = False) -> UserAgent:
        folder = tmp_path / f"baresip-{name}"
        folder.mkdir()
        block = port_block()
        control_port = port_block() if control else None
        (folder / "config").write_text(baresip_config(folder, block, control_port))
        account = f"<sip:{name}@127.0.0.1:{block}>;regint=0"
        if auto_answer:
            account += ";answermode=auto"
        (folder / "accounts").write_text(account + "\n")
        agent = UserAgent(name, folder, block, control_port, spawn_baresip(folder))
        agents.append(agent)
        await wait_ready(agent)
        return agent

    yield start
    for agent in agents:
        agent.stop()
