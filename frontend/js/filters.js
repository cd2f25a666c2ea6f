// What the wall shows, as a value that round-trips through the page URL, and the predicate that
// applies it to events. No DOM: `node --test tests/js/` covers it.
//
//   ?kind=traffic,disaster&sev=severe,extreme&district=11110&status=new&source=demo&q=강남
//
// A list may be comma-separated or the parameter repeated; unknown values are dropped, so an old
// or hand-edited link still opens. Other parameters (lang, kiosk, sound, …) are kept as they are.

import { stateOf } from "./workflow.js";

export const KINDS = ["disaster", "traffic", "complaint", "call", "system"];
export const MAIN_KINDS = ["disaster", "traffic", "complaint"]; // the kinds with a chip and a KPI tile of their own
export const SEVERITIES = ["extreme", "severe", "moderate", "minor", "info"];
export const STATES = ["new", "acknowledged", "assigned", "resolved"];
export const MAX_QUERY_CHARS = 200;

// URL parameter for each filter field, in the order they are written back.
export const PARAMS = { kinds: "kind", severities: "sev", districts: "district", statuses: "status", sources: "source", q: "q" };

const DISTRICT_RE = /^[0-9A-Za-z_-]{1,32}$/;
const SOURCE_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const LIST_FIELDS = ["kinds", "severities", "districts", "statuses", "sources"];

export function emptyFilter() {
  return { kinds: [], severities: [], districts: [], statuses: [], sources: [], q: "" };
}

function listParam(params, name) {
  const out = [];
  for (const raw of params.getAll(name)) {
    for (const part of raw.split(",")) {
      const v = part.trim();
      if (v && !out.includes(v)) out.push(v);
    }
  }
  return out;
}

/** A filter from a query string or URLSearchParams; invalid values are left out. */
export function parseFilter(search) {
  const params = search instanceof URLSearchParams ? search : new URLSearchParams(search ?? "");
  const f = emptyFilter();
  f.kinds = listParam(params, PARAMS.kinds).filter((v) => KINDS.includes(v));
  f.severities = listParam(params, PARAMS.severities).filter((v) => SEVERITIES.includes(v));
  f.districts = listParam(params, PARAMS.districts).filter((v) => DISTRICT_RE.test(v)).slice(0, 100);
  f.statuses = listParam(params, PARAMS.statuses).filter((v) => STATES.includes(v));
  f.sources = listParam(params, PARAMS.sources).filter((v) => SOURCE_RE.test(v)).slice(0, 100);
  f.q = (params.get(PARAMS.q) ?? "").trim().slice(0, MAX_QUERY_CHARS);
  return f;
}

/** The filter written into `base` (other parameters kept), in a stable canonical form. */
export function filterToParams(filter, base = "") {
  const params = new URLSearchParams(base instanceof URLSearchParams ? base.toString() : base ?? "");
  for (const name of Object.values(PARAMS)) params.delete(name);
  const order = { kinds: KINDS, severities: SEVERITIES, statuses: STATES };
  for (const field of LIST_FIELDS) {
    let values = [...new Set(filter[field] ?? [])];
    if (order[field]) values = order[field].filter((v) => values.includes(v));
    else values.sort();
    if (values.length) params.set(PARAMS[field], values.join(","));
  }
  const q = (filter.q ?? "").trim();
  if (q) params.set(PARAMS.q, q);
  return params;
}

/** The query string (with "?" or empty) for a filter on top of `base`. */
export function filterToSearch(filter, base = "") {
  const s = filterToParams(filter, base).toString();
  return s ? `?${s}` : "";
}

export function isEmpty(filter) {
  return LIST_FIELDS.every((f) => !(filter[f]?.length)) && !(filter.q ?? "").trim();
}

export function sameFilter(a, b) {
  return filterToParams(a).toString() === filterToParams(b).toString();
}

/** A copy of `filter` with `value` added to or removed from the list `field`. */
export function toggleValue(filter, field, value) {
  const list = filter[field] ?? [];
  const next = list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
  return { ...filter, [field]: next };
}

/** Lower-case, width-folded text for matching (Korean and Latin alike). */
export function normalizeText(s) {
  return String(s ?? "").normalize("NFKC").toLowerCase();
}

/** The search terms of a query: whitespace-separated, all of which must match. */
export function queryTerms(q) {
  return normalizeText(q).split(/\s+/).filter(Boolean);
}

const textCache = new WeakMap(); // event body -> its searchable text (bodies are per version)

/** Everything a text search looks at: titles in every language, description, place, ids. */
export function searchableText(ev, districtNames = () => []) {
  let text = textCache.get(ev);
  if (text === undefined) {
    const parts = [ev.title, ev.description, ev.area_desc, ev.category, ev.source, ev.event_id, ev.district];
    for (const tr of Object.values(ev.translations ?? {})) parts.push(tr?.title, tr?.description, tr?.area_desc);
    parts.push(...districtNames(ev.district));
    text = normalizeText(parts.filter(Boolean).join("\n"));
    textCache.set(ev, text);
  }
  return text;
}

/**
 * A predicate `(ev) => boolean` for a filter. `workflowOf(id)` gives an event's workflow (status
 * filter); `districtNames(code)` its names (text search); `ignore` names fields to leave out, e.g.
 * the map shades districts with `ignore: ["districts"]` so the other districts stay visible.
 */
export function makeMatcher(filter, { workflowOf = () => null, districtNames = () => [], ignore = [] } = {}) {
  const use = (field) => !ignore.includes(field) && (filter[field]?.length ?? 0) > 0;
  const kinds = use("kinds") ? new Set(filter.kinds) : null;
  const sevs = use("severities") ? new Set(filter.severities) : null;
  const districts = use("districts") ? new Set(filter.districts) : null;
  const statuses = use("statuses") ? new Set(filter.statuses) : null;
  const sources = use("sources") ? new Set(filter.sources) : null;
  const terms = ignore.includes("q") ? [] : queryTerms(filter.q);
  if (!kinds && !sevs && !districts && !statuses && !sources && !terms.length) return () => true;
  return (ev) => {
    if (kinds && !kinds.has(ev.kind)) return false;
    if (sevs && !sevs.has(ev.severity)) return false;
    if (districts && !districts.has(String(ev.district ?? ""))) return false;
    if (sources && !sources.has(ev.source)) return false;
    if (statuses && !statuses.has(stateOf(workflowOf(ev.event_id)))) return false;
    if (terms.length) {
      const text = searchableText(ev, districtNames);
      for (const term of terms) if (!text.includes(term)) return false;
    }
    return true;
  };
}

/** A short human summary of an active filter, e.g. "교통 · 심각, 경계 · 중구 · “강남”". */
export function describeFilter(filter, { label = (_group, v) => v, districtName = (c) => c } = {}) {
  const parts = [];
  if (filter.kinds.length) parts.push(filter.kinds.map((k) => label("kinds", k)).join(", "));
  if (filter.severities.length) parts.push(filter.severities.map((s) => label("severities", s)).join(", "));
  if (filter.statuses.length) parts.push(filter.statuses.map((s) => label("states", s)).join(", "));
  if (filter.districts.length) parts.push(filter.districts.map(districtName).join(", "));
  if (filter.sources.length) parts.push(filter.sources.join(", "));
  if (filter.q) parts.push(`“${filter.q}”`);
  return parts.join(" · ");
}
