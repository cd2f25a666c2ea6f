"""The redaction projection alone: the corpus, every rule, and random events with planted PII."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.errors import ConfigError
from server.public.redact import (
    MARKER,
    PUBLIC_NOTICES,
    Unreadable,
    redact,
    scrub_text,
    snap,
)
from server.public.settings import PublicSettings
from server.settings import load_settings
from server.stream.events import Event, Notice
from tests.conftest import make_event
from tests.public.corpus import CASES, leaks, lost

RULES = PublicSettings()


def body_of(event: Event) -> dict[str, Any]:
    """An event's body as the live log holds it."""
    data: dict[str, Any] = orjson.loads(event.dump())
    return data


def corpus_event(case: dict[str, Any]) -> Event:
    fields = {k: v for k, v in case["event"].items() if k != "event_id"}
    return make_event(case["event"]["event_id"], source="minwon", **fields)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_comes_out_clean_and_readable(case: dict[str, Any]) -> None:
    out = redact("event", body_of(corpus_event(case)), RULES, salt="epoch")
    assert isinstance(out, Event)
    text = out.dump().decode()
    assert leaks(text) == []
    assert [k for k in case["keep"] if k not in text] == []
    assert MARKER in text


def test_the_corpus_covers_every_class() -> None:
    words = " ".join(str(c["event"]) for c in CASES)
    for sample in ("@", "010-", "02-", "+82", "+44", "가3456", "번지", "로 ", "Street", "persons"):
        assert sample in words, sample
    assert lost(" ".join(w for c in CASES for w in c["keep"])) == []


def test_operator_and_source_details_never_pass() -> None:
    event = make_event(
        "n1",
        source="minwon",
        kind="complaint",
        url="https://minwon.example.kr/case/1",
        refs=["minwon:n0"],
        extra={"ticket": "T-1", "synthetic": True, "persons": ["홍길동"]},
    )
    out = redact("event", body_of(event), RULES, salt="epoch")
    assert isinstance(out, Event)
    assert out.source == "public" and out.event_id.startswith("public:")
    assert "minwon" not in out.dump().decode()
    assert out.url is None and out.extra == {"synthetic": True}
    assert out.refs[0].startswith("public:")
    for action in ("ack", "assign", "note", "call_started", "resolve"):
        body = {
            "action": action,
            "event_id": "minwon:n1",
            "actor": "Kim",
            "at": "2026-11-29T00:00:00Z",
        }
        assert redact("action", body, RULES, salt="epoch") is None


def test_event_ids_are_stable_per_salt_and_hide_the_source_id() -> None:
    one = redact("event", body_of(make_event(1, version=1)), RULES, salt="a")
    two = redact("event", body_of(make_event(1, version=2)), RULES, salt="a")
    other = redact("event", body_of(make_event(1, version=1)), RULES, salt="b")
    assert one.event_id == two.event_id != other.event_id


def test_hidden_kinds_categories_and_sources() -> None:
    rules = PublicSettings(hidden_categories=["traffic.accident"], hidden_sources=["police"])
    assert redact("event", body_of(make_event(1)), rules, salt="e") is None
    assert (
        redact("event", body_of(make_event(2, kind="disaster", source="police")), rules, salt="e")
        is None
    )
    assert redact("event", body_of(make_event(3, kind="disaster")), rules, salt="e") is not None
    camera = {**body_of(make_event(4)), "kind": "camera", "category": "camera"}
    assert redact("event", camera, RULES, salt="e") is None  # hidden before it is even read


def test_invalid_bodies_fail_closed() -> None:
    with pytest.raises(Unreadable):
        redact("event", {"kind": "complaint", "title": "010-1234-5678"}, RULES, salt="e")
    with pytest.raises(Unreadable):
        redact("notice", {"code": "feed_failed"}, RULES, salt="e")
    assert redact("mystery", {"title": "x"}, RULES, salt="e") is None


def complaint_with_everything() -> Event:
    """A complaint with translations, refs, a url, a position and marked names."""
    return make_event(
        1,
        source="minwon",
        kind="complaint",
        title="김철수 010-1234-5678",
        translations={"en": {"title": "Kim Cheolsu 010-1234-5678", "area_desc": "12 Main Street"}},
        refs=["minwon:0"],
        url="https://minwon.example/1",
        geometry={"type": "Point", "coordinates": [126.9766, 37.5662]},
        extra={"persons": ["김철수", "Kim Cheolsu"], "pii": ["x"]},
    )


