// KPI maths (frontend/js/kpi.js): counts, median time to acknowledge, 24 h buckets, kiosk focus.
import assert from "node:assert/strict";
import { test } from "node:test";

const {
  HOUR_MS,
  Timeline,
  activeCounts,
  complaintsOpen,
  districtLoad,
  kioskTargets,
  loadLevel,
  median,
  medianTimeToAck,
  nextTarget,
  withPastWorkflows,
  shouldAnnounce,
  sparklinePoints,
} = await import("../../frontend/js/kpi.js");

const NOW = Date.parse("2026-11-29T12:30:00Z");
const iso = (ms) => new Date(ms).toISOString();

function ev(id, fields = {}) {
  return { event_id: id, kind: "traffic", severity: "moderate", status: "active", district: "11110", sent_at: iso(NOW - 60_000), ...fields };
}

test("median of odd, even, empty and unsorted lists", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), null);
  assert.equal(median([NaN, 5]), 5);
});

test("active counts per kind and severity", () => {
  const events = [ev("a", { severity: "extreme" }), ev("b"), ev("c", { kind: "disaster", severity: "severe" }), ev("d", { kind: "complaint" })];
  const c = activeCounts(events);
  assert.equal(c.total, 4);
  assert.deepEqual(c.byKind.traffic, { total: 2, bySeverity: { extreme: 1, moderate: 1 } });
  assert.deepEqual(c.bySeverity, { extreme: 1, moderate: 2, severe: 1 });
  assert.equal(activeCounts(events, (e) => e.kind === "disaster").total, 1);
});

test("complaints open leaves out resolved ones", () => {
  const events = [ev("a", { kind: "complaint" }), ev("b", { kind: "complaint" }), ev("c", { kind: "complaint" }), ev("d")];
  const flows = { b: { state: "resolved" }, c: { state: "assigned" } };
  assert.equal(complaintsOpen(events, (id) => flows[id] ?? null), 2);
});

test("median time to acknowledge over the last 24 h", () => {
  const sent = { a: NOW - 10 * 60_000, b: NOW - 20 * 60_000, c: NOW - 30 * 60_000, d: NOW - 3 * 86_400_000, e: NOW };
  const flows = [
    ["a", { state: "acknowledged", acked_at: iso(NOW - 8 * 60_000) }], // 2 min
    ["b", { state: "assigned", acked_at: iso(NOW - 16 * 60_000) }], // 4 min
    ["c", { state: "resolved", acked_at: iso(NOW - 20 * 60_000) }], // 10 min
    ["d", { state: "acknowledged", acked_at: iso(NOW - 2 * 86_400_000) }], // outside the window
    ["e", { state: "acknowledged", acked_at: iso(NOW - 5_000) }], // acked "before" sent: counts as 0
    ["f", { state: "new" }], // never acknowledged
    ["g", { state: "acknowledged", acked_at: iso(NOW - 1000) }], // sent time unknown
  ];
  const r = medianTimeToAck(flows, (id) => sent[id] ?? NaN, { now: NOW });
  assert.equal(r.n, 4);
  assert.equal(r.median, (2 * 60_000 + 4 * 60_000) / 2);
  const none = medianTimeToAck([], () => NaN, { now: NOW });
  assert.deepEqual(none, { median: null, n: 0 });
  const onlyA = medianTimeToAck(flows, (id) => sent[id] ?? NaN, { now: NOW, include: (id) => id === "a" });
  assert.deepEqual(onlyA, { median: 120_000, n: 1 });
});

test("time to acknowledge over a day counts ended events once, as the live store has them", () => {
  const sent = { live: NOW - 10 * 60_000, both: NOW - 20 * 60_000, ended: NOW - 5 * HOUR_MS, old: NOW - 30 * HOUR_MS };
  const live = new Map([
    ["live", { state: "acknowledged", acked_at: iso(NOW - 9 * 60_000) }], // 1 min
    ["both", { state: "assigned", acked_at: iso(NOW - 17 * 60_000) }], // 3 min
  ]);
  const past = new Map([
    ["both", { state: "acknowledged", acked_at: iso(NOW - 10 * 60_000) }], // what the look-back saw: older word
    ["ended", { state: "resolved", acked_at: iso(NOW - 4 * HOUR_MS) }], // 60 min, ended before the page loaded
    ["old", { state: "resolved", acked_at: iso(NOW - 26 * HOUR_MS) }], // acknowledged before the window
    ["never", { state: "new" }],
  ]);
  const merged = [...withPastWorkflows(live, past)];
  assert.deepEqual(merged.map(([id]) => id), ["live", "both", "ended", "old", "never"], "each event once");
  assert.equal(merged[1][1], live.get("both"), "the store's workflow wins");
  const r = medianTimeToAck(withPastWorkflows(live, past), (id) => sent[id] ?? NaN, { now: NOW });
  assert.deepEqual(r, { median: 3 * 60_000, n: 3 });
  assert.deepEqual(medianTimeToAck(withPastWorkflows(live, new Map()), (id) => sent[id] ?? NaN, { now: NOW }), { median: 2 * 60_000, n: 2 });
});

