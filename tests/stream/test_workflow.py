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
