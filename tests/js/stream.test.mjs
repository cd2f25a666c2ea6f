// Unit tests of the board's DOM-free stream state (frontend/js/stream.js): `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

const { BACKOFF_CAP_MS, BoardStream, backoffDelay, compareNewestFirst } = await import("../../frontend/js/stream.js");

const EPOCH = "5f0c9a3e2b1d4c6a";

function ev(id, { version = 1, status = "active", updated = "2026-11-29T09:00:00Z", kind = "traffic" } = {}) {
  return {
    event_id: id,
    version,
    source: "test",
    kind,
    category: `${kind}.other`,
    severity: "moderate",
    status,
    title: `title ${id} v${version}`,
    sent_at: updated,
    updated_at: updated,
    received_at: updated,
  };
}

function welcome(extra = {}) {
  return {
    v: 1,
    type: "welcome",
    epoch: EPOCH,
    head: 0,
    server_time: "2026-11-29T09:00:00Z",
    city: { name: "Seoul", timezone: "Asia/Seoul" },
    stream: "live",
    mode: "snapshot",
    demo: false,
    ...extra,
  };
}

function entry(seq, body, { type = "event", epoch = EPOCH } = {}) {
  return { seq, epoch, at: "2026-11-29T09:00:01Z", type, body };
}

function batch(entries, head) {
  return { v: 1, type: "batch", entries, head: head ?? entries.at(-1)?.seq ?? 0 };
}

function started(events = [], seq = 0) {
  const s = new BoardStream();
  s.handle(welcome({ head: seq }));
  s.handle({ v: 1, type: "snapshot", seq, events, truncated: false, feeds: [] });
  return s;
}

test("a first hello asks for no resume", () => {
  const s = new BoardStream();
  assert.deepEqual(s.helloMessage(), { v: 1, type: "hello", stream: "live" });
  assert.equal(s.resumePayload(), null);
});

test("snapshot then batch builds the active map", () => {
  const s = started([ev("test:a"), ev("test:b")], 2);
  assert.equal(s.epoch, EPOCH);
  assert.equal(s.lastSeq, 2);
  assert.deepEqual([...s.events.keys()].sort(), ["test:a", "test:b"]);

  const change = s.handle(batch([entry(3, ev("test:c")), entry(4, ev("test:d"))]));
  assert.deepEqual(change.upserted, ["test:c", "test:d"]);
  assert.equal(s.lastSeq, 4);
  assert.equal(s.events.size, 4);
});

test("snapshot ignores non-active events and keeps the highest version", () => {
  const s = started(
    [ev("test:a", { version: 2 }), ev("test:a", { version: 1 }), ev("test:x", { status: "expired" })],
    5,
  );
  assert.deepEqual([...s.events.keys()], ["test:a"]);
  assert.equal(s.events.get("test:a").version, 2);
});

test("entries with a seq already processed are ignored", () => {
  const s = started([], 0);
  s.handle(batch([entry(1, ev("test:a")), entry(2, ev("test:b"))]));
  const change = s.handle(batch([entry(1, ev("test:a")), entry(2, ev("test:b")), entry(3, ev("test:c"))]));
  assert.equal(change.duplicates, 2);
  assert.deepEqual(change.upserted, ["test:c"]);
  assert.equal(s.lastSeq, 3);
  assert.equal(s.events.size, 3);
  assert.equal(s.duplicatesIgnored, 2);
});

test("a newer version replaces the row, an older one is ignored", () => {
  const s = started([], 0);
  s.handle(batch([entry(1, ev("test:a", { version: 1 }))]));
  s.handle(batch([entry(2, ev("test:a", { version: 3 }))]));
  assert.equal(s.events.get("test:a").version, 3);
  const change = s.handle(batch([entry(3, ev("test:a", { version: 2 }))]));
  assert.equal(change.stale, 1);
  assert.deepEqual(change.upserted, []);
  assert.equal(s.events.get("test:a").version, 3);
  assert.equal(s.lastSeq, 3, "an ignored stale event still advances the seq");
});

test("a cancelled version removes the event, and an older active one cannot bring it back", () => {
  const s = started([], 0);
  s.handle(batch([entry(1, ev("test:a")), entry(2, ev("test:a", { version: 2 }))]));
  const change = s.handle(batch([entry(3, ev("test:a", { version: 3, status: "cancelled" }))]));
  assert.deepEqual(change.removed, ["test:a"]);
  assert.equal(s.events.size, 0);
  s.handle(batch([entry(4, ev("test:a", { version: 2 }))]));
  assert.equal(s.events.size, 0);
});

