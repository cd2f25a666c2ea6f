// The board's websocket (frontend/js/connection.js) against a fake socket with mocked timers:
// connect and resume, the states the header shows, actions and their results, keepalive.
import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";

const { Connection } = await import("../../frontend/js/connection.js");
const { BoardStream } = await import("../../frontend/js/stream.js");

class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 3;
  static made = [];

  constructor(url) {
    this.url = url;
    this.readyState = FakeSocket.CONNECTING;
    this.sent = [];
    this.listeners = {};
    this.closedWith = null;
    FakeSocket.made.push(this);
  }

  addEventListener(type, fn) {
    (this.listeners[type] ??= []).push(fn);
  }

  emit(type, ev = {}) {
    for (const fn of this.listeners[type] ?? []) fn(ev);
  }

  open() {
    this.readyState = FakeSocket.OPEN;
    this.emit("open");
  }

  receive(msg) {
    this.emit("message", { data: JSON.stringify(msg) });
  }

  send(text) {
    this.sent.push(JSON.parse(text));
  }

  close(code = 1000, reason = "") {
    this.readyState = FakeSocket.CLOSED;
    this.closedWith = { code, reason };
  }

  /** The server or the network went away. */
  drop(code = 1006) {
    this.readyState = FakeSocket.CLOSED;
    this.emit("close", { code, reason: "" });
  }
}

const welcome = (fields = {}) => ({ v: 1, type: "welcome", epoch: "e1", head: 0, mode: "snapshot", ...fields });
const snapshot = (fields = {}) => ({ v: 1, type: "snapshot", seq: 3, events: [], ...fields });

let calls;

function connection({ stream = "live" } = {}) {
  calls = { state: 0, changes: [], welcomes: [], histories: [], unknown: [] };
  const conn = new Connection({
    url: "ws://board.test/ws",
    store: new BoardStream({ stream }),
    token: "tok",
    actor: () => "교통상황실 이",
    tr: { t: (key) => key },
    onState: () => (calls.state += 1),
    onChange: (change) => calls.changes.push(change),
    onWelcome: (msg) => calls.welcomes.push(msg),
    onNewHistory: (epoch) => calls.histories.push(epoch),
    onUnknownStream: (message, hadWelcome) => calls.unknown.push([message, hadWelcome]),
  });
  return conn;
}

const latest = () => FakeSocket.made.at(-1);

/** Connect and get to "live" on epoch e1. */
function live(conn) {
  conn.connect();
  latest().open();
  latest().receive(welcome());
  latest().receive(snapshot());
  assert.equal(conn.state, "live");
}

beforeEach(() => {
  FakeSocket.made = [];
  globalThis.WebSocket = FakeSocket;
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: Date.parse("2026-11-29T03:00:00Z") });
  mock.method(console, "warn", () => {});
});

afterEach(() => {
  mock.timers.reset();
  mock.restoreAll();
  delete globalThis.WebSocket;
});

test("first connect: a hello with the token, live when the snapshot lands, one look-back per history", () => {
  const conn = connection();
  conn.connect();
  assert.equal(latest().url, "ws://board.test/ws");
  assert.equal(conn.state, "connecting");
  latest().open();
  assert.deepEqual(latest().sent, [{ v: 1, type: "hello", stream: "live", token: "tok", binary_snapshot: true }], "nothing to resume yet");
  latest().receive(welcome({ city: { name: "Seoul" } }));
  assert.equal(calls.welcomes.length, 1);
  assert.equal(conn.state, "connecting", "a welcome alone is not live: the snapshot is still coming");
  latest().receive(snapshot());
  assert.equal(conn.state, "live");
  assert.equal(conn.online, true);
  assert.deepEqual(calls.histories, ["e1"]);
  latest().receive(snapshot({ seq: 4 }));
  assert.deepEqual(calls.histories, ["e1"], "the same history is looked back at once");
  assert.equal(calls.changes.length, 3, "every message reaches the page");
});

test("a snapshot part in a binary frame (UTF-8 JSON) is read like a text one", () => {
  const conn = connection();
  conn.connect();
  assert.equal(latest().binaryType, "arraybuffer");
  latest().open();
  latest().receive(welcome());
  const ev = { event_id: "t:1", version: 1, kind: "traffic", severity: "minor", title: "서울 한강대로 통제" };
  latest().emit("message", { data: new TextEncoder().encode(JSON.stringify(snapshot({ events: [ev] }))).buffer });
  assert.equal(conn.state, "live");
  assert.equal(conn.ctx.store.events.get("t:1").title, "서울 한강대로 통제");
});

