"""Event helpers: one event per id (ties kept as each caller needs), the expired next version."""

from __future__ import annotations

from datetime import UTC, datetime

from feeds.kit import Status, expired_version, newest_per_event
from tests.conftest import make_event

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def test_newest_per_event_keeps_the_highest_version_in_first_seen_order() -> None:
    events = [
        make_event("a", version=1),
        make_event("b", version=5),
        make_event("a", version=3),
        make_event("b", version=4),
    ]
    for kept in (newest_per_event(events, ties="first"), newest_per_event(events, ties="last")):
        assert [(e.event_id, e.version) for e in kept] == [("test:ea", 3), ("test:eb", 5)]


def test_on_equal_versions_the_caller_says_which_listing_stands() -> None:
    first = make_event("a", version=2, title="first listing")
    second = make_event("a", version=2, title="second listing")
    assert [e.title for e in newest_per_event([first, second], ties="first")] == [
        "first listing"
    ], "the runner keeps what it met first"
    assert [e.title for e in newest_per_event([first, second], ties="last")] == [
        "second listing"
    ], "cap, nws and open511 keep the later listing"


def test_expired_version_is_the_next_version_ended_now() -> None:
    event = make_event("a", version=7)
    ended = expired_version(event, NOW)
    assert (ended.version, ended.status, ended.updated_at, ended.received_at) == (
        8,
        Status.EXPIRED,
        NOW,
        NOW,
    )
    assert ended.title == event.title and ended.event_id == event.event_id
