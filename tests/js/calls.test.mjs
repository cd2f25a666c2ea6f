// Calls and their life on the record (frontend/js/calls.js): what an officer's row says as the
// server's call_* actions arrive, in whatever order, and what the board sends to start a call.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const { CallBook, Calls, callEndedText, callView, clockDuration, reasonText } = await import("../../frontend/js/calls.js");
const { LANGS, Translator } = await import("../../frontend/js/i18n.js");

const catalogs = Object.fromEntries(
  LANGS.map((l) => [l, JSON.parse(readFileSync(new URL(`../../frontend/i18n/${l}.json`, import.meta.url), "utf8"))]),
);
const en = new Translator(catalogs, "en");
const T0 = Date.parse("2026-11-29T01:00:00Z");
const at = (s) => new Date(T0 + s * 1000).toISOString();
const action = (name, s, data, event_id = "e1") => ({ action: name, event_id, actor: "dialer:sip", at: at(s), data });

test("talk time reads like a phone's", () => {
  assert.equal(clockDuration(0), "0:00");
  assert.equal(clockDuration(7.9), "0:07");
  assert.equal(clockDuration(62), "1:02");
  assert.equal(clockDuration(3723), "1:02:03");
  assert.equal(clockDuration(-5), "0:00");
  assert.equal(clockDuration(undefined), "0:00");
});

test("an answered SIP call: calling → ringing → answered (ticking) → ended with outcome and length", () => {
  const book = new CallBook();
  book.request("e1", "kim");
  assert.equal(callView(book.get("e1", "kim"), en, T0).text, "Calling…");
  assert.ok(callView(book.get("e1", "kim"), en, T0).live);
  assert.ok(book.apply(action("call_started", 0, { call_id: "c1", officer_id: "kim", dialer: "sip" })));
  assert.equal(book.get("e1", "kim").phase, "dialing");
  book.apply(action("call_ringing", 1, { call_id: "c1" }));
  assert.equal(callView(book.get("e1", "kim"), en, T0).text, "Ringing…");
  book.apply(action("call_answered", 3, { call_id: "c1" }));
  const talking = callView(book.get("e1", "kim"), en, T0 + 65_000);
  assert.equal(talking.text, "Answered · 1:02");
  assert.equal(talking.phase, "answered");
  assert.ok(talking.live);
  book.apply(action("call_ended", 70, { call_id: "c1", outcome: "answered", duration_s: 67.2, reason: "hung up by the operator" }));
  const ended = callView(book.get("e1", "kim"), en, T0 + 80_000);
  assert.equal(ended.text, "Ended: answered · 1:07 · hung up by the operator");
  assert.ok(!ended.live && !ended.error);
  // the board's own 202, arriving after the stream told it all, changes nothing
  assert.equal(book.answer("e1", "kim", { call_id: "c1", status: "dialing", dialer: "sip" }).phase, "ended");
});

test("late or repeated reports never take a call back, and calls of other boards show too", () => {
  const book = new CallBook();
  book.apply(action("call_started", 0, { call_id: "c1", officer_id: "kim", dialer: "sip" }));
  book.apply(action("call_answered", 2, { call_id: "c1" }));
  assert.equal(book.apply(action("call_ringing", 1, { call_id: "c1" })), false);
  assert.equal(book.get("e1", "kim").phase, "answered");
  assert.equal(book.get("e1", "kim").answeredAt, T0 + 2000);
  book.apply(action("call_ended", 5, { call_id: "c1", outcome: "answered", duration_s: 3 }));
  assert.equal(book.apply(action("call_ended", 6, { call_id: "c1", outcome: "failed" })), false);
  assert.equal(book.get("e1", "kim").outcome, "answered");
  assert.equal(book.apply(action("call_ringing", 1, { call_id: "never-started" })), false);
  assert.equal(book.apply({ action: "note", data: { call_id: "c1" } }), false);
  assert.equal(book.get("e1", "lee"), null);
  assert.equal(book.get("e2", "kim"), null, "a call is about one event");
});

test("the row shows the newest call, also when the history brings older ones after it", () => {
  const book = new CallBook();
  book.apply(action("call_started", 100, { call_id: "new", officer_id: "kim", dialer: "sip" }));
  book.apply(action("call_started", 0, { call_id: "old", officer_id: "kim", dialer: "sip" }));
  book.apply(action("call_ended", 10, { call_id: "old", outcome: "busy" }));
  assert.equal(book.get("e1", "kim").call_id, "new");
});

test("a failed call says why in red; a refused request says the server's words", () => {
  const book = new CallBook();
  book.request("e1", "park");
  const failed = book.answer("e1", "park", {
    call_id: "c9", status: "ended", dialer: "sip", outcome: "failed", duration_s: 0,
    reason: "cannot reach the office phone's control socket (baresip ctrl_tcp) at 127.0.0.1:4444",
  });
  const view = callView(failed, en, T0);
  assert.ok(view.error && !view.live);
  assert.equal(view.text, "Call failed: cannot reach the office phone's control socket (baresip ctrl_tcp) at 127.0.0.1:4444");
  book.refuse("e1", "choi", "calls are placed from the live board; a replay of the past places none (not_an_exercise)");
  const refused = callView(book.get("e1", "choi"), en, T0);
  assert.ok(refused.error);
  assert.match(refused.text, /^Could not call: .*not_an_exercise/);
  assert.equal(callView(null, en, T0).text, "");
});

