// An event's history as lines (frontend/js/history.js) and the icon set (frontend/js/icons.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { categoriesOfEventsPy } from "./vocabulary.mjs";

const { callPeer, changedFields, historyItems } = await import("../../frontend/js/history.js");
const { CATEGORY_ICONS, ICONS, iconFor, spriteMarkup } = await import("../../frontend/js/icons.js");

const v1 = { event_id: "t:a", version: 1, severity: "moderate", status: "active", title: "a", sent_at: "2026-11-29T09:00:00Z" };
const v2 = { ...v1, version: 2, severity: "extreme", title: "b", updated_at: "2026-11-29T09:05:00Z" };
const v3 = { ...v2, version: 3, status: "cancelled", updated_at: "2026-11-29T09:09:00Z" };

test("versions say what changed; actions say who did what", () => {
  const items = historyItems([
    { seq: 1, at: "x", type: "event", body: v1 },
    { seq: 2, at: "y", type: "action", body: { action: "ack", actor: "board", at: "2026-11-29T09:01:00Z", data: {} } },
    { seq: 3, at: "z", type: "event", body: v2 },
    { seq: 4, at: "z", type: "event", body: { ...v2, version: 3, received_at: "later" } },
    { seq: 5, at: "w", type: "event", body: v3 },
    null,
  ]);
  assert.equal(items.length, 5);
  assert.equal(items[0].kind, "version");
  assert.ok(items[0].first);
  assert.deepEqual(items[0].changed, []);
  assert.equal(items[1].kind, "action");
  assert.equal(items[1].action, "ack");
  assert.deepEqual(items[2].changed, ["severity", "title"]);
  assert.deepEqual(items[2].from, { severity: "moderate", status: "active" });
  assert.deepEqual(items[3].changed, [], "a re-send with nothing visible changed");
  assert.deepEqual(items[4].changed, ["status"]);
  assert.deepEqual(changedFields(null, v1), []);
  assert.deepEqual(historyItems(undefined), []);
});

test("a situation's story diffs each member against its own last version and marks members", () => {
  const other1 = { ...v1, event_id: "t:b", severity: "minor", title: "b" };
  const other2 = { ...other1, version: 2, severity: "severe" };
  const items = historyItems(
    [
      { seq: 1, at: "a", type: "event", body: v1 },
      { seq: 2, at: "b", type: "event", body: other1 },
      { seq: 3, at: "c", type: "event", body: v2 },
      { seq: 4, at: "d", type: "event", body: other2 },
      { seq: 5, at: "e", type: "action", body: { action: "situation_rename", event_id: "situation:x", actor: "board", data: { title: "t" } } },
    ],
    "situation:x",
  );
  assert.deepEqual(items.map((i) => i.first), [true, true, false, false, undefined]);
  assert.deepEqual(items[2].changed, ["severity", "title"], "v2 against v1, not against b");
  assert.deepEqual(items[3].changed, ["severity"]);
  assert.deepEqual(items[3].from, { severity: "minor", status: "active" });
  assert.ok(items.slice(0, 4).every((i) => i.member));
  assert.equal(historyItems([{ seq: 1, at: "a", type: "event", body: v1 }], "t:a")[0].member, false);
});

test("call lines use whatever the dialer recorded, and each call_* line knows whom its call was with", () => {
  assert.equal(callPeer({ officer_name: "김철수", officer_name_en: "Kim Cheol-su", officer_id: "o1" }), "김철수");
  assert.equal(callPeer({ officer_name: "김철수", officer_name_en: "Kim Cheol-su" }, "en"), "Kim Cheol-su");
  assert.equal(callPeer({ officer_name: "김철수" }, "en"), "김철수", "no English name: the Korean one");
  assert.equal(callPeer({ officer_id: "o1" }), "o1");
  assert.equal(callPeer(null), "");
  const started = { call_id: "c1", officer_id: "kim", officer_name: "김민지" };
  const items = historyItems([
    { seq: 1, at: "a", type: "event", body: v1 },
    { seq: 2, at: "b", type: "action", body: { action: "call_started", actor: "박 주무관", data: started } },
    { seq: 3, at: "c", type: "action", body: { action: "call_ringing", actor: "dialer:sip", data: { call_id: "c1" } } },
    { seq: 4, at: "d", type: "action", body: { action: "call_ended", actor: "dialer:sip", data: { call_id: "c1", outcome: "busy" } } },
    { seq: 5, at: "e", type: "action", body: { action: "call_ended", actor: "dialer:sip", data: { call_id: "unseen" } } },
    { seq: 6, at: "f", type: "action", body: { action: "note", actor: "board", data: { text: "x" } } },
  ]);
  assert.deepEqual(items.slice(1).map((i) => i.call), [started, started, started, null, null]);
  assert.equal(items[1].actor, "박 주무관");
});

test("every category of server/stream/events.py has an icon, and every icon exists", () => {
  const seen = categoriesOfEventsPy().map(([kind, sub]) => `${kind}.${sub}`);
  assert.ok(seen.length > 40);
  for (const cat of seen) assert.ok(CATEGORY_ICONS[cat], `no icon for ${cat}`);
  for (const name of Object.values(CATEGORY_ICONS)) assert.ok(ICONS[name], `missing icon ${name}`);
  assert.equal(iconFor("traffic.unknown", "traffic"), "car");
  assert.equal(iconFor(undefined, undefined), "alert");
  const sprite = spriteMarkup();
  for (const name of Object.keys(ICONS)) assert.ok(sprite.includes(`id="i-${name}"`));
  assert.ok(!/NaN|undefined/.test(sprite));
});
