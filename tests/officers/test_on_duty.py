"""Who is on duty: weekly shifts, overrides and iCalendar schedules in the city's zone, DST-safe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.districts import Districts
from server.officers.duty import resolve
from server.officers.model import Officer
from server.officers.shifts import Schedule
from tests.conftest import StartServer
from tests.officers.helpers import ADMIN_TOKEN, officer, put_officer

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")  # clocks go forward 2026-03-08, back 2026-11-01
LOOKAHEAD = timedelta(days=14)
DISTRICTS = Districts.load()


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def schedule(shifts: list[str], overrides: list[str], calendar: str | None = None) -> Schedule:
    o = Officer.model_validate(officer("x", shifts=shifts, overrides=overrides, calendar=calendar))
    return o.schedule


# (case, zone, weekly shifts, overrides, at, on duty?, on duty until, next shift starts)
# 2026-03-02 is a Monday. Expected times carry their offsets, so the table reads as wall clock.
TABLE: list[tuple[str, ZoneInfo, list[str], list[str], str, bool, str | None, str | None]] = [
    (
        "start is inclusive",
        SEOUL,
        ["mon-fri 09:00-18:00"],
        [],
        "2026-03-02T09:00+09:00",
        True,
        "2026-03-02T18:00+09:00",
        "2026-03-03T09:00+09:00",
    ),
    (
        "a second before the start",
        SEOUL,
        ["mon-fri 09:00-18:00"],
        [],
        "2026-03-02T08:59:59+09:00",
        False,
        None,
        "2026-03-02T09:00+09:00",
    ),
    (
        "end is exclusive",
        SEOUL,
        ["mon-fri 09:00-18:00"],
        [],
        "2026-03-02T18:00+09:00",
        False,
        None,
        "2026-03-03T09:00+09:00",
    ),
    (
        "weekend: next is monday",
        SEOUL,
        ["mon-fri 09:00-18:00"],
        [],
        "2026-03-07T12:00+09:00",
        False,
        None,
        "2026-03-09T09:00+09:00",
    ),
    (
        "overnight, after midnight",
        SEOUL,
        ["daily 22:00-06:00"],
        [],
        "2026-03-03T03:00+09:00",
        True,
        "2026-03-03T06:00+09:00",
        "2026-03-03T22:00+09:00",
    ),
    (
        "friday night runs into saturday",
        SEOUL,
        ["fri 22:00-06:00"],
        [],
        "2026-03-07T05:59+09:00",
        True,
        "2026-03-07T06:00+09:00",
        "2026-03-13T22:00+09:00",
    ),
    (
        "an overnight end is exclusive too",
        SEOUL,
        ["fri 22:00-06:00"],
        [],
        "2026-03-07T06:00+09:00",
        False,
        None,
        "2026-03-13T22:00+09:00",
    ),
    (
        "back-to-back shifts are one stretch",
        SEOUL,
        ["mon-fri 09:00-18:00", "mon-fri 18:00-22:00"],
        [],
        "2026-03-02T17:00+09:00",
        True,
        "2026-03-02T22:00+09:00",
        "2026-03-03T09:00+09:00",
    ),
    (
        "around the clock: no end within the lookahead",
        SEOUL,
        ["daily 00:00-24:00"],
        [],
        "2026-03-02T12:00+09:00",
        True,
        None,
        None,
    ),
    (
        "a day off",
        SEOUL,
        ["mon-fri 09:00-18:00"],
        ["2026-03-03 off"],
        "2026-03-03T10:00+09:00",
        False,
        None,
        "2026-03-04T09:00+09:00",
    ),
    (
        "a week off",
        SEOUL,
        ["mon-fri 09:00-18:00"],
        ["2026-03-02..2026-03-06 off leave"],
        "2026-03-04T10:00+09:00",
        False,
        None,
        "2026-03-09T09:00+09:00",
    ),
    (
        "a lunch hour off",
        SEOUL,
        ["mon-fri 09:00-18:00"],
        ["2026-03-02 12:00-13:00 off"],
        "2026-03-02T11:00+09:00",
        True,
        "2026-03-02T12:00+09:00",
        "2026-03-02T13:00+09:00",
    ),
    (
        "an extra saturday shift",
        SEOUL,
        ["mon-fri 09:00-18:00"],
        ["2026-03-07 10:00-14:00 on"],
        "2026-03-07T13:59+09:00",
        True,
        "2026-03-07T14:00+09:00",
        "2026-03-09T09:00+09:00",
    ),
    (
        "off wins over on",
        SEOUL,
        [],
        ["2026-03-07 10:00-14:00 on", "2026-03-07 off"],
        "2026-03-07T11:00+09:00",
        False,
        None,
        None,
    ),
    (
        "a day off cuts the night shifts at midnight",
        SEOUL,
        ["daily 22:00-06:00"],
        ["2026-03-03 off"],
        "2026-03-02T23:00+09:00",
        True,
        "2026-03-03T00:00+09:00",
        "2026-03-04T00:00+09:00",
    ),
    (
        "Seoul has no DST: that night is 8 hours",
        SEOUL,
        ["daily 22:00-06:00"],
        [],
        "2026-03-08T05:00+09:00",
        True,
        "2026-03-08T06:00+09:00",
        "2026-03-08T22:00+09:00",
    ),
    (
        "New York: the spring-forward night is 7 hours",
        NEW_YORK,
        ["daily 22:00-06:00"],
        [],
        "2026-03-07T23:00-05:00",
        True,
        "2026-03-08T06:00-04:00",
        "2026-03-08T22:00-04:00",
    ),
    (
        "New York: 09:00 before the change",
        NEW_YORK,
        ["mon-fri 09:00-17:00"],
        [],
        "2026-03-06T14:00Z",
        True,
        "2026-03-06T17:00-05:00",
        "2026-03-09T09:00-04:00",
    ),
    (
        "New York: 09:00 after the change is 13:00 UTC",
        NEW_YORK,
        ["mon-fri 09:00-17:00"],
        [],
        "2026-03-09T13:00Z",
        True,
        "2026-03-09T17:00-04:00",
        "2026-03-10T09:00-04:00",
    ),
    (
        "New York: a start in the gap is read before it",
        NEW_YORK,
        ["sun 02:30-05:00"],
        [],
        "2026-03-08T03:15-04:00",
        False,
        None,
        "2026-03-08T03:30-04:00",
    ),
    (
        "New York: the fall-back night is 9 hours",
        NEW_YORK,
        ["daily 22:00-06:00"],
        [],
        "2026-11-01T01:30-04:00",
        True,
        "2026-11-01T06:00-05:00",
        "2026-11-01T22:00-05:00",
    ),
    (
        "New York: an override day follows the local calendar",
        NEW_YORK,
        ["daily 00:00-24:00"],
        ["2026-03-08 off"],
        "2026-03-08T12:00-04:00",
        False,
        None,
        "2026-03-09T00:00-04:00",
    ),
]


@pytest.mark.parametrize(
    ("zone", "shifts", "overrides", "at", "on", "until", "next_start"),
    [case[1:] for case in TABLE],
    ids=[case[0] for case in TABLE],
)
def test_duty_table(
    zone: ZoneInfo,
    shifts: list[str],
    overrides: list[str],
    at: str,
    on: bool,
    until: str | None,
    next_start: str | None,
) -> None:
    duty = schedule(shifts, overrides).duty(t(at), zone, LOOKAHEAD)
    assert duty.on_duty is on
    assert duty.until == (t(until) if until else None)
    assert duty.next_start == (t(next_start) if next_start else None)


def test_overnight_lengths_follow_the_wall_clock_across_dst() -> None:
    spans = schedule(["daily 22:00-06:00"], []).spans(
        t("2026-03-06T12:00Z"), t("2026-03-10T12:00Z"), NEW_YORK
    )
    assert [round((b - a).total_seconds() / 3600) for a, b in spans] == [8, 7, 8, 8]


# -------------------------------------------------------------------------- iCalendar

ONCALL = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//cityboard tests//EN
BEGIN:VEVENT
UID:weekly@test
DTSTART;TZID=Asia/Seoul:20260302T090000
DTEND;TZID=Asia/Seoul:20260302T180000
RRULE:FREQ=WEEKLY;BYDAY=MO,WE
EXDATE;TZID=Asia/Seoul:20260304T090000
SUMMARY:On call - Jongno disaster
END:VEVENT
BEGIN:VEVENT
UID:weekly@test
RECURRENCE-ID;TZID=Asia/Seoul:20260309T090000
DTSTART;TZID=Asia/Seoul:20260309T130000
DTEND;TZID=Asia/Seoul:20260309T200000
SUMMARY:On call (moved)
END:VEVENT
BEGIN:VEVENT
UID:pagerduty-1@test
DTSTART:20260306T230000Z
DTEND:20260307T030000Z
SUMMARY:On Call - Primary
END:VEVENT
BEGIN:VEVENT
UID:cancelled@test
DTSTART;TZID=Asia/Seoul:20260305T090000
DTEND;TZID=Asia/Seoul:20260305T180000
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:allday@test
DTSTART;VALUE=DATE:20260314
DTEND;VALUE=DATE:20260315
END:VEVENT
END:VCALENDAR
"""


