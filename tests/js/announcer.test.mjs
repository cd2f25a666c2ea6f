// The alert banner's waiting policy (frontend/js/announcer.js): newest first, a few kept, the rest counted.
import assert from "node:assert/strict";
import { test } from "node:test";

const { AlertQueue, bannerMs, replaceAfterMs } = await import("../../frontend/js/announcer.js");

const alert = (id, severity = "severe") => ({ event_id: id, severity });

test("the newest alert is read first", () => {
  const q = new AlertQueue();
  q.push(alert("a"));
  q.push(alert("b"));
  q.push(alert("c"));
  assert.deepEqual([q.take(), q.take(), q.take()].map((e) => e.event_id), ["c", "b", "a"]);
  assert.equal(q.take(), null);
});

test("an event waits once: a newer version replaces it and moves to the front", () => {
  const q = new AlertQueue();
  q.push(alert("a", "severe"));
  q.push(alert("b"));
  q.push(alert("a", "extreme"));
  assert.equal(q.size, 2);
  const first = q.take();
  assert.equal(first.event_id, "a");
  assert.equal(first.severity, "extreme");
  assert.equal(q.take().event_id, "b");
});

test("only the newest few wait; older ones are only counted in '+N more', until the queue is read empty", () => {
  const q = new AlertQueue(5);
  for (const id of ["a", "b", "c", "d", "e", "f", "g"]) q.push(alert(id));
  assert.equal(q.size, 5);
  assert.equal(q.dropped, 2);
  assert.equal(q.more, 7);
  const read = [];
  for (let e = q.take(); e; e = q.take()) read.push(e.event_id);
  assert.deepEqual(read, ["g", "f", "e", "d", "c"], "a and b were dropped");
  assert.equal(q.more, 0, "an empty queue starts counting again");
});

test("a banner stays 12 s alone, 5 s when more wait; a newer alert replaces it once it was seen 3 s", () => {
  assert.equal(bannerMs(0), 12000);
  assert.equal(bannerMs(2), 5000);
  assert.equal(replaceAfterMs(1000, 1500), 2500);
  assert.equal(replaceAfterMs(1000, 9000), 0);
});
