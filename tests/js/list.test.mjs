// The windowed lists (frontend/js/list.js rowWindow): which rows are in the DOM for a scroll position.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OVERSCAN_ROWS, rowWindow } from "../../frontend/js/list.js";

test("at the top: the rows in view and the overscan below, from the first", () => {
  const [start, end] = rowWindow(5000, 0, 700, 100);
  assert.equal(start, 0);
  assert.ok(end >= 7 + OVERSCAN_ROWS, `view of 7 rows + overscan, got ${end}`);
  assert.ok(end < 40, `a window, not the list: ${end}`);
});

test("scrolled: the rows around the view, overscan on both sides", () => {
  const [start, end] = rowWindow(5000, 250_000, 700, 100); // row 2,500 at the top
  assert.equal(start, 2500 - OVERSCAN_ROWS);
  assert.ok(end >= 2507 + OVERSCAN_ROWS && end < 2540, `${end}`);
});

test("at the very end the last rows are all there, however far a stale position points", () => {
  for (const top of [499_300, 499_999, 10_000_000]) {
    const [start, end] = rowWindow(5000, top, 700, 100);
    assert.equal(end, 5000);
    assert.ok(start < 5000 - 7 && start >= 5000 - 40, `${start}`);
  }
});

test("short lists are drawn whole; an empty one is empty", () => {
  assert.deepEqual(rowWindow(12, 0, 700, 100), [0, 12]);
  assert.deepEqual(rowWindow(12, 5000, 700, 100), [0, 12]);
  assert.deepEqual(rowWindow(0, 0, 700, 100), [0, 0]);
});

test("rows shorter than the estimate still fill the view", () => {
  // the estimate is 100 px but rows are 70 px: 700 px need 10 rows after the first in view
  const [start, end] = rowWindow(5000, 10_000, 700, 100);
  assert.ok(end - Math.max(start, 100) >= 10, `${start}-${end}`);
});
