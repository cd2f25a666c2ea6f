"""A second server started by mistake on the same database refuses, in one line, and the first
one goes on as if nothing happened."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PUSH_TOKEN, event_dict
from tests.process import ServerProcess, cityboard, free_port

pytestmark = pytest.mark.slow


def push(server: ServerProcess, events: list[dict[str, object]]) -> dict[str, object]:
    request = urllib.request.Request(
        f"{server.http}/api/push/test",
        data=json.dumps(events).encode(),
        headers={"Authorization": f"Bearer {PUSH_TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        answer: dict[str, object] = json.loads(resp.read())
        return answer


def test_a_second_server_on_the_same_database_refuses_and_the_first_goes_on(
    tmp_path: Path,
) -> None:
    first = ServerProcess(tmp_path / "log.db").start()
    try:
        assert first.proc is not None
        push(first, [event_dict(i) for i in range(5)])
        second = cityboard(
            "serve",
            "--no-demo",
            "--port",
            str(free_port()),
            "--db",
            str(tmp_path / "log.db"),
            env={"CITYBOARD_PUSH_TOKEN": PUSH_TOKEN},
        )
        output = second.stdout + second.stderr
        assert second.returncode != 0, output
        assert "Traceback" not in output, output
        refusal = [line for line in second.stderr.splitlines() if line.startswith("cityboard:")]
        assert len(refusal) == 1, output
        assert "is in use by cityboard pid" in refusal[0] and str(first.proc.pid) in refusal[0]
        answer = push(first, [event_dict(i) for i in range(5, 10)])
        seqs = [r["seq"] for r in answer["results"]]  # type: ignore[attr-defined]
        assert seqs == list(range(6, 11)), "the first server's log is untouched and gap-free"
        with urllib.request.urlopen(f"{first.http}/readyz", timeout=5) as resp:
            assert resp.status == 200
    finally:
        first.stop()
