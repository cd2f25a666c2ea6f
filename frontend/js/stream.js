// The board's view of the stream, with no DOM and no I/O: it takes parsed server messages and
// keeps what the wall shows (epoch, last seq, active events, their workflows, feeds), so it can be
// unit-tested with `node --test` and reused by any client. The socket lives in connection.js.
// Protocol: docs/protocol.md.

import { SituationStore } from "./situations.js";
import { applyAction } from "./workflow.js";

export const PROTOCOL_VERSION = 1;

/** Reconnect backoff: 1 s, 2 s, 4 s ... capped at 30 s, each with ±25 % jitter (never under 1 s). */
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_CAP_MS = 30000;

/**
 * How long to wait before reconnect attempt number `attempt` (0 for the first retry).
 * Jitter spreads a room of walls so they do not all knock on a restarted server at once.
 */
export function backoffDelay(attempt, random = Math.random) {
  const exp = Math.min(Math.max(0, attempt), 30);
  const base = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** exp);
  const jittered = base * (0.75 + 0.5 * random());
  return Math.round(Math.min(BACKOFF_CAP_MS, Math.max(BACKOFF_BASE_MS, jittered)));
}

/** The time an event last changed, in ms since the epoch; the list is sorted on it. */
export function eventTime(ev) {
  const t = Date.parse(ev.updated_at ?? ev.sent_at ?? ev.received_at ?? "");
  return Number.isNaN(t) ? 0 : t;
}

/** Newest change first; ties broken by id so the order never flickers. */
export function compareNewestFirst(a, b) {
  const d = eventTime(b) - eventTime(a);
  if (d !== 0) return d;
  return a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0;
}

const MAX_NOTICES = 50;
// Highest version seen per event id, active or not, so a late older version cannot resurrect a
// cancelled event; bounded so a wall running for weeks does not grow without end.
const MAX_VERSIONS_REMEMBERED = 50000;
// Workflows of events that left the live view are kept (for the time-to-acknowledge figure) up to
// this many; those of active events are always kept.
const MAX_WORKFLOWS_REMEMBERED = 20000;

function emptyChange(type) {
  return {
    type,
    reset: false, // everything was replaced (snapshot or epoch change): redraw the whole list
    loading: false, // a later part of a snapshot: its events are upserted, but they are not news
    upserted: [], // event ids added or updated in the active view
    removed: [], // event ids that left the active view
    duplicates: 0, // entries ignored because their seq was already processed
    stale: 0, // events ignored because a newer version was already held
    feeds: false, // feed health changed
    notices: [], // notice bodies that arrived
    actions: [], // action bodies that arrived
    workflows: [], // event ids whose workflow changed (not filled on reset: everything changed)
    applied: [], // {ev, prev}: every event body applied, any status, with the active one it replaced
    result: null, // a `result` message (an action was logged)
    error: null, // an `error` message's body
    replay: false, // the replay player's status changed (welcome.replay or a `replay` message)
    situations: null, // what a `situations` message changed (situations.js SituationStore.apply)
  };
}

/** The state a board holds for one stream. Feed it every parsed message through `handle`. */
export class BoardStream {
  constructor({ stream = "live" } = {}) {
    this.stream = stream;
    this.epoch = null;
    this.lastSeq = 0;
    this.events = new Map(); // event_id -> latest active version
    this.versions = new Map(); // event_id -> highest version seen (active or not)
    this.workflows = new Map(); // event_id -> workflow {state, acked_at, ...} (server/stream/workflow.py)
    this.situations = new SituationStore(); // the server's situations and complaint clusters
    this.feeds = [];
    this.feedsAt = null;
    this.log = null; // {ok, problem}: whether the server can read and write its log right now
    this.notices = [];
    this.city = null;
    this.demo = false;
    this.mode = null; // "resume" | "snapshot" from the last welcome
    this.serverHead = 0;
    this.serverTimeOffsetMs = 0; // server clock minus ours, from welcome/pong
    this.limits = null;
    this.truncated = false;
    this.lastError = null;
    this.lastMessageAt = null;
    this.duplicatesIgnored = 0;
    this.epochChanges = 0;
    this.replay = null; // on a replay stream: the player's status {state, speed, position, ...}
    this.role = null; // "viewer" | "operator" | "admin" from the welcome; null from an older server
    this.publicRules = null; // the public stream's {delay_minutes, grid_meters}, told to citizens
    this.snapshotPart = null; // {seq, next, parts} while a snapshot's parts arrive
  }

