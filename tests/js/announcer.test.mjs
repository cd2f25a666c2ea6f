// The alert banner's waiting policy (frontend/js/announcer.js): newest first, a few kept, the rest counted.
import assert from "node:assert/strict";
import { test } from "node:test";

const { Announcer, AlertQueue, bannerMs, replaceAfterMs } = await import("../../frontend/js/announcer.js");

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

test("alerts the board no longer holds as severe or extreme leave the queue", () => {
  const q = new AlertQueue();
  for (const id of ["a", "b", "c"]) q.push(alert(id));
  q.keep((ev) => ev.event_id !== "b");
  assert.deepEqual([q.take(), q.take(), q.take()].map((e) => e?.event_id ?? null), ["c", "a", null]);
});

// Just enough of a DOM for the banner: the Announcer renders into it, the test reads it back.
function node() {
  const classes = new Set();
  return {
    dataset: {},
    hidden: true,
    textContent: "",
    children: [],
    classList: {
      add: (...c) => c.forEach((x) => classes.add(x)),
      remove: (...c) => c.forEach((x) => classes.delete(x)),
      toggle: (c, on) => (on ? classes.add(c) : classes.delete(c)),
      contains: (c) => classes.has(c),
    },
    addEventListener() {},
    setAttribute() {},
    append(...n) {
      this.children.push(...n);
    },
    replaceChildren(...n) {
      this.children = n;
    },
  };
}

function banner(t) {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval", "Date"] });
  globalThis.document = { createElement: node, createElementNS: node };
  t.after(() => delete globalThis.document);
  const held = new Map(); // the board's active events, as the stream holds them
  const body = node();
  const el = node();
  const announcer = new Announcer(el, {
    body,
    beeper: { beep() {} },
    tr: { label: (_, v) => v, t: (_, o) => `+${o.n}`, number: String, lang: "en" },
    eventOf: (id) => held.get(id),
    districtName: () => "",
    onShow() {},
    onOpen() {},
  });
  const show = (ev) => {
    held.set(ev.event_id, ev);
    announcer.push(ev);
  };
  return { announcer, el, body, held, show };
}

test("a shown alert whose event ends leaves the banner at once, blinking stops", (t) => {
  const { announcer, el, body, held, show } = banner(t);
  show({ ...alert("fire", "extreme"), title: "fire" });
  assert.equal(el.hidden, false);
  assert.equal(el.dataset.eventId, "fire");
  assert.equal(el.classList.contains("blink"), true);
  held.delete("fire"); // cancelled: the stream drops it from the active events
  announcer.recheck();
  assert.equal(el.hidden, true, "not for its full 12 s");
  assert.equal(el.classList.contains("blink"), false);
  assert.equal(body.dataset.alert, undefined);
});

test("a shown alert downgraded below severe gives way to the next one waiting", (t) => {
  const { announcer, el, held, show } = banner(t);
  show(alert("a"));
  show(alert("b"));
  assert.equal(el.dataset.eventId, "a", "b waits until a was seen");
  held.set("a", { ...alert("a"), severity: "moderate" });
  announcer.recheck();
  assert.equal(el.hidden, false);
  assert.equal(el.dataset.eventId, "b");
});

test("a waiting alert that ended is never shown", (t) => {
  const { announcer, el, held, show } = banner(t);
  show(alert("a"));
  show(alert("b"));
  held.delete("b");
  announcer.recheck();
  t.mock.timers.tick(20000);
  assert.equal(el.hidden, true, "a's time ran out and nothing else waited");
  assert.equal(announcer.shown, 1);
});
