// An event's story from `GET /api/events/{id}/history` ({seq, epoch, at, type, body} entries,
// oldest first) as lines a person reads: what each version changed, who did what. No DOM.

// Fields whose change is worth a word, in the order they are listed.
export const DIFF_FIELDS = [
  "status",
  "severity",
  "title",
  "description",
  "area_desc",
  "district",
  "geometry",
  "expires_at",
  "category",
  "kind",
  "url",
  "translations",
  "refs",
];

function same(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The fields that differ between two versions of an event. */
export function changedFields(prev, next) {
  if (!prev) return [];
  return DIFF_FIELDS.filter((f) => !same(prev[f], next[f]));
}

/**
 * History items, oldest first (a situation's story holds several events: each is diffed against
 * its own previous version, and `member` marks those that are not `id` itself):
 *   {kind: "version", seq, at, version, ev, changed: [...fields], first: bool, member: bool, from: {severity, status}}
 *   {kind: "action", seq, at, action, actor, data, call}  (call: the call_started data of a call_* action's call)
 *   {kind: "notice", seq, at, body}
 */
export function historyItems(entries, id = null) {
  const out = [];
  const prevs = new Map(); // event id -> its previous version
  const calls = new Map(); // call_id -> its call_started data
  for (const e of Array.isArray(entries) ? entries : []) {
    if (!e || typeof e !== "object" || !e.body) continue;
    if (e.type === "event") {
      const ev = e.body;
      const prev = prevs.get(ev.event_id) ?? null;
      out.push({
        kind: "version",
        seq: e.seq,
        at: ev.updated_at ?? ev.sent_at ?? e.at,
        version: ev.version ?? 1,
        ev,
        first: prev === null,
        member: id !== null && ev.event_id !== id,
        changed: changedFields(prev, ev),
        from: prev ? { severity: prev.severity, status: prev.status } : null,
      });
      prevs.set(ev.event_id, ev);
    } else if (e.type === "action") {
      const b = e.body;
      const data = b.data ?? {};
      if (b.action === "call_started" && data.call_id) calls.set(data.call_id, data);
      const call = data.call_id ? (calls.get(data.call_id) ?? null) : null;
      out.push({ kind: "action", seq: e.seq, at: b.at ?? e.at, action: b.action, actor: b.actor ?? "", data, call });
    } else {
      out.push({ kind: "notice", seq: e.seq, at: e.at, body: e.body });
    }
  }
  return out;
}

/** Who a call was with, from its call_started data (in `lang` when it has the English name). */
export function callPeer(data, lang = "ko") {
  if (!data || typeof data !== "object") return "";
  const en = lang === "en" ? data.officer_name_en : null;
  return String(en || (data.officer_name ?? data.name ?? data.officer_id ?? data.to ?? data.sip_uri ?? ""));
}
