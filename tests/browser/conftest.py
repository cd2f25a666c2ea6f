"""Browser-test fixtures: the real server as a subprocess and Debian's Chromium through Playwright.

The server runs exactly as an operator starts it (`python -m server.cli.main serve ...`) on a free
loopback port and a temporary database; it can be stopped and started again on the same port and
database, which is what the reconnect test needs. Chromium is the system one (`/usr/bin/chromium`):
`playwright install` is never run, and a missing browser fails the run instead of skipping it.

Which fixture to use (each test still gets a fresh server on a new database):
- `quiet_server`: no demo, only what the test pushes; `demo_server`: the demo stream on. Both come
  from `server_pool`, which starts the next test's server while this one runs and stops used ones
  without waiting, so they cost almost nothing; prefer them.
- `board_server_factory(demo=...)`: for a server with settings from the environment
  (`monkeypatch.setenv("CITYBOARD_...")` first; such a server is started for the test, not taken
  from the pool) or several servers on one database in one test.
- `chromium`: the browser, launched once for the package; `open_board(server, ...)` opens a page
  in a fresh context and fails the test on page errors or CSP violations; `clock=True` lets the
  test jump the page's time (`page.clock.fast_forward`) instead of sleeping through a timer.
- A test that must build its own `ServerProcess` (other roles, ports or databases) still can; stop
  it in the test's teardown.
- A test module may define `start_early(session)` (tests/conftest.py calls it after collection) to
  begin a slow preparation, such as a pip install, that runs while the other tests do.
"""

from __future__ import annotations

import os
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
# the fixtures that start a board server (the pool starts a spare only for a later test of these)
SERVER_FIXTURES = ("board_server_factory", "demo_server", "quiet_server")


def environment() -> dict[str, str]:
    """What a server started now would inherit, less pytest's note of the current test."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


class ServerPool:
    """Board servers started one test ahead, so a server's start (a couple of seconds of imports
    and recovery) overlaps the test before; servers done with are stopped without waiting.

    A spare is a fresh server on its own new database, started with the session's environment; a
    test that changed the environment (monkeypatch.setenv) gets a server started for it instead,
    and the spare waits for the next test.
    """

    def __init__(self, root: Path, session: pytest.Session) -> None:
        self.root = root
        self.session = session
        self.environ = environment()
        self.spares: dict[bool, BoardServer] = {}
        self.done: list[BoardServer] = []
        self.started = 0

    def _new(self, demo: bool, environ: dict[str, str] | None = None) -> BoardServer:
        self.started += 1
        folder = self.root / f"server-{self.started}"
        folder.mkdir()
        server = ServerProcess(
            folder / "board.db", demo=demo, log_path=folder / "server-0.log", environ=environ
        )
        return server.spawn()

    def take(self, demo: bool, item: pytest.Item) -> BoardServer:
        """A ready server for `item`; a spare for the next test that needs one starts now."""
        if environment() == self.environ and demo in self.spares:
            server = self.spares.pop(demo)
        else:
            server = self._new(demo)
        upcoming = self._next_wants_demo(item)
        if upcoming is not None and upcoming not in self.spares:
            self.spares[upcoming] = self._new(upcoming, self.environ)
        return server.wait_ready()

    def _next_wants_demo(self, item: pytest.Item) -> bool | None:
        """Whether the next test that starts a board server wants the demo; None: no such test."""
        items = self.session.items
        for later in items[items.index(item) + 1 :] if item in items else []:
            names = set(getattr(later, "fixturenames", ()))
            if "demo_server" in names:
                return True
            if names & set(SERVER_FIXTURES):
                return False
        return None

    def retire(self, server: BoardServer) -> None:
        """Ask the server to stop (SIGTERM); it is reaped when the session ends."""
        server.terminate()
        self.done.append(server)

    def close(self) -> None:
        for server in [*self.spares.values(), *self.done]:
            server.stop()


@pytest.fixture(scope="session")
def server_pool(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ServerPool]:
    """The session's pool of board servers started ahead (see `ServerPool`)."""
    pool = ServerPool(tmp_path_factory.mktemp("board-servers"), request.session)
    yield pool
    pool.close()


@pytest.fixture
def board_server_factory(
    server_pool: ServerPool, request: pytest.FixtureRequest
) -> Iterator[StartBoard]:
    """Start servers (`factory(demo=False)`); every one started is stopped after the test. The
    first comes from the pool; later ones in the same test start on the first one's database."""
    started: list[BoardServer] = []

    def start(*, demo: bool = True) -> BoardServer:
        if not started:
            server = server_pool.take(demo, request.node)
        else:
            first = started[0]
            server = ServerProcess(
                first.db, demo=demo, log_path=first.db.parent / f"server-{len(started)}.log"
            ).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server_pool.retire(server)


@pytest.fixture
def demo_server(board_server_factory: StartBoard) -> BoardServer:
    """The server as `cityboard serve` starts by default: the demo stream on."""
    return board_server_factory(demo=True)


@pytest.fixture
def quiet_server(board_server_factory: StartBoard) -> BoardServer:
    """A server with no demo: only what the test pushes is on the board."""
    return board_server_factory(demo=False)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser).

    Package-scoped: one launch for all of tests/browser, stopped when the package is done, since
    sync Playwright runs an event loop on this thread while it is started, which would collide
    with the asyncio tests that run after the browser tests.
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
    `init_script` runs in the page before the board's own scripts; `clock=True` installs
    Playwright's clock (time runs on, and `page.clock.fast_forward` jumps it instead of a sleep).

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
        clock: bool = False,
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
        if clock:
            page.clock.install()
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
