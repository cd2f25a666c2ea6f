// Incrementally sorted events (frontend/js/sorted.js) agree with a full sort.
import assert from "node:assert/strict";
import { test } from "node:test";

const { EventIndex, SortedEvents } = await import("../../frontend/js/sorted.js");
const { compareNewestFirst } = await import("../../frontend/js/stream.js");

function ev(id, minute, kind = "traffic") {
  const t = new Date(Date.UTC(2026, 10, 29, 9, minute)).toISOString();
  return { event_id: id, kind, updated_at: t, sent_at: t };
}

test("upserts and removals keep newest-first order, ties by id", () => {
  const s = new SortedEvents();
  s.upsert(ev("b", 5));
  s.upsert(ev("a", 5));
  s.upsert(ev("c", 9));
  s.upsert(ev("d", 1));
  assert.deepEqual([...s].map((e) => e.event_id), ["c", "a", "b", "d"]);
  s.upsert(ev("d", 10)); // an update moves it to the top
  assert.deepEqual([...s].map((e) => e.event_id), ["d", "c", "a", "b"]);
  assert.ok(s.remove("a"));
  assert.ok(!s.remove("a"));
  assert.deepEqual([...s].map((e) => e.event_id), ["d", "c", "b"]);
  const { shown, total } = s.take((e) => e.event_id !== "c", 1);
  assert.deepEqual(shown.map((e) => e.event_id), ["d"]);
  assert.equal(total, 2);
});

test("a random sequence of changes matches a full sort", () => {
  let seed = 42;
  const rnd = (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const s = new SortedEvents();
  const held = new Map();
  for (let i = 0; i < 3000; i++) {
    const id = `e${rnd(300)}`;
    if (rnd(5) === 0) {
      s.remove(id);
      held.delete(id);
    } else {
      const e = ev(id, rnd(50));
      s.upsert(e);
      held.set(id, e);
    }
  }
  assert.deepEqual([...s].map((e) => e.event_id), [...held.values()].sort(compareNewestFirst).map((e) => e.event_id));
  s.reset([...held.values()]);
  assert.deepEqual([...s].map((e) => e.event_id), [...held.values()].sort(compareNewestFirst).map((e) => e.event_id));
});

test("the index follows an event that changes kind", () => {
  const idx = new EventIndex();
  idx.reset([ev("a", 1), ev("b", 2, "disaster")]);
  idx.upsert(ev("a", 3, "disaster"));
  assert.equal(idx.kind("traffic").size, 0);
  assert.deepEqual([...idx.kind("disaster")].map((e) => e.event_id), ["a", "b"]);
  idx.remove("b");
  assert.deepEqual([...idx.kind("disaster")].map((e) => e.event_id), ["a"]);
});
