// The board's situations and complaint clusters (issue 14), as the server folds them from the log
// (server/situations/, docs/situations.md): the store fed with `situations` messages, and what the
// cards, the lists, the map and the kiosk decide from it. No DOM: `node --test tests/js/`.

import { fmt, lookup } from "./i18n.js";
import { SEVERITY_RANK } from "./kpi.js";

export const SEVERITIES = ["extreme", "severe", "moderate", "minor", "info"];
export const CARD_KINDS = ["disaster", "traffic", "complaint"]; // counts on a card, in this order
export const ESCALATION_CALLING_MS = 60000; // after a step's time, this long it reads "calling …", then "overdue"
export const SPARKLINE_MAX_BUCKETS = 48; // a longer sparkline from a server is cut to its newest buckets
export const SITUATION_PREFIX = "situation:";
export const CLUSTER_PREFIX = "cluster:";

/** What one `situations` message changed: nothing when it was stale or malformed. */
function emptyChange() {
  return { applied: false, stale: false, full: false, situations: new Set(), clusters: new Set(), removed: new Set(), membership: false };
}

function validObjects(list, prefix) {
  return (Array.isArray(list) ? list : []).filter((o) => o && typeof o === "object" && typeof o.id === "string" && o.id.startsWith(prefix));
}

/** Situations and clusters by id, as of the log seq of the last message applied. */
export class SituationStore {
  constructor() {
    this.reset();
  }

  /** Forget everything: another history (epoch) begins. */
  reset() {
    this.seq = -1; // the log seq the held state reflects
    this.situations = new Map(); // id -> situation
    this.clusters = new Map(); // id -> cluster
    this.clusterOf = new Map(); // complaint event id -> cluster id (the list shows the cluster instead)
  }

  /**
   * Apply one `situations` message: `full` replaces the whole set, otherwise its objects are
   * upserted and its `removed` ids dropped. A message older than the last applied one is ignored
   * (an equal seq is applied: a full set after a reconnect restates the same state).
   */
  apply(msg) {
    const change = emptyChange();
    const seq = Number(msg?.seq);
    if (!Number.isFinite(seq)) return change;
    if (seq < this.seq) {
      change.stale = true;
      return change;
    }
    const sits = validObjects(msg.situations, SITUATION_PREFIX);
    const clusters = validObjects(msg.clusters, CLUSTER_PREFIX);
    const before = this._membershipKey();
    this.seq = seq;
    change.applied = true;
    change.full = Boolean(msg.full);
    if (change.full) {
      for (const id of this.situations.keys()) change.removed.add(id);
      for (const id of this.clusters.keys()) change.removed.add(id);
      this.situations.clear();
      this.clusters.clear();
    }
    for (const id of Array.isArray(msg.removed) ? msg.removed : []) {
      if (this.situations.delete(id) || this.clusters.delete(id)) change.removed.add(id);
    }
    for (const s of sits) {
      this.situations.set(s.id, s);
      change.situations.add(s.id);
      change.removed.delete(s.id);
    }
    for (const c of clusters) {
      this.clusters.set(c.id, c);
      change.clusters.add(c.id);
      change.removed.delete(c.id);
    }
    this._indexClusters();
    change.membership = this._membershipKey() !== before;
    return change;
  }

  _indexClusters() {
    this.clusterOf.clear();
    for (const c of this.clusters.values()) {
      for (const id of Array.isArray(c.members) ? c.members : []) this.clusterOf.set(id, c.id);
    }
  }

  /** Which complaint is in which cluster, as one comparable value (cheap: clusters are few). */
  _membershipKey() {
    let key = "";
    for (const [id, c] of this.clusterOf) key += `${id}>${c}\n`;
    return key;
  }

  /** Open situations, worst first, then the most recently changed, then by id (a stable order). */
  open() {
    return [...this.situations.values()].filter((s) => (s.status ?? "open") === "open").sort(compareSituations);
  }

  /** Every event id a situation stands for: its members and its clusters' complaints. */
  eventIds(sit) {
    const ids = new Set(Array.isArray(sit.members) ? sit.members : []);
    for (const cid of Array.isArray(sit.clusters) ? sit.clusters : []) {
      for (const id of this.clusters.get(cid)?.members ?? []) ids.add(id);
    }
    return ids;
  }
}

export function severityOf(obj) {
  return SEVERITIES.includes(obj?.severity) ? obj.severity : "info";
}

function timeOf(iso) {
  const t = Date.parse(iso ?? "");
  return Number.isNaN(t) ? 0 : t;
}

