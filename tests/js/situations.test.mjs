// The situation store and the card's decisions (frontend/js/situations.js): `situations` messages
// in order and out of order, full and partial, and the escalation countdown's words.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const { LANGS, Translator } = await import("../../frontend/js/i18n.js");
const { ESCALATION_CALLING_MS, SituationStore, clockText, clusterEvent, countdownText, escalationState, kindCounts, situationMatches, sparklinePoints } =
  await import("../../frontend/js/situations.js");
const { BoardStream } = await import("../../frontend/js/stream.js");

const catalogs = Object.fromEntries(
  LANGS.map((l) => [l, JSON.parse(readFileSync(new URL(`../../frontend/i18n/${l}.json`, import.meta.url), "utf8"))]),
);

const sit = (id, fields = {}) => ({ id: `situation:${id}`, title: `flood ${id}`, severity: "severe", status: "open", members: [], clusters: [], counts: {}, last_change_at: "2026-12-01T10:00:00Z", ...fields });
const cluster = (id, members, fields = {}) => ({ id: `cluster:${id}`, category: "complaint.water", count: members.length, members, center: [127, 37.5], radius_m: 300, sparkline: [1, 2], situation: null, ...fields });
const msg = (seq, full, situations = [], clusters = [], removed = []) => ({ type: "situations", v: 1, seq, full, situations, clusters, removed });

test("a full set replaces everything held; a partial one upserts and removes by id", () => {
  const store = new SituationStore();
  store.apply(msg(10, true, [sit("a"), sit("b")], [cluster("c1", ["x", "y"])]));
  assert.deepEqual([...store.situations.keys()], ["situation:a", "situation:b"]);
  assert.equal(store.clusterOf.get("x"), "cluster:c1");
  let change = store.apply(msg(11, false, [sit("a", { title: "renamed" }), sit("c")], [], ["situation:b"]));
  assert.equal(store.situations.get("situation:a").title, "renamed");
  assert.deepEqual([...store.situations.keys()].sort(), ["situation:a", "situation:c"]);
  assert.deepEqual([...change.removed], ["situation:b"]);
  assert.deepEqual([...change.situations].sort(), ["situation:a", "situation:c"]);
  assert.equal(store.clusters.size, 1, "a partial message without clusters keeps them");
  change = store.apply(msg(12, true, [sit("d")], []));
  assert.deepEqual([...store.situations.keys()], ["situation:d"]);
  assert.equal(store.clusters.size, 0);
  assert.deepEqual([...change.removed].sort(), ["cluster:c1", "situation:a", "situation:c"]);
  assert.ok(change.membership, "the clustered complaints came back to the list");
  assert.equal(store.clusterOf.size, 0);
});

test("a message older than the last applied one is ignored; an equal seq is applied", () => {
  const store = new SituationStore();
  store.apply(msg(20, true, [sit("a", { title: "new" })]));
  const stale = store.apply(msg(19, true, [sit("a", { title: "old" }), sit("z")]));
  assert.ok(stale.stale);
  assert.equal(stale.applied, false);
  assert.equal(store.situations.get("situation:a").title, "new");
  assert.equal(store.situations.has("situation:z"), false);
  assert.equal(store.seq, 20);
  assert.ok(store.apply(msg(20, false, [sit("a", { title: "same seq" })])).applied);
  assert.equal(store.situations.get("situation:a").title, "same seq");
});

test("malformed messages and objects change nothing", () => {
  const store = new SituationStore();
  assert.equal(store.apply({ type: "situations" }).applied, false, "no seq");
  store.apply(msg(1, false, [null, { id: 3 }, { id: "event:x" }, sit("ok")], [{ id: "situation:not-a-cluster" }]));
  assert.deepEqual([...store.situations.keys()], ["situation:ok"]);
  assert.equal(store.clusters.size, 0);
});

test("open situations come worst first, then the most recently changed, closed ones not at all", () => {
  const store = new SituationStore();
  store.apply(
    msg(1, true, [
      sit("old-extreme", { severity: "extreme", last_change_at: "2026-12-01T09:00:00Z" }),
      sit("moderate", { severity: "moderate", last_change_at: "2026-12-01T11:00:00Z" }),
      sit("new-extreme", { severity: "extreme", last_change_at: "2026-12-01T10:00:00Z" }),
      sit("closed", { severity: "extreme", status: "closed", merged_into: "situation:new-extreme" }),
    ]),
  );
  assert.deepEqual(store.open().map((s) => s.id), ["situation:new-extreme", "situation:old-extreme", "situation:moderate"]);
});