test("resolved and expired events leave the active view too", () => {
  const s = started([ev("test:a"), ev("test:b")], 2);
  s.handle(
    batch([
      entry(3, ev("test:a", { version: 2, status: "resolved" })),
      entry(4, ev("test:b", { version: 2, status: "expired" })),
    ]),
  );
  assert.equal(s.events.size, 0);
});

test("the resume payload carries the epoch and the last processed seq", () => {
  const s = started([ev("test:a")], 7);
  s.handle(batch([entry(8, ev("test:b"))]));
  assert.deepEqual(s.resumePayload(), { epoch: EPOCH, after_seq: 8 });
  assert.deepEqual(s.helloMessage({ token: "t" }), {
    v: 1,
    type: "hello",
    stream: "live",
    resume: { epoch: EPOCH, after_seq: 8 },
    token: "t",
  });
});

test("a batch head beyond its entries (filtered) moves the resume point", () => {
  const s = started([], 0);
  s.handle(batch([entry(1, ev("test:a"))], 5));
  assert.equal(s.lastSeq, 5);
  assert.deepEqual(s.resumePayload(), { epoch: EPOCH, after_seq: 5 });
});

test("resume after reconnect applies only the missed entries", () => {
  const s = started([], 0);
  s.handle(batch([entry(1, ev("test:a")), entry(2, ev("test:b"))]));
  // reconnect: welcome {mode: resume}, then a backlog that overlaps what we hold
  s.handle(welcome({ head: 4, mode: "resume" }));
  assert.equal(s.events.size, 2, "a resume keeps what we hold");
  s.handle(batch([entry(2, ev("test:b")), entry(3, ev("test:c"))], 3));
  s.handle(batch([entry(4, ev("test:d"))], 4));
  assert.deepEqual([...s.events.keys()].sort(), ["test:a", "test:b", "test:c", "test:d"]);
  assert.equal(s.lastSeq, 4);
});

test("an epoch change drops everything and takes the snapshot", () => {
  const s = started([ev("test:a"), ev("test:b")], 2);
  s.handle(batch([entry(3, ev("test:c"))]));
  const change = s.handle(welcome({ epoch: "another-history", head: 1, mode: "snapshot" }));
  assert.equal(change.reset, true);
  assert.equal(s.events.size, 0);
  assert.equal(s.lastSeq, 0);
  assert.equal(s.epoch, "another-history");
  assert.equal(s.epochChanges, 1);
  s.handle({ v: 1, type: "snapshot", seq: 1, events: [ev("test:z")], truncated: false, feeds: [] });
  assert.deepEqual([...s.events.keys()], ["test:z"]);
  assert.equal(s.lastSeq, 1, "a lower seq in a new epoch is accepted");
  s.handle(batch([entry(2, ev("test:y"), { epoch: "another-history" })]));
  assert.equal(s.events.size, 2);
});

test("entries stamped with another epoch are never mixed in", () => {
  const s = started([], 0);
  s.handle(batch([entry(1, ev("test:a"), { epoch: "someone-else" })], 0));
  assert.equal(s.events.size, 0);
});

test("a same-epoch snapshot (gap too large) replaces the active map", () => {
  const s = started([ev("test:a"), ev("test:b")], 2);
  s.handle(welcome({ head: 20000, mode: "snapshot" }));
  s.handle({ v: 1, type: "snapshot", seq: 20000, events: [ev("test:c")], truncated: false, feeds: [] });
  assert.deepEqual([...s.events.keys()], ["test:c"]);
  assert.equal(s.lastSeq, 20000);
});

test("welcome carries city, demo flag and head", () => {
  const s = new BoardStream();
  s.handle(welcome({ demo: true, head: 12 }));
  assert.equal(s.demo, true);
  assert.equal(s.city.timezone, "Asia/Seoul");
  assert.equal(s.serverHead, 12);
  assert.equal(s.role, null, "an older server names no role");
  s.handle(welcome({ role: "viewer" }));
  assert.equal(s.role, "viewer");
  s.handle(welcome({ role: "operator" }));
  assert.equal(s.role, "operator");
});

test("feeds, notices, errors and pongs are kept; every message counts as liveness", () => {
  const s = started([], 0);
  const health = [{ name: "demo", state: "ok" }];
  let change = s.handle({ v: 1, type: "feeds", health }, 1000);
  assert.equal(change.feeds, true);
  assert.deepEqual(s.feeds, health);
  assert.equal(s.lastMessageAt, 1000);

  change = s.handle(
    batch([entry(1, { level: "warning", code: "feed_down", message: "x", at: "2026-11-29T09:00:00Z" }, { type: "notice" })]),
    2000,
  );
  assert.equal(change.notices.length, 1);
  assert.equal(s.notices[0].code, "feed_down");

  change = s.handle({ v: 1, type: "error", code: "rate_limited", message: "slow down" }, 3000);
  assert.equal(change.error.code, "rate_limited");
  s.handle({ v: 1, type: "pong", ref: "p1", server_time: "2026-11-29T09:00:00Z" }, 4000);
  assert.equal(s.silenceMs(24000), 20000);
  assert.equal(new BoardStream().silenceMs(0), Infinity);
});

