"""Helpers for the officer directory and call tests: directory rows, and real baresip agents."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Running

ADMIN_TOKEN = "test-admin-token"
OPERATOR_TOKEN = "test-operator-token"
BARESIP = "/usr/bin/baresip"
BARESIP_MODULES = Path("/usr/lib/baresip/modules")
BARESIP_SAFETY_SECONDS = 60  # `-t`: an agent quits by itself even if a test leaves it behind
BARESIP_READY_SECONDS = 10.0


def officer(officer_id: str, **fields: Any) -> dict[str, Any]:
    """A valid directory row (TOML/JSON form) for district 11110, disaster, primary."""
    data: dict[str, Any] = {
        "id": officer_id,
        "name_ko": f"담당자 {officer_id}",
        "name_en": f"Officer {officer_id}",
        "role": "duty officer",
        "department": "재난안전과 Disaster Safety",
        "districts": ["11110"],
        "kinds": ["disaster"],
        "phone": "+82 2-0000-0101",
    }
    data.update(fields)
    return data


def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def put_officer(running: Running, data: dict[str, Any]) -> dict[str, Any]:
    """Create an officer through the admin API and insist on 201/200."""
    async with running.session.put(
        f"{running.http}/api/officers/{data['id']}", json=data, headers=admin()
    ) as r:
        body = await r.json()
        assert r.status in (200, 201), body
        return body


async def history(running: Running, event_id: str) -> list[dict[str, Any]]:
    async with running.session.get(f"{running.http}/api/events/{event_id}/history") as r:
        assert r.status == 200
        return list((await r.json())["entries"])


async def call_actions(running: Running, event_id: str) -> list[dict[str, Any]]:
    """The call actions on an event's timeline, oldest first (the bodies)."""
    return [
        e["body"]
        for e in await history(running, event_id)
        if e["type"] == "action" and e["body"]["action"].startswith("call_")
    ]


async def wait_for_action(
    running: Running, event_id: str, action: str, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """Poll the event's history until `action` is on it; return the call actions."""
    async with asyncio.timeout(timeout):
        while True:
            actions = await call_actions(running, event_id)
            if any(a["action"] == action for a in actions):
                return actions
            await asyncio.sleep(0.05)


# ------------------------------------------------------------------------------- baresip

_taken: set[int] = set()


def _free(port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def port_block(size: int = 10) -> int:
    """A base port with `size` free ports above it, apart from every block handed out before
    (baresip also binds SIP over TLS on port+1)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = int(s.getsockname()[1])
        if base + size > 65535 or any(abs(base - t) < size for t in _taken):
            continue
        if all(_free(p) for p in range(base, base + size)):
            _taken.add(base)
            return base
    raise RuntimeError("no free block of loopback ports")


@dataclass
class UserAgent:
    """One running baresip: its SIP address and, for the office phone, its control port."""

    name: str
    folder: Path
    sip_port: int
    control_port: int | None
    process: subprocess.Popen[bytes]

    @property
    def uri(self) -> str:
        return f"sip:{self.name}@127.0.0.1:{self.sip_port}"

    def log(self) -> str:
        return (self.folder / "baresip.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def baresip_config(folder: Path, sip_port: int, control_port: int | None) -> str:
    lines = [
        f"module_path {BARESIP_MODULES}",
        "sip_transports udp",
        f"sip_listen 127.0.0.1:{sip_port}",
        "net_interface 127.0.0.1",  # SDP and RTP on loopback too, never the machine's address
        f"rtp_ports {sip_port + 2}-{sip_port + 9}",
        "module opus.so",  # ausine only makes 48 kHz: opus, not G.711
        "module aufile.so",
        "module ausine.so",
        "module account.so",
        "module menu.so",
        "audio_source ausine,440",
        f"audio_player aufile,{folder / 'heard.wav'}",
        f"audio_alert aufile,{folder / 'alert.wav'}",
    ]
    if control_port is not None:
        lines += ["module ctrl_tcp.so", f"ctrl_tcp_listen 127.0.0.1:{control_port}"]
    return "\n".join(lines) + "\n"


def require_baresip() -> None:
    """Fail — never skip — when baresip or a module the tests load is missing."""
    if not os.access(BARESIP, os.X_OK):
        pytest.fail(f"{BARESIP} is missing: apt-get install baresip-core (scripts/test does)")
    for module in ("opus", "aufile", "ausine", "account", "menu", "ctrl_tcp"):
        if not (BARESIP_MODULES / f"{module}.so").is_file():
            pytest.fail(
                f"baresip module {module}.so is missing from {BARESIP_MODULES}:"
                " apt-get install baresip-core (scripts/test does)"
            )


def spawn_agent(
    root: Path, name: str, *, auto_answer: bool = False, control: bool = False
) -> UserAgent:
    """Write a user agent's config in `root`/baresip-`name` and start it (not yet ready)."""
    folder = root / f"baresip-{name}"
    folder.mkdir()
    block = port_block()
    control_port = port_block() if control else None
    (folder / "config").write_text(baresip_config(folder, block, control_port))
    account = f"<sip:{name}@127.0.0.1:{block}>;regint=0"
    if auto_answer:
        account += ";answermode=auto"
    (folder / "accounts").write_text(account + "\n")
    return UserAgent(name, folder, block, control_port, spawn_baresip(folder))


def _ready(agent: UserAgent) -> bool:
    """True once the agent says so and (the office phone) its control port takes connections."""
    if agent.process.poll() is not None:
        pytest.fail(f"baresip {agent.name} exited ({agent.process.returncode}):\n{agent.log()}")
    if "baresip is ready" not in agent.log():
        return False
    if agent.control_port is None:
        return True
    try:
        socket.create_connection(("127.0.0.1", agent.control_port), timeout=1).close()
    except OSError:
        return False
    return True


async def wait_ready(agent: UserAgent) -> None:
    deadline = asyncio.get_running_loop().time() + BARESIP_READY_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        if _ready(agent):
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"baresip {agent.name} was not ready in {BARESIP_READY_SECONDS}s:\n{agent.log()}")


def wait_ready_blocking(agent: UserAgent) -> None:
    """`wait_ready` for tests without an event loop (the browser tests)."""
    deadline = time.monotonic() + BARESIP_READY_SECONDS
    while time.monotonic() < deadline:
        if _ready(agent):
            return
        time.sleep(0.05)
    pytest.fail(f"baresip {agent.name} was not ready in {BARESIP_READY_SECONDS}s:\n{agent.log()}")


def spawn_baresip(folder: Path) -> subprocess.Popen[bytes]:
    with open(folder / "baresip.log", "wb") as out:
        return subprocess.Popen(
            [BARESIP, "-f", str(folder), "-t", str(BARESIP_SAFETY_SECONDS)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


StartAgent = Callable[..., Awaitable[UserAgent]]
