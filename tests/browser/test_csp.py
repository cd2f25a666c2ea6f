"""The board under its Content-Security-Policy in a real Chromium: it runs with no violation, the
policy is really enforced (an inline style is blocked and reported), and no other site frames it.

Every browser test fails on a violation too (tests/browser/conftest.py `open_board`); this one
drives the parts that build markup (markers, clusters, the detail panel, the directory).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import csp_violations
from tests.browser.helpers import ROW, wait_live, wait_map

if TYPE_CHECKING:
    from tests.process import ServerProcess as BoardServer

pytestmark = pytest.mark.browser


def test_the_board_runs_under_its_policy_and_the_policy_is_enforced(
    demo_server: BoardServer, open_board: Callable[..., Any], chromium: Any
) -> None:
    page = open_board(demo_server)
    with page.expect_response(f"{demo_server.url}/") as first:
        page.reload()
    headers = first.value.all_headers()
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["server"] == "cityboard"
    wait_live(page)
    wait_map(page)
    page.wait_for_function(f"() => document.querySelectorAll('{ROW}').length >= 5", timeout=30_000)
    drawn = page.locator('[data-testid="map-marker"], [data-testid="map-cluster"]')
    expect(drawn.first).to_be_visible()
    page.locator(ROW).first.click()
    expect(page.locator('[data-testid="history-item"]').first).to_be_visible(timeout=5_000)
    page.locator('[data-testid="directory-toggle"]').click()
    expect(page.locator('[data-testid="directory"]')).to_be_visible()
    # open_board fails the test at teardown on any violation up to here

    # the policy is enforced, and a violation is seen: an inline style and an inline script
    probe = chromium.new_page()
    try:
        seen = csp_violations(probe)
        probe.goto(f"{demo_server.url}/")
        probe.evaluate(
            """() => {
              const html = '<p id="probe" style="color: red">x</p>';
              document.body.insertAdjacentHTML("beforeend", html);
              const s = document.createElement("script");
              s.textContent = "window.inlineRan = true";
              document.body.append(s);
            }"""
        )
        probe.wait_for_function("() => document.getElementById('probe')")
        assert probe.evaluate("getComputedStyle(document.getElementById('probe')).color") != (
            "rgb(255, 0, 0)"
        )
        assert probe.evaluate("window.inlineRan") is None
        probe.wait_for_timeout(200)  # the violation reports are queued as tasks
        assert any("style-src" in v for v in seen), seen
        assert any("script-src" in v for v in seen), seen
    finally:
        probe.close()


def test_another_site_cannot_frame_the_board(quiet_server: BoardServer, chromium: Any) -> None:
    page = chromium.new_page()
    try:
        page.set_content(f'<iframe id="f" src="{quiet_server.url}/"></iframe>')
        page.wait_for_timeout(1_000)
        frame = page.frame_locator("#f")
        expect(frame.locator('[data-testid="map"]')).to_have_count(0)
    finally:
        page.close()