test("a dropped socket counts down, reconnects, resumes from the last seq and says so for a while", () => {
  const conn = connection();
  live(conn);
  latest().drop();
  assert.equal(conn.state, "reconnecting");
  assert.equal(conn.online, false);
  assert.ok(conn.retryAt > Date.now());
  mock.timers.tick(1250); // the first retry comes within 1 s ± 25 %
  assert.equal(FakeSocket.made.length, 2);
  latest().open();
  assert.deepEqual(latest().sent[0].resume, { epoch: "e1", after_seq: 3 });
  latest().receive(welcome({ mode: "resume" }));
  assert.equal(conn.state, "resumed");
  mock.timers.tick(6000);
  assert.equal(conn.state, "live");
  assert.deepEqual(
    conn.history.map(([s]) => s),
    ["live", "reconnecting", "connecting", "resumed", "live"],
  );
  assert.deepEqual(calls.histories, ["e1"], "a resume is the same history");
});

test("another history after a reconnect: 'snapshot reloaded', and the look-back runs again", () => {
  const conn = connection();
  live(conn);
  latest().drop();
  mock.timers.tick(1250);
  latest().open();
  latest().receive(welcome({ epoch: "e2" }));
  assert.equal(conn.state, "connecting");
  latest().receive(snapshot());
  assert.equal(conn.state, "snapshot");
  assert.deepEqual(calls.histories, ["e1", "e2"]);
  mock.timers.tick(6000);
  assert.equal(conn.state, "live");
});

test("an action carries the operator's name and settles with its result, on timeout, or when the socket drops", async () => {
  const conn = connection();
  await assert.rejects(conn.sendAction("ack", "x"), /actions\.offline/, "no socket: refused at once");
  live(conn);
  const acked = conn.sendAction("ack", "test:1", { note: "on it" });
  const sent = latest().sent.at(-1);
  assert.deepEqual(sent, { v: 1, type: "action", action: "ack", event_id: "test:1", data: { note: "on it" }, ref: "a2", actor: "교통상황실 이" });
  latest().receive({ v: 1, type: "result", ref: "a2", seq: 9 });
  assert.deepEqual(await acked, { ref: "a2", seq: 9 });

  const refused = conn.sendAction("resolve", "test:1");
  latest().receive({ v: 1, type: "error", ref: "a3", code: "forbidden", message: "viewer" });
  await assert.rejects(refused, /viewer \(forbidden\)/);

  const slow = conn.sendAction("ack", "test:2");
  mock.timers.tick(10000);
  await assert.rejects(slow, /actions\.timeout/);

  const cut = conn.sendAction("ack", "test:3");
  latest().drop();
  await assert.rejects(cut, /actions\.offline/);
});

test("silence: a ping after 10 s, 'stale' after 20 s, live again with any message, a new socket after 45 s", () => {
  const conn = connection();
  live(conn);
  const ws = latest();
  mock.timers.tick(10000);
  conn.tick();
  assert.equal(ws.sent.at(-1).type, "ping");
  mock.timers.tick(10000);
  conn.tick();
  assert.equal(conn.state, "stale");
  assert.equal(conn.online, true, "stale is still connected");
  ws.receive({ v: 1, type: "pong", ref: "p1" });
  assert.equal(conn.state, "live");
  mock.timers.tick(45000);
  conn.tick();
  assert.deepEqual(ws.closedWith, { code: 4000, reason: "stale" });
  assert.equal(conn.state, "reconnecting", "no waiting for a half-open socket to close");
});

test("a stream the server does not have stops the knocking", () => {
  const conn = connection({ stream: "replay:gone" });
  conn.connect();
  latest().open();
  latest().receive({ v: 1, type: "error", code: "unknown_stream", message: "no replay gone" });
  assert.deepEqual(calls.unknown, [["no replay gone", false]]);
  latest().drop(1000);
  assert.equal(conn.state, "stopped");
  mock.timers.tick(60000);
  assert.equal(FakeSocket.made.length, 1);
});

test("a replay stopped while watched is told apart from a wrong address", () => {
  const conn = connection({ stream: "replay:flood" });
  live(conn);
  latest().receive({ v: 1, type: "error", code: "unknown_stream", message: "stopped" });
  assert.deepEqual(calls.unknown, [["stopped", true]]);
});
