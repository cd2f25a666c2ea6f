"""The board's features in a real browser against the real server: filters in the URL, the map's
district click, search, language, kiosk rotation, the detail panel with history, operator actions
seen on a second page, alerts, KPI tiles and the feed strip."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    CITY_HALL,
    GANGNAM,
    MAPO,
    NOWON,
    ROW,
    act,
    event_ids,
    marker,
    pushed_event,
    row,
    wait_live,
    wait_map,
)

if TYPE_CHECKING:
    from tests.process import ServerProcess as BoardServer

pytestmark = pytest.mark.browser

Open = Callable[..., Any]


def mixed_events(now: datetime) -> list[dict[str, Any]]:
    """Four events across kinds, severities and districts."""
    return [
        pushed_event(
            "rain",
            kind="disaster",
            category="disaster.heavy_rain",
            severity="severe",
            title="강남구 호우경보",
            area_desc="서울특별시 강남구 강남역 일대",
            translations={
                "en": {
                    "title": "Heavy rain warning in Gangnam",
                    "area_desc": "Around Gangnam Station, Gangnam-gu",
                }
            },
            description="시간당 50mm 이상의 강한 비",
            at=now - timedelta(minutes=20),
            geometry={"type": "Point", "coordinates": GANGNAM},
        ),
        pushed_event(
            "crash",
            severity="extreme",
            at=now - timedelta(minutes=10),
            geometry={"type": "Point", "coordinates": CITY_HALL},
        ),
        pushed_event(
            "noise",
            kind="complaint",
            category="complaint.noise",
            severity="minor",
            title="홍대입구역 심야 소음",
            translations={"en": {"title": "Late-night noise at Hongik Univ. station"}},
            at=now - timedelta(minutes=5),
            geometry={"type": "Point", "coordinates": MAPO},
        ),
        pushed_event(
            "closure",
            category="traffic.closure",
            severity="moderate",
            title="테헤란로 역삼역 방향 통제",
            translations={"en": {"title": "Teheran-ro closed towards Yeoksam"}},
            at=now - timedelta(minutes=2),
            geometry={
                "type": "LineString",
                "coordinates": [[127.030, 37.500], [127.036, 37.501], [127.045, 37.504]],
            },
        ),
    ]


def query_of(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_filters_live_in_the_url_and_reopen_the_same_view(
    quiet_server: BoardServer, open_board: Open
) -> None:
    quiet_server.push(mixed_events(datetime.now(UTC)))
    page = open_board(quiet_server)
    wait_live(page)
    expect(page.locator(ROW)).to_have_count(4)

    page.locator('[data-testid="filter-kind"] [data-value="traffic"]').click()
    expect(page.locator(ROW)).to_have_count(2)
    assert sorted(event_ids(page)) == ["test:closure", "test:crash"]
    assert query_of(page)["kind"] == ["traffic"]
    expect(page.locator('[data-testid="event-count"]')).to_have_text("2")
    expect(page.locator('[data-testid="filter-summary"]')).to_contain_text("교통")
    # the map shows only what the filter lets through
    expect(marker(page, "test:noise")).to_have_count(0)
    expect(marker(page, "test:crash")).to_have_count(1)

    page.locator('[data-testid="filter-sev"] [data-value="extreme"]').click()
    page.locator('[data-testid="filter-sev"] [data-value="severe"]').click()
    expect(page.locator(ROW)).to_have_count(1)
    assert query_of(page)["sev"] == ["extreme,severe"]

    # a saved link reopens the same view
    saved = page.url
    again = open_board(quiet_server, query="?" + urlsplit(saved).query)
    wait_live(again)
    expect(again.locator(ROW)).to_have_count(1)
    assert event_ids(again) == ["test:crash"]
    expect(again.locator('[data-testid="filter-kind"] [data-value="traffic"]')).to_have_attribute(
        "aria-pressed", "true"
    )

    # text search: any language the event carries, any district name
    page.locator('[data-testid="filter-clear"]').click()
    expect(page.locator(ROW)).to_have_count(4)
    assert "kind" not in query_of(page)
    page.locator('[data-testid="search"]').fill("hongik")
    expect(page.locator(ROW)).to_have_count(1)
    assert event_ids(page) == ["test:noise"]
    assert query_of(page)["q"] == ["hongik"]
    page.locator('[data-testid="search"]').fill("강남구")
    expect(page.locator(ROW)).to_have_count(2)  # the rain warning by title, the closure by district
    assert sorted(event_ids(page)) == ["test:closure", "test:rain"]

    # a status filter: nothing has been acknowledged yet
    page.locator('[data-testid="search"]').fill("")
    page.locator('[data-testid="filter-status"] [data-value="acknowledged"]').click()
    expect(page.locator(ROW)).to_have_count(0)
    expect(page.locator('[data-testid="group"][data-kind="traffic"] .empty')).to_be_visible()

    # a link with a district and a source opens filtered too
    by_link = open_board(quiet_server, query="?district=11440&source=test")
    wait_live(by_link)
    expect(by_link.locator(ROW)).to_have_count(1)
    expect(by_link.locator('[data-testid="filter-district"]')).to_have_value("11440")


def test_district_click_on_the_map_filters(quiet_server: BoardServer, open_board: Open) -> None:
    quiet_server.push(mixed_events(datetime.now(UTC)))
    page = open_board(quiet_server)
    wait_live(page)
    wait_map(page)
    expect(page.locator(ROW)).to_have_count(4)
    gangnam = page.locator('path.district[data-code="11680"]')
    expect(gangnam).to_have_attribute("data-count", "2")  # shaded by its two active events
    assert int(gangnam.get_attribute("data-level") or 0) >= 1
    assert page.locator('path.district[data-code="11110"]').get_attribute("data-level") == "0"

    point = page.evaluate("window.cityboard.map.districtPoint('11680')")
    page.mouse.click(point["x"], point["y"] + 25)  # below the label, inside the district
    expect(page.locator(ROW)).to_have_count(2)
    assert sorted(event_ids(page)) == ["test:closure", "test:rain"]
    assert query_of(page)["district"] == ["11680"]
    expect(page.locator('[data-testid="filter-district"]')).to_have_value("11680")
    # other districts stay shaded: the map's load ignores the district filter
    expect(page.locator('path.district[data-code="11140"]')).to_have_attribute("data-count", "1")

    page.mouse.click(point["x"], point["y"] + 25)  # again: cleared
    expect(page.locator(ROW)).to_have_count(4)
    assert "district" not in query_of(page)


MAP_VIEW_JS = """() => {
  const board = window.cityboard.map, m = board.map, el = board.el;
  const centre = m.latLngToContainerPoint(board.cityBounds.getCenter());
  return {height: el.clientHeight, seen: m.getSize().y, moves: window.__moves, zoom: m.getZoom(),
          fitZoom: m.getBoundsZoom(board.cityBounds, false, [24, 24]),
          offX: centre.x - el.clientWidth / 2, offY: centre.y - el.clientHeight / 2,
          lat: m.getCenter().lat, lng: m.getCenter().lng};
}"""


def test_a_resized_map_is_refitted_in_one_view_update(
    quiet_server: BoardServer, open_board: Open
) -> None:
    """The KPI row under the map grows as its tiles fill: the city is fitted to the map's new size
    with one view update (each redraws every marker and line), not one for the size and one for
    the fit; a view someone moved by hand keeps its centre and zoom."""
    quiet_server.push(mixed_events(datetime.now(UTC)))
    page = open_board(quiet_server)
    wait_live(page)
    wait_map(page)
    expect(page.locator(ROW)).to_have_count(4)
    page.evaluate("window.__moves = 0; cityboard.map.map.on('moveend', () => window.__moves++)")

    def resize(grow_px: int) -> dict[str, Any]:
        before = page.evaluate(MAP_VIEW_JS)
        page.locator(".kpis").evaluate(
            "(k, px) => (k.style.minHeight = `${k.offsetHeight + px}px`)", grow_px
        )
        page.wait_for_function(
            "h => { const b = window.cityboard.map; return b.el.clientHeight !== h"
            " && b.map.getSize().y === b.el.clientHeight; }",
            arg=before["height"],
        )
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 100)))")
        after = page.evaluate(MAP_VIEW_JS)
        return {**after, "moves": after["moves"] - before["moves"]}

    fitted = resize(60)
    assert fitted["moves"] == 1, fitted
    assert fitted["zoom"] == fitted["fitZoom"], fitted  # the fit for the new size ...
    assert abs(fitted["offX"]) <= 1 and abs(fitted["offY"]) <= 1, fitted  # ... centred on the city

    box = page.locator('[data-testid="map"]').bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] - 20, box["y"] + 20)  # by hand (outside the city)
    expect(page.locator(ROW)).to_have_count(4)
    kept = resize(60)
    assert kept["moves"] == 1, kept
    assert kept["zoom"] == fitted["zoom"], kept
    assert abs(kept["lat"] - fitted["lat"]) < 1e-4 and abs(kept["lng"] - fitted["lng"]) < 1e-4


def test_a_line_on_the_map_is_drawn_and_selects_its_event(
    quiet_server: BoardServer, open_board: Open
) -> None:
    quiet_server.push(mixed_events(datetime.now(UTC)))
    page = open_board(quiet_server)
    wait_live(page)
    wait_map(page)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"map\"]').dataset.pending === '0'"
    )
    # close in on the closure's last stretch, away from its marker (on its middle point)
    spot = page.evaluate(
        """() => {
          const m = window.cityboard.map;
          m.userMoved = true; // as an operator's zoom: a later resize keeps this view
          m.map.setView([37.5025, 127.0405], 16, { animate: false });
          const p = m.map.latLngToContainerPoint([37.5025, 127.0405]);
          const r = m.el.getBoundingClientRect();
          return { x: r.left + p.x, y: r.top + p.y };
        }"""
    )
    page.mouse.click(spot["x"], spot["y"])
    expect(page.locator('[data-testid="detail"]')).to_have_attribute(
        "data-event-id", "test:closure"
    )
    expect(page.locator('[data-testid="detail-title"]')).to_have_text("테헤란로 역삼역 방향 통제")


def test_language_toggle_switches_every_label(quiet_server: BoardServer, open_board: Open) -> None:
    quiet_server.push(mixed_events(datetime.now(UTC)))
    page = open_board(quiet_server)
    wait_live(page)
    wait_map(page)
    crash = row(page, "test:crash")
    expect(crash.locator('[data-testid="severity"]')).to_have_text("심각")
    expect(page.locator('[data-testid="kpi-active"] .tile-label')).to_have_text("진행 중")
    expect(page.locator(".district-label", has_text="강남구")).to_have_count(1)
    city = page.locator('[data-testid="city-name"]')
    expect(city).to_have_text("서울")  # welcome.city.names
    rain = row(page, "test:rain")
    expect(rain).to_have_attribute("title", re.compile("서울특별시 강남구 강남역 일대$"))

    page.locator('[data-testid="lang-toggle"]').click()
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(crash.locator('[data-testid="severity"]')).to_have_text("Extreme")
    expect(crash.locator('[data-testid="workflow-state"]')).to_have_text("New")
    expect(row(page, "test:rain").locator('[data-testid="event-title"]')).to_have_text(
        "Heavy rain warning in Gangnam"
    )
    expect(page.locator('[data-testid="kpi-active"] .tile-label')).to_have_text("Active")
    expect(page.locator('[data-testid="filter-kind"] [data-value="traffic"]')).to_have_text(
        "Traffic"
    )
    expect(page.locator('[data-testid="group"][data-kind="traffic"] h3')).to_have_text("Traffic")
    expect(page.locator(".district-label", has_text="Gangnam")).to_have_count(1)
    expect(page.locator('[data-testid="clock-date"]')).to_contain_text(re.compile(r"[A-Z][a-z]{2}"))
    expect(city).to_have_text("Seoul")
    # the place in the board's language: the row's tooltip, the detail panel, the search
    expect(rain).to_have_attribute("title", re.compile("Around Gangnam Station, Gangnam-gu$"))
    rain.click()
    expect(page.locator('[data-testid="detail-area"]')).to_have_text(
        "Around Gangnam Station, Gangnam-gu"
    )
    page.keyboard.press("Escape")
    page.locator('[data-testid="search"]').fill("gangnam station")
    expect(page.locator(ROW)).to_have_count(1)
    assert event_ids(page) == ["test:rain"]
    page.locator('[data-testid="filter-clear"]').click()
    expect(page.locator(ROW)).to_have_count(4)
    assert page.evaluate("window.cityboard.missingTranslations()") == []

    page.keyboard.press("l")  # the keyboard shortcut goes back
    expect(crash.locator('[data-testid="severity"]')).to_have_text("심각")
    expect(city).to_have_text("서울")
    rain.click()
    area = page.locator('[data-testid="detail-area"]')
    expect(area).to_have_text("서울특별시 강남구 강남역 일대")
    assert page.evaluate("window.cityboard.missingTranslations()") == []


def test_detail_panel_with_history_and_duty_roster(
    quiet_server: BoardServer, open_board: Open
) -> None:
    now = datetime.now(UTC)
    first = pushed_event(
        "d1",
        severity="moderate",
        description="2개 차로 통제, 견인 중",
        area_desc="서울특별시 중구 세종대로",
        url="https://example.org/incidents/d1",
        at=now - timedelta(minutes=8),
    )
    quiet_server.push(first)
    quiet_server.push({**first, "version": 2, "severity": "severe"})
    page = open_board(quiet_server)
    wait_live(page)
    wait_map(page)

    row(page, "test:d1").click()
    panel = page.locator('[data-testid="detail"]')
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-event-id", "test:d1")
    expect(page.locator('[data-testid="detail-title"]')).to_have_text("시청 앞 교통사고 d1")
    expect(page.locator('[data-testid="detail-severity"]')).to_have_text("경계")
    expect(page.locator('[data-testid="detail-description"]')).to_have_text(
        "2개 차로 통제, 견인 중"
    )
    facts = page.locator('[data-testid="detail-facts"]')
    expect(facts).to_contain_text("서울특별시 중구 세종대로")
    expect(facts).to_contain_text("중구")
    expect(facts.locator("a.source-link")).to_have_attribute(
        "href", "https://example.org/incidents/d1"
    )
    # times in the city's zone (the browser runs in UTC)
    seoul = (now - timedelta(minutes=8)).astimezone(ZoneInfo("Asia/Seoul"))
    expect(page.locator('[data-testid="detail-sent"]')).to_contain_text(seoul.strftime("%H:%M"))
    expect(page.locator('[data-testid="detail-sent"]')).to_contain_text("GMT+9")

    items = page.locator('[data-testid="history-item"]')
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("최초 발표")
    expect(items.nth(1)).to_contain_text("2판")
    expect(items.nth(1)).to_contain_text("등급")
    expect(items.nth(1)).to_contain_text("주의 → 경계")

    # the duty roster: without the demo the directory is empty, and the panel says so
    # (calls from the roster: tests/browser/test_calls.py)
    officers = page.locator('[data-testid="officers-status"]')
    expect(officers).to_have_attribute("data-state", "ok")
    expect(officers).to_have_text("이 자치구·분류의 당직자가 없습니다")
    expect(page.locator('[data-testid="officer"]')).to_have_count(0)

    # a live update of the open event refreshes the panel and its history
    quiet_server.push({**first, "version": 3, "severity": "extreme", "title": "시청 앞 다중 추돌"})
    expect(page.locator('[data-testid="detail-title"]')).to_have_text("시청 앞 다중 추돌")
    expect(items).to_have_count(3, timeout=5_000)

    # clicking the marker on the map opens the same panel; Escape closes it
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    marker(page, "test:d1").click()
    expect(panel).to_be_visible()
    page.locator('[data-testid="detail-close"]').click()
    expect(panel).to_be_hidden()

    # an event that ends while open says so and keeps its story
    row(page, "test:d1").click()
    quiet_server.push({**first, "version": 4, "status": "cancelled"})
    expect(page.locator('[data-testid="detail-gone"]')).to_be_visible()
    expect(items).to_have_count(4, timeout=5_000)


def test_a_time_taken_from_the_fetch_is_marked_in_the_list_and_the_detail(
    quiet_server: BoardServer, open_board: Open
) -> None:
    """time_basis "fetched" (the source's time was unreadable): both views say it was received."""
    sent = datetime(2026, 11, 29, 5, 2, tzinfo=UTC)  # 14:02 in Seoul
    quiet_server.push(
        [
            pushed_event("fetched", at=sent, time_basis="fetched"),
            pushed_event("dated", at=sent, geometry={"type": "Point", "coordinates": MAPO}),
        ]
    )
    page = open_board(quiet_server)
    wait_live(page)
    fetched, dated = row(page, "test:fetched"), row(page, "test:dated")
    expect(fetched).to_have_attribute("data-time-basis", "fetched")
    expect(fetched.locator(".age")).to_contain_text("· 수신 시각")
    expect(fetched.locator(".age")).to_have_attribute("title", "14:02 수신 (원본 시각 판독 불가)")
    expect(dated).to_have_attribute("data-time-basis", "source")
    expect(dated.locator(".age")).not_to_contain_text("수신")

    fetched.click()
    sent_fact = page.locator('[data-testid="detail-sent"]')
    expect(sent_fact).to_have_text(re.compile(r"14:02:00 GMT\+9 수신 \(원본 시각 판독 불가\)$"))
    page.locator('[data-testid="lang-toggle"]').click()
    expect(sent_fact).to_have_text(
        re.compile(r"^received .*14:02:00 GMT\+9 \(source time unreadable\)$")
    )
    expect(fetched.locator(".age")).to_contain_text("· received")
    dated.click()
    expect(sent_fact).not_to_contain_text("received")
    assert page.evaluate("window.cityboard.missingTranslations()") == []


def test_an_action_on_one_page_is_seen_on_another(
    quiet_server: BoardServer, open_board: Open
) -> None:
    quiet_server.push(pushed_event("w1", at=datetime.now(UTC) - timedelta(minutes=4)))
    operator = open_board(quiet_server)
    wall = open_board(quiet_server, query="?kiosk=1")
    wait_live(operator)
    wait_live(wall)
    op_state = row(operator, "test:w1").locator('[data-testid="workflow-state"]')
    wall_state = row(wall, "test:w1").locator('[data-testid="workflow-state"]')
    expect(wall_state).to_have_text("신규")

    row(operator, "test:w1").click()
    # the operator's name goes on the record (and stays for the next visit)
    operator.locator('[data-testid="actor-name"]').fill("교통상황실 이")
    assert operator.evaluate("localStorage.getItem('cityboard.actor')") == "교통상황실 이"
    operator.locator('[data-testid="action-ack"]').click()
    expect(operator.locator('[data-testid="action-status"]')).to_have_attribute(
        "data-state", "done"
    )
    expect(op_state).to_have_text("접수", timeout=2_000)
    expect(wall_state).to_have_text("접수", timeout=2_000)
    expect(row(wall, "test:w1")).to_have_attribute("data-state", "acknowledged")
    expect(operator.locator('[data-testid="action-ack"]')).to_be_disabled()
    # the median time to acknowledge now has one sample of about four minutes
    tta = wall.locator('[data-testid="kpi-tta"] .tile-value')
    expect(tta).to_have_attribute("data-n", "1", timeout=3_000)
    assert 200_000 <= int(tta.get_attribute("data-ms") or 0) <= 300_000
    expect(tta).to_have_text(re.compile(r"^4분"))

    operator.locator('[data-testid="assign-to"]').fill("교통정보센터 홍길동")
    operator.locator('[data-testid="action-assign"]').click()
    expect(wall_state).to_have_text("배정", timeout=2_000)
    expect(op_state).to_have_text("배정")
    expect(operator.locator('[data-testid="detail-workflow"]')).to_contain_text(
        "교통정보센터 홍길동"
    )

    operator.locator('[data-testid="note-text"]').fill("견인차 도착 예정 10분")
    operator.locator('[data-testid="action-note"]').click()
    history = operator.locator('[data-testid="history-item"][data-kind="action"]')
    expect(history).to_have_count(3, timeout=5_000)
    expect(history.nth(0)).to_have_text(re.compile("교통상황실 이 접수$"))
    expect(history.nth(2)).to_contain_text("견인차 도착 예정 10분")

    resolve = operator.locator('[data-testid="action-resolve"]')
    resolve.click()
    expect(resolve).to_have_text("확인: 처리 완료")  # resolving asks once more
    resolve.click()
    expect(wall_state).to_have_text("완료", timeout=2_000)
    expect(op_state).to_have_text("완료")
    expect(row(wall, "test:w1")).to_have_attribute("data-state", "resolved")
    expect(resolve).to_be_disabled()

    # an action the server refuses shows the server's words
    unknown = operator.evaluate(
        """() => window.cityboard.conn.sendAction('ack', 'test:never-seen', {})
               .then(() => 'accepted', (err) => err.message)"""
    )
    assert "unknown_event" in unknown


def test_kiosk_rotates_across_districts_with_severe_events(
    quiet_server: BoardServer, open_board: Open
) -> None:
    now = datetime.now(UTC)
    quiet_server.push(
        [
            pushed_event("k1", severity="extreme", at=now - timedelta(minutes=3)),
            pushed_event(
                "k2",
                kind="disaster",
                category="disaster.fire",
                severity="severe",
                title="노원구 상계동 화재",
                at=now - timedelta(minutes=2),
                geometry={"type": "Point", "coordinates": NOWON},
            ),
            pushed_event(
                "k3", severity="minor", at=now, geometry={"type": "Point", "coordinates": MAPO}
            ),
        ]
    )
    page = open_board(quiet_server, query="?kiosk=1&rotate=2")
    wait_live(page)
    wait_map(page)
    expect(page.locator("body")).to_have_class(re.compile(r"\bkiosk\b"))
    for control in ("filters", "lang-toggle", "sound-toggle", "filter-kind"):
        expect(page.locator(f'[data-testid="{control}"]')).to_be_hidden()
    assert page.evaluate("getComputedStyle(document.body).cursor") == "none"
    assert page.locator(".leaflet-control-zoom").count() == 0

    focus = page.locator('[data-testid="map"]')
    seen: set[str] = set()
    for _ in range(2):
        expect(focus).to_have_attribute("data-focus-district", re.compile(r"^(11140|11350)$"))
        current = focus.get_attribute("data-focus-district") or ""
        seen.add(current)
        expect(page.locator('[data-testid="kiosk-focus"]')).to_be_visible()
        expect(focus).not_to_have_attribute("data-focus-district", current, timeout=5_000)
    seen.add(focus.get_attribute("data-focus-district") or "")
    assert seen == {"11140", "11350"}, seen  # the minor event's district is never focused

    # a district click does nothing in kiosk mode
    page.locator('[data-testid="map"]').click(position={"x": 30, "y": 200})
    page.wait_for_timeout(300)
    assert "district" not in query_of(page)
    expect(page.locator(ROW)).to_have_count(3)


def test_severe_events_are_announced(quiet_server: BoardServer, open_board: Open) -> None:
    page = open_board(quiet_server)
    wait_live(page)
    banner = page.locator('[data-testid="announce"]')
    sound = page.locator('[data-testid="sound-toggle"]')
    expect(sound).to_have_attribute("aria-pressed", "false")  # sound is off by default
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "true")

    quiet_server.push(pushed_event("minor1", severity="minor"))
    expect(row(page, "test:minor1")).to_have_count(1)
    expect(banner).to_be_hidden()

    quiet_server.push(
        pushed_event(
            "fire",
            kind="disaster",
            category="disaster.fire",
            severity="extreme",
            title="을지로 상가 화재",
        )
    )
    expect(banner).to_be_visible(timeout=1_000)
    expect(banner).to_have_attribute("data-severity", "extreme")
    expect(banner).to_contain_text("심각")
    expect(banner).to_contain_text("을지로 상가 화재")
    expect(page.locator("body")).to_have_attribute("data-alert", "extreme")
    expect(banner).to_have_class(re.compile(r"\bblink\b"))  # the banner flashes
    assert page.evaluate("window.cityboard.beeper.count") >= 1

    # an escalation is news too; the banner opens the event
    quiet_server.push(pushed_event("minor1", version=2, severity="severe"))
    expect(banner).to_have_attribute("data-event-id", "test:minor1", timeout=5_000)
    banner.click()
    expect(page.locator('[data-testid="detail"]')).to_have_attribute("data-event-id", "test:minor1")


