// Unit tests of the board's replay helpers (frontend/js/replay.js) and the replay status in the
// stream state (frontend/js/stream.js): `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

const { densityHeights, drillCalls, positionFraction, replayName, searchForStream, speedLabel, streamFromParams, timeAtFraction } = await import(
  "../../frontend/js/replay.js"
);
const { BoardStream } = await import("../../frontend/js/stream.js");

const STATUS = { start: "2026-11-29T00:00:00Z", end: "2026-11-29T01:00:00Z", position: "2026-11-29T00:15:00Z", speed: 60 };

test("stream names: live by default, replay:<name> recognised, anything else is not a replay", () => {
  assert.equal(streamFromParams(new URLSearchParams("")), "live");
  assert.equal(streamFromParams(new URLSearchParams("stream=replay:drill1")), "replay:drill1");
  assert.equal(replayName("replay:drill1"), "drill1");
  assert.equal(replayName("live"), null);
  assert.equal(replayName("replay:Bad Name"), null);
  assert.equal(replayName("replay:"), null);
});

test("switching streams keeps the other query parameters", () => {
  assert.equal(searchForStream("?lang=en&stream=replay:a", "live"), "?lang=en");
  assert.equal(searchForStream("?lang=en", "replay:b"), "?lang=en&stream=replay%3Ab");
  assert.equal(searchForStream("?stream=replay:a", "live"), "");
});

test("position and seek times map onto the recording's span", () => {
  assert.equal(positionFraction(STATUS), 0.25);
  assert.equal(positionFraction({ ...STATUS, position: null }), 0);
  assert.equal(positionFraction({ ...STATUS, position: "2026-11-29T02:00:00Z" }), 1);
  assert.equal(positionFraction({}), 0);
  assert.equal(timeAtFraction(STATUS, 0.5), "2026-11-29T00:30:00.000Z");
  assert.equal(timeAtFraction(STATUS, -1), "2026-11-29T00:00:00.000Z");
  assert.equal(timeAtFraction(STATUS, 7), "2026-11-29T01:00:00.000Z");
  assert.equal(timeAtFraction({}, 0.5), null);
});

test("speed labels and density heights", () => {
  assert.equal(speedLabel(60), "60×");
  assert.equal(speedLabel(0), "max");
  assert.equal(speedLabel(0, { t: (k) => `<${k}>` }), "<replay.speedMax>");
  assert.deepEqual(densityHeights([0, 2, 4]), [0, 0.5, 1]);
  assert.deepEqual(densityHeights([0, 0]), [0, 0]);
  assert.deepEqual(densityHeights(null), []);
});

test("a drill's calls: real phones only when the drill says so", () => {
  assert.equal(drillCalls({ exercise: true, real_calls: true }), "real");
  assert.equal(drillCalls({ exercise: true, real_calls: false }), "simulated");
  assert.equal(drillCalls({ exercise: true }), "simulated", "an older server: drills simulate");
  assert.equal(drillCalls({ exercise: false, real_calls: true }), null, "a review of the past places no calls");
  assert.equal(drillCalls(null), null);
});

test("the stream keeps the replay status from welcome and from `replay` messages", () => {
  const s = new BoardStream({ stream: "replay:drill1" });
  assert.deepEqual(s.helloMessage().stream, "replay:drill1");
  let change = s.handle({ v: 1, type: "welcome", epoch: "e1", head: 0, mode: "snapshot", replay: { state: "playing", speed: 1, exercise: true } });
  assert.equal(change.replay, true);
  assert.equal(s.replay.exercise, true);
  change = s.handle({ v: 1, type: "replay", status: { state: "paused", speed: 10, position: STATUS.position } });
  assert.equal(change.replay, true);
  assert.equal(s.replay.state, "paused");
  const live = new BoardStream();
  live.handle({ v: 1, type: "welcome", epoch: "e2", head: 0, mode: "snapshot", replay: null });
  assert.equal(live.replay, null);
});

test("a new epoch after a seek (close 4009) drops what was held: no duplicates across histories", () => {
  const s = new BoardStream({ stream: "replay:drill1" });
  const ev = (id) => ({ event_id: id, source: "t", kind: "traffic", severity: "minor", status: "active", sent_at: "2026-11-29T00:00:00Z" });
  s.handle({ v: 1, type: "welcome", epoch: "e1", head: 3, mode: "snapshot" });
  s.handle({ v: 1, type: "snapshot", seq: 3, events: [ev("t:1"), ev("t:2"), ev("t:3")] });
  assert.equal(s.events.size, 3);
  assert.deepEqual(s.helloMessage().resume, { epoch: "e1", after_seq: 3 });
  const change = s.handle({ v: 1, type: "welcome", epoch: "e2", head: 1, mode: "snapshot" });
  assert.equal(change.reset, true);
  assert.equal(s.events.size, 0);
  s.handle({ v: 1, type: "snapshot", seq: 1, events: [ev("t:1")] });
  assert.deepEqual([...s.events.keys()], ["t:1"]);
});
