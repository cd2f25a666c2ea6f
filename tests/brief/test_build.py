"""The briefing's figures from hand-written logs whose times are known to the second."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from server.brief.build import MAX_LISTED, BriefBuilder, nearest_rank
from server.brief.period import Period, parse_duration, period
from server.errors import BriefError
from tests.brief.entries import T0, Log, minutes


def test_time_to_acknowledge_is_median_and_nearest_rank_p90_from_arrival_to_first_ack() -> None:
    log = Log()
    delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 30]  # minutes from arrival to the first acknowledgement
    for n, delay in enumerate(delays):
        event = log.event(minutes(n), n)
        first = "assign" if n == 3 else "ack"  # an assignment acknowledges too
        log.action(minutes(n + delay), first, event, to="Kim")
        log.action(minutes(n + delay + 50), "ack", event)  # a later ack changes nothing
    old = log.event(minutes(-120), "old")  # arrived before the period, acknowledged in it
    log.action(minutes(5), "ack", old)
    late = log.event(minutes(10), "late")  # acknowledged after the period: not counted
    log.action(minutes(500), "ack", late)

    brief = log.brief(minutes(0), minutes(120))

    ack = brief.acknowledgement
    gaps = sorted([d * 60.0 for d in delays] + [125 * 60.0])
    assert ack.count == 11
    assert ack.median_s == gaps[5] == 360.0  # the 6th of 11
    assert ack.p90_s == gaps[9] == 1800.0  # nearest rank: ceil(0.9 * 11) = 10th
    assert ack.max_s == 7500.0
    assert ack.new_unacknowledged == 1  # `late`, as of the period's end


def test_nearest_rank_takes_a_figure_that_occurred() -> None:
    assert nearest_rank([10.0, 20.0, 30.0, 40.0], 0.9) == 40.0
    assert nearest_rank([10.0, 20.0, 30.0, 40.0], 0.5) == 20.0
    assert nearest_rank([7.0], 0.9) == 7.0


def test_events_are_counted_by_kind_severity_and_district_as_of_the_end() -> None:
    log = Log()
    log.event(minutes(-30), "before")  # before the period: not new in it
    log.event(minutes(1), 1, severity="extreme")
    log.event(minutes(2), 2, kind="traffic", category="traffic.closure", district="11110")
    log.event(minutes(3), 3, kind="complaint", category="complaint.water", district=None)
    log.event(minutes(4), 1, severity="severe", version=2)  # an update is not a new event
    log.event(minutes(200), 4)  # after the period
    camera = {"hls_url": "http://cams.test/1.m3u8"}
    log.event(minutes(5), "cam", kind="camera", category="camera.cctv", extra={"camera": camera})

    counts = log.brief(minutes(0), minutes(60)).events

    assert counts.new == 3
    assert counts.by_kind == {"disaster": 1, "traffic": 1, "complaint": 1}
    assert counts.by_severity == {"severe": 1, "moderate": 2}
    assert counts.by_kind_severity == {
        "disaster": {"severe": 1},
        "traffic": {"moderate": 1},
        "complaint": {"moderate": 1},
    }
    assert counts.by_district == {"11140": 1, "11110": 1, "": 1}


def test_what_is_open_at_the_end_and_who_holds_it() -> None:
    log = Log()
    older = log.event(minutes(-300), "older", severity="minor")
    extreme = log.event(minutes(10), "x", severity="extreme")
    log.action(minutes(12), "assign", extreme, to="Team A")
    done = log.event(minutes(11), "done")
    log.action(minutes(13), "resolve", done)
    ended = log.event(minutes(14), "ended")
    log.event(minutes(15), "ended", status="expired", version=2)
    later = log.event(minutes(20), "later")
    log.action(minutes(90), "resolve", later)  # resolved only after the period

    opened = log.brief(minutes(0), minutes(60)).open

    assert [i.event_id for i in opened.items] == [extreme, later, older]  # severest, then oldest
    assert opened.count == 3 and opened.unassigned == 2 and opened.unacknowledged == 2
    first = opened.items[0]
    assert (first.state, first.assigned_to, first.acked_by) == ("assigned", "Team A", "op")
    assert first.arrived_at == "2026-11-29T00:10:00Z"
    assert ended not in {i.event_id for i in opened.items}


def test_calls_started_in_the_period_with_their_outcomes() -> None:
    log = Log()
    event = log.event(minutes(1), 1)
    started = {"officer_name": "김민수", "officer_name_en": "Kim Minsu", "dialer": "sip"}
    log.action(minutes(2), "call_started", event, call_id="c1", **started)
    log.action(minutes(3), "call_answered", event, call_id="c1")
    log.action(minutes(5), "call_ended", event, call_id="c1", outcome="answered", duration_s=120.0)
    log.action(minutes(6), "call_started", event, call_id="c2", **started)
    log.action(
        minutes(7),
        "call_ended",
        event,
        call_id="c2",
        outcome="no_answer",
        duration_s=0.0,
        reason_code="no_answer_timeout",
    )
    log.action(minutes(8), "call_started", event, call_id="c3", **started)  # still ringing

    calls = log.brief(minutes(0), minutes(60)).calls

    assert calls.count == 3
    assert calls.by_outcome == {"answered": 1, "no_answer": 1, "": 1}
    assert [(c.call_id, c.outcome, c.duration_s) for c in calls.items] == [
        ("c1", "answered", 120.0),
        ("c2", "no_answer", 0.0),
        ("c3", None, None),
    ]
    assert calls.items[1].reason_code == "no_answer_timeout"
    assert calls.items[0].title == "event 1" and calls.items[0].officer_en == "Kim Minsu"


def test_escalation_entries_are_listed_and_counted_by_the_contract_names() -> None:
    log = Log()
    event = log.event(minutes(1), 1, severity="extreme")
    steps = [{"step": 1, "at": "2026-11-29T00:03:00Z", "to": "district_officer"}]
    log.action(minutes(1), "escalation_scheduled", event, policy="extreme", steps=steps)
    log.action(
        minutes(3),
        "escalation_step",
        event,
        step=1,
        to="district_officer",
        target="officer:kim",
        via="sip",
    )
    log.action(minutes(4), "escalation_result", event, step=1, outcome="no_answer", detail="")
    log.action(
        minutes(5),
        "escalation_step",
        event,
        step=2,
        to="duty_director",
        target="officer:lee",
        via="notifier:webhook",
    )
    log.action(minutes(6), "escalation_result", event, step=2, outcome="answered", detail="")
    log.action(minutes(6), "ack", event)
    log.action(minutes(6), "escalation_stopped", event, reason="acknowledged")

    esc = log.brief(minutes(0), minutes(60)).escalations

    assert (esc.scheduled, esc.steps) == (1, 2)
    assert esc.by_outcome == {"no_answer": 1, "answered": 1}
    assert esc.stopped == {"acknowledged": 1}
    assert [(e.action, e.step, e.via) for e in esc.items][1:3] == [
        ("escalation_step", 1, "sip"),
        ("escalation_result", 1, None),
    ]
    assert all(e.title == "event 1" for e in esc.items)


def test_feed_outages_from_notices_and_from_a_feed_delivering_again() -> None:
    log = Log()
    log.notice(minutes(-60), "feed_failed", "kma", "feed kma failed: timeout")
    log.notice(minutes(10), "feed_recovered", "kma")  # began before the period
    log.notice(minutes(20), "feed_failed", "topis", "feed topis failed: HTTP 503")
    log.notice(minutes(21), "feed_failed", "topis", "again")  # a restarted runner says it again
    log.event(minutes(30), "t1", source="topis", event_id="topis:t1")  # it delivers: over
    log.notice(minutes(50), "feed_failed", "open311", "feed open311 failed: refused")
    log.notice(minutes(-90), "feed_failed", "old")
    log.notice(minutes(-80), "feed_recovered", "old")  # wholly before the period

    outages = log.brief(minutes(0), minutes(60)).outages

    assert [(o.feed, o.started_at, o.ended_at, o.down_s) for o in outages.items] == [
        ("kma", "2026-11-28T23:00:00Z", "2026-11-29T00:10:00Z", 600.0),
        ("topis", "2026-11-29T00:20:00Z", "2026-11-29T00:30:00Z", 600.0),
        ("open311", "2026-11-29T00:50:00Z", None, 600.0),
    ]
    assert outages.items[1].message == "feed topis failed: HTTP 503"


class Book:
    """A stand-in for the situations engine's SituationBook (helper A's), keeping to its
    contract: it sees every entry in seq order and answers wire objects."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def apply(self, seq: int, type_: str, body: dict[str, Any]) -> set[str]:
        self.seen.append(seq)
        return set()

    def situations(self) -> list[dict[str, Any]]:
        area = {
            "type": "Polygon",
            "coordinates": [[[126.97, 37.56], [126.98, 37.56], [126.98, 37.57], [126.97, 37.56]]],
        }
        return [
            {
                "id": "situation:a",
                "title": "Flood",
                "severity": "severe",
                "status": "open",
                "last_change_at": "2026-11-28T20:00:00Z",
                "area": area,
            },
            {
                "id": "situation:b",
                "title": "Old fire",
                "severity": "extreme",
                "status": "closed",
                "last_change_at": "2026-11-28T20:00:00Z",
                "area": None,
            },
            {
                "id": "situation:c",
                "title": "Storm",
                "severity": "extreme",
                "status": "closed",
                "last_change_at": "2026-11-29T00:30:00Z",
                "area": None,
            },
        ]

    def clusters(self) -> list[dict[str, Any]]:
        return [{"id": "cluster:1"}]


