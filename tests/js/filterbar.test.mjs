// The filter row's menus (frontend/js/filterbar.js): the district choice and the sources on offer.
import assert from "node:assert/strict";
import { test } from "node:test";

const { districtChoice, sourceNames } = await import("../../frontend/js/filterbar.js");

const NAMES = { 11680: "강남구", 11110: "종로구", 11140: "중구", 11200: "성동구" };
const nameOf = (code) => NAMES[code] ?? code;

test("the district menu lists districts by name in the board's language, the chosen one selected", () => {
  const { options, value } = districtChoice(["11110", "11140", "11680", "11200"], ["11140"], { nameOf, locale: "ko-KR", all: "전체" });
  assert.deepEqual(options, [
    ["", "전체"],
    ["11680", "강남구"],
    ["11200", "성동구"],
    ["11110", "종로구"],
    ["11140", "중구"],
  ]);
  assert.equal(value, "11140");
  assert.equal(districtChoice([], [], { nameOf, locale: "ko-KR", all: "전체" }).value, "", "none chosen: all districts");
});

test("several districts (map clicks) show as one extra entry naming them all", () => {
  const { options, value } = districtChoice(["11110", "11680"], ["11680", "11110"], { nameOf, locale: "ko-KR", all: "전체" });
  assert.equal(value, "__many");
  assert.deepEqual(options.at(-1), ["__many", "강남구, 종로구"]);
  assert.equal(options.length, 4);
});

test("sources on offer: the chosen ones, every feed and every event's source, once each", () => {
  const feeds = [{ name: "kma-cap" }, { name: "seoul-topis" }, null, {}];
  const events = [{ source: "demo" }, { source: "kma-cap" }, {}];
  assert.deepEqual([...sourceNames(["old-feed"], feeds, events)].sort(), ["demo", "kma-cap", "old-feed", "seoul-topis"]);
});
