"""The officer directory on the board, in a real browser against the demo server (106 fictional
officers): the header button opens it, search and filters narrow it as the API does, officers on
duty come first and stand out, Esc closes it; with an event open, officers on duty can be called
about it through the same call path as the detail panel."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import ROW, wait_live

if TYPE_CHECKING:
    from tests.process import ServerProcess as BoardServer

pytestmark = pytest.mark.browser

Open = Callable[..., Any]
SEOUL = ZoneInfo("Asia/Seoul")
OFFICER = '[data-testid="directory-officer"]'


def officers(server: BoardServer, **query: str) -> list[dict[str, Any]]:
    """What the directory API answers for a query (the board must show the same people)."""
    url = f"{server.url}/api/officers?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        return list(json.loads(resp.read())["officers"])


def ids(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(OFFICER, "rows => rows.map(r => r.dataset.officerId)"))


def duty_flags(page: Any) -> list[bool]:
    return list(
        page.eval_on_selector_all(OFFICER, "rows => rows.map(r => r.dataset.onDuty === 'true')")
    )


def test_the_directory_lists_filters_and_puts_officers_on_duty_first(
    demo_server: BoardServer, open_board: Open, artifacts: Path
) -> None:
    everyone = officers(demo_server)
    on_duty = {o["id"] for o in everyone if o["on_duty"]}
    assert len(everyone) == 106 and on_duty, "the demo has people on duty around the clock"
    page = open_board(demo_server)
    wait_live(page)
    toggle = page.locator('[data-testid="directory-toggle"]')
    panel = page.locator('[data-testid="directory"]')
    expect(toggle).to_have_text("연락처")
    expect(panel).to_be_hidden()

    toggle.click()
    expect(panel).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    search = page.locator('[data-testid="directory-search"]')
    expect(search).to_be_focused()
    rows = page.locator(OFFICER)
    expect(rows).to_have_count(106)
    expect(page.locator('[data-testid="directory-count"]')).to_have_text(
        f"106명 · 근무 중 {len(on_duty)}명"
    )

    # officers on duty first, highlighted; everyone else after
    flags = duty_flags(page)
    assert flags == sorted(flags, reverse=True), "an officer off duty is listed before one on duty"
    assert {i for i, f in zip(ids(page), flags, strict=True) if f} == on_duty
    first = rows.first
    expect(first).to_have_class(re.compile(r"\bon-duty\b"))
    expect(rows.nth(len(on_duty))).not_to_have_class(re.compile(r"\bon-duty\b"))
    # a green bar a person sees from across the room, not only a class
    bar = first.evaluate("r => getComputedStyle(r).borderLeftColor")
    assert bar == "rgb(61, 220, 132)", bar

    # each row: name, level, DEMO, duty in the city's time, role and department, districts, phone
    sample = next(o for o in everyone if o["on_duty"] and o.get("on_duty_until"))
    row = page.locator(f'{OFFICER}[data-officer-id="{sample["id"]}"]')
    expect(row).to_contain_text(sample["name_ko"])
    expect(row).to_contain_text(sample["role"])
    expect(row).to_contain_text(sample["department"])
    expect(row.locator(".badge-demo")).to_have_text("DEMO")
    expect(row.locator('[data-testid="directory-level"]')).to_have_text(
        {"primary": "1차 담당", "backup": "예비 담당", "head": "책임자"}[sample["level"]]
    )
    until = datetime.fromisoformat(sample["on_duty_until"].replace("Z", "+00:00")).astimezone(SEOUL)
    expect(row.locator('[data-testid="directory-duty"]')).to_contain_text(f"{until:%H:%M}까지 근무")
    expect(row.locator('[data-testid="directory-phone"]')).to_have_attribute(
        "href", sample["tel_uri"]
    )
    off = next(o for o in everyone if not o["on_duty"] and o.get("next_shift_at"))
    nxt = datetime.fromisoformat(off["next_shift_at"].replace("Z", "+00:00")).astimezone(SEOUL)
    expect(
        page.locator(f'{OFFICER}[data-officer-id="{off["id"]}"] [data-testid="directory-duty"]')
    ).to_contain_text("다음 근무 ")
    expect(
        page.locator(f'{OFFICER}[data-officer-id="{off["id"]}"] [data-testid="directory-duty"]')
    ).to_contain_text(f"{nxt:%H:%M}")

    # search narrows the list as the API does (debounced: typing does not fetch per key)
    search.press_sequentially("TOPIS", delay=20)
    topis = officers(demo_server, q="TOPIS")
    assert 0 < len(topis) < 106
    expect(rows).to_have_count(len(topis))
    assert sorted(ids(page)) == sorted(o["id"] for o in topis)
    search.fill("")
    expect(rows).to_have_count(106)

    # district: 종로구 (11110) officers and the city-wide ones
    page.locator('[data-testid="directory-district"]').select_option(label="종로구")
    jongno = officers(demo_server, district="11110")
    expect(rows).to_have_count(len(jongno))
    for text in page.locator('[data-testid="directory-districts"]').all_inner_texts():
        assert text.startswith(("종로구", "시 전역")), text
    # ... and a department on top of it
    department = "교통행정과 Traffic"
    page.locator('[data-testid="directory-department"]').select_option(department)
    both = officers(demo_server, district="11110", department=department)
    assert 0 < len(both) < len(jongno)
    expect(rows).to_have_count(len(both))
    assert sorted(ids(page)) == sorted(o["id"] for o in both)
    flags = duty_flags(page)
    assert flags == sorted(flags, reverse=True)

    # the language switch relabels the rows and the filters
    page.locator('[data-testid="lang-toggle"]').click()
    expect(toggle).to_have_text("Directory")
    expect(rows.first).to_contain_text(next(o["name_en"] for o in both if o["id"] == ids(page)[0]))
    expect(page.locator('[data-testid="directory-district"] option:checked')).to_have_text(
        "Jongno-gu"
    )
    page.locator('[data-testid="lang-toggle"]').click()
    page.locator('[data-testid="directory-district"]').select_option("")
    page.locator('[data-testid="directory-department"]').select_option("")
    expect(rows).to_have_count(106)
    panel.screenshot(path=str(artifacts / "directory-1920x1080.png"), animations="disabled")
    page.screenshot(path=str(artifacts / "board-directory-1920x1080.png"), animations="disabled")

    # Esc closes it and gives the focus back to the header button
    search.focus()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    assert page.evaluate("window.cityboard.missingTranslations()") == []


def test_officers_on_duty_can_be_called_about_the_open_event_from_the_directory(
    demo_server: BoardServer, open_board: Open
) -> None:
    """The demo's `tel` dialer: the call is handed to the operator's phone (the page stays), the
    row follows it, and "call over" ends it on the record, as in the detail panel — with how it
    went when the operator says (answered, no answer, busy), or without."""
    page = open_board(demo_server)
    wait_live(page)
    expect(page.locator(f'[data-testid="column-right"] {ROW}').first).to_be_visible(timeout=15_000)
    page.locator('[data-testid="directory-toggle"]').click()
    rows = page.locator(OFFICER)
    expect(rows).to_have_count(106)
    # no event open: nobody to call about
    expect(page.locator(f'{OFFICER} [data-testid="call-button"]')).to_have_count(0)
    expect(page.locator('[data-testid="directory-event"]')).to_be_hidden()

    # the drawer covers the left column: pick an event from the right one while it is open
    event_row = page.locator(f'[data-testid="column-right"] {ROW}').first
    event_id = event_row.get_attribute("data-event-id")
    event_row.click()
    expect(page.locator('[data-testid="detail"]')).to_have_attribute("data-event-id", event_id)
    title = page.locator('[data-testid="detail-title"]').inner_text()
    expect(page.locator('[data-testid="directory-event"]')).to_contain_text(title)
    on_duty = page.locator(f'{OFFICER}[data-on-duty="true"]')
    buttons = page.locator(f'{OFFICER} [data-testid="call-button"]')
    expect(buttons).to_have_count(on_duty.count())
    off_duty = page.locator(f'{OFFICER}[data-on-duty="false"] [data-testid="call-button"]')
    expect(off_duty).to_have_count(0)

    caller_id = on_duty.first.get_attribute("data-officer-id")
    caller = page.locator(f'{OFFICER}[data-officer-id="{caller_id}"]')
    expect(caller.locator('[data-testid="call-button"]')).to_have_text("이 상황으로 전화")
    caller.locator('[data-testid="call-button"]').click()
    status = caller.locator('[data-testid="call-status"]')
    expect(status).to_have_attribute("data-phase", "handed_off")
    expect(status).to_contain_text("전화기로 넘김")
    assert page.url.startswith(demo_server.url), "opening the tel: link must not leave the board"
    tel_uri = next(o["tel_uri"] for o in officers(demo_server) if o["id"] == caller_id)
    expect(caller.locator('[data-testid="call-tel"]')).to_have_attribute("href", tel_uri)
    expect(caller.locator('[data-testid="call-button"]')).to_be_disabled()
    history = page.locator('[data-testid="history-item"][data-action="call_started"]')
    expect(history).to_have_count(1)
    hangups: list[str | None] = []
    page.on(
        "request",
        lambda r: hangups.append(r.post_data) if r.url.endswith("/hangup") else None,
    )
    marks = caller.locator('[data-testid="call-outcome"]')
    expect(marks).to_have_text(["통화함", "받지 않음", "통화 중"])

    # Headless Chromium answers the tel: link with an invisible, modal "open the phone app?"
    # prompt that swallows mouse and keys: the click is dispatched to the button itself.
    caller.locator('[data-testid="hangup-button"]').dispatch_event("click")
    expect(status).to_have_attribute("data-phase", "ended")
    expect(status).to_have_text(re.compile(r"^통화 종료: 전화기로 넘김 · .*운영자가 종료 처리"))
    expect(caller.locator('[data-testid="hangup-button"]')).to_be_hidden()
    expect(marks.first).to_be_hidden()
    ended = page.locator('[data-testid="history-item"][data-action="call_ended"]')
    expect(ended).to_have_count(1)
    assert hangups == [None], "“call over” without a choice says no outcome"

    # again (the prompt still swallows clicks), and this time the operator says nobody answered
    caller.locator('[data-testid="call-button"]').dispatch_event("click")
    expect(status).to_have_attribute("data-phase", "handed_off")
    marks.and_(page.locator('[data-outcome="no_answer"]')).dispatch_event("click")
    expect(status).to_have_attribute("data-phase", "ended")
    expect(status).to_have_attribute("data-outcome", "no_answer")
    expect(status).to_have_text(re.compile(r"^통화 종료: 받지 않음"))
    expect(ended).to_have_count(2)
    expect(ended.last).to_have_attribute("data-outcome", "no_answer")  # oldest first
    assert [json.loads(h) if h else None for h in hangups] == [None, {"outcome": "no_answer"}]