def test_situations_come_from_the_engine_fed_every_entry_up_to_the_end() -> None:
    log = Log()
    log.event(minutes(-30), 1)
    log.event(minutes(10), 2)
    log.action(minutes(20), "ack", "situation:a")
    log.event(minutes(100), 3)  # after the period: the engine never sees it
    book = Book()

    brief = log.brief(minutes(0), minutes(60), book=book)

    assert book.seen == [1, 2, 3]
    found = brief.situations
    assert found.available and found.open == 1 and found.clusters == 1
    assert [s["id"] for s in found.items] == ["situation:c", "situation:a"]  # closed old: out
    assert [a[0] for a in brief.map.areas] == ["severe"]
    assert log.brief(minutes(0), minutes(60)).situations.available is False


def test_an_empty_period_says_so() -> None:
    log = Log()
    ended = log.event(minutes(-300), 1)
    log.action(minutes(-200), "resolve", ended)
    brief = log.brief(minutes(0), minutes(60))
    assert brief.empty and brief.entries == 0 and brief.open.count == 0


def test_lists_are_bounded_and_say_how_many_were_left_out() -> None:
    log = Log()
    for n in range(MAX_LISTED + 7):
        log.event(minutes(n / 100), n)
    opened = log.brief(minutes(0), minutes(60)).open
    assert (opened.count, len(opened.items), opened.more) == (MAX_LISTED + 7, MAX_LISTED, 7)


