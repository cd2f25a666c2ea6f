"""Run `cityboard serve` as a real subprocess, for tests that kill, restart or tail it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import PUSH_TOKEN

STARTUP_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """One `cityboard serve` process on a fixed port and database, restartable."""

    def __init__(self, db: Path, *, port: int | None = None, demo: bool = False,
                 extra_env: dict[str, str] | None = None) -> None:
        self.db = db
        self.port = port or free_port()
        self.demo = demo
        self.env = {**os.environ, "CITYBOARD_PUSH_TOKEN": PUSH_TOKEN, **(extra_env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = db.with_suffix(".server.log")

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> ServerProcess:
        args = [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
                "--db", str(self.db)]
        if not self.demo:
            args.append("--no-demo")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.http}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not become ready: {self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut of the process."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
