"""Every refusal is one clear line: what is wrong and what to do, exit 2, never a traceback.

Each test runs the real command, as a new user would on a bad day.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.process import cityboard, free_port, refusal

pytestmark = pytest.mark.slow


def test_serve_on_a_busy_port_says_so_before_claiming_the_board(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "board.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = cityboard(
            "serve", "--no-demo", "--host", "127.0.0.1", "--port", str(port), "--db", str(db)
        )
    line = refusal(done, f"port {port}", "in use", "--port")
    assert "board at" not in done.stdout, done.stdout
    assert not db.exists(), "the log was opened for a server that could not listen"
    assert line.count("cityboard:") == 1


@pytest.mark.parametrize(
    ("db", "why"),
    [
        ("/dev/null/x.db", "/dev/null is not a directory"),
        ("/proc/x.db", "/proc"),
        ("/sys/x.db", "/sys"),
    ],
)
def test_serve_refuses_a_log_path_it_cannot_write(db: str, why: str) -> None:
    done = cityboard("serve", "--no-demo", "--port", "0", "--db", db)
    refusal(done, f"cannot open the log at {db}", why)
    assert "board at" not in done.stdout


@contextlib.contextmanager
def folder_this_user_may_not_write(path: Path) -> Iterator[Path]:
    """A folder the running user cannot write: mode 555 for a user; for root (as in CI), who may
    write anywhere, an immutable folder (chattr +i), else a read-only tmpfs mounted on it."""
    path.mkdir(mode=0o555)
    if os.geteuid() != 0:
        yield path
        return
    undo: list[str] = []
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
        undo = ["chattr", "-i", str(path)]
    elif subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", str(path)]).returncode == 0:
        undo = ["umount", str(path)]
    else:
        pytest.fail("as root, neither chattr +i nor a read-only tmpfs mount works here")
    try:
        yield path
    finally:
        subprocess.run(undo, check=True)


def test_serve_refuses_a_log_under_a_folder_it_may_not_write(tmp_path: Path) -> None:
    with folder_this_user_may_not_write(tmp_path / "locked") as locked:
        db = locked / "sub" / "board.db"
        done = cityboard("serve", "--no-demo", "--port", "0", "--db", str(db))
    refusal(done, f"cannot open the log at {db}", f"{locked} is not writable")


def test_serve_refuses_a_folder_as_the_log(tmp_path: Path) -> None:
    done = cityboard("serve", "--no-demo", "--port", "0", "--db", str(tmp_path))
    refusal(done, f"cannot open the log at {tmp_path}", "is a directory")


def test_replay_with_no_server_there_says_how_to_start_one(tmp_path: Path) -> None:
    recording = tmp_path / "drill.jsonl"
    recording.write_text('{"format": "cityboard-recording", "format_version": 1}\n')
    url = f"http://127.0.0.1:{free_port()}"
    done = cityboard("replay", str(recording), "--server", url)
    refusal(done, url, "cannot be reached", "cityboard serve")


def test_a_typo_in_feed_options_names_the_setting_and_the_likely_one(tmp_path: Path) -> None:
    config = tmp_path / "push.toml"
    config.write_text(
        '[[feeds]]\nname = "x"\nadapter = "push"\n[feeds.options]\ntokn_env = "X_TOKEN"\n'
    )
    done = cityboard("serve", "--no-demo", "--port", "0", "--config", str(config))
    line = refusal(
        done, "feed 'x' (push)", "options.tokn_env: unknown setting (did you mean token_env?)"
    )
    assert "pydantic" not in line and "required" not in line


def test_a_typo_in_a_feed_table_names_the_setting_and_the_likely_one(tmp_path: Path) -> None:
    config = tmp_path / "usgs.toml"
    config.write_text('[[feeds]]\nname = "q"\nadapter = "usgs"\nintervl_seconds = 30\n')
    done = cityboard("serve", "--no-demo", "--port", "0", "--config", str(config))
    refusal(
        done,
        f"invalid settings in {config}",
        "feeds[0].intervl_seconds: unknown setting (did you mean interval_seconds?)",
    )


def test_feeds_check_with_bad_options_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "usgs.toml"
    config.write_text('[[feeds]]\nadapter = "usgs"\n[feeds.options]\nmin_magnitud = 4\n')
    document = tmp_path / "quakes.json"
    document.write_text('{"type": "FeatureCollection", "features": []}')
    done = cityboard("feeds", "check", "usgs", str(document), "--config", str(config))
    line = refusal(done, "options.min_magnitud: unknown setting (did you mean min_magnitude?)")
    assert "errors.pydantic.dev" not in line


def test_feeds_check_on_a_push_adapter_says_there_is_nothing_to_check(tmp_path: Path) -> None:
    document = tmp_path / "events.json"
    document.write_text("[]")
    done = cityboard("feeds", "check", "push", str(document))
    refusal(done, "'push' is not a polling adapter")
