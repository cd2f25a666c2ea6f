// An event's handling state from its operator actions — the same projection as server/stream/workflow.py,
// so a board that receives live `action` entries keeps the state the next snapshot would carry.
//   new → acknowledged → assigned → resolved; notes and calls add to the record only.

export const STATES = ["new", "acknowledged", "assigned", "resolved"];

export function initialWorkflow() {
  return { state: "new", notes: 0, calls: 0 };
}

/** The workflow after one more action body `{action, event_id, actor, at, data}` (a new object). */
export function applyAction(workflow, action) {
  const state = { ...(workflow ?? initialWorkflow()) };
  const at = String(action?.at ?? "");
  const who = String(action?.actor ?? "");
  const data = action?.data && typeof action.data === "object" ? action.data : {};
  const ackOnce = () => {
    if (state.acked_at === undefined) state.acked_at = at;
    if (state.acked_by === undefined) state.acked_by = who;
  };
  switch (action?.action) {
    case "ack":
      ackOnce();
      if (state.state === "new") state.state = "acknowledged";
      break;
    case "assign":
      state.assigned_to = String(data.to ?? "").slice(0, 100);
      state.assigned_at = at;
      state.assigned_by = who;
      ackOnce();
      if (state.state !== "resolved") state.state = "assigned";
      break;
    case "resolve":
      state.state = "resolved";
      state.resolved_at = at;
      state.resolved_by = who;
      ackOnce();
      break;
    case "note":
      state.notes = Number(state.notes ?? 0) + 1;
      break;
    case "call_started":
      state.calls = Number(state.calls ?? 0) + 1;
      break;
    default:
      break;
  }
  state.last_action_at = at;
  return state;
}

/** The state word of a workflow (or "new" for an event nobody acted on). */
export function stateOf(workflow) {
  const s = workflow?.state;
  return STATES.includes(s) ? s : "new";
}