test("timeline: first sent time, new in the last hour, hourly buckets per kind", () => {
  const t = new Timeline();
  t.add(ev("a", { sent_at: iso(NOW - 10 * 60_000) }));
  t.add(ev("a", { sent_at: iso(NOW - 5 * 60_000), status: "cancelled" })); // a later version
  t.add(ev("b", { kind: "disaster", sent_at: iso(NOW - 2 * HOUR_MS) }));
  t.add(ev("c", { sent_at: iso(NOW - 23.4 * HOUR_MS) })); // 13:06 yesterday: the first bucket starts at 13:00
  t.add(ev("old", { sent_at: iso(NOW - 30 * HOUR_MS) }));
  assert.equal(t.sentAt("a"), NOW - 10 * 60_000, "the first sent time is kept");
  assert.equal(t.countSince(NOW - HOUR_MS), 1);
  assert.equal(t.countSince(NOW - HOUR_MS, (e) => e.kind === "disaster"), 0);
  const h = t.hourly(NOW, { kinds: ["traffic", "disaster", "complaint"] });
  assert.equal(h.traffic.length, 24);
  assert.equal(h.traffic[23], 1, "the current hour is the last bucket");
  assert.equal(h.traffic[0], 1, "23.4 h ago lands in the first bucket");
  assert.equal(h.disaster[21], 1);
  assert.deepEqual(h.complaint, new Array(24).fill(0));
  assert.equal(h.traffic.reduce((a, b) => a + b), 2, "30 h ago is outside");
  t.prune(NOW);
  assert.equal(t.size, 3);
});

test("timeline stays bounded", () => {
  const t = new Timeline({ maxEntries: 10 });
  for (let i = 0; i < 25; i++) t.add(ev(`e${i}`));
  assert.equal(t.size, 10);
  assert.ok(Number.isNaN(t.sentAt("e0")));
  assert.ok(Number.isFinite(t.sentAt("e24")));
});

test("sparkline points span the box, the peak at the top", () => {
  const pts = sparklinePoints([0, 2, 1], 100, 20, 0).split(" ");
  assert.deepEqual(pts, ["0,20", "50,0", "100,10"]);
  assert.equal(sparklinePoints([], 10, 10), "");
  assert.deepEqual(sparklinePoints([0, 0], 10, 10, 0).split(" "), ["0,10", "10,10"], "all zero stays flat");
});

test("district load, shading levels and kiosk targets", () => {
  const events = [
    ev("a", { district: "11110", severity: "severe" }),
    ev("b", { district: "11110", severity: "minor" }),
    ev("c", { district: "11680", severity: "extreme" }),
    ev("d", { district: "11680", severity: "severe" }),
    ev("e", { district: "11440", severity: "severe" }),
    ev("f", { district: null, severity: "extreme" }),
    ev("g", { district: "11500", severity: "moderate" }),
  ];
  const load = districtLoad(events);
  assert.deepEqual(load.get("11110"), { count: 2, worst: "severe", alerts: 1 });
  assert.equal(load.size, 4);
  assert.equal(loadLevel(0, 10), 0);
  assert.equal(loadLevel(1, 10), 1);
  assert.equal(loadLevel(10, 10), 5);
  assert.equal(loadLevel(6, 10), 3);
  const targets = kioskTargets(events);
  assert.deepEqual(targets.map((t) => t.code), ["11680", "11110", "11440"]);
  assert.equal(nextTarget(targets, null), "11680");
  assert.equal(nextTarget(targets, "11680"), "11110");
  assert.equal(nextTarget(targets, "11440"), "11680");
  assert.equal(nextTarget(targets, "gone"), "11680");
  assert.equal(nextTarget([], "11680"), null);
});

test("announce new or escalated severe and extreme events only", () => {
  assert.ok(shouldAnnounce(null, ev("a", { severity: "extreme" })));
  assert.ok(shouldAnnounce(null, ev("a", { severity: "severe" })));
  assert.ok(!shouldAnnounce(null, ev("a", { severity: "moderate" })));
  assert.ok(shouldAnnounce(ev("a", { severity: "moderate" }), ev("a", { severity: "severe" })));
  assert.ok(shouldAnnounce(ev("a", { severity: "severe" }), ev("a", { severity: "extreme" })));
  assert.ok(!shouldAnnounce(ev("a", { severity: "severe" }), ev("a", { severity: "severe" })), "an update is not news");
  assert.ok(!shouldAnnounce(ev("a", { severity: "extreme" }), ev("a", { severity: "severe" })));
  assert.ok(!shouldAnnounce(null, ev("a", { severity: "extreme", status: "cancelled" })));
});
