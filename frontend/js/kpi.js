// The figures on the wall's KPI tiles, the map's district load and the kiosk's focus list, as pure
// functions over what the board holds. `node --test tests/js/` covers the maths.

import { stateOf } from "./workflow.js";

export const HOUR_MS = 3600 * 1000;
export const DAY_MS = 24 * HOUR_MS;
export const SEVERITY_RANK = { info: 0, minor: 1, moderate: 2, severe: 3, extreme: 4 };
export const ALERT_SEVERITIES = ["extreme", "severe"];

const always = () => true;

export function severityRank(sev) {
  return SEVERITY_RANK[sev] ?? 0;
}

/** When the source first said it: sent_at, else received_at (ms), or NaN. */
export function sentTime(ev) {
  return Date.parse(ev?.sent_at ?? ev?.received_at ?? "");
}

/** Median of numbers (mean of the middle two for an even count), or null for none. */
export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Active events per kind and severity: {total, bySeverity: {...}, byKind: {kind: {total, bySeverity}}}. */
export function activeCounts(events, match = always) {
  const out = { total: 0, bySeverity: {}, byKind: {} };
  for (const ev of events) {
    if (!match(ev)) continue;
    out.total += 1;
    const sev = ev.severity ?? "info";
    out.bySeverity[sev] = (out.bySeverity[sev] ?? 0) + 1;
    const k = (out.byKind[ev.kind] ??= { total: 0, bySeverity: {} });
    k.total += 1;
    k.bySeverity[sev] = (k.bySeverity[sev] ?? 0) + 1;
  }
  return out;
}

/** Active complaints whose handling is not resolved. */
export function complaintsOpen(events, workflowOf = () => null, match = always) {
  let n = 0;
  for (const ev of events) {
    if (ev.kind !== "complaint" || !match(ev)) continue;
    if (stateOf(workflowOf(ev.event_id)) !== "resolved") n += 1;
  }
  return n;
}

/**
 * Median time to acknowledge: acked_at − the event's sent_at, over events acknowledged within
 * `windowMs` before `now`. `workflows` is an iterable of [event_id, workflow]; `sentAtOf(id)` gives
 * the event's first sent time in ms (NaN when unknown: the event is left out). A negative gap (the
 * source's clock ahead of ours) counts as zero. Returns {median, n}.
 */
export function medianTimeToAck(workflows, sentAtOf, { now = Date.now(), windowMs = DAY_MS, include = always } = {}) {
  const gaps = [];
  for (const [id, wf] of workflows) {
    if (!wf || !wf.acked_at) continue;
    const acked = Date.parse(wf.acked_at);
    if (Number.isNaN(acked) || acked < now - windowMs || acked > now + 60_000) continue;
    if (!include(id)) continue;
    const sent = sentAtOf(id);
    if (!Number.isFinite(sent)) continue;
    gaps.push(Math.max(0, acked - sent));
  }
  return { median: median(gaps), n: gaps.length };
}

/**
 * The workflows the time to acknowledge counts: the live store's, then those the 24 h look-back
 * found (GET /api/events?workflows=1) for events the store does not hold — e.g. ended before the
 * page loaded. An event both know counts once, as the store has it (the newer word).
 */
export function* withPastWorkflows(live, past) {
  yield* live;
  for (const [id, wf] of past) if (!live.has(id)) yield [id, wf];
}

/**
 * Every event the board has seen (active or ended) by id, with its first sent time, for "new in
 * the last hour" and the 24 h sparklines. Bounded: entries older than `keepMs` are pruned.
 */
export class Timeline {
  constructor({ keepMs = DAY_MS + HOUR_MS, maxEntries = 60000 } = {}) {
    this.keepMs = keepMs;
    this.maxEntries = maxEntries;
    this.items = new Map(); // id -> {ev (latest body), sent (ms, first seen)}
  }

  get size() {
    return this.items.size;
  }

  add(ev) {
    if (!ev || typeof ev.event_id !== "string") return;
    const sent = sentTime(ev);
    const held = this.items.get(ev.event_id);
    if (held) {
      held.ev = ev;
      if (Number.isFinite(sent) && (!Number.isFinite(held.sent) || sent < held.sent)) held.sent = sent;
      return;
    }
    this.items.set(ev.event_id, { ev, sent });
    if (this.items.size > this.maxEntries) {
      // the oldest added first: Map keeps insertion order
      const drop = this.items.size - this.maxEntries;
      let i = 0;
      for (const key of this.items.keys()) {
        if (i++ >= drop) break;
        this.items.delete(key);
      }
    }
  }

