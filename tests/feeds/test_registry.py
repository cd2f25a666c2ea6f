"""Adapters are found through entry points: a package installed with pip plugs in untouched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from feeds import registry
from server.errors import ConfigError
from tests.process import early_folder

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cityboard-feed-example"


def cityboard(*args: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-m", "server.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


INSTALL_TEST = "test_a_pip_installed_adapter_shows_up_and_parses"
INSTALL_TIMEOUT_SECONDS = 300
INSTALL = pytest.StashKey[tuple[subprocess.Popen[bytes], Path]]()


def start_early(session: pytest.Session) -> None:
    """Called by tests/conftest.py after collection: pip builds the example in an isolated
    environment, which takes a while, so it starts now and runs while the other tests do."""
    folder = early_folder(session, INSTALL_TEST)
    if folder is None:
        return
    target = folder / "site"
    command = ["pip", "install", "--quiet", "--no-deps", "--target", str(target), str(EXAMPLE)]
    pip = subprocess.Popen(
        [sys.executable, "-m", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    session.config.stash[INSTALL] = (pip, target)
    session.config.add_cleanup(pip.kill)


def test_a_pip_installed_adapter_shows_up_and_parses(request: pytest.FixtureRequest) -> None:
    pip, target = request.config.stash[INSTALL]
    output, _ = pip.communicate(timeout=INSTALL_TIMEOUT_SECONDS)
    assert pip.returncode == 0, output.decode(errors="replace")
    listed = cityboard("feeds", "list", pythonpath=target)
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if x.startswith("ward-works"))
    assert "traffic" in line and "cityboard_feed_example:WardWorksFeed" in line
    checked = cityboard(
        "feeds",
        "check",
        "ward-works",
        str(EXAMPLE / "sample.json"),
        "--json",
        "--config",
        str(EXAMPLE / "ward.toml"),
        pythonpath=target,
    )
    assert checked.returncode == 0, checked.stderr
    events = [orjson.loads(line) for line in checked.stdout.splitlines()]
    assert [e["event_id"] for e in events] == ["jongno-works:2026-118", "jongno-works:2026-121"]
    assert events[0]["sent_at"] == "2026-11-28T13:00:00Z", "naive KST read in the feed's zone"
    assert [e["severity"] for e in events] == ["moderate", "severe"]
    assert events[1]["category"] == "traffic.closure"
    assert events[0]["title"].startswith("종로구 율곡로")
    without_zone = cityboard(
        "feeds", "check", "ward-works", str(EXAMPLE / "sample.json"), pythonpath=target
    )
    assert without_zone.returncode == 1, "every item failed: the document is rejected"
    assert "no usable item" in without_zone.stderr and "has no time zone" in without_zone.stderr


def test_unknown_and_broken_adapters_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match=r"unknown feed adapter 'nope'; installed: .*demo"):
        registry.load("nope")
    dist = tmp_path / "broken_adapter-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-adapter\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[cityboard.feeds]\nbroken = no_such_module:Feed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match="'broken' failed to load: ModuleNotFoundError"):
        registry.load("broken")
    listed = cityboard("feeds", "list", pythonpath=tmp_path)
    assert "broken     (unavailable:" in listed.stdout
    assert "demo" in listed.stdout


def test_serve_refuses_a_config_naming_an_unknown_adapter(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[[feeds]]\nname = "x"\nadapter = "nope"\n')
    done = cityboard("serve", "--config", str(config), "--db", str(tmp_path / "x.db"))
    assert done.returncode == 2 and "unknown feed adapter 'nope'" in done.stderr


def test_check_reports_a_rejected_document_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("<html>502 Bad Gateway</html>")
    done = cityboard("feeds", "check", "ward-works-missing", str(bad))
    assert done.returncode == 2 and "unknown feed adapter" in done.stderr
