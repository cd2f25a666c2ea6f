// An event's handling state from its operator actions — the same projection as server/stream/workflow.py,
// so a board that receives live `action` entries keeps the state the next snapshot would carry.
//   new → acknowledged → assigned → resolved; notes and calls add to the record only; the escalator's
//   entries keep `escalation` {step, of, next_at, target} for the cards' countdown.

export const STATES = ["new", "acknowledged", "assigned", "resolved"];
export const ESCALATION_ACTIONS = ["escalation_scheduled", "escalation_step", "escalation_result", "escalation_stopped"];
const MAX_ESCALATION_TEXT = 100;

export function initialWorkflow() {
  return { state: "new", notes: 0, calls: 0 };
}

/** The workflow after one more action body `{action, event_id, actor, at, data}` (a new object). */
export function applyAction(workflow, action) {
  const state = { ...(workflow ?? initialWorkflow()) };
  const at = String(action?.at ?? "");
  const who = String(action?.actor ?? "");
  const data = action?.data && typeof action.data === "object" ? action.data : {};
  if (ESCALATION_ACTIONS.includes(action?.action)) {
    state.escalation = escalationAfter(state.escalation, action.action, data); // the server's: no last_action_at
    return state;
  }
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

function text(value) {
  return value === null || value === undefined ? null : String(value).slice(0, MAX_ESCALATION_TEXT);
}

/** The escalation after one of the escalator's entries (server/stream/workflow.py `_escalation`). */
function escalationAfter(current, name, data) {
  const esc = current && typeof current === "object" ? { ...current } : {};
  if (name === "escalation_scheduled") {
    const steps = (Array.isArray(data.steps) ? data.steps : []).filter((s) => s && typeof s === "object");
    const first = steps[0] ?? {};
    return { step: 0, of: steps.length, next_at: text(first.at), target: text(first.to) };
  }
  if (name === "escalation_step" && Number.isInteger(data.step)) {
    esc.step = Math.max(data.step, Number(esc.step ?? 0));
    esc.next_at = text(data.next_at);
    esc.target = text(data.next_to || data.to);
  } else if (name === "escalation_result") {
    esc.outcome = text(data.outcome);
  } else if (name === "escalation_stopped") {
    esc.next_at = null;
    esc.stopped = text(data.reason);
  }
  return esc;
}

/** The state word of a workflow (or "new" for an event nobody acted on). */
export function stateOf(workflow) {
  const s = workflow?.state;
  return STATES.includes(s) ? s : "new";
}
