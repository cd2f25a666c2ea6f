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
 * History items, oldest first:
 *   {kind: "version", seq, at, version, ev, changed: [...fields], first: bool, from: {severity, status}}
 *   {kind: "action", seq, at, action, actor, data}
 *   {kind: "notice", seq, at, body}
 */
export function historyItems(entries) {
  const out = [];
  let prev = null;
  for (const e of Array.isArray(entries) ? entries : []) {
    if (!e || typeof e !== "object" || !e.body) continue;
    if (e.type === "event") {
      const ev = e.body;
      out.push({
        kind: "version",
        seq: e.seq,
        at: ev.updated_at ?? ev.sent_at ?? e.at,
        version: ev.version ?? 1,
        ev,
        first: prev === null,
        changed: changedFields(prev, ev),
        from: prev ? { severity: prev.severity, status: prev.status } : null,
      });
      prev = ev;
    } else if (e.type === "action") {
      const b = e.body;
      out.push({ kind: "action", seq: e.seq, at: b.at ?? e.at, action: b.action, actor: b.actor ?? "", data: b.data ?? {} });
    } else {
      out.push({ kind: "notice", seq: e.seq, at: e.at, body: e.body });
    }
  }
  return out;
}

/** Who a call was with, from an action's data, whatever the dialer put there. */
export function callPeer(data) {
  if (!data || typeof data !== "object") return "";
  return String(data.officer_name ?? data.name ?? data.officer_id ?? data.to ?? data.sip_uri ?? "");
}

/** A short tail for a call_ended line: outcome and duration when the dialer gave them. */
export function callDetail(data) {
  if (!data || typeof data !== "object") return "";
  const parts = [];
  if (data.outcome ?? data.reason) parts.push(String(data.outcome ?? data.reason));
  const secs = Number(data.duration_seconds ?? data.duration_s ?? data.duration);
  if (Number.isFinite(secs) && secs > 0) parts.push(`${Math.round(secs)} s`);
  return parts.join(", ");
}
