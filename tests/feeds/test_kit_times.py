"""`read_published_time`: the layouts sources actually publish, and why a value is not read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from feeds.kit import (
    AmbiguousTime,
    FeedRejected,
    NoTimeZone,
    UnreadableTime,
    parse_rfc822,
    read_published_time,
)
from feeds.kit.times import MAX_TIME_CHARS, FetchTimeFallback

SEOUL = ZoneInfo("Asia/Seoul")
SYDNEY = ZoneInfo("Australia/Sydney")
T = datetime(2018, 9, 20, 21, 30, tzinfo=UTC)  # 21 Sep 2018 06:30 in Seoul


def read(value: Any, zone: Any = SEOUL) -> datetime:
    return read_published_time(value, zone=zone, field="pubDate")


@pytest.mark.parametrize(
    "value",
    [
        "2018-09-20T21:30:00Z",
        "2018-09-20T21:30:00z",
        "2018-09-20 21:30:00Z",
        "2018-09-20t21:30:00Z",
        "2018-09-21T06:30:00+09:00",
        "2018-09-21T06:30:00+0900",
        "2018-09-21T06:30:00+09",
        "2018-09-21 06:30:00 +09:00",
        "2018-09-20T21:30Z",
        "2018-09-20T21:30:00.000000000Z",
        "2018-09-20T21:30:00,0Z",
        "2018-09-20 21:30:00 UTC",
        "20180920T213000Z",
        "20180921T063000+0900",
        "2018-09-21T06:30:00",  # naive: the feed's zone (Seoul)
        "2018-09-21 06:30",
    ],
)
def test_iso_8601_and_its_variants(value: str) -> None:
    assert read(value) == T


def test_fractional_seconds_of_any_length() -> None:
    assert read("2018-09-20T21:30:00.5Z") == T.replace(microsecond=500_000)
    assert read("2018-09-20T21:30:00.123456789Z") == T.replace(microsecond=123_456)


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 21 Sep 2018 06:30:00 +0900",
        "Thu, 20 Sep 2018 21:30:00 GMT",
        "Thu, 20 Sep 2018 21:30:00 UT",
        "20 Sep 2018 21:30 +0000",
        "Thu, 20 Sep 2018 21:30:00 -0000",  # RFC 5322: UTC, local zone unknown
        "Thu, 20 Sep 2018 16:30:00 CDT",
        "Thu, 20 Sep 18 21:30:00 GMT",  # two-digit year, as RFC 822 wrote them
        "Fri, 21 Sep 2018 06:30:00",  # no zone: the feed's
    ],
)
def test_rfc_822_and_1123(value: str) -> None:
    assert read(value) == T


@pytest.mark.parametrize(
    "value",
    [
        1_537_479_000,
        1_537_479_000.0,
        "1537479000",
        " 1537479000 ",
        1_537_479_000_000,
        "1537479000000",
        "1.537479e9",
    ],
)
def test_epoch_seconds_and_milliseconds_by_magnitude(value: Any) -> None:
    assert read(value, zone=None) == T


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("21/09/2018 6:30:00 AM", T),  # NSW RFS: day first, 12-hour clock
        ("21/09/2018 6:30 AM", T),
        ("21/09/2018 06:30", T),
        ("21-09-2018 06:30:00", T),
        ("21.09.2018 06:30", T),
        ("9/21/2018 6:30:00 AM", T),  # month first
        ("09/21/2018 6:30 am", T),
        ("9/21/2018 6:30a.m.", T),
        ("2018/09/21 06:30:00", T),  # year first is never ambiguous
        ("2018.09.21 06:30", T),
        ("31/12/2018 11:59:59 PM", datetime(2018, 12, 31, 14, 59, 59, tzinfo=UTC)),
        ("12/31/2018 11:59:59 PM", datetime(2018, 12, 31, 14, 59, 59, tzinfo=UTC)),
        ("13/01/2018 12:00 AM", datetime(2018, 1, 12, 15, 0, tzinfo=UTC)),  # midnight
        ("13/01/2018 12:00 PM", datetime(2018, 1, 13, 3, 0, tzinfo=UTC)),  # noon
        ("29/02/2020 00:00", datetime(2020, 2, 28, 15, 0, tzinfo=UTC)),  # leap day
        ("03/03/2018 10:00", datetime(2018, 3, 3, 1, 0, tzinfo=UTC)),  # both readings agree
    ],
)
def test_day_first_and_month_first_when_unambiguous(value: str, expected: datetime) -> None:
    assert read(value) == expected


def test_a_naive_time_follows_the_zone_and_its_daylight_saving() -> None:
    # 21 Sep 2018 is before Sydney's DST (AEST, +10); 21 Dec 2018 is in it (AEDT, +11)
    assert read("21/09/2018 6:30:00 AM", SYDNEY) == datetime(2018, 9, 20, 20, 30, tzinfo=UTC)
    assert read("21/12/2018 6:30:00 AM", SYDNEY) == datetime(2018, 12, 20, 19, 30, tzinfo=UTC)


def test_an_ambiguous_layout_is_not_guessed_and_the_fix_is_named() -> None:
    with pytest.raises(AmbiguousTime) as caught:
        read("03/04/2018 6:30 PM")
    assert caught.value.message == (
        "pubDate '03/04/2018 6:30 PM' is ambiguous (day-first or month-first): set "
        "time_format, e.g. '%d/%m/%Y %I:%M %p' (day first) or '%m/%d/%Y %I:%M %p' (month first)"
    )
    with pytest.raises(AmbiguousTime, match=r"'%d\.%m\.%Y %H:%M:%S' \(day first\)"):
        read("03.04.2018 18:30:00")


def test_a_compact_date_is_not_read_as_an_epoch() -> None:
    """20180921 as epoch seconds is August 1970: the source meant a date."""
    with pytest.raises(AmbiguousTime, match="compact date or an epoch number"):
        read("20180921063000")
    with pytest.raises(AmbiguousTime, match="compact date or an epoch number"):
        read(20180921)


@pytest.mark.parametrize(
    "value",
    [
        "2018-09-21T06:30:00",
        "21/09/2018 6:30:00 AM",
        "Fri, 21 Sep 2018 06:30:00",
        "20180921T063000",
    ],
)
def test_a_naive_time_without_a_zone_is_not_read(value: str) -> None:
    with pytest.raises(NoTimeZone) as caught:
        read(value, zone=None)
    assert caught.value.message == (
        f'pubDate {value!r} has no time zone: add timezone = "<Area/City>" to the feed\'s config'
    )


def test_ambiguous_and_naive_names_both_settings() -> None:
    with pytest.raises(AmbiguousTime, match='and add timezone = "<Area/City>"'):
        read("03/04/2018 6:30 PM", zone=None)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        (None, "is a JSON null, not a time"),
        (True, "is a JSON boolean, not a time"),
        ({"t": 1}, "is a JSON object, not a time"),
        (float("nan"), "is not a finite number"),
        (float("inf"), "is not a finite number"),
        ("nan", "is not a time in a layout"),
        ("-Infinity", "is not a time in a layout"),
        ("1e20", "is out of range"),
        (1e300, "is out of range"),
        ("yesterday", "is not a time in a layout"),
        ("2018-09-21", "is a date without a time of day"),
        ("21/09/2018", "is not a time in a layout"),
        ("30/02/2018 10:00", "is not a real date and time"),  # no 30 February in either reading
        ("29/02/2019 10:00", "is not a real date and time"),  # not a leap year
        ("13/13/2018 10:00", "is not a real date and time"),
        ("21/09/2018 13:00 PM", "is not a real date and time"),
        ("21/09/2018 0:30 AM", "is not a real date and time"),
        ("21/09/2018 24:00", "is not a real date and time"),
        ("2018-09-21T25:00:00Z", "is not a real date and time"),
        ("Fri, 21 Sep 2018 06:30:00 KST", "zone 'KST' is not an RFC 822 zone"),
        ("21/09/18 06:30", "is not a time in a layout"),  # two-digit year: which century?
    ],
)
def test_unreadable_values_say_why(value: Any, why: str) -> None:
    with pytest.raises(UnreadableTime) as caught:
        read(value)
    assert why in caught.value.message
    assert not isinstance(caught.value, AmbiguousTime | NoTimeZone)
    assert "\n" not in caught.value.message


def test_a_long_value_is_refused_without_being_scanned_and_quoted_short() -> None:
    value = "2018-09-21T06:30:00Z" + " " * MAX_TIME_CHARS
    with pytest.raises(UnreadableTime) as caught:
        read(value + "x")
    assert f"longer than {MAX_TIME_CHARS} characters" in caught.value.message
    assert len(caught.value.message) < 200


def test_one_warning_for_every_fallback_of_a_document() -> None:
    fallback = FetchTimeFallback()
    assert fallback.warnings() == []
    for value in ["03/04/2018 6:30 PM", "04/05/2018 6:30 PM", "yesterday"]:
        try:
            read(value)
        except UnreadableTime as exc:
            fallback.used(exc)
    assert fallback.warnings() == [
        "pubDate '03/04/2018 6:30 PM' is ambiguous (day-first or month-first): set "
        "time_format, e.g. '%d/%m/%Y %I:%M %p' (day first) or '%m/%d/%Y %I:%M %p' (month "
        "first); fetch time used for 3 events"
    ]


def test_parse_rfc822_never_guesses_a_zone() -> None:
    """RSS and GDACS dates: "-0000" is UTC by RFC 2822; no zone at all is a naive time (the
    feed's zone reads it, none refuses it); a zone name RFC 822 does not have is refused."""
    assert parse_rfc822("Fri, 21 Sep 2018 06:30:00 +0900") == T
    assert parse_rfc822("Thu, 20 Sep 2018 21:30:00 GMT") == T
    assert parse_rfc822("Thu, 20 Sep 2018 21:30:00 -0000") == T
    assert parse_rfc822("Fri, 21 Sep 2018 06:30:00", zone=SEOUL) == T
    with pytest.raises(NoTimeZone, match="no time zone"):
        parse_rfc822("Fri, 21 Sep 2018 06:30:00", field="pubDate")
    with pytest.raises(UnreadableTime, match="'KST' is not an RFC 822 zone"):
        parse_rfc822("Fri, 21 Sep 2018 06:30:00 KST", zone=SEOUL)
    with pytest.raises(FeedRejected, match="is not an RFC 822 date"):
        parse_rfc822("lunchtime")