test("actions advance the seq without touching the active map", () => {
  const s = started([ev("test:a")], 1);
  const change = s.handle(
    batch([entry(2, { action: "ack", event_id: "test:a", actor: "op", at: "2026-11-29T09:00:00Z", data: {} }, { type: "action" })]),
  );
  assert.equal(change.actions.length, 1);
  assert.equal(s.lastSeq, 2);
  assert.equal(s.events.size, 1);
});

test("newest change first, ties by id", () => {
  const s = started(
    [
      ev("test:old", { updated: "2026-11-29T08:00:00Z" }),
      ev("test:new", { updated: "2026-11-29T09:30:00Z" }),
      ev("test:b", { updated: "2026-11-29T09:00:00Z" }),
      ev("test:a", { updated: "2026-11-29T09:00:00Z" }),
    ],
    4,
  );
  assert.deepEqual(
    s.activeSorted().map((e) => e.event_id),
    ["test:new", "test:a", "test:b", "test:old"],
  );
  assert.equal(compareNewestFirst(ev("x"), ev("x")), 0);
});

test("counts per kind", () => {
  const s = started([ev("test:a", { kind: "disaster" }), ev("test:b"), ev("test:c")], 3);
  assert.deepEqual(s.countsByKind(), { disaster: 1, traffic: 2 });
});

test("backoff grows from 1 s to a 30 s cap, with jitter", () => {
  const low = () => 0;
  const high = () => 0.999999;
  assert.equal(backoffDelay(0, low), 1000);
  assert.ok(backoffDelay(0, high) <= 1250);
  assert.ok(backoffDelay(1, low) >= 1500 && backoffDelay(1, high) <= 2500);
  assert.ok(backoffDelay(3, low) >= 6000 && backoffDelay(3, high) <= 10000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const d = backoffDelay(attempt);
    assert.ok(d >= 1000 && d <= BACKOFF_CAP_MS, `attempt ${attempt}: ${d}`);
  }
  assert.ok(backoffDelay(50, low) >= 22500, "the cap keeps jitter so walls do not sync up");
  assert.notEqual(backoffDelay(2, low), backoffDelay(2, high));
});

test("garbage messages do not throw", () => {
  const s = started([], 0);
  s.handle({ v: 1, type: "batch", entries: [null, { seq: "x" }, { seq: 1, type: "event", body: null }] });
  s.handle({ v: 1, type: "snapshot", seq: 2, events: [null, { nope: 1 }] });
  s.handle(null);
  s.handle({ v: 1, type: "something-new" });
  assert.equal(s.events.size, 0);
});

test("a snapshot in parts: the first replaces, the others add (not news), resume only once whole", () => {
  const s = started([ev("test:old")], 5);
  const part = (n, events, extra = {}) => ({ v: 1, type: "snapshot", seq: 9, part: n, parts: 3, truncated: false, events, ...extra });
  const first = s.handle(part(0, [ev("test:a")], { feeds: [{ feed: "f" }], workflows: { "test:a": { state: "acknowledged" } } }));
  assert.equal(first.reset, true);
  assert.deepEqual([...s.events.keys()], ["test:a"]);
  assert.equal(s.workflow("test:a").state, "acknowledged");
  assert.equal(s.resumePayload(), null, "half a snapshot is nothing to resume from");
  assert.equal(s.lastSeq, 5);

  const second = s.handle(part(1, [ev("test:b"), ev("test:gone", { status: "cancelled" })]));
  assert.equal(second.reset, false);
  assert.equal(second.loading, true);
  assert.deepEqual(second.upserted, ["test:b"]);
  assert.deepEqual(second.applied.map((a) => [a.ev.event_id, a.prev]), [["test:b", null]]);
  assert.deepEqual(s.feeds, [{ feed: "f" }], "later parts carry no feeds and keep the first's");

  const stray = s.handle(part(1, [ev("test:again")]));
  assert.deepEqual(stray.upserted, [], "a part out of turn is ignored");
  assert.equal(s.events.has("test:again"), false);

  s.handle(part(2, [ev("test:c")]));
  assert.deepEqual([...s.events.keys()].sort(), ["test:a", "test:b", "test:c"]);
  assert.equal(s.lastSeq, 9);
  assert.deepEqual(s.resumePayload(), { epoch: EPOCH, after_seq: 9 });
});
