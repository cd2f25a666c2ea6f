// Message catalogues (frontend/i18n/<lang>.json) and locale-aware formatting, with no DOM: the
// board and `node --test` use the same functions. Times are always shown in the city's zone.

export const LANGS = ["ko", "en"];
export const DEFAULT_LANG = "ko";
export const LOCALES = { ko: "ko-KR", en: "en-GB" };

/** `{name}` placeholders in `template` filled from `values`; unknown names become "". */
export function fmt(template, values = {}) {
  return String(template).replace(/\{(\w+)\}/g, (_, k) => (values[k] === undefined || values[k] === null ? "" : String(values[k])));
}

/** The value at a dotted `key` ("kinds.disaster") in a nested catalogue, or undefined. */
export function lookup(catalog, key) {
  let node = catalog;
  for (const part of String(key).split(".")) {
    if (node === null || typeof node !== "object" || !(part in node)) return undefined;
    node = node[part];
  }
  return node;
}

/** Every dotted key that holds a string, for checking that catalogues agree. */
export function catalogKeys(catalog, prefix = "") {
  const out = [];
  for (const [k, v] of Object.entries(catalog ?? {})) {
    if (v !== null && typeof v === "object") out.push(...catalogKeys(v, `${prefix}${k}.`));
    else out.push(`${prefix}${k}`);
  }
  return out.sort();
}

/** The placeholder names a template uses, sorted. */
export function placeholders(template) {
  return [...new Set([...String(template).matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
}

/**
 * A translator over loaded catalogues: `tr.t("conn.reconnecting", {n: 3})`. A key missing in the
 * current language falls back to the other catalogue, then to the key itself (visible, not fatal).
 */
export class Translator {
  constructor(catalogs, lang = DEFAULT_LANG) {
    this.catalogs = catalogs;
    this.missing = new Set();
    this.setLang(lang);
  }

  setLang(lang) {
    this.lang = LANGS.includes(lang) && this.catalogs[lang] ? lang : DEFAULT_LANG;
    this.locale = LOCALES[this.lang];
    this._numbers = new Intl.NumberFormat(this.locale);
  }

  /** The raw catalogue value (string or object) for `key`, with fallback. */
  raw(key) {
    let v = lookup(this.catalogs[this.lang], key);
    if (v === undefined) {
      for (const other of LANGS) {
        if (other === this.lang) continue;
        v = lookup(this.catalogs[other], key);
        if (v !== undefined) break;
      }
    }
    return v;
  }

  has(key) {
    return typeof lookup(this.catalogs[this.lang], key) === "string";
  }

  t(key, values) {
    const v = this.raw(key);
    if (typeof v !== "string") {
      this.missing.add(key);
      return key;
    }
    return values ? fmt(v, values) : v;
  }

  /** A label from a sub-catalogue, or the value itself when the catalogue has no entry. */
  label(group, value) {
    const v = lookup(this.catalogs[this.lang], `${group}.${value}`);
    return typeof v === "string" ? v : String(value ?? "");
  }

  number(n) {
    return this._numbers.format(n);
  }
}

/** The event's title, description and place (`area`) in `lang`, from its `translations` when the source sent them. */
export function eventText(ev, lang) {
  const tr = ev?.translations;
  let hit = null;
  if (tr && typeof tr === "object") {
    hit = tr[lang] ?? null;
    if (!hit) {
      const key = Object.keys(tr).find((k) => k.toLowerCase().split("-")[0] === lang);
      if (key) hit = tr[key];
    }
  }
  const title = (hit && hit.title) || ev?.title || "";
  const description = hit && hit.title ? hit.description || "" : ev?.description || "";
  const area = (hit && hit.area_desc) || ev?.area_desc || "";
  return { title, description: description || ev?.description || "", area, translated: Boolean(hit && hit.title) };
}

/** The city's name in `lang` (welcome.city.names), else its one `name`. */
export function cityName(city, lang) {
  const names = city?.names;
  return (names && typeof names === "object" && names[lang]) || city?.name || "";
}

/** "3 min", "now", "2 h": how long ago, in the catalogue's words. */
export function ageText(ms, tr) {
  if (!Number.isFinite(ms)) return tr.t("age.never");
  const sec = Math.max(0, Math.floor(ms / 1000));
  if (sec < 10) return tr.t("age.now");
  if (sec < 60) return tr.t("age.s", { n: sec });
  const min = Math.floor(sec / 60);
  if (min < 60) return tr.t("age.min", { n: min });
  const h = Math.floor(min / 60);
  if (h < 48) return tr.t("age.h", { n: h });
  return tr.t("age.d", { n: Math.floor(h / 24) });
}

/** "received 14:02 (source time unreadable)" for an event the server dated by its fetch because the
 * source's own time could not be read (time_basis "fetched"); "" for one dated by its source. */
export function fetchedTimeText(ev, tr, formatter) {
  if (ev?.time_basis !== "fetched") return "";
  return tr.t("detail.fetchedTime", { time: formatIso(ev.sent_at ?? ev.received_at, formatter) });
}

/** A duration such as a time to acknowledge: "45 s", "4 min 12 s", "2 h 5 min". */
export function durationText(ms, tr) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return tr.t("duration.none");
  const total = Math.max(0, Math.round(ms / 1000));
  if (total < 60) return tr.t("duration.s", { s: total });
  const m = Math.floor(total / 60);
  const s = total % 60;
  if (m < 10) return tr.t("duration.ms", { m, s });
  if (m < 60) return tr.t("duration.m", { m });
  return tr.t("duration.hm", { h: Math.floor(m / 60), m: m % 60 });
}

/** Whether this browser knows the time zone `tz` (a stored or a server's name may not be one). */
export function isTimeZone(tz) {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Date/time formatters in the city's zone for one locale; cheap to keep, costly to rebuild. */
export function makeTimeFormats(locale, timeZone) {
  const base = { timeZone };
  const clock = new Intl.DateTimeFormat(locale, { ...base, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  const day = new Intl.DateTimeFormat(locale, { ...base, year: "numeric", month: "short", day: "numeric" });
  const zone = new Intl.DateTimeFormat(locale, { ...base, timeZoneName: "short" });
  const zoneName = (d) => zone.formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "";
  return {
    clock,
    short: new Intl.DateTimeFormat(locale, { ...base, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
    // a time on another day than today: "11월 30일 (월) 08:00" / "Mon 30 Nov, 08:00"
    dayTime: new Intl.DateTimeFormat(locale, { ...base, weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
    // the city's calendar day of a moment, for "is it today?"
    dayKey: new Intl.DateTimeFormat("en-CA", { ...base, year: "numeric", month: "2-digit", day: "2-digit" }),
    date: new Intl.DateTimeFormat(locale, { ...base, weekday: "short", month: "short", day: "numeric", timeZoneName: "short" }),
    // "2026년 11월 29일 09:05:07 GMT+9" / "29 Nov 2026 09:05:07 GMT+9": the same 24-hour clock as the wall's
    full: { format: (d) => `${day.format(d)} ${clock.format(d)} ${zoneName(d)}`.trim() },
  };
}

/** Format an ISO time with one of `makeTimeFormats`' formatters; "" when it does not parse. */
export function formatIso(iso, formatter) {
  const ts = Date.parse(iso ?? "");
  if (Number.isNaN(ts) || !formatter) return "";
  return formatter.format(new Date(ts));
}
