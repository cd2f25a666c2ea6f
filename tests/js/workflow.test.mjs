// Workflow projection (frontend/js/workflow.js, as server/stream/workflow.py) and the stream's workflows.
import assert from "node:assert/strict";
import { test } from "node:test";

const { applyAction, initialWorkflow, stateOf } = await import("../../frontend/js/workflow.js");
const { BoardStream } = await import("../../frontend/js/stream.js");

const act = (action, at, data = {}, actor = "board") => ({ action, event_id: "test:a", actor, at, data });

test("the same projection as server/stream/workflow.py", () => {
  let w = initialWorkflow();
  assert.equal(stateOf(w), "new");
  w = applyAction(w, act("note", "2026-11-29T09:00:00Z", { text: "x" }));
  assert.equal(w.state, "new");
  assert.equal(w.notes, 1);
  w = applyAction(w, act("ack", "2026-11-29T09:01:00Z", {}, "op1"));
  assert.equal(w.state, "acknowledged");
  assert.equal(w.acked_at, "2026-11-29T09:01:00Z");
  assert.equal(w.acked_by, "op1");
  w = applyAction(w, act("ack", "2026-11-29T09:02:00Z", {}, "op2"));
  assert.equal(w.acked_by, "op1", "the first acknowledgement counts");
  w = applyAction(w, act("assign", "2026-11-29T09:03:00Z", { to: "홍길동" }));
  assert.equal(w.state, "assigned");
  assert.equal(w.assigned_to, "홍길동");
  w = applyAction(w, act("call_started", "2026-11-29T09:04:00Z"));
  assert.equal(w.calls, 1);
  w = applyAction(w, act("resolve", "2026-11-29T09:05:00Z"));
  assert.equal(w.state, "resolved");
  w = applyAction(w, act("assign", "2026-11-29T09:06:00Z", { to: "someone" }));
  assert.equal(w.state, "resolved", "assigning does not reopen");
  assert.equal(w.last_action_at, "2026-11-29T09:06:00Z");
});

test("assign or resolve without an ack sets acked_at", () => {
  const w = applyAction(null, act("resolve", "2026-11-29T09:05:00Z"));
  assert.equal(w.acked_at, "2026-11-29T09:05:00Z");
  assert.equal(stateOf({ state: "weird" }), "new");
  assert.equal(stateOf(null), "new");
});

test("the stream takes workflows from the snapshot and live actions", () => {
  const s = new BoardStream();
  s.handle({ v: 1, type: "welcome", epoch: "E", head: 2, mode: "snapshot", city: {} });
  s.handle({
    v: 1,
    type: "snapshot",
    seq: 2,
    truncated: false,
    feeds: [],
    events: [{ event_id: "test:a", version: 1, kind: "traffic", status: "active" }],
    workflows: { "test:a": { state: "acknowledged", acked_at: "2026-11-29T09:01:00Z", notes: 0, calls: 0 } },
  });
  assert.equal(s.workflow("test:a").state, "acknowledged");
  assert.equal(s.workflow("test:none"), null);
  const change = s.handle({
    v: 1,
    type: "batch",
    head: 3,
    entries: [{ seq: 3, epoch: "E", at: "x", type: "action", body: act("assign", "2026-11-29T09:02:00Z", { to: "김" }) }],
  });
  assert.deepEqual(change.workflows, ["test:a"]);
  assert.equal(s.workflow("test:a").state, "assigned");
  assert.equal(s.workflow("test:a").acked_at, "2026-11-29T09:01:00Z");
  // a duplicate (already processed seq) is not applied twice
  s.handle({ v: 1, type: "batch", head: 3, entries: [{ seq: 3, epoch: "E", at: "x", type: "action", body: act("note", "t") }] });
  assert.equal(s.workflow("test:a").notes, 0);
  // an epoch change forgets them
  s.handle({ v: 1, type: "welcome", epoch: "F", head: 1, mode: "snapshot", city: {} });
  assert.equal(s.workflow("test:a"), null);
});

test("results and applied events are reported in the change", () => {
  const s = new BoardStream();
  s.handle({ v: 1, type: "welcome", epoch: "E", head: 0, mode: "snapshot", city: {} });
  s.handle({ v: 1, type: "snapshot", seq: 0, truncated: false, feeds: [], events: [] });
  const a1 = { event_id: "test:a", version: 1, kind: "traffic", severity: "moderate", status: "active" };
  const a2 = { ...a1, version: 2, severity: "extreme" };
  let change = s.handle({ v: 1, type: "batch", head: 2, entries: [{ seq: 1, epoch: "E", type: "event", body: a1 }, { seq: 2, epoch: "E", type: "event", body: a2 }] });
  assert.deepEqual(change.applied.map((x) => [x.ev.version, x.prev?.version ?? null]), [[1, null], [2, 1]]);
  change = s.handle({ v: 1, type: "result", ref: "r1", seq: 7 });
  assert.deepEqual(change.result, { ref: "r1", seq: 7 });
});

test("the escalator's entries keep the escalation a card counts down, as server/stream/workflow.py", () => {
  const apply = applyAction;
  const state = stateOf;
  const at = "2026-12-01T10:00:00Z";
  let wf = apply(null, { action: "escalation_scheduled", actor: "cityboard", at, data: { policy: "p", steps: [{ step: 1, at: "2026-12-01T10:02:00Z", to: "district_officer" }, { step: 2, at: "2026-12-01T10:07:00Z", to: "duty_director" }] } });
  assert.deepEqual(wf.escalation, { step: 0, of: 2, next_at: "2026-12-01T10:02:00Z", target: "district_officer" });
  assert.equal(wf.last_action_at, undefined, "not an operator's act");
  assert.equal(state(wf), "new");
  wf = apply(wf, { action: "escalation_step", at, data: { step: 1, to: "district_officer", next_at: "2026-12-01T10:07:00Z", next_to: "duty_director" } });
  assert.deepEqual(wf.escalation, { step: 1, of: 2, next_at: "2026-12-01T10:07:00Z", target: "duty_director" });
  wf = apply(wf, { action: "escalation_result", at, data: { step: 1, outcome: "no_answer" } });
  assert.equal(wf.escalation.outcome, "no_answer");
  wf = apply(wf, { action: "ack", actor: "kim", at });
  wf = apply(wf, { action: "escalation_stopped", at, data: { reason: "acknowledged" } });
  assert.equal(wf.escalation.next_at, null);
  assert.equal(wf.escalation.stopped, "acknowledged");
  assert.equal(state(wf), "acknowledged");
});