def test_an_alert_that_ends_leaves_the_banner_at_once(
    quiet_server: BoardServer, open_board: Open
) -> None:
    page = open_board(quiet_server)
    wait_live(page)
    banner = page.locator('[data-testid="announce"]')
    quiet_server.push(pushed_event("first", severity="minor"))  # the board is past its snapshot
    expect(row(page, "test:first")).to_have_count(1)
    fire = pushed_event("fire", kind="disaster", category="disaster.fire", severity="extreme")
    quiet_server.push(fire)
    expect(banner).to_have_attribute("data-event-id", "test:fire", timeout=2_000)
    quiet_server.push({**fire, "version": 2, "status": "cancelled"})
    expect(banner).to_be_hidden(timeout=2_000)  # not after its 12 s
    expect(page.locator("body")).not_to_have_attribute("data-alert", "extreme")

    quiet_server.push(pushed_event("jam", severity="severe"))
    expect(banner).to_have_attribute("data-event-id", "test:jam", timeout=2_000)
    quiet_server.push(pushed_event("jam", version=2, severity="moderate"))
    expect(banner).to_be_hidden(timeout=2_000)
    expect(row(page, "test:jam")).to_have_count(1)  # still on the board, just not an alert


def test_kpi_tiles(quiet_server: BoardServer, open_board: Open) -> None:
    now = datetime.now(UTC)
    quiet_server.push(
        [
            pushed_event("t1", at=now - timedelta(minutes=10)),
            pushed_event("t2", at=now - timedelta(hours=3), severity="minor"),
            pushed_event(
                "c1",
                kind="complaint",
                category="complaint.waste",
                severity="minor",
                at=now - timedelta(minutes=30),
            ),
            pushed_event(
                "c2",
                kind="complaint",
                category="complaint.noise",
                severity="minor",
                at=now - timedelta(hours=5),
            ),
        ]
    )
    # one that already ended still counts in the last 24 hours
    gone = pushed_event(
        "g1", kind="disaster", category="disaster.fire", at=now - timedelta(hours=2)
    )
    quiet_server.push(gone)
    # acknowledged before the page loads: g1 two hours after it was sent, then it ended; t1 after
    # ten minutes, still active (the snapshot and the 24 h look-back both know it: counted once)
    act(quiet_server, "ack", "test:g1")
    act(quiet_server, "ack", "test:t1")
    quiet_server.push({**gone, "version": 2, "status": "expired"})
    page = open_board(quiet_server)
    wait_live(page)

    def value(testid: str) -> Any:
        return page.locator(f'[data-testid="{testid}"] .tile-value')

    expect(value("kpi-active")).to_have_text("4")
    expect(value("kpi-kind-traffic")).to_have_text("2")
    expect(value("kpi-kind-complaint")).to_have_text("2")
    expect(value("kpi-kind-disaster")).to_have_text("0")
    expect(value("kpi-new-hour")).to_have_text("2")
    expect(value("kpi-complaints-open")).to_have_text("2")
    # the median of 10 min and 2 h; n counts each acknowledged event once
    expect(value("kpi-tta")).to_have_attribute("data-n", "2", timeout=5_000)
    expect(value("kpi-tta")).to_have_text("1시간 5분")
    expect(
        page.locator('[data-testid="kpi-active"] .sev-count[data-severity="severe"]')
    ).to_have_text("경계 1")
    sparks = page.locator('[data-testid="sparkline"]')
    expect(
        page.locator('[data-testid="kpi-kind-traffic"] [data-testid="sparkline"]')
    ).to_have_attribute("data-total", "2")
    expect(
        page.locator('[data-testid="kpi-kind-disaster"] [data-testid="sparkline"]')
    ).to_have_attribute("data-total", "1", timeout=5_000)
    assert sparks.count() == 3

    # resolving a complaint closes it
    row(page, "test:c1").click()
    page.locator('[data-testid="action-resolve"]').click()
    page.locator('[data-testid="action-resolve"]').click()
    expect(value("kpi-complaints-open")).to_have_text("1", timeout=3_000)
    expect(value("kpi-tta")).to_have_attribute("data-n", "3")
    expect(value("kpi-tta")).to_have_text("30분")  # 10 min, 30 min, 2 h

    # tiles follow the filter
    page.locator('[data-testid="filter-kind"] [data-value="complaint"]').click()
    expect(value("kpi-active")).to_have_text("2")
    expect(value("kpi-kind-traffic")).to_have_text("0")


