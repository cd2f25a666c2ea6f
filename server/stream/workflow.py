"""An event's handling state, derived from its operator actions as alarm systems do it.

new → acknowledged → assigned → resolved. Notes and calls add to the record without moving the
state. The log keeps this projection beside `current`, updated in the same transaction as the
action, so a snapshot carries each event's state without replaying its actions.
"""

from __future__ import annotations

from typing import Any

from server.stream.events import Action, ActionName, iso_utc

STATES = ("new", "acknowledged", "assigned", "resolved")


def initial() -> dict[str, Any]:
    """The workflow of an event no one has acted on yet."""
    return {"state": "new", "notes": 0, "calls": 0}


def apply(workflow: dict[str, Any] | None, action: Action) -> dict[str, Any]:
    """The workflow after one more action (a new dict; the input is not changed)."""
    state = dict(workflow or initial())
    at, who = iso_utc(action.at), action.actor
    name = action.action
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
