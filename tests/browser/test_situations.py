"""Situations first (issue 14) in a real browser against the real server: a flood (a warning,
road closures, complaints about water) becomes one situation card with its districts, counts,
owner and a live countdown to the next escalation step, in Korean and in English; it expands to
its members and its complaint cluster; the complaints show once, as their cluster, in the list
and on the map; the card's operator acts go round the log to every board, and a viewer's board
has no buttons. The screenshot is docs/screenshot-situations.png."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import GANGNAM, pushed_event, row, wait_live, wait_map
from tests.officers.helpers import OPERATOR_TOKEN
from tests.process import REPO

if TYPE_CHECKING:
    from tests.browser.conftest import StartBoard

pytestmark = pytest.mark.browser

Open = Callable[..., Any]
CARD = '[data-testid="situation-card"]'
SCREENSHOT = REPO / "docs" / "screenshot-situations.png"
# extreme disasters nobody acknowledges: the district's officer after 3 minutes, then the director
ESCALATION = {
    "policies": [
        {
            "name": "extreme-disaster",
            "severities": ["extreme"],
            "kinds": ["disaster"],
            "steps": [
                {"after_minutes": 3, "to": "district_officer"},
                {"after_minutes": 5, "to": "duty_director"},
            ],
        }
    ]
}
COMPLAINTS = 6  # at least the default cluster_min (5), within its 300 m and 60 minutes


def near(dx_m: float, dy_m: float) -> list[float]:
    """A point `dx_m` east and `dy_m` north of Gangnam station (about 89 km a degree of longitude
    at this latitude, 111 km a degree of latitude)."""
    return [round(GANGNAM[0] + dx_m / 88_800, 6), round(GANGNAM[1] + dy_m / 111_000, 6)]


def flood(now: datetime) -> list[dict[str, Any]]:
    """A flood warning over Gangnam station, two road closures beside it, and complaints about
    water in basements within a few hundred metres over the last quarter of an hour."""
    box = [near(-600, -500), near(600, -500), near(600, 500), near(-600, 500), near(-600, -500)]
    events = [
        pushed_event(
            "flood",
            kind="disaster",
            category="disaster.flood",
            severity="extreme",
            title="강남역 일대 홍수경보",
            translations={"en": {"title": "Flood warning around Gangnam station"}},
            at=now - timedelta(minutes=20),
            geometry={"type": "Polygon", "coordinates": [box]},
        ),
        pushed_event(
            "closure-1",
            category="traffic.closure",
            severity="severe",
            title="강남대로 침수 통제",
            translations={"en": {"title": "Gangnam-daero closed by flooding"}},
            at=now - timedelta(minutes=16),
            geometry={"type": "Point", "coordinates": near(150, 250)},
        ),
        pushed_event(
            "closure-2",
            category="traffic.closure",
            severity="moderate",
            title="테헤란로 지하차도 통제",
            translations={"en": {"title": "Teheran-ro underpass closed"}},
            at=now - timedelta(minutes=14),
            geometry={"type": "Point", "coordinates": near(400, -200)},
        ),
    ]
    for i in range(COMPLAINTS):
        events.append(
            pushed_event(
                f"water-{i}",
                kind="complaint",
                category="complaint.water",
                severity="minor",
                title=f"지하 주차장 침수 신고 {i}",
                translations={"en": {"title": f"Water in a basement car park {i}"}},
                at=now - timedelta(minutes=12 - 2 * i),
                geometry={"type": "Point", "coordinates": near(20 * i, -15 * i)},
            )
        )
    return events


@pytest.fixture
def flood_server(board_server_factory: StartBoard, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A server with an escalation policy and an operator token, the flood pushed."""
    monkeypatch.setenv("CITYBOARD_ESCALATION", json.dumps(ESCALATION))
    monkeypatch.setenv("CITYBOARD_OPERATOR_TOKEN", OPERATOR_TOKEN)
    server = board_server_factory(demo=False)
    server.push(flood(datetime.now(UTC)))
    return server


def the_card(page: Any) -> Any:
    card = page.locator(CARD)
    expect(card).to_have_count(1, timeout=10_000)
    return card