@pytest.mark.parametrize("rules", [RULES, PublicSettings(scrub_kinds=[], coarse_kinds=[])])
def test_the_public_event_is_the_same_from_the_stored_body_or_every_field(
    rules: PublicSettings,
) -> None:
    """The body is read as the live log stores it (None fields left out): the same public event
    as from every field of the model."""
    event = complaint_with_everything()
    every_field: dict[str, Any] = orjson.loads(orjson.dumps(event.model_dump(mode="json")))
    out = redact("event", body_of(event), rules, salt="e")
    assert out == redact("event", every_field, rules, salt="e")
    assert out.title == (f"{MARKER} {MARKER}" if rules is RULES else "[…] 010-1234-5678")


@pytest.mark.parametrize(
    "broken",
    [
        {"event_id": 5},
        {"title": 7},
        {"translations": "en"},
        {"translations": {"en": ["title"]}},
        {"refs": [3]},
        {"extra": ["persons"]},
        {"point": [126.9]},
        {"point": "here"},
        {"kind": None},
    ],
)
def test_a_body_not_shaped_like_an_event_fails_closed(broken: dict[str, Any]) -> None:
    body = {**body_of(complaint_with_everything()), **broken}
    with pytest.raises(Unreadable) as caught:
        redact("event", body, RULES, salt="e")
    assert "010" not in str(caught.value) and "김" not in str(caught.value)


def test_notices_keep_only_feed_health_words() -> None:
    failed = {
        "level": "warning",
        "code": "feed_failed",
        "message": "feed minwon failed: 401 for https://user:pw@host/?key=1",
        "at": "2026-11-29T00:00:00Z",
        "source": "minwon",
    }
    out = redact("notice", failed, RULES, salt="e")
    assert isinstance(out, Notice)
    assert out.message == PUBLIC_NOTICES["feed_failed"] and out.source is None
    operator = {**failed, "code": "escalation", "message": "call Kim on 010-1111-2222"}
    assert redact("notice", operator, RULES, salt="e") is None


def test_complaint_positions_snap_to_the_grid_or_the_district() -> None:
    near = make_event(
        1, kind="complaint", geometry={"type": "Point", "coordinates": [126.97660, 37.56620]}
    )
    also = make_event(
        2, kind="complaint", geometry={"type": "Point", "coordinates": [126.97670, 37.56630]}
    )
    a = redact("event", body_of(near), RULES, salt="e")
    b = redact("event", body_of(also), RULES, salt="e")
    assert a.point == b.point != near.point
    assert abs(a.point[1] - near.point[1]) * 111_320 <= 125.0
    district = redact("event", body_of(near), PublicSettings(coarse_position="district"), salt="e")
    assert district.geometry is None and district.point is None
    traffic = redact("event", body_of(make_event(3)), RULES, salt="e")
    assert traffic.point == make_event(3).point  # official traffic positions stay exact


def test_snap_is_a_grid() -> None:
    cell = snap(126.9780, 37.5665, 250)
    assert snap(*cell, 250) == cell  # a cell's centre is in its own cell
    assert snap(126.9780, 37.5665 + 0.003, 250) != cell


def test_trusted_sources_keep_their_texts_but_not_marked_names() -> None:
    rules = PublicSettings(trusted_sources=["city"])
    event = make_event(
        1,
        source="city",
        kind="complaint",
        title="문의 02-120 다산콜센터 홍길동",
        extra={"persons": ["홍길동"]},
    )
    out = redact("event", body_of(event), rules, salt="e")
    assert out.title == f"문의 02-120 다산콜센터 {MARKER}"


def test_ordinary_numbers_and_dates_survive() -> None:
    text = "2026-11-29 14:30 도로 2차선 통제, 지하철 3호선 운행, 120 messages, 3 cars on the road"
    assert scrub_text(text) == text


# ------------------------------------------------------------------ random events, planted PII

digits = st.text("0123456789", min_size=1, max_size=1)


def _n(k: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=k, max_size=k)


