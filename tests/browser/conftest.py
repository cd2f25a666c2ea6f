"""Browser-test fixtures: the real server as a subprocess and Debian's Chromium through Playwright.

The server runs exactly as an operator starts it (`python -m server.cli.main serve ...`) on a free
loopback port and a temporary database; it can be stopped and started again on the same port and
database, which is what the reconnect test needs. Chromium is the system one (`/usr/bin/chromium`):
`playwright install` is never run, and a missing browser fails the run instead of skipping it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.process import REPO, ServerProcess

ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]


BoardServer = ServerProcess
StartBoard = Callable[..., BoardServer]


@pytest.fixture
def board_server_factory(tmp_path: Path) -> Iterator[StartBoard]:
    """Start servers (`factory(demo=False)`); every one started is stopped after the test."""
    started: list[BoardServer] = []

    def start(*, demo: bool = True) -> BoardServer:
        server = ServerProcess(
            tmp_path / "board.db", demo=demo, log_path=tmp_path / f"server-{len(started)}.log"
        )
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def demo_server(board_server_factory: StartBoard) -> BoardServer:
    """The server as `cityboard serve` starts by default: the demo stream on."""
    return board_server_factory(demo=True)


@pytest.fixture
def quiet_server(board_server_factory: StartBoard) -> BoardServer:
    """A server with no demo: only what the test pushes is on the board."""
    return board_server_factory(demo=False)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser).

    Module-scoped: sync Playwright runs an event loop on this thread while it is started, which
    would collide with the asyncio tests that run after the browser tests.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); "
            "browser tests never run `playwright install`"
        )
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


class PageErrors(list[str]):
    """Uncaught script errors seen on a page; a board that throws is a failed test."""


# Every Content-Security-Policy violation on a page, reported as a console error the test sees.
# (So `wait_for_function` takes a function, `"() => …"`: a bare expression is eval'd in the page,
# which the policy forbids.)
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`csp-violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def csp_violations(page: Any) -> list[str]:
    """Collect the page's CSP violations (Chromium's own reports and the listener's)."""
    seen: list[str] = []

    def note(message: Any) -> None:
        text = message.text
        if message.type == "error" and (
            text.startswith("csp-violation") or "Content Security Policy" in text
        ):
            seen.append(text)

    page.add_init_script(REPORT_CSP_VIOLATIONS)
    page.on("console", note)
    return seen


@pytest.fixture
def open_board(chromium: Any) -> Iterator[Callable[..., Any]]:
    """Open the board in a fresh context: `open_board(server, width=1920, height=1080, query="")`;
    `init_script` runs in the page before the board's own scripts.

    Any uncaught script error or Content-Security-Policy violation on an opened page fails the
    test at teardown.
    """
    contexts: list[Any] = []
    errors = PageErrors()
    violations: list[list[str]] = []

    def open_(
        server: BoardServer,
        *,
        width: int = 1920,
        height: int = 1080,
        query: str = "",
        init_script: str = "",
    ) -> Any:
        context = chromium.new_context(
            viewport={"width": width, "height": height}, locale="ko-KR", timezone_id="UTC"
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        violations.append(csp_violations(page))
        if init_script:
            page.add_init_script(init_script)
        page.goto(f"{server.url}/{query}")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, f"uncaught errors on the board page: {errors}"
    blocked = [v for seen in violations for v in seen]
    assert not blocked, f"Content-Security-Policy violations on the board page: {blocked}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (kept by CI for a person to look at)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
