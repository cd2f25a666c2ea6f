// Work too big for one task (a 5,000-event snapshot's markers) done in slices of a few milliseconds,
// with the browser free to paint and take input between them. No DOM: `node --test`.

export const SLICE_MS = 12; // per slice, before the slice's own commit: tasks stay well under 50 ms

/** Run `fn` in a later task, after the browser had its turn (scheduler.postTask where there is one). */
export function later(fn) {
  if (globalThis.scheduler?.postTask) globalThis.scheduler.postTask(fn);
  else setTimeout(fn, 0);
}

/**
 * A queue worked off in slices: `work(item)` for each item, as many as fit in `budgetMs`, then
 * `done()` once per slice (to commit what the slice built), then the rest in a later task.
 */
export class Backlog {
  constructor({ work, done = () => {}, budgetMs = SLICE_MS, now = () => performance.now(), schedule = later }) {
    this.work = work;
    this.done = done;
    this.budgetMs = budgetMs;
    this.now = now;
    this.schedule = schedule;
    this.items = [];
    this.head = 0; // items before it are done (an index, not shift(): thousands of items)
    this.scheduled = false;
  }

  /** Items not worked yet. */
  get size() {
    return this.items.length - this.head;
  }

  /** Queue items; the first slice runs in a later task. */
  push(items) {
    for (const item of items) this.items.push(item);
    if (this.size && !this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this._slice());
    }
  }

  /** Forget what is queued (a newer rebuild replaces it). */
  clear() {
    this.items = [];
    this.head = 0;
  }

  _slice() {
    this.scheduled = false;
    if (!this.size) return;
    const until = this.now() + this.budgetMs;
    do {
      this.work(this.items[this.head]);
      this.head += 1;
    } while (this.head < this.items.length && this.now() < until);
    if (!this.size) this.clear();
    this.done();
    this.push([]);
  }
}
