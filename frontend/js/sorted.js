// Active events kept sorted newest-change-first per kind, updated one event at a time, so a burst
// of entries costs a binary search each instead of re-sorting thousands of events per frame.

import { eventTime } from "./stream.js";

/** Sort key of an event: later change first, then event id ascending (the list never flickers). */
function before(aTime, aId, bTime, bId) {
  if (aTime !== bTime) return aTime > bTime;
  return aId < bId;
}

export class SortedEvents {
  constructor() {
    this.items = []; // [{id, time, ev}] newest first
    this.keys = new Map(); // id -> item
  }

  get size() {
    return this.items.length;
  }

  _position(time, id) {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const it = this.items[mid];
      if (before(it.time, it.id, time, id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Add or replace an event (by id). */
  upsert(ev) {
    const id = ev.event_id;
    const time = eventTime(ev);
    const held = this.keys.get(id);
    if (held) {
      if (held.time === time) {
        held.ev = ev;
        return;
      }
      this.remove(id);
    }
    const item = { id, time, ev };
    this.items.splice(this._position(time, id), 0, item);
    this.keys.set(id, item);
  }

  remove(id) {
    const held = this.keys.get(id);
    if (!held) return false;
    const at = this._position(held.time, held.id);
    if (this.items[at] === held) this.items.splice(at, 1);
    else this.items.splice(this.items.indexOf(held), 1); // not reached while keys are consistent
    this.keys.delete(id);
    return true;
  }

  has(id) {
    return this.keys.has(id);
  }

  /** Replace everything (after a snapshot). */
  reset(events) {
    this.items = [];
    this.keys.clear();
    for (const ev of events) {
      const item = { id: ev.event_id, time: eventTime(ev), ev };
      this.items.push(item);
      this.keys.set(item.id, item);
    }
    this.items.sort((a, b) => b.time - a.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)); // before(), as a comparator
  }

  /** Events newest first. */
  *[Symbol.iterator]() {
    for (const it of this.items) yield it.ev;
  }

  /** The first `limit` events that `match`, and how many match in all. */
  take(match, limit) {
    const shown = [];
    let total = 0;
    for (const it of this.items) {
      if (!match(it.ev)) continue;
      total += 1;
      if (shown.length < limit) shown.push(it.ev);
    }
    return { shown, total };
  }
}

/** One SortedEvents per kind, fed from the stream's changes. */
export class EventIndex {
  constructor() {
    this.byKind = new Map();
    this.kindOf = new Map();
  }

  kind(kind) {
    let list = this.byKind.get(kind);
    if (!list) {
      list = new SortedEvents();
      this.byKind.set(kind, list);
    }
    return list;
  }

  upsert(ev) {
    const kind = String(ev.kind ?? "system");
    const old = this.kindOf.get(ev.event_id);
    if (old !== undefined && old !== kind) this.kind(old).remove(ev.event_id);
    this.kind(kind).upsert(ev);
    this.kindOf.set(ev.event_id, kind);
  }

  remove(id) {
    const kind = this.kindOf.get(id);
    if (kind === undefined) return;
    this.kind(kind).remove(id);
    this.kindOf.delete(id);
  }

  reset(events) {
    const groups = new Map();
    for (const ev of events) {
      const kind = String(ev.kind ?? "system");
      if (!groups.has(kind)) groups.set(kind, []);
      groups.get(kind).push(ev);
    }
    this.kindOf.clear();
    for (const list of this.byKind.values()) list.reset([]);
    for (const [kind, list] of groups) {
      this.kind(kind).reset(list);
      for (const ev of list) this.kindOf.set(ev.event_id, kind);
    }
  }
}
