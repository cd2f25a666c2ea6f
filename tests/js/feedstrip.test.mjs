// The feed strip's logic (frontend/js/feedstrip.js): a feed's state and age, problems first, what counts as a problem.
import assert from "node:assert/strict";
import { test } from "node:test";

const { feedInfo, feedStateClass, isProblem, sortFeeds } = await import("../../frontend/js/feedstrip.js");

const NOW = Date.parse("2026-11-29T03:00:00Z");

test("a running feed with nothing new within its SLA is 'stale'; the record's other fields carry over", () => {
  const f = feedInfo({ name: "kma-cap", state: "ok", stale: true, last_error: "timeout", demo: false }, { now: NOW });
  assert.equal(f.state, "stale");
  assert.equal(f.stale, true);
  assert.equal(f.error, "timeout");
  assert.equal(feedInfo({ name: "x", state: "down", stale: true }, { now: NOW }).state, "down", "down stays down");
  assert.deepEqual(feedInfo({}, { now: NOW }), { name: "?", state: "unknown", ageMs: null, error: null, demo: false, stale: false });
});

test("a feed's age: from its last success in server time, else its reported age, still counting since it arrived", () => {
  assert.equal(feedInfo({ name: "a", state: "ok", last_success: "2026-11-29T02:59:00Z" }, { now: NOW }).ageMs, 60_000);
  const local = 5_000_000;
  const aged = feedInfo({ name: "b", state: "ok", age_seconds: 30 }, { now: NOW, localNow: local + 7000, feedsAt: local });
  assert.equal(aged.ageMs, 37_000);
  assert.equal(feedInfo({ name: "c", state: "ok", age_seconds: 30 }, { now: NOW, feedsAt: null }).ageMs, 30_000);
  assert.equal(feedInfo({ name: "d", state: "starting" }, { now: NOW }).ageMs, null, "never succeeded");
});

test("state colours: ok, warn (degraded, stale, starting), bad (down), else unknown", () => {
  assert.equal(feedStateClass("ok"), "ok");
  assert.equal(feedStateClass("Degraded"), "warn");
  assert.equal(feedStateClass("stale"), "warn");
  assert.equal(feedStateClass("starting"), "warn");
  assert.equal(feedStateClass("down"), "bad");
  assert.equal(feedStateClass("paused"), "unknown");
});

test("problems first so none is cut off the strip, then by name; a starting feed is not a problem", () => {
  const feeds = [
    { name: "a-ok", state: "ok" },
    { name: "z-down", state: "down" },
    { name: "b-starting", state: "starting" },
    { name: "c-weird", state: "paused" },
    { name: "a-down", state: "down" },
    { name: "m-stale", state: "stale" },
  ];
  assert.deepEqual(sortFeeds(feeds).map((f) => f.name), ["a-down", "z-down", "b-starting", "m-stale", "c-weird", "a-ok"]);
  assert.equal(feeds[0].name, "a-ok", "the input is left as it was");
  assert.deepEqual(feeds.filter(isProblem).map((f) => f.name), ["z-down", "a-down", "m-stale"]);
});