  /** The `hello` to send on (re)connect: it asks to resume when we already hold a history. */
  helloMessage({ token = null, filter = null } = {}) {
    const msg = { v: PROTOCOL_VERSION, type: "hello", stream: this.stream };
    const resume = this.resumePayload();
    if (resume) msg.resume = resume;
    if (token) msg.token = token;
    if (filter) msg.filter = filter;
    return msg;
  }

  /** `{epoch, after_seq}` once we hold a history, else null (a first connect takes a snapshot). */
  resumePayload() {
    // half a snapshot is no history to resume from: a reconnect asks for a whole one
    if (this.epoch === null || this.snapshotPart) return null;
    return { epoch: this.epoch, after_seq: this.lastSeq };
  }

  /** Drop everything held: the history it belonged to is gone. */
  reset() {
    this.lastSeq = 0;
    this.events.clear();
    this.versions.clear();
    this.workflows.clear();
    this.feeds = [];
    this.notices = [];
    this.truncated = false;
    this.snapshotPart = null;
    this.situations.reset();
  }

  /**
   * Apply one parsed server message; returns what changed so a view can update incrementally.
   * `now` (ms) is injectable for tests; every message counts as liveness.
   */
  handle(msg, now = Date.now()) {
    this.lastMessageAt = now;
    const type = msg && typeof msg === "object" ? msg.type : undefined;
    const change = emptyChange(type);
    switch (type) {
      case "welcome":
        this._welcome(msg, change, now);
        break;
      case "snapshot":
        this._snapshot(msg, change, now);
        break;
      case "batch":
        this._batch(msg, change);
        break;
      case "feeds":
        this.feeds = Array.isArray(msg.health) ? msg.health : [];
        this.log = msg.log && typeof msg.log === "object" ? msg.log : null;
        this.feedsAt = now;
        change.feeds = true;
        break;
      case "error":
        this.lastError = { code: msg.code, message: msg.message, ref: msg.ref ?? null };
        change.error = this.lastError;
        break;
      case "replay":
        this.replay = msg.status && typeof msg.status === "object" ? msg.status : null;
        change.replay = true;
        break;
      case "situations":
        change.situations = this.situations.apply(msg);
        break;
      case "pong":
        this._serverTime(msg.server_time, now);
        break;
      case "result":
        change.result = { ref: msg.ref ?? null, seq: Number(msg.seq) || null };
        break;
      default:
        // `result` and types from a newer server: liveness only.
        break;
    }
    return change;
  }

  _serverTime(serverTime, now) {
    const t = Date.parse(serverTime ?? "");
    if (!Number.isNaN(t)) this.serverTimeOffsetMs = t - now;
  }

  _welcome(msg, change, now) {
    if (this.epoch !== null && msg.epoch !== this.epoch) {
      // Another history (database lost or restored): never mix the two.
      this.reset();
      this.epochChanges += 1;
      change.reset = true;
    }
    this.epoch = msg.epoch ?? null;
    this.serverHead = Number(msg.head) || 0;
    this.city = msg.city ?? this.city;
    this.demo = Boolean(msg.demo);
    this.mode = msg.mode ?? null;
    this.limits = msg.limits ?? null;
    this.role = typeof msg.role === "string" ? msg.role : null;
    this.publicRules = msg.public && typeof msg.public === "object" ? msg.public : null;
    this.replay = msg.replay && typeof msg.replay === "object" ? msg.replay : null;
    change.replay = true;
    this._serverTime(msg.server_time, now);
  }

  /**
   * A snapshot arrives in parts (`part` of `parts`; one without them is whole): the first replaces
   * everything, the others add their events; the board resumes from its seq only once the last
   * part is in. A part that does not follow the one before is ignored.
   */
  _snapshot(msg, change, now) {
    const part = Number(msg.part) || 0;
    const parts = Math.max(1, Number(msg.parts) || 1);
    const seq = Number(msg.seq) || 0;
    const held = this.snapshotPart;
    if (part > 0 && (!held || held.seq !== seq || held.next !== part)) return;
    const list = Array.isArray(msg.events) ? msg.events : [];
    if (part === 0) {
      this.events.clear();
      this.versions.clear();
      this.truncated = Boolean(msg.truncated);
      // Workflows of the snapshot's events, consistent with its seq; those held for events that
      // already left the view stay (the history they describe has not changed).
      if (msg.workflows && typeof msg.workflows === "object") {
        for (const [id, flow] of Object.entries(msg.workflows)) {
          if (flow && typeof flow === "object") this.workflows.set(id, flow);
        }
      }
      if (Array.isArray(msg.feeds)) {
        this.feeds = msg.feeds;
        this.feedsAt = now;
        change.feeds = true;
      }
      change.reset = true;
    } else {
      change.loading = true;
    }
    for (const ev of list) {
      if (!ev || typeof ev.event_id !== "string") continue;
      const version = ev.version ?? 1;
      const known = this.versions.get(ev.event_id);
      if (known !== undefined && known > version) continue;
      this._rememberVersion(ev.event_id, version);
      const active = (ev.status ?? "active") === "active";
      if (active) this.events.set(ev.event_id, ev);
      else this.events.delete(ev.event_id);
      if (part > 0 && active) {
        change.upserted.push(ev.event_id);
        change.applied.push({ ev, prev: null });
      }
    }
    this.snapshotPart = part + 1 < parts ? { seq, next: part + 1, parts } : null;
    if (this.snapshotPart) return;
    this.lastSeq = seq;
    this.serverHead = Math.max(this.serverHead, this.lastSeq);
  }