phones = st.one_of(
    st.builds(
        lambda p, a, b, s: f"{p}{s}{a}{s}{b}",
        st.sampled_from(["010", "011", "016", "019"]),
        _n(4),
        _n(4),
        st.sampled_from(["-", " ", ".", ""]),
    ),
    st.builds(lambda a, b: f"02-{a}-{b}", _n(3), _n(4)),
    st.builds(
        lambda r, a, b: f"0{r}-{a}-{b}",
        st.sampled_from(["31", "32", "51", "62", "64"]),
        _n(3),
        _n(4),
    ),
    st.builds(lambda a, b: f"+82 10-{a}-{b}", _n(4), _n(4)),
    st.builds(lambda a, b: f"+82-2-{a}-{b}", _n(3), _n(4)),
    st.builds(lambda a, b, c: f"+44 {a} {b} {c}", _n(2), _n(4), _n(4)),
    st.builds(lambda a, b: f"({a}) 555-{b}", _n(3), _n(4)),
)
emails = st.builds(
    lambda u, d, t: f"{u}@{d}.{t}",
    st.text("abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=12).filter(
        lambda u: u[0].isalnum()
    ),
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10),
    st.sampled_from(["com", "kr", "co.kr", "org"]),
)
rrns = st.builds(lambda a, b, s: f"{a}{s}{b}", _n(6), _n(7), st.sampled_from(["-", ""]))
plates = st.one_of(
    st.builds(
        lambda a, h, b, r, s: f"{r}{a}{h}{s}{b}",
        _n(2) | _n(3),
        st.sampled_from(list("가나다라마거너더버서허호")),
        _n(4),
        st.sampled_from(["", "서울", "경기"]),
        st.sampled_from(["", " "]),
    ),
    st.builds(
        lambda a, b: f"{a}-{b}", st.text("ABCDEFGHJKLMNPRSTUVWXYZ", min_size=3, max_size=3), _n(4)
    ),
    st.builds(
        lambda a, b, c: f"{a}{b} {c}",
        st.text("ABCDEFGHJKLMNPRSTUVWXYZ", min_size=2, max_size=2),
        _n(2),
        st.text("ABCDEFGHJKLMNPRSTUVWXYZ", min_size=3, max_size=3),
    ),
)
addresses = st.one_of(
    st.builds(
        lambda r, n: f"{r} {n}",
        st.sampled_from(["세종대로", "테헤란로", "월드컵로", "올림픽로", "연남로3길"]),
        st.integers(1, 999).map(str),
    ),
    st.builds(
        lambda d, n, m: f"{d} {n}-{m}",
        st.sampled_from(["역삼동", "망원동", "합정동"]),
        st.integers(1, 999).map(str),
        st.integers(1, 99).map(str),
    ),
    st.builds(
        lambda d, n: f"{d} {n}번지",
        st.sampled_from(["역삼동", "망원동"]),
        st.integers(1, 999).map(str),
    ),
    st.builds(
        lambda n, s, t: f"{n} {s} {t}",
        st.integers(1, 9999).map(str),
        st.sampled_from(["Main", "Oak", "Fifth", "Market"]),
        st.sampled_from(["Street", "St", "Avenue", "Ave", "Road"]),
    ),
)
names = st.sampled_from(
    ["김민수", "이서연", "박지훈", "최영희", "John Carter", "Emily Watson", "Ana Lima"]
)
pii = st.one_of(phones, emails, rrns, plates, addresses)
filler = st.lists(
    st.sampled_from(
        [
            "소음",
            "민원",
            "신고",
            "합니다",
            "near",
            "the",
            "noise",
            "please",
            "밤",
            "계속",
            "gate",
            "우리",
            "동네",
        ]
    ),
    min_size=0,
    max_size=6,
).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    planted=st.lists(pii, min_size=1, max_size=4),
    person=names,
    before=filler,
    after=filler,
    where=st.sampled_from(["title", "description", "area_desc", "translation"]),
    kind=st.sampled_from(["complaint"]),
)
def test_random_events_with_planted_pii_come_out_clean(
    planted: list[str], person: str, before: str, after: str, where: str, kind: str
) -> None:
    text = " ".join([before, *planted, person, after]).strip()
    fields: dict[str, Any] = {"kind": kind, "extra": {"persons": [person]}}
    if where == "translation":
        fields["translations"] = {"en": {"title": "t", "description": text}}
    else:
        fields[where] = text
    out = redact("event", body_of(make_event(1, source="minwon", **fields)), RULES, salt="e")
    assert isinstance(out, Event)
    published = out.dump().decode()
    found = [p for p in [*planted, person] if p in published]
    assert found == [], published


@pytest.mark.parametrize(
    ("rules", "word"),
    [
        ({"scrub_kinds": ["complaints"]}, "unknown kinds complaints"),
        ({"delay_seconds": {"complain": 60}}, "unknown kinds complain"),
        ({"delay_seconds": {"complaint": -1}}, "zero or more"),
        ({"hidden_categories": ["disaster.flod"]}, "unknown categories disaster.flod"),
    ],
)
def test_a_misspelt_rule_is_refused_not_ignored(rules: dict[str, Any], word: str) -> None:
    with pytest.raises(ConfigError, match=word):
        load_settings(None, public=rules)
