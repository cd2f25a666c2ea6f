// Officers as the board shows them (frontend/js/officers.js): order, filters, duty in the city's time.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const { departmentsOf, directoryQuery, districtsText, dutyText, localWhen, officerName, sortForDirectory } = await import("../../frontend/js/officers.js");
const { LANGS, Translator, makeTimeFormats } = await import("../../frontend/js/i18n.js");

const catalogs = Object.fromEntries(
  LANGS.map((l) => [l, JSON.parse(readFileSync(new URL(`../../frontend/i18n/${l}.json`, import.meta.url), "utf8"))]),
);

test("officers on duty come first, otherwise the server's order stays", () => {
  const list = [
    { id: "a", on_duty: false },
    { id: "b", on_duty: true },
    { id: "c" },
    { id: "d", on_duty: true },
    null,
  ];
  assert.deepEqual(sortForDirectory(list).map((o) => o.id), ["b", "d", "a", "c"]);
  assert.deepEqual(sortForDirectory(undefined), []);
});

test("names by language, departments once each, and the query leaves empty filters out", () => {
  assert.equal(officerName({ name_ko: "김민지", name_en: "Kim Min-ji" }, "en"), "Kim Min-ji");
  assert.equal(officerName({ name_ko: "김민지", name_en: "" }, "en"), "김민지");
  assert.equal(officerName({ id: "x" }, "ko"), "x");
  assert.deepEqual(departmentsOf([{ department: "총무과" }, { department: "교통행정과" }, { department: "총무과" }, {}]), ["교통행정과", "총무과"]);
  assert.equal(directoryQuery({ q: "  김 ", district: "11110", department: "", kind: "" }), "q=%EA%B9%80&district=11110");
  assert.equal(directoryQuery({}), "");
});

test("duty in the city's time: today as HH:MM, another day with its date", () => {
  const f = makeTimeFormats("en-GB", "Asia/Seoul");
  const now = Date.parse("2026-11-29T02:00:00Z"); // 11:00 in Seoul
  assert.equal(localWhen("2026-11-29T11:00:00Z", now, f), "20:00");
  assert.equal(localWhen("2026-11-29T23:00:00Z", now, f), "Mon 30 Nov, 08:00", "08:00 the next day in Seoul");
  assert.equal(localWhen("nonsense", now, f), "");
  const en = new Translator(catalogs, "en");
  assert.equal(dutyText({ on_duty: true, on_duty_until: "2026-11-29T11:00:00Z" }, en, f, now), "on duty until 20:00");
  assert.equal(dutyText({ on_duty: true }, en, f, now), "on duty, no end scheduled");
  assert.equal(dutyText({ on_duty: false, next_shift_at: "2026-11-29T23:00:00Z" }, en, f, now), "next shift Mon 30 Nov, 08:00");
  assert.equal(dutyText({ on_duty: false }, en, f, now), "no shift scheduled");
  const ko = new Translator(catalogs, "ko");
  const fk = makeTimeFormats("ko-KR", "Asia/Seoul");
  assert.equal(dutyText({ on_duty: true, on_duty_until: "2026-11-29T11:00:00Z" }, ko, fk, now), "20:00까지 근무");
});

test("districts by name, the whole city in a word, long lists cut short", () => {
  const en = new Translator(catalogs, "en");
  const names = { 11110: "Jongno-gu", 11140: "Jung-gu", 11170: "Yongsan-gu", 11200: "Seongdong-gu" };
  const nameOf = (c) => names[c] ?? c;
  assert.equal(districtsText(["11110"], nameOf, en), "Jongno-gu");
  assert.equal(districtsText(["*"], nameOf, en), "whole city");
  assert.equal(districtsText(["11110", "11140", "11170", "11200"], nameOf, en), "Jongno-gu, Jung-gu, Yongsan-gu, +1");
  assert.equal(districtsText(undefined, nameOf, en), "");
});