@pytest.mark.parametrize(
    ("at", "on", "until", "next_start"),
    [
        ("2026-03-02T10:00+09:00", True, "2026-03-02T18:00+09:00", "2026-03-07T08:00+09:00"),
        ("2026-03-04T10:00+09:00", False, None, "2026-03-07T08:00+09:00"),  # EXDATE
        ("2026-03-05T10:00+09:00", False, None, "2026-03-07T08:00+09:00"),  # cancelled
        ("2026-03-07T09:00+09:00", True, "2026-03-07T12:00+09:00", "2026-03-09T13:00+09:00"),
        ("2026-03-09T10:00+09:00", False, None, "2026-03-09T13:00+09:00"),  # moved instance
        ("2026-03-09T19:59+09:00", True, "2026-03-09T20:00+09:00", "2026-03-11T09:00+09:00"),
        ("2026-03-14T23:00+09:00", True, "2026-03-15T00:00+09:00", "2026-03-16T09:00+09:00"),
    ],
)
def test_icalendar_recurrence_with_exdate_moved_and_cancelled_instances(
    at: str, on: bool, until: str | None, next_start: str | None
) -> None:
    duty = schedule([], [], ONCALL).duty(t(at), SEOUL, LOOKAHEAD)
    assert (duty.on_duty, duty.until, duty.next_start) == (
        on,
        t(until) if until else None,
        t(next_start) if next_start else None,
    )