test("the board stream feeds the store, and another history (epoch) empties it", () => {
  const stream = new BoardStream();
  stream.handle({ type: "welcome", epoch: "e1", head: 5 });
  const change = stream.handle(msg(5, true, [sit("a")]));
  assert.ok(change.situations.applied);
  assert.equal(stream.situations.situations.size, 1);
  stream.handle({ type: "welcome", epoch: "e1", head: 5, mode: "resume" });
  assert.equal(stream.situations.situations.size, 1, "a resume of the same history keeps them until the full set");
  stream.handle({ type: "welcome", epoch: "e2", head: 1 });
  assert.equal(stream.situations.situations.size, 0);
  assert.ok(stream.handle(msg(1, true, [sit("b")])).situations.applied, "seq starts again in the new history");
});

test("a situation shows under a filter when any of its events (members or clustered) matches", () => {
  const store = new SituationStore();
  store.apply(msg(1, true, [sit("a", { members: ["e1"], clusters: ["cluster:k"] })], [cluster("k", ["c1", "c2"])]));
  const s = store.situations.get("situation:a");
  const events = new Map([
    ["e1", { event_id: "e1", kind: "disaster" }],
    ["c2", { event_id: "c2", kind: "complaint" }],
  ]);
  assert.ok(situationMatches(store, s, events, (ev) => ev.kind === "complaint", true), "through its cluster");
  assert.ok(!situationMatches(store, s, events, (ev) => ev.kind === "traffic", true));
  assert.ok(situationMatches(store, s, new Map(), () => false, false), "unknown events: shown without a filter");
  assert.ok(!situationMatches(store, s, new Map(), () => false, true));
});

test("the countdown counts down to the next step, then says calling, then overdue", () => {
  const tr = new Translator(catalogs, "en");
  const at = Date.parse("2026-12-01T10:05:00Z");
  const esc = { step: 1, of: 3, next_at: "2026-12-01T10:05:00Z", target: "department_manager" };
  assert.equal(countdownText(esc, at - 65000, tr), "Step 2/3: department duty manager in 1:05");
  assert.equal(countdownText(esc, at - 3600000 - 2000, tr), "Step 2/3: department duty manager in 1:00:02");
  assert.equal(countdownText(esc, at + 1000, tr), "Step 2/3: calling department duty manager…");
  assert.equal(escalationState(esc, at + ESCALATION_CALLING_MS - 1).state, "calling");
  assert.equal(countdownText(esc, at + ESCALATION_CALLING_MS + 42000, tr), "Step 2/3: department duty manager overdue 1:42");
  assert.equal(countdownText({ step: 3, of: 3, next_at: null, target: "duty_director" }, at, tr), "All 3 escalation steps taken");
  assert.equal(countdownText(null, at, tr), "");
  assert.equal(countdownText({ step: 0, of: 2, next_at: null }, at, tr), "", "stopped (acknowledged): no line");
  const ko = new Translator(catalogs, "ko");
  assert.equal(countdownText({ ...esc, step: 0, target: "district_officer" }, at - 5000, ko), "1/3단계 구 당직관 호출까지 0:05");
  assert.equal(countdownText({ ...esc, target: "notifier:messenger" }, at + 1, ko), "2/3단계 알림 messenger 호출 중…");
});

test("clock text, counts per kind and the sparkline's points", () => {
  assert.equal(clockText(0), "0:00");
  assert.equal(clockText(59999), "0:59");
  assert.equal(clockText(3723000), "1:02:03");
  assert.deepEqual(kindCounts({ counts: { complaint: 40, disaster: 1, traffic: 0, call: 2 } }), [["disaster", 1], ["complaint", 40], ["call", 2]]);
  assert.equal(sparklinePoints([0, 2, 4], 10, 4), "0,4 5,2 10,0");
  assert.equal(sparklinePoints([], 10, 4), "");
  assert.equal(sparklinePoints([3], 10, 4), "0,0");
});