def test_feed_strip_makes_a_down_feed_unmistakable(
    quiet_server: BoardServer, open_board: Open
) -> None:
    page = open_board(quiet_server)
    wait_live(page)
    alarm = page.locator('[data-testid="feed-alarm"]')
    expect(alarm).to_be_hidden()
    # inject right after a real `feeds` message, so the next real one is seconds away
    before = page.evaluate("window.cityboard.store.feedsAt")
    page.wait_for_function(
        f"() => window.cityboard.store.feedsAt !== {json.dumps(before)}", timeout=10_000
    )
    health = [
        {"name": "aaa-ok", "state": "ok", "stale": False, "age_seconds": 3},
        {
            "name": "kma-cap",
            "state": "down",
            "stale": True,
            "age_seconds": 900,
            "last_error": "HTTP 503",
        },
        {"name": "topis", "state": "ok", "stale": True, "age_seconds": 400},
    ]
    # a `feeds` message as the server sends every few seconds (injected: no real feed is down)
    page.evaluate(
        "h => window.cityboard.conn.onMessage("
        "{data: JSON.stringify({v: 1, type: 'feeds', health: h})})",
        health,
    )
    feeds = page.locator('[data-testid="feed-row"]')
    expect(feeds).to_have_count(3)
    assert [feeds.nth(i).get_attribute("data-feed") for i in range(3)] == [
        "kma-cap",
        "topis",
        "aaa-ok",
    ], "problems first"
    down = page.locator('[data-testid="feed-row"][data-feed="kma-cap"]')
    expect(down).to_have_class(re.compile(r"feed-bad"))
    expect(down).to_contain_text("중단")
    expect(down).to_contain_text("15분 전")
    expect(down).to_have_attribute("title", "HTTP 503")
    expect(page.locator('[data-testid="feed-row"][data-feed="topis"]')).to_contain_text("지연")
    expect(alarm).to_be_visible()
    expect(alarm).to_have_text(re.compile("피드 2개"))
    # the real server's next message puts the truth back
    expect(alarm).to_be_hidden(timeout=10_000)


