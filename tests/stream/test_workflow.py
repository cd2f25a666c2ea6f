"""Workflow states derive from actions: new → acknowledged → assigned → resolved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.stream import workflow
from server.stream.events import Action

T = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def act(name: str, minutes: int, actor: str = "op", **data: str) -> Action:
    return Action(
        action=name, event_id="x:1", actor=actor, at=T + timedelta(minutes=minutes), data=data
    )


def test_the_ladder_and_first_acknowledgement_kept() -> None:
    flow = workflow.initial()
    flow = workflow.apply(flow, act("ack", 2, "kim"))
    assert flow["state"] == "acknowledged" and flow["acked_at"] == "2026-11-29T09:02:00Z"
    flow = workflow.apply(flow, act("ack", 5, "lee"))
    assert flow["acked_by"] == "kim", "time to acknowledge counts the first ack"
    flow = workflow.apply(flow, act("assign", 6, to="Park"))
    assert (flow["state"], flow["assigned_to"]) == ("assigned", "Park")
    flow = workflow.apply(flow, act("note", 7, text="on site"))
    assert flow["state"] == "assigned" and flow["notes"] == 1
    flow = workflow.apply(flow, act("resolve", 30))
    assert flow["state"] == "resolved" and flow["resolved_at"] == "2026-11-29T09:30:00Z"
    flow = workflow.apply(flow, act("assign", 31, to="Choi"))
    assert flow["state"] == "resolved", "assigning a resolved event does not reopen it"


def test_assign_or_resolve_without_ack_counts_as_acknowledged() -> None:
    flow = workflow.apply(None, act("resolve", 4))
    assert flow["acked_at"] == "2026-11-29T09:04:00Z" and flow["state"] == "resolved"


def test_calls_are_counted() -> None:
    flow = workflow.apply(None, act("call_started", 1))
    flow = workflow.apply(flow, act("call_ended", 3))
    assert flow["calls"] == 1 and flow["state"] == "new"


def esc(name: str, minutes: int, data: dict[str, object]) -> Action:
    return Action(
        action=name, event_id="x:1", actor="cityboard", at=T + timedelta(minutes=minutes), data=data
    )


PLAN = [
    {"step": 1, "at": "2026-11-29T09:02:00Z", "to": "district_officer"},
    {"step": 2, "at": "2026-11-29T09:07:00Z", "to": "duty_director"},
]


def test_escalation_entries_fold_into_step_of_next_at_and_target() -> None:
    flow = workflow.apply(None, esc("escalation_scheduled", 0, {"policy": "p", "steps": PLAN}))
    assert flow["escalation"] == {
        "step": 0,
        "of": 2,
        "next_at": "2026-11-29T09:02:00Z",
        "target": "district_officer",
    }
    assert flow["state"] == "new" and "last_action_at" not in flow, "the escalator is no operator"
    step = {"step": 1, "to": "district_officer", "target": "kim", "via": "dialer:sip"}
    step |= {"next_at": PLAN[1]["at"], "next_to": PLAN[1]["to"]}
    flow = workflow.apply(flow, esc("escalation_step", 2, step))
    assert flow["escalation"]["step"] == 1
    assert flow["escalation"]["next_at"] == "2026-11-29T09:07:00Z"
    assert flow["escalation"]["target"] == "duty_director"
    flow = workflow.apply(flow, esc("escalation_result", 3, {"step": 1, "outcome": "no_answer"}))
    assert flow["escalation"]["outcome"] == "no_answer"
    flow = workflow.apply(flow, act("ack", 4))
    flow = workflow.apply(flow, esc("escalation_stopped", 4, {"reason": "acknowledged"}))
    assert flow["escalation"]["next_at"] is None and flow["escalation"]["stopped"] == "acknowledged"
    assert flow["state"] == "acknowledged"


def test_the_last_step_leaves_no_next_time() -> None:
    flow = workflow.apply(None, esc("escalation_scheduled", 0, {"policy": "p", "steps": PLAN}))
    for n in (1, 2):
        data = {"step": n, "to": PLAN[n - 1]["to"], "target": "x", "via": "dialer:sip"}
        if n == 1:
            data |= {"next_at": PLAN[1]["at"], "next_to": PLAN[1]["to"]}
        flow = workflow.apply(flow, esc("escalation_step", 2 + 5 * n, data))
    assert flow["escalation"] == {
        "step": 2,
        "of": 2,
        "next_at": None,
        "target": "duty_director",
    }