test("a cluster reads as one complaint row, titled in each language", () => {
  const c = cluster("k", ["c1", "c2", "c3"], { category: "complaint.noise", district: "11140", last_at: "2026-12-01T10:00:00Z" });
  const events = new Map([["c2", { event_id: "c2", severity: "moderate" }]]);
  const ev = clusterEvent(c, catalogs, events);
  assert.equal(ev.kind, "complaint");
  assert.equal(ev.severity, "moderate", "the worst of its known complaints");
  assert.equal(ev.translations.ko.title, "소음 3건");
  assert.equal(ev.translations.en.title, "Noise · 3");
  assert.equal(ev.district, "11140");
  assert.equal(ev.updated_at, c.last_at);
});

test("the lists show a clustered complaint once, as its cluster, counted as its complaints that match", async () => {
  const { clusterView } = await import("../../frontend/js/situations.js");
  const stream = new BoardStream();
  stream.handle({ type: "welcome", epoch: "e", head: 1 });
  const ev = (id, fields) => ({ event_id: id, version: 1, kind: "complaint", status: "active", severity: "minor", ...fields });
  stream.handle({ type: "snapshot", seq: 1, events: [ev("c1", { district: "A" }), ev("c2", { district: "B" }), ev("c3", { district: "A" }), ev("free", { district: "A" })] });
  stream.handle(msg(1, true, [], [cluster("k", ["c1", "c2", "c3", "gone"])]));
  const row = clusterEvent(stream.situations.clusters.get("cluster:k"), catalogs, stream.events);
  const all = clusterView(stream, () => true, false);
  assert.ok(!all.list(stream.events.get("c1")), "a clustered complaint is not a row of its own");
  assert.ok(all.list(stream.events.get("free")));
  assert.ok(all.list(row));
  assert.equal(all.weight(row), 3, "its active complaints");
  assert.ok(!all.map(stream.events.get("c2")), "nor a marker: the cluster's bubble stands for it");
  const inA = clusterView(stream, (e) => e.district === "A", true);
  assert.equal(inA.weight(row), 2);
  const inC = clusterView(stream, (e) => e.district === "C", true);
  assert.ok(!inC.list(row), "no complaint of it matches: no row");
});

test("a card counts down its own escalation, else its members' soonest next step", async () => {
  const { escalationOf } = await import("../../frontend/js/situations.js");
  const own = { step: 0, of: 2, next_at: "2026-12-01T10:09:00Z", target: "duty_director" };
  const flows = new Map([
    ["a", { escalation: { step: 0, of: 3, next_at: "2026-12-01T10:05:00Z", target: "district_officer" } }],
    ["b", { escalation: { step: 1, of: 3, next_at: "2026-12-01T10:03:00Z", target: "department_manager" } }],
    ["c", { escalation: { step: 1, of: 3, next_at: null, stopped: "acknowledged" } }],
  ]);
  const of = (id) => flows.get(id) ?? null;
  assert.equal(escalationOf(sit("s", { escalation: own, members: ["a", "b"] }), null, of), own);
  assert.equal(escalationOf(sit("s", { members: ["a", "b", "c"] }), null, of).target, "department_manager");
  const stopped = { step: 1, of: 2, next_at: null, stopped: "acknowledged" };
  assert.equal(escalationOf(sit("s", { escalation: stopped, members: ["c"] }), null, of), stopped);
  assert.equal(escalationOf(sit("s"), { escalation: own }), own, "the workflow's when the wire has none");
});

test("the kiosk stops at situations that are severe or worse, in the cards' order", async () => {
  const { situationTargets } = await import("../../frontend/js/situations.js");
  const t = situationTargets([sit("x", { severity: "extreme" }), sit("y", { severity: "moderate" }), sit("z", { severity: "severe" })]);
  assert.deepEqual(t.map((s) => s.code), ["situation:x", "situation:z"]);
});

test("an open card lists its members worst first, its clustered complaints only as their cluster", async () => {
  const { memberOrder } = await import("../../frontend/js/situations.js");
  const events = new Map([
    ["w1", { severity: "minor" }],
    ["c1", { severity: "moderate" }],
    ["c2", { severity: "severe" }],
    ["flood", { severity: "extreme" }],
  ]);
  const s = sit("s", { members: ["w1", "c1", "ended", "c2", "flood"] });
  assert.deepEqual(memberOrder(s, events, new Map([["w1", "cluster:k"]])), ["flood", "c2", "c1", "ended"]);
});