/** Worst severity first, then the most recent change, then id. */
export function compareSituations(a, b) {
  const d = (SEVERITY_RANK[severityOf(b)] ?? 0) - (SEVERITY_RANK[severityOf(a)] ?? 0);
  if (d) return d;
  const t = timeOf(b.last_change_at) - timeOf(a.last_change_at);
  if (t) return t;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Whether a situation shows under the filter: when any of its events (`events`: id -> active
 * event) matches; a situation none of whose events the board holds shows only unfiltered.
 */
export function situationMatches(store, sit, events, match, filtered) {
  let known = false;
  for (const id of store.eventIds(sit)) {
    const ev = events.get(id);
    if (!ev) continue;
    known = true;
    if (match(ev)) return true;
  }
  return !filtered && !known;
}

/** "1:05", "12:00", "1:02:03": a countdown's clock. */
export function clockText(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/**
 * Where an escalation stands at `now` (ms): `none` (no chain), `waiting` (ms until the next step),
 * `calling` (the step is due: the server is placing it), `overdue` (due for longer than
 * ESCALATION_CALLING_MS: ms late), `done` (every step taken).
 */
export function escalationState(esc, now) {
  if (!esc || typeof esc !== "object") return { state: "none" };
  const step = Number(esc.step) || 0;
  const of = Number(esc.of) || 0;
  const target = String(esc.target ?? "");
  const at = Date.parse(esc.next_at ?? "");
  if (Number.isNaN(at)) return { state: of && step >= of ? "done" : "none", step, of, target };
  const ms = at - now;
  if (ms > 0) return { state: "waiting", ms, step, of, target };
  if (-ms < ESCALATION_CALLING_MS) return { state: "calling", ms: -ms, step, of, target };
  return { state: "overdue", ms: -ms, step, of, target };
}

/** The target's words: a role from the catalogue ("district_officer"), or a notifier's name. */
export function targetText(target, tr) {
  if (!target) return "";
  if (target.startsWith("notifier:")) return tr.t("escalation.notifier", { name: target.slice("notifier:".length) });
  return tr.label("escalation.targets", target);
}

/** The countdown line of a card: "2단계/3 구청 당직관 호출까지 1:05", "… 호출 중", "… 지연 0:42". */
export function countdownText(esc, now, tr) {
  const st = escalationState(esc, now);
  if (st.state === "none") return "";
  const values = { step: st.step + 1, of: st.of, target: targetText(st.target, tr), time: st.ms === undefined ? "" : clockText(st.ms) };
  if (st.state === "done") return tr.t("escalation.done", { of: st.of });
  return tr.t(`escalation.${st.state}`, values);
}

/**
 * The escalation a card counts down: the situation's own (or its workflow's) while it has a next
 * step, else the member event's whose next step comes first (`workflowOf(id)`), else the
 * situation's own (finished or stopped).
 */
export function escalationOf(sit, workflow, workflowOf = () => null) {
  const own = sit?.escalation ?? workflow?.escalation ?? null;
  if (own?.next_at) return own;
  let soonest = null;
  for (const id of Array.isArray(sit?.members) ? sit.members : []) {
    const esc = workflowOf(id)?.escalation;
    if (esc?.next_at && (!soonest || Date.parse(esc.next_at) < Date.parse(soonest.next_at))) soonest = esc;
  }
  return soonest ?? own;
}

/** Who owns a situation: the server's owner, else whom it was assigned to on this board. */
export function ownerOf(sit, workflow) {
  return sit?.owner || workflow?.assigned_to || null;
}

/** The counts per kind a card shows, main kinds first, e.g. [["disaster", 1], ["complaint", 40]]. */
export function kindCounts(sit) {
  const counts = sit?.counts && typeof sit.counts === "object" ? sit.counts : {};
  const kinds = [...CARD_KINDS, ...Object.keys(counts).filter((k) => !CARD_KINDS.includes(k)).sort()];
  return kinds.map((k) => [k, Number(counts[k]) || 0]).filter(([, n]) => n > 0);
}

/** A cluster's sparkline as the points of an SVG polyline in a `width`×`height` box (oldest left). */
export function sparklinePoints(values, width, height) {
  const list = (Array.isArray(values) ? values : []).map((v) => Math.max(0, Number(v) || 0)).slice(-SPARKLINE_MAX_BUCKETS);
  if (!list.length) return "";
  const max = Math.max(1, ...list);
  const step = list.length > 1 ? width / (list.length - 1) : 0;
  return list.map((v, i) => `${round(i * step)},${round(height - (v / max) * height)}`).join(" ");
}

function round(x) {
  return Math.round(x * 10) / 10;
}

/**
 * A cluster as a row of the complaint list and an item of the detail panel: an event-shaped
 * object (kind complaint, its category, centre and district, the worst severity of its known
 * complaints) whose title reads in each language ("침수 민원 40건").
 */
export function clusterEvent(cluster, catalogs, events) {
  let worst = "info";
  for (const id of cluster.members ?? []) {
    const sev = severityOf(events.get(id));
    if ((SEVERITY_RANK[sev] ?? 0) > (SEVERITY_RANK[worst] ?? 0)) worst = sev;
  }
  const sub = String(cluster.category ?? "").split(".")[1] ?? "other";
  const translations = {};
  for (const [lang, catalog] of Object.entries(catalogs)) {
    const category = lookup(catalog, `categories.complaint.${sub}`) ?? sub;
    const values = { category, n: cluster.count, radius: cluster.radius_m };
    translations[lang] = { title: fmt(lookup(catalog, "clusters.title") ?? "{category} · {n}", values), description: fmt(lookup(catalog, "clusters.description") ?? "", values) };
  }
  const center = Array.isArray(cluster.center) ? cluster.center : null;
  return {
    event_id: cluster.id,
    version: cluster.count,
    kind: "complaint",
    category: cluster.category ?? "complaint.other",
    severity: worst,
    status: "active",
    title: translations.ko?.title ?? "",
    description: translations.ko?.description ?? "",
    translations,
    sent_at: cluster.first_at,
    updated_at: cluster.last_at,
    district: cluster.district ?? null,
    point: center,
    geometry: center ? { type: "Point", coordinates: center } : null,
    source: "",
    cluster,
  };
}

/** The kiosk's stops for situations (shown ones, worst first): each one at least severe, as a target. */
export function situationTargets(situations) {
  return situations.filter((s) => (SEVERITY_RANK[severityOf(s)] ?? 0) >= SEVERITY_RANK.severe).map((s) => ({ code: s.id, situation: s, worst: severityOf(s) }));
}

/**
 * A situation as the detail panel's item, so the existing actions (ack, assign, note, resolve),
 * its history and the officers on duty work on it as on an event: its title, severity, main kind
 * (the first of disaster, traffic, complaint it has) and first district.
 */
export function situationEvent(sit) {
  const kind = kindCounts(sit)[0]?.[0] ?? "disaster";
  return {
    event_id: sit.id,
    version: 1,
    kind,
    category: `${kind}.other`,
    severity: severityOf(sit),
    status: "active",
    title: String(sit.title ?? sit.id),
    description: "",
    sent_at: sit.first_at,
    updated_at: sit.last_change_at,
    district: Array.isArray(sit.districts) ? sit.districts[0] ?? null : null,
    geometry: sit.area ?? null,
    source: "",
    situation: sit,
  };
}

/** The detail panel's item for a situation or cluster id (null for an event id). */
export function virtualEvent(id, store, catalogs, events) {
  const sit = store.situations.get(id);
  if (sit) return situationEvent(sit);
  const cluster = store.clusters.get(id);
  return cluster ? clusterEvent(cluster, catalogs, events) : null;
}

/**
 * The lists' view of the events with clusters (`stream`: the BoardStream; `match`: the filter's
 * predicate): a clustered complaint is shown once, as its cluster's row, which shows when any of
 * its complaints matches (or, unfiltered, when the board holds none of them). `weight(clusterRow)`:
 * how many complaints that row stands for.
 */
export function clusterView(stream, match, filtered) {
  const sits = stream.situations;
  const weight = (ev) => {
    let known = 0;
    let matching = 0;
    for (const id of ev.cluster.members ?? []) {
      const member = stream.events.get(id);
      if (!member) continue;
      known += 1;
      if (match(member)) matching += 1;
    }
    if (known) return matching;
    return filtered ? 0 : Number(ev.cluster.count) || 0;
  };
  return {
    list: (ev) => (ev.cluster ? weight(ev) > 0 : !sits.clusterOf.has(ev.event_id) && match(ev)),
    map: (ev) => !sits.clusterOf.has(ev.event_id) && match(ev),
    weight,
  };
}

/**
 * The member rows of an open card: worst first, then as the server lists them (newest first);
 * complaints in a cluster are left to their cluster's line, shown once.
 */
export function memberOrder(sit, events, clusterOf) {
  const ids = (Array.isArray(sit.members) ? sit.members : []).filter((id) => !clusterOf.has(id));
  const rank = (id) => SEVERITY_RANK[severityOf(events.get(id))] ?? 0;
  return ids.map((id, i) => [id, i]).sort((a, b) => rank(b[0]) - rank(a[0]) || a[1] - b[1]).map(([id]) => id);
}