def test_the_situation_card_its_countdown_and_members_in_both_languages(
    flood_server: Any, open_board: Open
) -> None:
    page = open_board(flood_server, query=f"?token={OPERATOR_TOKEN}")
    wait_live(page)
    wait_map(page)
    card = the_card(page)
    expect(card).to_have_attribute("data-severity", "extreme")
    expect(card.locator('[data-testid="situation-severity"]')).to_have_text("심각")
    expect(card.locator('[data-testid="situation-title"]')).to_have_text("강남역 일대 홍수경보")
    expect(card.locator('[data-testid="situation-districts"]')).to_contain_text("강남구")
    expect(card.locator('[data-testid="situation-counts"]')).to_have_text(
        re.compile(rf"^재난 1 · 교통 2 · 민원 {COMPLAINTS}")
    )
    expect(card.locator('[data-testid="situation-owner"]')).to_have_text("담당자 없음")
    expect(card.locator('[data-testid="situation-age"]')).to_have_text(re.compile(r"^발생 \d+분$"))
    # the flood's first step: the district's officer 3 minutes after it reached the log
    countdown = card.locator('[data-testid="situation-countdown"]')
    expect(countdown).to_have_text(re.compile(r"^1/2단계 구 당직관 호출까지 [0-3]:\d\d$"))
    expect(countdown).to_have_attribute("data-state", "waiting")
    before = countdown.text_content()
    expect(countdown).not_to_have_text(before or "", timeout=3_000)  # it ticks every second

    # it expands to its members (rows as in the lists) and its complaint cluster
    card.locator('[data-testid="situation-toggle"]').click()
    members = card.locator('[data-testid="situation-member"]')
    expect(members.filter(has_text="강남대로 침수 통제")).to_have_count(1)
    expect(members.filter(has_text="강남역 일대 홍수경보")).to_have_count(1)
    cluster = card.locator('[data-testid="situation-cluster"]')
    expect(cluster).to_have_count(1)
    expect(cluster).to_contain_text(f"상수도 {COMPLAINTS}건")
    # the complaints show once, as their cluster, in the complaint list and on the map
    complaints = page.locator('[data-testid="group"][data-kind="complaint"]')
    expect(complaints.locator('[data-testid="event-row"]')).to_have_count(1)
    expect(complaints.locator(".cluster-row")).to_contain_text(f"상수도 {COMPLAINTS}건")
    expect(complaints.locator('[data-testid="group-count"]')).to_have_text(str(COMPLAINTS))
    expect(page.locator('[data-testid="map-complaint-cluster"]')).to_have_text(str(COMPLAINTS))
    for i in range(COMPLAINTS):
        expect(
            page.locator(f'[data-testid="map-marker"][data-event-id="test:water-{i}"]')
        ).to_have_count(0)
    expect(page.locator("path.sit-area")).to_have_count(1)
    expect(page.locator("path.sit-ring")).to_have_count(1)  # a speck at the city's zoom: ringed

    # a member opens in the detail panel
    members.filter(has_text="강남대로 침수 통제").click()
    expect(page.locator('[data-testid="detail-title"]')).to_have_text("강남대로 침수 통제")
    page.keyboard.press("Escape")

    page.locator('[data-testid="lang-toggle"]').click()
    expect(card.locator('[data-testid="situation-severity"]')).to_have_text("Extreme")
    expect(card.locator('[data-testid="situation-counts"]')).to_have_text(
        re.compile(rf"^Disaster 1 · Traffic 2 · Complaint {COMPLAINTS}")
    )
    expect(card.locator('[data-testid="situation-owner"]')).to_have_text("no owner")
    expect(countdown).to_have_text(re.compile(r"^Step 1/2: district duty officer in [0-3]:\d\d$"))
    expect(members.filter(has_text="Gangnam-daero closed by flooding")).to_have_count(1)
    expect(cluster).to_contain_text(f"Water · {COMPLAINTS}")
    expect(card.locator('[data-testid="situation-rename"]')).to_have_text("Rename")
    assert page.evaluate("window.cityboard.missingTranslations()") == []

    # the operator acknowledges the warning: its chain stops, and the countdown goes
    members.filter(has_text="Flood warning around Gangnam station").click()
    page.locator('[data-testid="action-ack"]').click()
    expect(page.locator('[data-testid="action-status"]')).to_have_attribute("data-state", "done")
    expect(countdown).to_be_hidden()


