"""An event's handling state, derived from its operator actions as alarm systems do it.

new → acknowledged → assigned → resolved. Notes and calls add to the record without moving the
state; the escalator's entries keep `escalation` ({step, of, next_at, target}: steps taken, of how
many, when the next is due and whom it goes to) for the board's countdown (docs/escalation.md).
The log keeps this projection beside `current`, updated in the same transaction as the action, so
a snapshot carries each event's state without replaying its actions.
"""

from __future__ import annotations

from typing import Any

from server.stream.events import Action, ActionName, iso_utc

STATES = ("new", "acknowledged", "assigned", "resolved")
ESCALATION_ACTIONS = frozenset(
    {
        ActionName.ESCALATION_SCHEDULED,
        ActionName.ESCALATION_STEP,
        ActionName.ESCALATION_RESULT,
        ActionName.ESCALATION_STOPPED,
    }
)
MAX_ESCALATION_TEXT = 100  # a target or an outcome as the board shows it


def initial() -> dict[str, Any]:
    """The workflow of an event no one has acted on yet."""
    return {"state": "new", "notes": 0, "calls": 0}


def apply(workflow: dict[str, Any] | None, action: Action) -> dict[str, Any]:
    """The workflow after one more action (a new dict; the input is not changed)."""
    state = dict(workflow or initial())
    at, who = iso_utc(action.at), action.actor
    name = action.action
    if name in ESCALATION_ACTIONS:  # the server's, not an operator's: no `last_action_at`
        state["escalation"] = _escalation(state.get("escalation"), action)
        return state
    if name is ActionName.ACK:
        state.setdefault("acked_at", at)
        state.setdefault("acked_by", who)
        if state["state"] == "new":
            state["state"] = "acknowledged"
    elif name is ActionName.ASSIGN:
        state["assigned_to"] = str(action.data.get("to", ""))[:100]
        state["assigned_at"], state["assigned_by"] = at, who
        state.setdefault("acked_at", at)
        state.setdefault("acked_by", who)
        if state["state"] != "resolved":
            state["state"] = "assigned"
    elif name is ActionName.RESOLVE:
        state["state"], state["resolved_at"], state["resolved_by"] = "resolved", at, who
        state.setdefault("acked_at", at)
        state.setdefault("acked_by", who)
    elif name is ActionName.NOTE:
        state["notes"] = int(state.get("notes", 0)) + 1
    elif name is ActionName.CALL_STARTED:
        state["calls"] = int(state.get("calls", 0)) + 1
    state["last_action_at"] = at
    return state


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:MAX_ESCALATION_TEXT]


def _escalation(current: Any, action: Action) -> dict[str, Any]:
    """The escalation state after one of the escalator's entries (written by the server only, but
    read defensively: a malformed field leaves the state as it was)."""
    esc = dict(current) if isinstance(current, dict) else {}
    data = action.data
    if action.action is ActionName.ESCALATION_SCHEDULED:
        steps = [s for s in data.get("steps", []) if isinstance(s, dict)]
        first = steps[0] if steps else {}
        return {
            "step": 0,
            "of": len(steps),
            "next_at": _text(first.get("at")),
            "target": _text(first.get("to")),
        }
    step = data.get("step")
    if action.action is ActionName.ESCALATION_STEP and isinstance(step, int):
        esc["step"] = max(step, int(esc.get("step", 0)))
        esc["next_at"] = _text(data.get("next_at"))
        esc["target"] = _text(data.get("next_to") or data.get("to"))
    elif action.action is ActionName.ESCALATION_RESULT:
        esc["outcome"] = _text(data.get("outcome"))
    elif action.action is ActionName.ESCALATION_STOPPED:
        esc["next_at"] = None
        esc["stopped"] = _text(data.get("reason"))
    return esc