def test_keyboard_navigation(quiet_server: BoardServer, open_board: Open) -> None:
    quiet_server.push(mixed_events(datetime.now(UTC)))
    page = open_board(quiet_server)
    wait_live(page)
    expect(page.locator(ROW)).to_have_count(4)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.dataset.testid") == "search"
    page.keyboard.type("hongik")
    page.keyboard.press("Enter")
    expect(page.locator(ROW)).to_have_count(1)
    page.keyboard.press("Escape")
    page.locator('[data-testid="filter-clear"]').click()
    expect(page.locator(ROW)).to_have_count(4)
    page.locator(ROW).first.focus()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.dataset.eventId")
    assert focused == event_ids(page)[1]
    page.keyboard.press("Enter")
    expect(page.locator('[data-testid="detail"]')).to_have_attribute("data-event-id", focused)
    page.keyboard.press("Escape")
    expect(page.locator('[data-testid="detail"]')).to_be_hidden()
    assert json.loads(json.dumps(page.evaluate("window.cityboard.filter"))) == {
        "kinds": [],
        "severities": [],
        "districts": [],
        "statuses": [],
        "sources": [],
        "q": "",
    }


FILTER_ROW = """() => {
  const bar = document.querySelector('[data-testid="filters"]');
  const middle = (el) => { const r = el.getBoundingClientRect(); return r.top + r.height / 2; };
  const shown = [...bar.children].filter((c) => c.getBoundingClientRect().width > 0);
  const off = shown.filter((c) => Math.abs(middle(c) - middle(bar.firstElementChild)) > 4);
  const help = document.querySelector('[data-testid="key-help"]').getBoundingClientRect();
  const hints = [...document.querySelectorAll('[data-testid="key-help"] span')]
    .filter((s) => s.getBoundingClientRect().top < help.bottom);
  return {offRow: off.map((c) => c.className), overflow: bar.scrollWidth - bar.clientWidth,
          hints: hints.length};
}"""


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_the_filter_bar_fits_one_row_on_a_wall_in_both_languages(
    demo_server: BoardServer, open_board: Open, width: int, height: int
) -> None:
    """ "Clear filters" must not drop to a second row and push the wall down; narrower screens
    wrap instead of overflowing."""
    for lang in ("en", "ko"):
        page = open_board(demo_server, width=width, height=height, query=f"?lang={lang}")
        wait_live(page)
        wait_map(page)  # the district menu is filled
        row_ = page.evaluate(FILTER_ROW)
        assert row_["offRow"] == [], (lang, row_)  # every control on the first row
        assert row_["overflow"] <= 0, (lang, row_)
        assert row_["hints"] >= 1, (lang, row_)  # the key hints that fit are shown whole

    narrow = open_board(demo_server, width=1100, height=900, query="?lang=en")
    wait_live(narrow)
    wait_map(narrow)
    row_ = narrow.evaluate(FILTER_ROW)
    assert row_["offRow"] and row_["overflow"] <= 0, row_  # wrapped, not cut off