  _batch(msg, change) {
    const entries = Array.isArray(msg.entries) ? msg.entries : [];
    for (const entry of entries) {
      const seq = Number(entry?.seq);
      if (!Number.isFinite(seq)) continue;
      if (entry.epoch && this.epoch && entry.epoch !== this.epoch) continue; // not our history
      if (seq <= this.lastSeq) {
        change.duplicates += 1;
        this.duplicatesIgnored += 1;
        continue;
      }
      this.lastSeq = seq;
      this._apply(entry, change);
    }
    // `head` is the last seq the server considered for us, filtered or not: resume from there.
    const head = Number(msg.head);
    if (Number.isFinite(head) && head > this.lastSeq) this.lastSeq = head;
    this.serverHead = Math.max(this.serverHead, this.lastSeq);
  }

  _apply(entry, change) {
    const body = entry.body;
    if (!body || typeof body !== "object") return;
    if (entry.type === "event") {
      this._applyEvent(body, change);
    } else if (entry.type === "notice") {
      this.notices.unshift(body);
      if (this.notices.length > MAX_NOTICES) this.notices.length = MAX_NOTICES;
      change.notices.push(body);
    } else if (entry.type === "action") {
      change.actions.push(body);
      if (typeof body.event_id === "string") {
        const id = body.event_id;
        const next = applyAction(this.workflows.get(id), body);
        this.workflows.delete(id); // re-insert: the map's order is least recently acted on first
        this.workflows.set(id, next);
        change.workflows.push(id);
        this._boundWorkflows();
      }
    }
  }

  _applyEvent(ev, change) {
    if (typeof ev.event_id !== "string") return;
    const id = ev.event_id;
    const version = Number(ev.version ?? 1);
    const held = this.versions.get(id);
    if (held !== undefined && version < held) {
      change.stale += 1; // an older version never replaces a newer one
      return;
    }
    this._rememberVersion(id, version);
    change.applied.push({ ev, prev: this.events.get(id) ?? null });
    if ((ev.status ?? "active") === "active") {
      this.events.set(id, ev);
      change.upserted.push(id);
    } else if (this.events.delete(id)) {
      change.removed.push(id);
    }
  }

  _rememberVersion(id, version) {
    this.versions.delete(id); // re-insert so the map's order is least recently changed first
    this.versions.set(id, version);
    if (this.versions.size > MAX_VERSIONS_REMEMBERED) {
      for (const key of this.versions.keys()) {
        if (this.events.has(key)) continue;
        this.versions.delete(key);
        if (this.versions.size <= MAX_VERSIONS_REMEMBERED) break;
      }
    }
  }

  _boundWorkflows() {
    if (this.workflows.size <= MAX_WORKFLOWS_REMEMBERED) return;
    for (const key of this.workflows.keys()) {
      if (this.events.has(key)) continue;
      this.workflows.delete(key);
      if (this.workflows.size <= MAX_WORKFLOWS_REMEMBERED) break;
    }
  }

  /** The workflow of an event, or null when nobody has acted on it. */
  workflow(id) {
    return this.workflows.get(id) ?? null;
  }

  /** The active events, newest change first. */
  activeSorted() {
    return [...this.events.values()].sort(compareNewestFirst);
  }

  /** Active events per kind, e.g. {disaster: 3, traffic: 5}. */
  countsByKind() {
    const counts = {};
    for (const ev of this.events.values()) counts[ev.kind] = (counts[ev.kind] ?? 0) + 1;
    return counts;
  }

  /** Milliseconds since the last message of any kind, or Infinity before the first one. */
  silenceMs(now = Date.now()) {
    return this.lastMessageAt === null ? Infinity : now - this.lastMessageAt;
  }
}