def test_an_entry_that_is_not_one_is_refused_with_its_seq() -> None:
    builder = BriefBuilder(Period(T0, T0 + timedelta(hours=1)), "Seoul", "Asia/Seoul", "log")
    with pytest.raises(BriefError, match="entry 7 is not a log entry"):
        builder.add({"seq": 7, "at": "yesterday", "type": "event", "body": {}})
    with pytest.raises(BriefError, match="entry 8 is not a log entry"):
        builder.add({"seq": 8, "at": "2026-11-29T00:01:00Z", "type": "event", "body": {}})


def test_periods_from_durations_and_times() -> None:
    assert parse_duration("8h") == timedelta(hours=8)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration("8") is None and parse_duration("") is None
    span = period("8h", "2026-11-29T09:00+09:00", T0)
    assert (span.start, span.end) == (T0 - timedelta(hours=8), T0)
    assert period("90m", "30m", T0) == Period(
        T0 - timedelta(minutes=90), T0 - timedelta(minutes=30)
    )
    for since, until, needle in [
        ("yesterday", None, "--since takes a duration"),
        ("2026-11-29T09:00", None, "has no time zone"),
        ("1h", "2h", "must come before"),
        ("400d", None, "longer than 366 days"),
    ]:
        with pytest.raises(BriefError, match=needle):
            period(since, until, T0)
