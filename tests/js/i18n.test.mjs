// Message catalogues (frontend/i18n/*.json) and lookups (frontend/js/i18n.js).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { categoriesOfEventsPy } from "./vocabulary.mjs";

const { LANGS, Translator, ageText, catalogKeys, cityName, durationText, eventText, fmt, formatIso, isTimeZone, lookup, makeTimeFormats, placeholders } =
  await import("../../frontend/js/i18n.js");

const catalogs = Object.fromEntries(
  LANGS.map((l) => [l, JSON.parse(readFileSync(new URL(`../../frontend/i18n/${l}.json`, import.meta.url), "utf8"))]),
);

test("every catalogue has the same keys and the same placeholders", () => {
  const [first, ...rest] = LANGS;
  const keys = catalogKeys(catalogs[first]);
  assert.ok(keys.length > 100);
  for (const lang of rest) {
    assert.deepEqual(catalogKeys(catalogs[lang]), keys, `${lang} vs ${first}`);
    for (const key of keys) {
      assert.deepEqual(placeholders(lookup(catalogs[lang], key)), placeholders(lookup(catalogs[first], key)), `${lang}: ${key}`);
    }
  }
});

test("every category of server/stream/events.py has a label in each language", () => {
  let n = 0;
  for (const [kind, sub] of categoriesOfEventsPy()) {
    n += 1;
    for (const lang of LANGS) assert.equal(typeof lookup(catalogs[lang], `categories.${kind}.${sub}`), "string", `${lang} ${kind}.${sub}`);
  }
  assert.ok(n > 40, `parsed ${n} categories`);
});

test("lookup, fallback and placeholders", () => {
  const tr = new Translator(catalogs, "ko");
  assert.equal(tr.t("severities.extreme"), "심각");
  assert.equal(tr.t("conn.reconnecting", { n: 3 }), "3초 후 재연결");
  tr.setLang("en");
  assert.equal(tr.t("conn.reconnecting", { n: 3 }), "Reconnecting in 3 s");
  assert.equal(tr.locale, "en-GB");
  assert.equal(tr.t("no.such.key"), "no.such.key", "a missing key shows itself");
  assert.ok(tr.missing.has("no.such.key"));
  assert.equal(tr.label("kinds", "disaster"), "Disaster");
  assert.equal(tr.label("kinds", "future-kind"), "future-kind");
  tr.setLang("xx");
  assert.equal(tr.lang, "ko", "an unknown language falls back to Korean");
  const partial = new Translator({ ko: { a: "가" }, en: { a: "A", b: "B" } }, "ko");
  assert.equal(partial.t("b"), "B", "falls back to the other catalogue");
  assert.equal(fmt("{a}-{b}-{a}", { a: 1 }), "1--1");
  assert.equal(tr.number(12345), "12,345");
});

test("event translations are used when the source sent them", () => {
  const ev = { title: "시청 앞 사고", description: "설명", translations: { en: { title: "Crash at City Hall", description: "" }, "zh-Hans": { title: "事故" } } };
  assert.deepEqual(eventText(ev, "ko"), { title: "시청 앞 사고", description: "설명", area: "", translated: false });
  assert.equal(eventText(ev, "en").title, "Crash at City Hall");
  assert.equal(eventText(ev, "en").description, "설명", "an empty translated description falls back");
  assert.equal(eventText(ev, "zh").title, "事故", "a regional tag matches its language");
  assert.equal(eventText({ title: "t" }, "en").title, "t");
});

test("the place is translated like the title, and falls back to the source's own words", () => {
  const ev = {
    title: "강남역 침수",
    area_desc: "서울특별시 강남구 강남역 일대",
    translations: { en: { title: "Flooding at Gangnam Station", area_desc: "Around Gangnam Station, Gangnam-gu" }, ja: { title: "江南駅の浸水" } },
  };
  assert.equal(eventText(ev, "en").area, "Around Gangnam Station, Gangnam-gu");
  assert.equal(eventText(ev, "ko").area, "서울특별시 강남구 강남역 일대");
  assert.equal(eventText(ev, "ja").area, "서울특별시 강남구 강남역 일대", "a translation without a place keeps the original");
  assert.equal(eventText({ title: "t" }, "en").area, "");
});

test("the city's name in the board's language", () => {
  const city = { name: "Seoul", names: { ko: "서울", en: "Seoul" }, timezone: "Asia/Seoul" };
  assert.equal(cityName(city, "ko"), "서울");
  assert.equal(cityName(city, "en"), "Seoul");
  assert.equal(cityName({ name: "Seoul" }, "ko"), "Seoul", "an older server names it once");
  assert.equal(cityName({ name: "Busan", names: { en: "Busan" } }, "ko"), "Busan");
  assert.equal(cityName(null, "ko"), "");
});

test("ages and durations in words", () => {
  const ko = new Translator(catalogs, "ko");
  const en = new Translator(catalogs, "en");
  assert.equal(ageText(3_000, ko), "방금");
  assert.equal(ageText(45_000, en), "45 s");
  assert.equal(ageText(3 * 60_000, ko), "3분");
  assert.equal(ageText(3 * 60_000, en), "3 min");
  assert.equal(ageText(5 * 3_600_000, en), "5 h");
  assert.equal(ageText(72 * 3_600_000, en), "3 d");
  assert.equal(ageText(NaN, en), "—");
  assert.equal(durationText(null, en), "—");
  assert.equal(durationText(42_000, en), "42 s");
  assert.equal(durationText(252_000, en), "4 min 12 s");
  assert.equal(durationText(252_000, ko), "4분 12초");
  assert.equal(durationText(25 * 60_000, en), "25 min");
  assert.equal(durationText(125 * 60_000, ko), "2시간 5분");
});

test("times are formatted in the city's zone, not the machine's", () => {
  const f = makeTimeFormats("ko-KR", "Asia/Seoul");
  assert.equal(formatIso("2026-11-29T09:00:05Z", f.clock), "18:00:05");
  assert.equal(formatIso("nonsense", f.clock), "");
  const en = makeTimeFormats("en-GB", "Asia/Seoul");
  assert.equal(formatIso("2026-11-29T15:30:00Z", en.full), "30 Nov 2026 00:30:00 GMT+9");
  assert.equal(formatIso("2026-11-29T00:05:07Z", f.full), "2026년 11월 29일 09:05:07 GMT+9");
});

test("only time zones this runtime knows are taken", () => {
  assert.equal(isTimeZone("Asia/Seoul"), true);
  assert.equal(isTimeZone("UTC"), true);
  assert.equal(isTimeZone("Mars/Olympus"), false);
  assert.equal(isTimeZone(""), false);
  assert.equal(isTimeZone(null), false);
});
