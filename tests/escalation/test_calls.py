"""An unacknowledged extreme event rings real SIP phones (baresip on loopback), one step after
another on time, and stops when an operator acknowledges it; a situation's step rings the officer
of its district. Fails — never skips — without baresip, as the call tests do."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.conftest import StartServer
from tests.escalation.helpers import (
    EVENT,
    escalation_actions,
    extreme,
    named,
    wait_for_entries,
)
from tests.escalation.test_situations import SITUATION, flood
from tests.officers.conftest import baresip  # noqa: F401 (the fixture)
from tests.officers.helpers import StartAgent, call_actions, officer, put_officer
from tests.wsclient import BoardClient

STEP_MINUTES = 0.05  # 3 s apart: each unanswered call (1.5 s) ends before the next step
LATE = timedelta(seconds=1.5)
ALWAYS = ["daily 00:00-24:00"]


def policy() -> dict[str, object]:
    return {
        "policies": [
            {
                "name": "extreme-disasters",
                "severities": ["extreme"],
                "kinds": ["disaster"],
                "steps": [
                    {"after_minutes": STEP_MINUTES, "to": "district_officer"},
                    {"after_minutes": STEP_MINUTES, "to": "department_manager"},
                    {"after_minutes": 2 * STEP_MINUTES, "to": "duty_director"},
                ],
            }
        ]
    }


async def test_each_step_rings_its_officer_on_time_until_an_acknowledgement_stops_the_chain(
    start_server: StartServer,
    baresip: StartAgent,  # noqa: F811
) -> None:
    office = await baresip("office", control=True)
    phones = {name: await baresip(name) for name in ("kim", "lee", "park")}  # nobody answers
    assert office.control_port is not None
    running = await start_server(
        admin_token="test-admin-token",
        dialer="sip",
        sip_control_port=office.control_port,
        call_no_answer_seconds=1.5,
        escalation=policy(),
    )
    levels = {"kim": "primary", "lee": "backup", "park": "head"}
    for name, level in levels.items():
        shifts = ALWAYS if level == "primary" else []
        await put_officer(
            running, officer(name, level=level, sip_uri=phones[name].uri, shifts=shifts)
        )
    await running.push([extreme(1)])

    actions = await wait_for_entries(running, "result", 2, timeout=20)
    [scheduled] = named(actions, "scheduled")
    due = [datetime.fromisoformat(s["at"]) for s in scheduled["data"]["steps"]]
    steps = named(actions, "step")
    assert [(s["data"]["target"], s["data"]["via"]) for s in steps] == [
        ("kim", "dialer:sip"),
        ("lee", "dialer:sip"),
    ]
    for step, at in zip(steps, due, strict=False):
        assert at <= step["logged_at"] < at + LATE, (step, at)
    results = named(actions, "result")
    assert [r["data"]["outcome"] for r in results] == ["no_answer", "no_answer"]
    calls = await call_actions(running, EVENT)
    started = [c["data"]["officer_id"] for c in calls if c["action"] == "call_started"]
    assert started == ["kim", "lee"]
    assert sum(c["action"] == "call_ringing" for c in calls) == 2, "both phones really rang"
    assert all(c["actor"] == "cityboard" for c in calls if c["action"] == "call_started")

    board = await BoardClient.connect(running.session, running.ws_url)
    snapshot = await board.next_of("snapshot")
    countdown = snapshot["workflows"][EVENT]["escalation"]
    assert countdown == {
        "step": 2,
        "of": 3,
        "next_at": scheduled["data"]["steps"][2]["at"],
        "target": "duty_director",
        "outcome": "no_answer",
    }
    await board.send({"type": "action", "action": "ack", "event_id": EVENT, "ref": "a1"})
    await board.next_of("result")
    actions = await wait_for_entries(running, "stopped", 1)
    assert named(actions, "stopped")[0]["data"] == {"reason": "acknowledged"}
    await asyncio.sleep(max(0.0, (due[2] - datetime.now(due[2].tzinfo)).total_seconds()) + 1.0)
    actions = await escalation_actions(running)
    assert len(named(actions, "step")) == 2, "the acknowledgement stopped the chain"
    calls = await call_actions(running, EVENT)
    assert "park" not in [c["data"].get("officer_id") for c in calls], "the head never rang"
    await board.close()


async def test_a_situations_district_officer_step_rings_the_officer_of_its_first_district(
    start_server: StartServer,
    baresip: StartAgent,  # noqa: F811
) -> None:
    office = await baresip("office", control=True)
    phones = {name: await baresip(name) for name in ("kim", "lee")}  # nobody answers
    assert office.control_port is not None
    step = {"after_minutes": 0.01, "to": "district_officer"}
    table = {"name": "severe-situations", "severities": ["severe"], "kinds": ["situation"]}
    running = await start_server(
        admin_token="test-admin-token",
        dialer="sip",
        sip_control_port=office.control_port,
        call_no_answer_seconds=1.5,
        escalation={"policies": [{**table, "steps": [step]}]},
    )
    gangnam = {"districts": ["11680"], "kinds": ["complaint"]}  # a situation asks for no kind
    await put_officer(running, officer("kim", sip_uri=phones["kim"].uri, shifts=ALWAYS, **gangnam))
    await put_officer(running, officer("lee", sip_uri=phones["lee"].uri, shifts=ALWAYS))  # 11110
    await running.push(flood())

    actions = await wait_for_entries(running, "result", 1, timeout=20, event_id=SITUATION)
    [taken] = named(actions, "step")
    assert (taken["data"]["target"], taken["data"]["via"]) == ("kim", "dialer:sip")
    assert named(actions, "result")[0]["data"]["outcome"] == "no_answer"
    calls = await call_actions(running, SITUATION)
    assert [c["data"]["officer_id"] for c in calls if c["action"] == "call_started"] == ["kim"]
    assert sum(c["action"] == "call_ringing" for c in calls) == 1, "the phone really rang"
