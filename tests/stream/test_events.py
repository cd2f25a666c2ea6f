"""The event model rejects what a board must never show and keeps what it must."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from server.stream.events import (
    MAX_EXTRA_BYTES,
    MAX_GEOMETRY_POSITIONS,
    MAX_TITLE_CHARS,
    Action,
    Event,
    TimeBasis,
    encode_entry,
    representative_point,
)
from tests.conftest import make_event


def errors_of(**fields: Any) -> str:
    with pytest.raises(ValidationError) as info:
        make_event(1, **fields)
    return str(info.value)


def test_a_valid_event_is_normalised_to_utc_and_gets_a_point() -> None:
    kst = timezone(timedelta(hours=9))
    ev = make_event(1, sent_at=datetime(2026, 11, 29, 9, 0, tzinfo=kst).isoformat())
    assert ev.sent_at == datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
    assert ev.sent_at.utcoffset() == timedelta(0)
    assert ev.updated_at == ev.sent_at
    assert ev.point == (126.9779, 37.5663)


def test_naive_times_are_rejected_not_guessed() -> None:
    assert "timezone" in errors_of(sent_at="2026-11-29T09:00:00")


def test_swapped_lat_lon_is_caught() -> None:
    message = errors_of(geometry={"type": "Point", "coordinates": [37.5663, 126.9779]})
    assert "latitude 126.9779 is outside" in message


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"category": "traffic.teleport"}, "is not one of"),
        ({"category": "disaster.fire"}, "is not one of"),  # category of another kind
        ({"severity": "catastrophic"}, "severity"),
        ({"status": "gone"}, "status"),
        ({"title": ""}, "at least 1 character"),
        ({"title": "x" * (MAX_TITLE_CHARS + 1)}, f"at most {MAX_TITLE_CHARS}"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"version": 0}, "greater than or equal to 1"),
        ({"expires_at": "2025-01-01T00:00:00Z"}, "expires_at is before sent_at"),
        ({"translations": {"Korean": {"title": "x"}}}, "BCP 47"),
        ({"extra": {"blob": "x" * MAX_EXTRA_BYTES}}, "bytes encoded"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[127, 37.5], [127.1, 37.5], [127, 37.6]]],
                }
            },
            "at least 4 positions",
        ),
        (
            {
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[127, 37.5], [127.1, 37.5], [127, 37.6], [127.2, 37.7]]],
                }
            },
            "must end where it starts",
        ),
        ({"geometry": {"type": "LineString", "coordinates": [[127, 37.5]]}}, "at least 2"),
        ({"geometry": {"type": "Circle", "coordinates": [127, 37.5]}}, "does not match any"),
        (
            {
                "geometry": {
                    "type": "MultiPoint",
                    "coordinates": [[127.0, 37.5]] * (MAX_GEOMETRY_POSITIONS + 1),
                }
            },
            "the limit is",
        ),
    ],
)
def test_invalid_fields_get_clear_errors(fields: dict[str, Any], fragment: str) -> None:
    assert fragment in errors_of(**fields)


def test_event_id_must_carry_its_source() -> None:
    with pytest.raises(ValidationError, match="event_id must be 'test:<external id>'"):
        Event.model_validate({**make_event(1).model_dump(), "event_id": "other:1"})


def test_representative_point_of_a_line_lies_on_it() -> None:
    ev = make_event(
        1,
        geometry={
            "type": "LineString",
            "coordinates": [[127.0, 37.5], [127.01, 37.51], [127.02, 37.52]],
        },
    )
    assert ev.point == (127.01, 37.51)
    polygon = make_event(
        2,
        geometry={
            "type": "Polygon",
            "coordinates": [
                [[127.0, 37.5], [127.2, 37.5], [127.2, 37.7], [127.0, 37.7], [127.0, 37.5]]
            ],
        },
    )
    assert polygon.point == pytest.approx((127.1, 37.6))
    assert representative_point(polygon.geometry) == polygon.point


def test_same_content_ignores_only_received_at() -> None:
    a = make_event(1)
    b = a.model_copy(update={"received_at": a.received_at + timedelta(minutes=5)})
    c = a.model_copy(update={"title": "changed"})
    assert a.same_content(b)
    assert not a.same_content(c)


def test_the_time_basis_survives_a_dump_and_old_bodies_without_it_load() -> None:
    fetched = make_event(1, time_basis="fetched")
    assert Event.model_validate_json(fetched.dump()).time_basis is TimeBasis.FETCHED
    assert orjson.loads(fetched.dump())["time_basis"] == "fetched"
    old = orjson.loads(make_event(1).dump())
    del old["time_basis"]  # a log or recording written before the field existed
    assert Event.model_validate(old).time_basis is TimeBasis.SOURCE
    assert "time_basis" in errors_of(time_basis="guessed")


def test_the_times_of_a_fetch_dated_event_are_no_change_of_substance() -> None:
    later = timedelta(minutes=2)
    for basis, same in [("fetched", True), ("source", False)]:
        a = make_event(1, time_basis=basis, expires_at="2026-11-29T12:00:00Z")
        assert a.expires_at is not None
        b = a.model_copy(
            update={
                "sent_at": a.sent_at + later,
                "expires_at": a.expires_at + later,
                "received_at": a.received_at + later,
            }
        )
        assert a.same_substance(b) is same
        assert not a.same_substance(b.model_copy(update={"title": "changed"}))
    source = make_event(1)
    assert not source.same_substance(source.model_copy(update={"time_basis": TimeBasis.FETCHED}))


def test_actions_validate_and_bound_their_data() -> None:
    action = Action(action="ack", event_id="test:e1", actor="op", at=datetime.now(UTC))
    assert orjson.loads(action.dump())["action"] == "ack"
    with pytest.raises(ValidationError, match="larger than"):
        Action(
            action="note",
            event_id="test:e1",
            actor="op",
            at=datetime.now(UTC),
            data={"text": "x" * 10_000},
        )


def test_entry_envelope_is_valid_json_with_the_body_verbatim() -> None:
    ev = make_event(1)
    raw = encode_entry(7, "abc123", "2026-11-29T00:00:00Z", "event", ev.dump())
    decoded = orjson.loads(raw)
    assert decoded["seq"] == 7 and decoded["epoch"] == "abc123" and decoded["type"] == "event"
    assert Event.model_validate(decoded["body"]) == ev


text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=50).filter(
    lambda s: s.strip()
)


@settings(max_examples=200, deadline=None)
@given(
    title=text,
    lon=st.floats(-180, 180),
    lat=st.floats(-90, 90),
    version=st.integers(1, 2**40),
    offset_minutes=st.integers(-14 * 60, 14 * 60),
)
def test_dump_then_validate_round_trips(
    title: str, lon: float, lat: float, version: int, offset_minutes: int
) -> None:
    zone = timezone(timedelta(minutes=offset_minutes))
    ev = make_event(
        1,
        title=title,
        version=version,
        sent_at=datetime(2026, 5, 1, 12, tzinfo=zone).isoformat(),
        geometry={"type": "Point", "coordinates": [lon, lat]},
    )
    again = Event.model_validate_json(ev.dump())
    assert again == ev
    assert again.sent_at.tzinfo == UTC
