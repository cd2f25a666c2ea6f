"""Run `cityboard serve` as a real subprocess, for tests that kill, restart, tail or browse it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pytest

from tests.conftest import PUSH_TOKEN

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0


def cityboard(
    *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `cityboard` command as a user would, and collect what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def refusal(done: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The one line a refused command printed: exit 2, a single `cityboard: ` line on stderr,
    containing each of `needles`, and no traceback."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, f"exit {done.returncode}:\n{done.stderr}"
    assert len(lines) == 1 and lines[0].startswith("cityboard: "), done.stderr
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def early_folder(session: pytest.Session, test_name: str) -> Path | None:
    """For a module's `start_early` (tests/conftest.py): a temporary folder, removed when the
    session ends, if the test `test_name` is among the chosen tests; None otherwise."""
    if not any(item.name == test_name for item in session.items):
        return None
    folder = Path(tempfile.mkdtemp(prefix=f"cityboard-{test_name[:40]}-"))
    session.config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    return folder


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """One `cityboard serve` process on a fixed port and database; it can stop and start again."""

    def __init__(
        self,
        db: Path,
        *,
        port: int | None = None,
        demo: bool = False,
        log_path: Path | None = None,
        host: str = "127.0.0.1",
        env: dict[str, str] | None = None,
        args: Sequence[str] = (),
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.db = db
        self.args = list(args)  # more `serve` flags, e.g. --config, --public-port
        self.host = host
        self.env = env or {}
        # the environment it inherits (this process's at start unless given: a server started
        # ahead of its test must not take the environment of the test running meanwhile)
        self.environ = environ
        self.port = port or free_port()
        self.demo = demo
        self.log_path = log_path or db.with_suffix(".server.log")
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    url = http

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> ServerProcess:
        """Start the server and wait until `/readyz` answers 200; fail the test otherwise."""
        return self.spawn().wait_ready()

    def spawn(self) -> ServerProcess:
        """Start the server process without waiting for it (`wait_ready` waits)."""
        assert self.proc is None, "already running"
        cmd = [
            sys.executable,
            "-m",
            "server.cli.main",
            "serve",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--db",
            str(self.db),
        ]
        if not self.demo:
            cmd.append("--no-demo")
        cmd.extend(self.args)
        env = {
            **(os.environ if self.environ is None else self.environ),
            "CITYBOARD_PUSH_TOKEN": PUSH_TOKEN,
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        self._log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        return self

    def wait_ready(self) -> ServerProcess:
        """Wait until the spawned server's `/readyz` answers 200; fail the test otherwise."""
        assert self.proc is not None, "not spawned"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self._reap()
                pytest.fail(f"server exited with {code} before it was ready:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.http}/readyz", timeout=1) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"server was not ready within {START_TIMEOUT_SECONDS}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM (a graceful shutdown), then SIGKILL if it does not exit in time."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reap()

    def terminate(self) -> None:
        """SIGTERM without waiting: the graceful shutdown runs on while the tests go on; `stop`
        reaps it later."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut of the process."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        if self.proc is not None:
            self.proc.wait(timeout=STOP_TIMEOUT_SECONDS)
            self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def push(
        self, events: dict[str, Any] | list[dict[str, Any]], source: str = "test"
    ) -> dict[str, Any]:
        """POST events to `/api/push/{source}` (blocking); fails the test on anything but 2xx."""
        req = urllib.request.Request(
            f"{self.http}/api/push/{source}",
            data=json.dumps(events).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {PUSH_TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return dict(json.loads(resp.read()))
        except urllib.error.HTTPError as exc:
            body = exc.read().decode(errors="replace")
            exc.close()
            pytest.fail(f"push failed: HTTP {exc.code}: {body}")

    def head(self) -> int:
        """The log's head as the protocol reports it: `welcome.head` on a fresh websocket."""
        from websockets.sync.client import connect

        with connect(self.ws_url, open_timeout=5, compression=None) as ws:
            ws.send(json.dumps({"v": 1, "type": "hello"}))
            welcome = json.loads(ws.recv(timeout=5))
            assert welcome["type"] == "welcome", welcome
            return int(welcome["head"])
