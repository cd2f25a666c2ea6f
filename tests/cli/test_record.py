"""`cityboard record` and `cityboard replay` as a user runs them, against a real server process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from server.replay.recording import read_entries, read_header
from tests.conftest import event_dict
from tests.process import ServerProcess, cityboard, refusal

pytestmark = pytest.mark.slow


def test_record_a_log_file_then_replay_it_on_a_server(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "live.db").start()
    try:
        server.push([event_dict(n) for n in range(10)])
        server.push([event_dict(n, version=2, status="resolved") for n in range(3)])
        out = tmp_path / "export.jsonl.gz"
        done = cityboard("record", str(out), "--db", str(server.db))
        assert done.returncode == 0, done.stderr
        assert "13/13 entries (100%)" in done.stderr and "wrote 13 entries" in done.stderr
        header = read_header(out)
        assert header.entries == 13 and header.epoch and header.stream == "live"
        assert [e["seq"] for e in read_entries(out)] == list(range(1, 14))
        later = cityboard(
            "record",
            str(tmp_path / "none.jsonl"),
            "--db",
            str(server.db),
            "--since",
            "2999-01-01T00:00:00Z",
        )
        assert later.returncode == 0 and read_header(tmp_path / "none.jsonl").entries == 0

        played = cityboard(
            "replay",
            str(out),
            "--server",
            server.http,
            "--speed",
            "0",
            "--name",
            "review",
            "--exercise",
        )
        assert played.returncode == 0, played.stderr
        assert json.loads(played.stdout)["stream"] == "replay:review"
        deadline = time.monotonic() + 10
        while True:
            with urllib.request.urlopen(f"{server.http}/api/replays/review") as r:
                status = json.loads(r.read())
            if status["state"] == "ended" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert status["played"] == 13 and status["exercise"] is True
        assert sum(status["density"]) == 13

        refused = cityboard("replay", str(tmp_path / "live.db"), "--server", server.http)
        assert refused.returncode == 2 and "not a cityboard recording" in refused.stderr
    finally:
        server.stop()


def test_record_from_a_running_server(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "live.db").start()
    out = tmp_path / "live.jsonl"
    try:
        with subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.cli.main",
                "record",
                str(out),
                "--server",
                server.ws_url,
                "--count",
                "5",
            ],
            stderr=subprocess.PIPE,
            text=True,
        ) as recorder:
            assert recorder.stderr is not None
            while "connected" not in recorder.stderr.readline():
                pass
            server.push([event_dict(n) for n in range(5)])
            assert recorder.wait(30) == 0
    finally:
        server.stop()
    assert [e["body"]["event_id"] for e in read_entries(out)] == [f"test:e{n}" for n in range(5)]
    assert read_header(out).city == "Seoul"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_recording_is_finished_with_every_entry(
    tmp_path: Path, stop: signal.Signals
) -> None:
    server = ServerProcess(tmp_path / "live.db").start()
    out = tmp_path / "stopped.jsonl.gz"
    try:
        with subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.cli.main",
                "record",
                str(out),
                "--server",
                server.ws_url,
            ],
            stderr=subprocess.PIPE,
            text=True,
        ) as recorder:
            assert recorder.stderr is not None
            while "connected" not in recorder.stderr.readline():
                pass
            server.push([event_dict(n) for n in range(7)])
            time.sleep(1.0)  # the entries reach the recorder within milliseconds of the commit
            recorder.send_signal(stop)
            assert recorder.wait(15) == 0
            said = recorder.stderr.read()
    finally:
        server.stop()
    assert "wrote 7 entries" in said, said
    assert read_header(out).entries == 7
    assert [e["body"]["event_id"] for e in read_entries(out)] == [f"test:e{n}" for n in range(7)]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "a .part is left"


def replay_status(server: ServerProcess, name: str, until: str | None = None) -> dict[str, Any]:
    """GET /api/replays/NAME, waiting (up to 10 s) for `until` as its state when given."""
    deadline = time.monotonic() + 10
    while True:
        with urllib.request.urlopen(f"{server.http}/api/replays/{name}") as r:
            status: dict[str, Any] = json.loads(r.read())
        if until is None or status["state"] == until or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def test_replay_prints_the_epoch_the_server_shows(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "live.db").start()
    try:
        server.push([event_dict(n) for n in range(4)])
        out = tmp_path / "four.jsonl"
        assert cityboard("record", str(out), "--db", str(server.db)).returncode == 0
        played = cityboard("replay", str(out), "--server", server.http, "--speed", "0")
        assert played.returncode == 0, played.stderr
        printed = json.loads(played.stdout)
        status = replay_status(server, "four", until="ended")
        with urllib.request.urlopen(f"{server.http}/api/replays") as r:
            listed = json.loads(r.read())["replays"]
    finally:
        server.stop()
    assert status["played"] == 4
    assert [r["epoch"] for r in listed] == [printed["epoch"]] == [status["epoch"]]


def test_the_name_of_an_ended_replay_can_be_used_again(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "live.db").start()
    try:
        server.push([event_dict(n) for n in range(3)])
        three = tmp_path / "three.jsonl"
        assert cityboard("record", str(three), "--db", str(server.db)).returncode == 0
        server.push([event_dict(n) for n in range(3, 5)])
        five = tmp_path / "five.jsonl"
        assert cityboard("record", str(five), "--db", str(server.db)).returncode == 0

        first = cityboard("replay", str(three), "--server", server.http, "--name", "drill")
        assert first.returncode == 0, first.stderr
        assert replay_status(server, "drill", until="ended")["played"] == 3
        again = cityboard("replay", str(five), "--server", server.http, "--name", "drill")
        assert again.returncode == 0, again.stderr
        assert replay_status(server, "drill", until="ended")["played"] == 5

        slow = cityboard(
            "replay", str(five), "--server", server.http, "--name", "slow", "--speed", "0.001"
        )
        assert slow.returncode == 0, slow.stderr  # a thousandth of the pace: minutes to play
        refused = cityboard("replay", str(three), "--server", server.http, "--name", "slow")
        refusal(refused, "a replay named 'slow' is playing")
        with urllib.request.urlopen(f"{server.http}/api/replays") as r:
            names = sorted(p["name"] for p in json.loads(r.read())["replays"])
    finally:
        server.stop()
    assert names == ["drill", "slow"]
