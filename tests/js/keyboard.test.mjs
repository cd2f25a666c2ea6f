// The board's keys (frontend/js/keyboard.js): what each key does, what Esc closes, row movement.
import assert from "node:assert/strict";
import { test } from "node:test";

const { escapeAction, keyCommand, rowStep } = await import("../../frontend/js/keyboard.js");

test("keys of docs/board.md; none with Ctrl, Alt or Meta (the browser's own shortcuts)", () => {
  const cases = { "/": "search", l: "language", L: "language", s: "sound", S: "sound", ArrowDown: "down", j: "down", ArrowUp: "up", k: "up", Enter: "open", " ": "open", x: null };
  for (const [key, command] of Object.entries(cases)) assert.equal(keyCommand({ key }), command, key);
  assert.equal(keyCommand({ key: "l", ctrlKey: true }), null);
  assert.equal(keyCommand({ key: "s", metaKey: true }), null);
  assert.equal(keyCommand({ key: "/", altKey: true }), null);
});

test("a kiosk wall has no search and no sound switch, but still switches language", () => {
  assert.equal(keyCommand({ key: "/" }, { kiosk: true }), null);
  assert.equal(keyCommand({ key: "s" }, { kiosk: true }), null);
  assert.equal(keyCommand({ key: "L" }, { kiosk: true }), "language");
});

test("Esc closes the directory when pressed in it or when it is the only panel, else the detail panel, else leaves the search", () => {
  const base = { directoryOpen: false, inDirectory: false, detailOpen: false, inSearch: false };
  assert.equal(escapeAction({ ...base, directoryOpen: true }), "directory");
  assert.equal(escapeAction({ ...base, directoryOpen: true, detailOpen: true }), "detail", "both open, pressed elsewhere: the detail panel");
  assert.equal(escapeAction({ ...base, directoryOpen: true, detailOpen: true, inDirectory: true }), "directory");
  assert.equal(escapeAction({ ...base, detailOpen: true, inSearch: true }), "detail");
  assert.equal(escapeAction({ ...base, inSearch: true }), "search");
  assert.equal(escapeAction(base), null);
});

test("row movement starts at the first row and stops at both ends", () => {
  assert.equal(rowStep(5, -1, true), 0);
  assert.equal(rowStep(5, -1, false), 0);
  assert.equal(rowStep(5, 2, true), 3);
  assert.equal(rowStep(5, 2, false), 1);
  assert.equal(rowStep(5, 4, true), 4);
  assert.equal(rowStep(5, 0, false), 0);
});
