"""The situation fold: grouping by place, time and affinity; severity; clusters; operator acts."""

from __future__ import annotations

from typing import Any

import pytest

from server.situations import SituationBook, SituationSettings, cluster_id, fold, situation_id
from server.situations.book import split_id
from tests.situations.builders import GANGNAM, action, event, log, offset, square

SETTINGS = SituationSettings()


def flood_bodies(complaints: int = 25) -> list[dict[str, Any]]:
    """A warning for the district, closures and an underpass nearby, complaints, and noise."""
    bodies = [
        event("warn", "disaster.heavy_rain", severity="severe", geometry=square(GANGNAM, 2000)),
        event("underpass", "disaster.flood", minutes=3, at=offset(GANGNAM, 400, -200)),
    ]
    bodies += [
        event(f"closure{i}", "traffic.closure", minutes=5 + i, at=offset(GANGNAM, 300 * i, 250))
        for i in range(5)
    ]
    bodies += [
        event(
            f"water{i}",
            "complaint.water",
            minutes=10 + i,
            severity="minor",
            at=offset(GANGNAM, (i % 5) * 40, (i // 5) * 40),
        )
        for i in range(complaints)
    ]
    bodies += [
        event(
            "fire",
            "disaster.fire",
            minutes=12,
            severity="severe",
            at=(126.9, 37.65),
            district="11380",
        ),
        event("noise", "complaint.noise", minutes=14, severity="minor"),
    ]
    return bodies


def only(book: SituationBook) -> dict[str, Any]:
    [situation] = book.situations()
    return situation


def test_a_flood_becomes_one_situation_with_its_members_and_raised_severity() -> None:
    book = fold(log(*flood_bodies()), SETTINGS)
    situation = only(book)
    assert situation["id"] == situation_id("test:warn")
    members = set(situation["members"])
    assert {"test:warn", "test:underpass"} | {f"test:closure{i}" for i in range(5)} <= members
    assert {f"test:water{i}" for i in range(25)} <= members
    assert "test:fire" not in members and "test:noise" not in members
    assert situation["counts"] == {"complaint": 25, "disaster": 2, "traffic": 5}
    # severe at most among members, raised one level by 25 complaints (threshold 20)
    assert (situation["severity"], situation["raised"]) == ("extreme", True)
    assert situation["title"] == "disaster.heavy_rain warn" and situation["title_auto"]
    assert situation["districts"] == ["11680"]
    assert situation["area"]["type"] == "Polygon" and situation["bbox"] is not None
    assert situation["first_at"] == "2026-07-14T05:00:00Z"
    assert situation["workflow"]["state"] == "new" and situation["owner"] is None


def test_fewer_complaints_do_not_raise_and_severity_is_the_highest_active_member() -> None:
    situation = only(fold(log(*flood_bodies(complaints=19)), SETTINGS))
    assert (situation["severity"], situation["raised"]) == ("severe", False)


def test_members_that_end_leave_the_count_and_the_last_one_closes_the_situation() -> None:
    bodies = flood_bodies(complaints=0)
    warn_over = event(
        "warn",
        "disaster.heavy_rain",
        minutes=30,
        severity="severe",
        geometry=square(GANGNAM, 2000),
        status="expired",
        version=2,
        sent_minutes=0,
    )
    book = fold(log(*bodies, warn_over), SETTINGS)
    situation = only(book)
    assert situation["severity"] == "moderate" and situation["counts"]["disaster"] == 1
    ended = [
        event(
            e,
            c,
            minutes=40,
            status="resolved",
            version=2,
            sent_minutes=0,
            at=None,
            district="11680",
        )
        for e, c in [("underpass", "disaster.flood")]
        + [(f"closure{i}", "traffic.closure") for i in range(5)]
    ]
    for n, body in enumerate(ended, start=100):
        changed = book.apply(n, "event", body)
    assert situation_id("test:warn") in changed
    assert only(book)["status"] == "closed" and only(book)["counts"] == {}
    assert only(book)["severity"] == "severe"  # an ended situation shows what it was


def test_a_lone_event_is_no_situation_unless_it_is_an_extreme_disaster() -> None:
    assert fold(log(event("a", "disaster.flood", severity="severe")), SETTINGS).situations() == []
    lone = fold(log(event("b", "disaster.earthquake", severity="extreme")), SETTINGS)
    assert only(lone)["members"] == ["test:b"]


def test_traffic_and_complaints_without_a_disaster_found_nothing() -> None:
    bodies = [event(f"c{i}", "traffic.closure", minutes=i) for i in range(3)]
    bodies += [event(f"w{i}", "complaint.water", minutes=i) for i in range(3)]
    assert fold(log(*bodies), SETTINGS).situations() == []


def test_place_time_and_affinity_each_keep_events_apart() -> None:
    far = offset(GANGNAM, 0, -1600)  # past distance_m = 1500 (and away from "near")
    bodies = [
        event("flood", "disaster.flood", at=GANGNAM, district=None),
        event("far", "traffic.closure", at=far, district=None),
        event("late", "traffic.closure", minutes=122, at=GANGNAM, district=None),
        event("noise", "complaint.noise", at=GANGNAM),
        event("near", "traffic.closure", minutes=1, at=offset(GANGNAM, 0, 1400), district=None),
    ]
    situation = only(fold(log(*bodies), SETTINGS))
    # grouping chains through members: "near" is within reach of "flood", "late" of neither
    assert situation["members"] == ["test:near", "test:flood"]


def test_a_district_wide_alert_covers_its_district_and_an_area_what_lies_inside() -> None:
    far_in_district = offset(GANGNAM, 4000, 0)
    bodies = [
        event("alert", "disaster.flood", severity="severe", at=None, district="11680"),
        event("closure", "traffic.closure", minutes=2, at=far_in_district),
        event(
            "polyalert",
            "disaster.storm",
            at=None,
            district=None,
            geometry=square((126.97, 37.57), 3000),
        ),
        event(
            "inside",
            "traffic.closure",
            minutes=2,
            at=offset((126.97, 37.57), 2500, 0),
            district="11110",
        ),
    ]
    found = {tuple(sorted(s["members"])) for s in fold(log(*bodies), SETTINGS).situations()}
    assert found == {("test:alert", "test:closure"), ("test:inside", "test:polyalert")}


def test_an_air_quality_advisory_draws_odour_complaints_not_the_accidents_beneath_it() -> None:
    """Seen on the demo board: a region-wide ozone advisory had pulled in a car crash, through an
    odour complaint (odour and crashes share the fire family): what joins must share a family
    with the situation's disasters, not only with the member it is near."""
    bodies = [
        event("ozone", "disaster.air_quality", at=None, district="11680"),
        event("crash", "traffic.accident", minutes=1, at=GANGNAM),
        event("smell", "complaint.odor", minutes=2, at=offset(GANGNAM, 300, 0)),
    ]
    assert only(fold(log(*bodies), SETTINGS))["members"] == ["test:smell", "test:ozone"]


def test_the_escalators_bookkeeping_is_no_change_on_the_card() -> None:
    bodies = flood_bodies(complaints=3)
    book = fold(log(*bodies), SETTINGS)
    before = only(book)["last_change_at"]
    target = only(book)["id"]
    for name in ("escalation_scheduled", "escalation_step", "escalation_result"):
        book.apply(book.seq + 1, "action", action(name, target, minutes=90))
    assert only(book)["last_change_at"] == before
    book.apply(book.seq + 1, "action", action("note", target, minutes=91, text="x"))
    assert only(book)["last_change_at"] > before


def test_an_event_joins_the_nearest_open_situation() -> None:
    a, b = GANGNAM, offset(GANGNAM, 2000, 0)
    bodies = [
        event("a1", "disaster.fire", at=a, district=None),
        event("a2", "traffic.accident", at=a, district=None),
        event("b1", "disaster.fire", at=b, district=None),
        event("b2", "traffic.accident", at=b, district=None),
        event("mid", "traffic.closure", at=offset(GANGNAM, 1200, 0), district=None),
    ]
    book = fold(log(*bodies), SETTINGS)
    assert "test:mid" in book.get(situation_id("test:b1"))["members"]  # type: ignore[index]


@pytest.mark.parametrize("first", ["west", "east"])
def test_between_two_big_situations_at_one_distance_the_older_wins(first: str) -> None:
    # two floods 2 km apart, each with 100 complaints on its far side: enough members within
    # reach that they are searched ring by ring, not measured one by one
    middle = (127.0, 37.5)
    spots = {"west": (126.988, 37.5), "east": (127.012, 37.5)}
    order = [first, "east" if first == "west" else "west"]
    bodies = [event(f"flood-{s}", "disaster.flood", severity="extreme", at=spots[s]) for s in order]
    for n in range(100):
        for side, sign in (("west", -1), ("east", 1)):
            at = offset(spots[side], sign * (10 + n * 3), (n % 10) * 20)
            bodies.append(event(f"{side}{n}", "complaint.water", minutes=1, at=at))
    bodies.append(event("between", "complaint.water", minutes=2, at=middle))
    book = fold(log(*bodies), SETTINGS)
    older = book.get(situation_id(f"test:flood-{first}"))
    assert older is not None and older["member_count"] == 102
    assert "test:between" in older["members"]


def test_complaints_cluster_and_the_cluster_grows_with_a_sparkline() -> None:
    spot = offset(GANGNAM, 5000, 5000)  # far from anything else
    four = [
        event(f"w{i}", "complaint.water", minutes=i * 5, at=offset(spot, i * 50, 0))
        for i in range(4)
    ]
    book = fold(log(*four), SETTINGS)
    assert book.clusters() == []
    fifth = event("w4", "complaint.water", minutes=20, at=offset(spot, 0, 60))
    changed = book.apply(5, "event", fifth)
    cid = cluster_id("test:w4")
    assert changed == {cid}
    cluster = book.get(cid)
    assert cluster is not None
    assert cluster["count"] == 5 and cluster["center"] == list(offset(spot, 0, 60))
    assert cluster["situation"] is None and cluster["category"] == "complaint.water"
    assert sum(cluster["sparkline"]) == 5 and len(cluster["sparkline"]) == 12
    assert book.apply(6, "event", event("w5", "complaint.water", minutes=25, at=spot)) == {cid}
    grown = book.get(cid)
    assert grown is not None and grown["count"] == 6 and grown["sparkline"][-1] == 2
    other = book.apply(7, "event", event("n", "complaint.noise", minutes=25, at=spot))
    assert other == set()


def test_a_cluster_belongs_to_the_situation_holding_its_complaints() -> None:
    book = fold(log(*flood_bodies()), SETTINGS)
    [cluster] = book.clusters()
    situation = only(book)
    assert cluster["situation"] == situation["id"] and situation["clusters"] == [cluster["id"]]
    assert cluster["count"] == 25


def test_operator_link_unlink_rename_close() -> None:
    bodies = flood_bodies(complaints=0)
    sid = situation_id("test:warn")
    book = fold(log(*bodies), SETTINGS)
    assert book.check("situation_link", sid, {"event": "test:fire"}) is None
    book.apply(100, "action", action("situation_link", sid, 20, event="test:fire"))
    assert "test:fire" in only(book)["members"] and only(book)["pinned"] == ["test:fire"]
    book.apply(101, "action", action("situation_unlink", sid, 21, event="test:closure0"))
    assert "test:closure0" not in only(book)["members"]
    # banned from this one, so automatic grouping leaves it out even when it changes
    book.apply(
        102, "event", event("closure0", "traffic.closure", minutes=22, version=2, sent_minutes=5)
    )
    assert "test:closure0" not in only(book)["members"]
    book.apply(103, "action", action("situation_rename", sid, 23, title="Gangnam flood"))
    assert (only(book)["title"], only(book)["title_auto"]) == ("Gangnam flood", False)
    book.apply(104, "action", action("situation_close", sid, 24))
    assert only(book)["status"] == "closed"
    assert only(book)["last_change_at"] == "2026-07-14T05:24:00Z"
    assert (
        book.check("situation_link", sid, {"event": "test:noise"}) == f"situation {sid!r} is closed"
    )


def test_linking_a_lone_event_founds_its_situation() -> None:
    book = fold(log(event("a", "disaster.flood", severity="severe")), SETTINGS)
    assert book.check("situation_link", "situation:000000000000", {"event": "test:a"}) is not None
    sid = situation_id("test:a")
    book.apply(2, "action", action("situation_link", sid, event="test:a"))
    assert only(book)["members"] == ["test:a"]


def test_merge_and_split() -> None:
    a, b = GANGNAM, offset(GANGNAM, 5000, 0)
    bodies = [
        event("a1", "disaster.fire", at=a, district=None),
        event("a2", "traffic.accident", at=a, district=None),
        event("b1", "disaster.fire", at=b, district=None),
        event("b2", "traffic.accident", minutes=1, at=b, district=None),
    ]
    book = fold(log(*bodies), SETTINGS)
    sa, sb = situation_id("test:a1"), situation_id("test:b1")
    book.apply(5, "action", action("situation_merge", sa, 2, **{"from": sb}))
    merged, gone = book.get(sa), book.get(sb)
    assert merged is not None and gone is not None
    assert sorted(merged["members"]) == ["test:a1", "test:a2", "test:b1", "test:b2"]
    assert (gone["status"], gone["merged_into"], gone["members"]) == ("closed", sa, [])
    assert book.check(
        "situation_split", sa, {"events": ["test:a1", "test:a2", "test:b1", "test:b2"]}
    )
    book.apply(6, "action", action("situation_split", sa, 3, events=["test:b2", "test:b1"]))
    new = book.get(split_id("test:b2"))
    assert new is not None and sorted(new["members"]) == ["test:b1", "test:b2"]
    assert sorted(new["pinned"]) == ["test:b1", "test:b2"]
    assert sorted(book.get(sa)["members"]) == ["test:a1", "test:a2"]  # type: ignore[index]


def test_workflow_actions_on_a_situation_and_resolve_closes_it() -> None:
    book = fold(log(*flood_bodies(complaints=0)), SETTINGS)
    sid = situation_id("test:warn")
    book.apply(100, "action", action("assign", sid, 20, to="kim"))
    assert only(book)["owner"] == "kim" and only(book)["workflow"]["state"] == "assigned"
    book.apply(101, "action", action("resolve", sid, 21))
    assert only(book)["status"] == "closed" and only(book)["workflow"]["state"] == "resolved"


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("situation_unlink", {"event": "test:fire"}, "is not a member"),
        ("situation_merge", {"from": "situation:nope"}, "another open situation"),
        ("situation_split", {"events": []}, "a split moves 1 to"),
        ("situation_split", {"events": ["test:fire"]}, "is not a member"),
        ("situation_rename", {"title": "  "}, "a title is 1 to"),
        ("situation_link", {"event": "test:nope"}, "no event"),
    ],
)
def test_impossible_acts_are_refused_with_a_reason_and_do_nothing(
    name: str, data: dict[str, Any], error: str
) -> None:
    book = fold(log(*flood_bodies(complaints=0)), SETTINGS)
    sid = situation_id("test:warn")
    before = book.situations()
    message = book.check(name, sid, data)
    assert message is not None and error in message
    assert book.apply(100, "action", action(name, sid, 20, **data)) == set()
    assert book.situations() == before
