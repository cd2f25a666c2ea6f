// Officers as the board shows them (GET /api/officers, /api/officers/on-duty; docs/officers.md):
// names by language, duty in the city's time, districts, and the directory's order. No DOM; tested
// with `node --test`.

import { formatIso } from "./i18n.js";

export const CITY_WIDE = "*";
export const DISTRICTS_SHOWN = 3; // more than this many districts show as "+N"

/** The officer's name in `lang`, falling back to the other one, then the id. */
export function officerName(officer, lang) {
  return (lang === "en" ? officer?.name_en : officer?.name_ko) || officer?.name_ko || officer?.name_en || String(officer?.id ?? "");
}

/** Officers on duty first (the ones to call now), otherwise in the server's order. */
export function sortForDirectory(officers) {
  const list = Array.isArray(officers) ? officers.filter((o) => o && typeof o === "object") : [];
  return list.map((o, i) => [o, i]).sort((a, b) => Number(b[0].on_duty === true) - Number(a[0].on_duty === true) || a[1] - b[1]).map(([o]) => o);
}

/** The distinct departments of a list, sorted. */
export function departmentsOf(officers, locale = "ko") {
  const set = new Set();
  for (const o of officers ?? []) if (o?.department) set.add(String(o.department));
  return [...set].sort((a, b) => a.localeCompare(b, locale));
}

/** The query of GET /api/officers for the directory's filters (empty ones left out). */
export function directoryQuery({ q = "", district = "", department = "", kind = "" } = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ q: q.trim(), district, department, kind })) if (v) params.set(k, v);
  return params.toString();
}

/** A time in the city's zone: "18:00" today, "30 Nov (Mon) 08:00" on another day. */
export function localWhen(iso, now, formats) {
  const t = Date.parse(iso ?? "");
  if (Number.isNaN(t)) return "";
  const sameDay = formats.dayKey.format(new Date(t)) === formats.dayKey.format(new Date(now));
  return formatIso(iso, sameDay ? formats.short : formats.dayTime);
}

/** "on duty until 20:00", "next shift 30 Nov (Mon) 08:00", ... in the catalogue's words. */
export function dutyText(officer, tr, formats, now) {
  if (officer?.on_duty === true) {
    return officer.on_duty_until ? tr.t("officers.until", { time: localWhen(officer.on_duty_until, now, formats) }) : tr.t("officers.onDutyOpen");
  }
  if (officer?.next_shift_at) return tr.t("officers.from", { time: localWhen(officer.next_shift_at, now, formats) });
  return tr.t("officers.noShift");
}

/** The districts an officer covers, by name; the whole city in a word. */
export function districtsText(codes, nameOf, tr) {
  const list = Array.isArray(codes) ? codes.map(String) : [];
  if (list.includes(CITY_WIDE)) return tr.t("officers.cityWide");
  const names = list.slice(0, DISTRICTS_SHOWN).map(nameOf);
  if (list.length > DISTRICTS_SHOWN) names.push(`+${list.length - DISTRICTS_SHOWN}`);
  return names.join(", ");
}