def test_icalendar_daily_rule_keeps_local_time_across_dst() -> None:
    calendar = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:d@t\n"
        "DTSTART;TZID=America/New_York:20260306T090000\n"
        "DTEND;TZID=America/New_York:20260306T100000\nRRULE:FREQ=DAILY;COUNT=5\n"
        "END:VEVENT\nEND:VCALENDAR\n"
    )
    spans = schedule([], [], calendar).spans(t("2026-03-05T00:00Z"), t("2026-03-12T00:00Z"), SEOUL)
    assert [a.astimezone(NEW_YORK).hour for a, _ in spans] == [9, 9, 9, 9, 9]
    assert [a.astimezone(UTC).hour for a, _ in spans] == [14, 14, 13, 13, 13]


def test_floating_calendar_times_are_the_citys_wall_clock() -> None:
    calendar = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:f@t\n"
        "DTSTART:20260302T090000\nDTEND:20260302T100000\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    duty = schedule([], [], calendar).duty(t("2026-03-02T00:30Z"), SEOUL, LOOKAHEAD)
    assert duty.on_duty and duty.until == t("2026-03-02T10:00+09:00")


# ------------------------------------------------------------------ who now, next, escalation


def directory() -> list[Officer]:
    rows: list[dict[str, Any]] = [
        officer("day", name_en="A Day", shifts=["mon-fri 09:00-18:00"]),
        officer("evening", name_en="B Evening", shifts=["daily 18:00-22:00"]),
        officer(
            "room",
            name_en="C Room",
            level="backup",
            districts=["*"],
            shifts=["mon-fri 08:00-20:00"],
        ),
        officer(
            "local-backup",
            name_en="D Local",
            level="backup",
            overrides=["2026-03-02 10:00-11:00 on"],
        ),
        officer("chief", name_en="E Chief", level="head", districts=["*"]),
        officer("roads", kinds=["traffic"], shifts=["daily 00:00-24:00"]),
        officer("junggu", districts=["11140"], shifts=["daily 00:00-24:00"]),
        officer(
            "floods",
            kinds=["disaster"],
            categories=["disaster.flood"],
            shifts=["daily 00:00-24:00"],
        ),
    ]
    return [Officer.model_validate(r, context={"districts": DISTRICTS}) for r in rows]


def ids(items: list[tuple[Officer, Any]]) -> list[str]:
    return [o.id for o, _ in items]