def test_a_situation_act_goes_round_the_log_to_every_board(
    flood_server: Any, open_board: Open
) -> None:
    operator = open_board(flood_server, query=f"?token={OPERATOR_TOKEN}&lang=en")
    wall = open_board(flood_server, query="?lang=en")  # no token: a viewer
    for page in (operator, wall):
        wait_live(page)
    card = the_card(operator)
    wall_card = the_card(wall)
    assert wall.evaluate("window.cityboard.role") == "viewer"
    wall_card.locator('[data-testid="situation-toggle"]').click()
    expect(wall_card.locator('[data-testid="situation-member"]').first).to_be_visible()
    expect(wall_card.locator('[data-testid="situation-ops"]')).to_be_hidden()
    expect(wall_card.locator('[data-testid="situation-unlink"]:visible')).to_have_count(0)

    card.locator('[data-testid="situation-toggle"]').click()
    card.locator('[data-testid="situation-rename-input"]').fill("Gangnam station flood")
    card.locator('[data-testid="situation-rename"]').click()
    status = card.locator('[data-testid="situation-status"]')
    expect(status).to_have_attribute("data-state", "done")
    for page_card in (card, wall_card):
        expect(page_card.locator('[data-testid="situation-title"]')).to_have_text(
            "Gangnam station flood"
        )

    # unlinking a member asks once more, then the member leaves every board's card
    closure = card.locator('[data-testid="situation-member"]', has_text="Teheran-ro underpass")
    unlink = closure.locator('[data-testid="situation-unlink"]')
    unlink.click()
    expect(unlink).to_have_text("Unlink? Press again")
    unlink.click()
    for page_card in (card, wall_card):
        expect(
            page_card.locator('[data-testid="situation-member"]', has_text="Teheran-ro underpass")
        ).to_have_count(0)
        expect(page_card.locator('[data-testid="situation-counts"]')).to_contain_text("Traffic 1")
    expect(row(wall, "test:closure-2")).to_have_count(1)  # still an event of its own

    # closing asks once more; then the card leaves every board
    close = card.locator('[data-testid="situation-close"]')
    close.click()
    expect(close).to_have_text("Close? Press again")
    close.click()
    for page in (operator, wall):
        expect(page.locator(CARD)).to_have_count(0)


def test_screenshot_of_the_situations_board(
    flood_server: Any, open_board: Open, artifacts: Path
) -> None:
    """The wall with the flood's card open, for a person to look at (docs/screenshot-*.png)."""
    page = open_board(flood_server, query=f"?token={OPERATOR_TOKEN}")
    wait_live(page)
    wait_map(page)
    card = the_card(page)
    card.locator('[data-testid="situation-toggle"]').click()
    expect(card.locator('[data-testid="situation-member"]').first).to_be_visible()
    page.wait_for_timeout(1_500)  # the map's batch and the fonts
    page.screenshot(path=str(artifacts / "situations-1920x1080.png"))
    if os.environ.get("CITYBOARD_UPDATE_SCREENSHOT") == "1":
        page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.exists(), "docs/screenshot-situations.png (CITYBOARD_UPDATE_SCREENSHOT=1)"


def test_the_kiosk_rotation_stops_at_the_situation(flood_server: Any, open_board: Open) -> None:
    page = open_board(flood_server, query="?kiosk=1&rotate=2")
    wait_live(page)
    wait_map(page)
    card = the_card(page)
    sid = card.get_attribute("data-situation-id") or ""
    assert sid.startswith("situation:"), sid
    # its area is in focus; Gangnam, which it covers, is not a stop of its own
    expect(page.locator('[data-testid="map"]')).to_have_attribute("data-focus-situation", sid)
    expect(page.locator('[data-testid="kiosk-focus"]')).to_contain_text(
        "상황: 강남역 일대 홍수경보"
    )
    expect(card).to_have_class(re.compile(r"\bin-focus\b"))
    expect(card.locator('[data-testid="situation-ops"]')).to_be_hidden()
    page.wait_for_timeout(2_500)  # a turn of the rotation later it is still the only stop
    expect(page.locator('[data-testid="map"]')).to_have_attribute("data-focus-situation", sid)