test("tel calls are handed to the operator's phone; drills are logged, no phone rings", () => {
  const book = new CallBook();
  const tel = book.answer("e1", "kim", { call_id: "t1", status: "handed_off", dialer: "tel", tel_uri: "tel:+82200000001" });
  assert.equal(tel.phase, "handed_off");
  assert.equal(tel.tel_uri, "tel:+82200000001");
  assert.match(callView(tel, en, T0).text, /^Handed to your phone/);
  const drill = book.answer("e1", "lee", { call_id: "drill-1", dialer: "drill", status: "simulated", stream: "replay:x" });
  assert.equal(callView(drill, en, T0).text, "Ended: exercise — no phone rang");
  assert.equal(callEndedText({ outcome: "no_answer", duration_s: 0, reason: "" }, new Translator(catalogs, "ko")), "받지 않음");
});

test("the server's reason is said in the board's language when it names it, else in its words", () => {
  const ko = new Translator(catalogs, "ko");
  const coded = { outcome: "no_answer", duration_s: 0, reason: "no answer within 45 s", reason_code: "no_answer_timeout" };
  assert.equal(callEndedText(coded, ko), "받지 않음 · 제한 시간 안에 받지 않음");
  assert.equal(callEndedText(coded, en), "no answer · not answered in time");
  const unknown = { outcome: "failed", reason: "486 Busy Here from a PBX plugin", reason_code: "pbx_special" };
  assert.equal(reasonText(unknown, ko), "486 Busy Here from a PBX plugin", "no words for it: the server's own");
});

test("starting a call sends the token, the operator's name and the replay stream; a tel URI is opened", async (t) => {
  const sent = [];
  const opened = [];
  const answers = [
    new Response(JSON.stringify({ call_id: "t1", event_id: "e1", officer_id: "kim", dialer: "tel", status: "handed_off", tel_uri: "tel:+821012345678" }), { status: 202 }),
    new Response(JSON.stringify({ error: { code: "dialer_unreachable", message: "cannot reach", call: { call_id: "c2", status: "ended", outcome: "failed", reason: "cannot reach" } } }), { status: 502 }),
    new Response(JSON.stringify({ error: { code: "not_an_exercise", message: "a replay of the past places none" } }), { status: 409 }),
  ];
  t.mock.method(globalThis, "fetch", async (url, init) => {
    sent.push({ url, init });
    return answers.shift();
  });
  const ctx = (stream, actor) => ({ tr: () => en, now: () => T0, token: () => "op-token", actor: () => actor, stream, canAct: () => true, openTel: (u) => opened.push(u) });
  const live = new Calls(ctx("live", "박 주무관"));
  await live.start("e1", { id: "kim" });
  assert.equal(sent[0].url, "api/calls");
  assert.equal(sent[0].init.method, "POST");
  assert.equal(sent[0].init.headers.Authorization, "Bearer op-token");
  assert.equal(sent[0].init.headers["Content-Type"], "application/json");
  assert.deepEqual(JSON.parse(sent[0].init.body), { event_id: "e1", officer_id: "kim", actor: "박 주무관" });
  assert.deepEqual(opened, ["tel:+821012345678"]);
  assert.equal(live.book.get("e1", "kim").phase, "handed_off");

  await live.start("e1", { id: "park" });
  assert.equal(live.book.get("e1", "park").outcome, "failed", "a 502 is the failed call, on the record");

  const replay = new Calls(ctx("replay:flood", null));
  await replay.start("e1", { id: "lee" });
  assert.deepEqual(JSON.parse(sent[2].init.body), { event_id: "e1", officer_id: "lee", stream: "replay:flood" });
  assert.match(callView(replay.book.get("e1", "lee"), en, T0).text, /not_an_exercise/);
});

test("a call handed to the operator's phone is marked over with how it went, or without", async (t) => {
  const sent = [];
  const ended = (outcome, duration) => ({ call_id: "t1", dialer: "tel", status: "ended", outcome, duration_s: duration, reason: "marked ended by the operator" });
  const answers = [new Response(JSON.stringify(ended("no_answer", 0)), { status: 200 }), new Response(JSON.stringify(ended("handed_off", 42)), { status: 200 })];
  t.mock.method(globalThis, "fetch", async (url, init) => {
    sent.push({ url, init });
    return answers.shift();
  });
  const calls = new Calls({ tr: () => en, now: () => T0, token: () => null, actor: () => null, stream: "live", canAct: () => true, openTel: () => {} });
  const handOff = () => calls.book.answer("e1", "kim", { call_id: "t1", dialer: "tel", status: "handed_off", tel_uri: "tel:+8220000001" });

  await calls.hangup(handOff(), "no_answer");
  assert.equal(sent[0].url, "api/calls/t1/hangup");
  assert.deepEqual(JSON.parse(sent[0].init.body), { outcome: "no_answer" });
  assert.match(callView(calls.book.get("e1", "kim"), en, T0).text, /^Ended: no answer/);

  calls.book = new CallBook();
  await calls.hangup(handOff());
  assert.equal(sent[1].init.body, undefined, "“call over” without a choice sends no outcome");
  assert.equal(callView(calls.book.get("e1", "kim"), en, T0).text, "Ended: handed off · 0:42 · marked ended by the operator");
});