def test_on_duty_now_next_and_escalation_on_a_weekday() -> None:
    answer = resolve(
        directory(),
        at=t("2026-03-02T10:30+09:00"),
        zone=SEOUL,
        lookahead=LOOKAHEAD,
        district="11110",
        kind="disaster",
        category="disaster.fire",
    )
    assert ids(answer.now) == ["day", "local-backup", "room"], "primary first; local before city"
    assert ids(answer.next) == ["evening"], "the next primary; backups are all on duty"
    assert ids(answer.escalation) == ["local-backup", "room", "chief"]
    body = answer.as_json()
    assert body["now"][0]["on_duty_until"] == "2026-03-02T09:00:00Z"
    assert body["next"][0]["next_shift_at"] == "2026-03-02T09:00:00Z"
    assert "floods" not in [o["id"] for o in body["now"]], "covers floods only, not fires"


def test_shift_change_is_start_inclusive_end_exclusive() -> None:
    answer = resolve(
        directory(),
        at=t("2026-03-02T18:00+09:00"),
        zone=SEOUL,
        lookahead=LOOKAHEAD,
        district="11110",
        kind="disaster",
    )
    assert ids(answer.now) == ["evening", "floods", "room"]


def test_an_event_outside_every_district_goes_to_city_wide_officers() -> None:
    answer = resolve(
        directory(),
        at=t("2026-03-02T10:30+09:00"),
        zone=SEOUL,
        lookahead=LOOKAHEAD,
        district="*",
        kind="disaster",
    )
    assert ids(answer.now) == ["room"] and ids(answer.escalation) == ["room", "chief"]


def test_nobody_on_duty_escalates_to_backups_then_heads() -> None:
    answer = resolve(
        directory(),
        at=t("2026-03-07T03:00+09:00"),
        zone=SEOUL,
        lookahead=LOOKAHEAD,
        district="11110",
        kind="disaster",
        category="disaster.fire",
    )
    assert answer.now == []
    assert ids(answer.escalation) == ["local-backup", "room", "chief"]
    assert all(not d.on_duty for _, d in answer.escalation)
    assert ids(answer.next) == ["evening", "room"], "soonest first: Sat 18:00, then Mon 08:00"


# ------------------------------------------------------------------------------ the API


async def test_the_api_answers_on_duty_for_a_district_and_kind(start_server: StartServer) -> None:
    running = await start_server(admin_token=ADMIN_TOKEN)
    for o in directory():
        await put_officer(running, o.stored())
    params = {"district": "종로구", "kind": "disaster", "at": "2026-03-02T10:30:00+09:00"}
    async with running.session.get(f"{running.http}/api/officers/on-duty", params=params) as r:
        body = await r.json()
        assert r.status == 200, body
    assert (body["at"], body["district"], body["kind"]) == (
        "2026-03-02T01:30:00Z",
        "11110",
        "disaster",
    )
    assert [o["id"] for o in body["now"]] == ["day", "floods", "local-backup", "room"]
    assert [o["id"] for o in body["next"]] == ["evening"]
    assert [o["id"] for o in body["escalation"]] == ["local-backup", "room", "chief"]
    first = body["now"][0]
    assert first["on_duty"] is True and first["on_duty_until"] == "2026-03-02T09:00:00Z"
    assert first["tel_uri"] == "tel:+82200000101" and first["demo"] is False
    assert (
        body["escalation"][-1]["on_duty"] is False and "next_shift_at" not in body["escalation"][-1]
    )

    async with running.session.get(
        f"{running.http}/api/officers", params={"district": "11140", "at": params["at"]}
    ) as r:
        listed = await r.json()
    assert {o["id"] for o in listed["officers"]} == {"junggu", "room", "chief"}
    assert {o["id"]: o["on_duty"] for o in listed["officers"]} == {
        "junggu": True,
        "room": True,
        "chief": False,
    }
    async with running.session.get(f"{running.http}/api/officers", params={"q": "evening"}) as r:
        assert [o["id"] for o in (await r.json())["officers"]] == ["evening"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"at": "2026-03-02T10:30:00"}, "has no zone"),
        ({"at": "yesterday"}, "not an ISO 8601 time"),
        ({"district": "Gotham"}, "unknown district"),
        ({"kind": "weather"}, "unknown kind"),
        ({"category": "disaster.alien"}, "unknown category"),
    ],
)
async def test_bad_on_duty_parameters_are_400s(
    start_server: StartServer, params: dict[str, str], fragment: str
) -> None:
    running = await start_server()
    async with running.session.get(f"{running.http}/api/officers/on-duty", params=params) as r:
        body = await r.json()
        assert r.status == 400
    assert fragment in body["error"]["message"]
