// Backlog (frontend/js/chunks.js): big jobs in slices of bounded time, nothing done twice or lost.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Backlog } from "../../frontend/js/chunks.js";

/** A backlog on a fake clock where each item costs `costMs`, with slices run by hand. */
function setup(costMs, budgetMs = 10) {
  let clock = 0;
  const tasks = [];
  const worked = [];
  const slices = [];
  const backlog = new Backlog({
    budgetMs,
    now: () => clock,
    schedule: (fn) => tasks.push(fn),
    work: (item) => {
      clock += costMs;
      worked.push(item);
    },
    done: () => slices.push(worked.length),
  });
  const runOne = () => tasks.shift()();
  return { backlog, tasks, worked, slices, runOne };
}

test("items are worked in slices that stop once the budget is spent, each in its own task", () => {
  const { backlog, tasks, worked, slices, runOne } = setup(3);
  backlog.push([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(worked.length, 0, "nothing runs in the task that queued the work");
  assert.equal(tasks.length, 1);
  runOne();
  assert.deepEqual(worked, [1, 2, 3, 4], "3 ms each: the fourth crosses 10 ms, then the slice ends");
  assert.equal(backlog.size, 6);
  while (tasks.length) runOne();
  assert.deepEqual(worked, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(slices, [4, 8, 10], "done() after every slice");
  assert.equal(backlog.size, 0);
});

test("an item slower than the budget still makes progress, one per slice", () => {
  const { backlog, tasks, worked, runOne } = setup(50);
  backlog.push(["a", "b"]);
  runOne();
  assert.deepEqual(worked, ["a"]);
  runOne();
  assert.deepEqual(worked, ["a", "b"]);
  assert.equal(tasks.length, 0);
});

test("clear() drops what waits; items pushed while slices run join the same queue, once scheduled", () => {
  const { backlog, tasks, worked, runOne } = setup(6);
  backlog.push([1, 2, 3, 4]);
  runOne(); // 1, 2
  backlog.clear();
  backlog.push([9]);
  assert.equal(tasks.length, 1, "one pending slice, not two");
  runOne();
  assert.deepEqual(worked, [1, 2, 9]);
  assert.equal(tasks.length, 0);
});
