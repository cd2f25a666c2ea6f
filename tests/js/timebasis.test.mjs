// An event dated by the fetch (time_basis "fetched", frontend/js/i18n.js fetchedTimeText) says so.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const { Translator, fetchedTimeText, makeTimeFormats } = await import("../../frontend/js/i18n.js");

const catalogs = Object.fromEntries(
  ["ko", "en"].map((l) => [l, JSON.parse(readFileSync(new URL(`../../frontend/i18n/${l}.json`, import.meta.url), "utf8"))]),
);

const EVENT = { event_id: "nsw-rfs:1234", sent_at: "2026-11-29T05:02:00Z", received_at: "2026-11-29T05:40:00Z" };

test("a fetch-dated event shows when it was received, in the city's time, in both languages", () => {
  const fetched = { ...EVENT, time_basis: "fetched" };
  const en = new Translator(catalogs, "en");
  assert.equal(fetchedTimeText(fetched, en, makeTimeFormats("en", "Asia/Seoul").short), "received 14:02 (source time unreadable)");
  const ko = new Translator(catalogs, "ko");
  assert.equal(fetchedTimeText(fetched, ko, makeTimeFormats("ko", "Asia/Seoul").short), "14:02 수신 (원본 시각 판독 불가)");
  assert.equal(fetchedTimeText(fetched, en, makeTimeFormats("en", "Australia/Sydney").short), "received 16:02 (source time unreadable)");
  assert.deepEqual([...en.missing, ...ko.missing], []);
});

test("an event dated by its source, or an old one without the field, shows no mark", () => {
  const en = new Translator(catalogs, "en");
  const short = makeTimeFormats("en", "Asia/Seoul").short;
  assert.equal(fetchedTimeText({ ...EVENT, time_basis: "source" }, en, short), "");
  assert.equal(fetchedTimeText(EVENT, en, short), "");
});
