"""A newcomer's first minute: the README's run command in a fresh copy shows a live board."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.process import free_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
INSTALL_AND_START_SECONDS = 600.0


def readme_commands() -> list[str]:
    """The shell blocks under 'Set up': the first runs the board, the second the tests."""
    section = (ROOT / "README.md").read_text().split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def fresh_copy(dest: Path) -> Path:
    """What a clone of this tree holds: tracked and new non-ignored files, nothing built."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def test_readme_has_the_two_setup_commands() -> None:
    run, tests = readme_commands()
    assert "cityboard serve" in run and "--no-demo" not in run
    assert tests.strip() == "./scripts/test"
    assert (ROOT / "scripts" / "test").stat().st_mode & 0o111


def test_the_readme_run_command_shows_demo_events_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is required (scripts/test installs it)"
    run = readme_commands()[0]
    clone = fresh_copy(tmp_path / "cityboard")
    port = free_port()
    env = {**os.environ, "CITYBOARD_PORT": str(port)}
    env.pop("CITYBOARD_PUSH_TOKEN", None)
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        ["bash", "-c", run],
        cwd=clone,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + INSTALL_AND_START_SECONDS
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the board did not come up"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-dev-shm-usage"],
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector('[data-testid="event-row"]', timeout=10_000)
            assert page.locator('[data-testid="event-row"]').count() >= 5
            assert "DEMO" in page.inner_text("body")
            # the citizens' board the README names beside it: same demo, redacted, read-only
            assert "http://127.0.0.1:8080/public" in (ROOT / "README.md").read_text()
            public = browser.new_page()
            public.goto(f"http://127.0.0.1:{port}/public")
            public.wait_for_selector('[data-testid="public-mark"]', state="visible")
            public.wait_for_selector('[data-testid="event-row"]', timeout=10_000)
            assert public.locator('[data-testid="directory-toggle"]').is_hidden()
            browser.close()
        assert (clone / "var" / "cityboard.db").exists(), "the default log lives under ./var"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
        log.close()
