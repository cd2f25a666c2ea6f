// Updates (frontend/js/updates.js): what the first snapshot is, and what is news after it.
import { test } from "node:test";
import assert from "node:assert/strict";

globalThis.requestAnimationFrame = () => 0; // frames never run here: only what queue() decides
const { Updates } = await import("../../frontend/js/updates.js");

function parts() {
  const announced = [];
  return {
    announced,
    parts: {
      store: { epoch: null, lastSeq: 0 },
      board: { matcher: () => true },
      timeline: { add() {} },
      announcer: { push: (ev) => announced.push(ev.event_id), recheck() {} },
      calls: { apply() {} },
      detail: { isOpen: false },
    },
  };
}

const change = (fields) => ({
  reset: false, upserted: [], removed: [], workflows: [], applied: [], notices: [], actions: [], ...fields,
});
const extreme = { event_id: "t:1", kind: "disaster", severity: "extreme", status: "active" };

test("an alert that arrives before the first snapshot is drawn is still announced", () => {
  const { parts: p, announced } = parts();
  const updates = new Updates(p);
  p.store.epoch = "e1"; // the snapshot arrived
  updates.queue(change({ reset: true, upserted: ["t:0"] }));
  // ...and a live entry follows within the same animation frame, before any flush
  updates.queue(change({ upserted: [extreme.event_id], applied: [{ ev: extreme, prev: null }] }));
  assert.deepEqual(announced, ["t:1"]);
});

test("what the first snapshot holds is not news", () => {
  const { parts: p, announced } = parts();
  const updates = new Updates(p);
  p.store.epoch = "e1";
  updates.queue(change({ reset: true, upserted: [extreme.event_id], applied: [{ ev: extreme, prev: null }] }));
  assert.deepEqual(announced, []);
});
