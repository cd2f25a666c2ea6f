// The board's shared state (frontend/js/state.js): filter predicates, district names, the city's time.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const { BoardState } = await import("../../frontend/js/state.js");
const { Translator } = await import("../../frontend/js/i18n.js");
const { emptyFilter } = await import("../../frontend/js/filters.js");

const catalogs = Object.fromEntries(
  ["ko", "en"].map((l) => [l, JSON.parse(readFileSync(new URL(`../../frontend/i18n/${l}.json`, import.meta.url), "utf8"))]),
);

function makeState({ filter = emptyFilter(), timeZone = null, lang = "ko", store = {} } = {}) {
  const s = { serverTimeOffsetMs: 0, demo: false, workflow: () => null, ...store };
  return new BoardState({ store: s, tr: new Translator(catalogs, lang), filter, timeZone });
}

const DISTRICTS = new Map([
  ["11680", { ko: "강남구", en: "Gangnam-gu" }],
  ["11110", { ko: "종로구", en: "" }],
]);

test("district names follow the board's language, fall back to the other one, then to the code", () => {
  const state = makeState({ lang: "en" });
  state.setDistricts(DISTRICTS);
  assert.equal(state.districtNameOf("11680"), "Gangnam-gu");
  assert.equal(state.districtNameOf(11110), "종로구", "no English name: the Korean one");
  assert.equal(state.districtNameOf("99999"), "99999");
  state.tr.setLang("ko");
  assert.equal(state.districtNameOf("11680"), "강남구");
});

test("an event without a district is placed by its own area text, else says it has no location", () => {
  const state = makeState({ lang: "en" });
  state.setDistricts(DISTRICTS);
  assert.equal(state.districtName({ district: "11680" }), "Gangnam-gu");
  assert.equal(state.districtName({ area_desc: "역삼동", translations: { en: { title: "t", area_desc: "Yeoksam" } } }), "Yeoksam");
  assert.equal(state.districtName({}), state.tr.t("noLocation"));
  assert.notEqual(state.tr.t("noLocation"), "noLocation");
});

test("the search finds district names once they are known; the map's predicate ignores the district filter", () => {
  const state = makeState({ filter: { ...emptyFilter(), q: "gangnam" } });
  const before = { event_id: "a", kind: "traffic", district: "11680", title: "정체" };
  assert.equal(state.matcher(before), false);
  state.setDistricts(DISTRICTS);
  const after = { event_id: "b", kind: "traffic", district: "11680", title: "정체" }; // bodies cache their text
  assert.equal(state.matcher(after), true);

  state.setFilter({ ...emptyFilter(), districts: ["11110"] });
  assert.equal(state.matcher(after), false);
  assert.equal(state.mapMatcher(after), true, "the map shades every district");
});

test("the status filter reads the store's workflows", () => {
  const flows = new Map([["a", { state: "acknowledged" }]]);
  const state = makeState({ filter: { ...emptyFilter(), statuses: ["new"] }, store: { workflow: (id) => flows.get(id) ?? null } });
  assert.equal(state.matcher({ event_id: "a", kind: "traffic" }), false);
  assert.equal(state.matcher({ event_id: "b", kind: "traffic" }), true);
});

test("time formats are kept until the language or the city's zone changes", () => {
  const state = makeState({ timeZone: "Asia/Seoul" });
  const first = state.formats();
  assert.equal(state.formats(), first);
  assert.equal(first.clock.format(new Date("2026-11-29T00:00:00Z")), "09:00:00");
  state.tr.setLang("en");
  const en = state.formats();
  assert.notEqual(en, first);
  assert.equal(state.setTimeZone("Europe/London"), true);
  assert.notEqual(state.formats(), en);
  assert.equal(state.formats().clock.format(new Date("2026-11-29T00:00:00Z")), "00:00:00");
});

test("a zone this browser does not know is refused: stored, it is dropped; from the server, the old one stays", () => {
  assert.equal(makeState({ timeZone: "Mars/Olympus" }).timeZone, null);
  const state = makeState({ timeZone: "Asia/Seoul" });
  assert.equal(state.setTimeZone("Mars/Olympus"), false);
  assert.equal(state.timeZone, "Asia/Seoul");
});

test("now is the server's time; demo events only count as demo on the demo stream", () => {
  const state = makeState({ store: { serverTimeOffsetMs: 60_000, demo: true } });
  const drift = state.now() - Date.now();
  assert.ok(drift >= 59_990 && drift <= 60_000, String(drift));
  assert.equal(state.isDemo({ source: "demo" }), true);
  assert.equal(state.isDemo({ source: "kma-cap" }), false);
  state.store.demo = false;
  assert.equal(state.isDemo({ source: "demo" }), false);
});