  sentAt(id) {
    return this.items.get(id)?.sent ?? NaN;
  }

  prune(now = Date.now()) {
    for (const [id, it] of this.items) {
      if (!Number.isFinite(it.sent) || it.sent < now - this.keepMs) this.items.delete(id);
    }
  }

  /** How many events were first sent at or after `since` (and match). */
  countSince(since, match = always) {
    let n = 0;
    for (const it of this.items.values()) if (it.sent >= since && match(it.ev)) n += 1;
    return n;
  }

  /**
   * New events per hour for the `hours` hours up to `now`, oldest first, per kind:
   * {kind: [counts...]}. The last bucket is the current (partial) hour.
   */
  hourly(now = Date.now(), { hours = 24, match = always, kinds = null } = {}) {
    const end = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS; // end of the current hour
    const start = end - hours * HOUR_MS;
    const out = {};
    for (const k of kinds ?? []) out[k] = new Array(hours).fill(0);
    for (const it of this.items.values()) {
      if (!(it.sent >= start && it.sent < end)) continue;
      if (!match(it.ev)) continue;
      const kind = it.ev.kind;
      if (kinds && !kinds.includes(kind)) continue;
      const arr = (out[kind] ??= new Array(hours).fill(0));
      arr[Math.floor((it.sent - start) / HOUR_MS)] += 1;
    }
    return out;
  }
}

/** SVG polyline points for a sparkline of `counts` in a `width`×`height` box (y grows down). */
export function sparklinePoints(counts, width, height, pad = 1) {
  if (!counts.length) return "";
  const max = Math.max(1, ...counts);
  const step = counts.length > 1 ? (width - 2 * pad) / (counts.length - 1) : 0;
  return counts
    .map((c, i) => {
      const x = pad + i * step;
      const y = height - pad - (c / max) * (height - 2 * pad);
      return `${+x.toFixed(1)},${+y.toFixed(1)}`;
    })
    .join(" ");
}

/** Per district: {count, worst} over matching active events with a district code. */
export function districtLoad(events, match = always) {
  const load = new Map();
  for (const ev of events) {
    if (!ev.district || !match(ev)) continue;
    const code = String(ev.district);
    const d = load.get(code) ?? { count: 0, worst: null, alerts: 0 };
    d.count += 1;
    if (d.worst === null || severityRank(ev.severity) > severityRank(d.worst)) d.worst = ev.severity;
    if (ALERT_SEVERITIES.includes(ev.severity)) d.alerts += 1;
    load.set(code, d);
  }
  return load;
}

/** Shading level 0..levels for a district's count relative to the busiest district. */
export function loadLevel(count, max, levels = 5) {
  if (!count || !max) return 0;
  return Math.max(1, Math.min(levels, Math.ceil((count / max) * levels)));
}

/**
 * Districts the kiosk rotates through: those with active severe or extreme events, worst first,
 * then by how many, then by code (a stable order so the rotation does not jump around).
 */
export function kioskTargets(events, match = always) {
  const out = [];
  for (const [code, d] of districtLoad(events, (ev) => ALERT_SEVERITIES.includes(ev.severity) && match(ev))) {
    out.push({ code, count: d.count, worst: d.worst });
  }
  out.sort((a, b) => severityRank(b.worst) - severityRank(a.worst) || b.count - a.count || (a.code < b.code ? -1 : 1));
  return out;
}

/** The next district in the rotation after `current` (the first when it is gone or null). */
export function nextTarget(targets, current) {
  if (!targets.length) return null;
  const at = targets.findIndex((t) => t.code === current);
  return targets[(at + 1) % targets.length].code;
}

/** Whether the banner may show this version of an event: active, and severe or extreme. */
export function isAlert(ev) {
  return (ev?.status ?? "active") === "active" && ALERT_SEVERITIES.includes(ev?.severity);
}

/**
 * Whether an applied event deserves the wall's attention: active, severe or extreme, and either new
 * to the board or escalated from a lower severity.
 */
export function shouldAnnounce(prev, ev) {
  if (!isAlert(ev)) return false;
  if (!prev) return true;
  return severityRank(ev.severity) > severityRank(prev.severity);
}
