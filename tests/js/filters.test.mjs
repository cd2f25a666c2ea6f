// Filters ⇄ URL and the event predicate (frontend/js/filters.js): `node --test tests/js/`.
import assert from "node:assert/strict";
import { test } from "node:test";

const {
  describeFilter,
  emptyFilter,
  filterToParams,
  filterToSearch,
  isEmpty,
  makeMatcher,
  parseFilter,
  sameFilter,
  toggleValue,
} = await import("../../frontend/js/filters.js");

function ev(id, fields = {}) {
  return {
    event_id: id,
    source: "test",
    kind: "traffic",
    category: "traffic.accident",
    severity: "moderate",
    status: "active",
    title: `title ${id}`,
    district: "11110",
    sent_at: "2026-11-29T09:00:00Z",
    ...fields,
  };
}

test("the documented URL parses into a filter", () => {
  const f = parseFilter("?kind=traffic&sev=severe,extreme&district=11110&q=%EA%B0%95%EB%82%A8");
  assert.deepEqual(f, {
    kinds: ["traffic"],
    severities: ["severe", "extreme"],
    districts: ["11110"],
    statuses: [],
    sources: [],
    q: "강남",
  });
});

test("repeated parameters, duplicates and unknown values", () => {
  const f = parseFilter("kind=traffic&kind=disaster,traffic,bogus&sev=EXTREME&status=new,nope&source=Bad Name,demo&district=<x>");
  assert.deepEqual(f.kinds, ["traffic", "disaster"]);
  assert.deepEqual(f.severities, [], "values are case-sensitive, as the protocol's");
  assert.deepEqual(f.statuses, ["new"]);
  assert.deepEqual(f.sources, ["demo"]);
  assert.deepEqual(f.districts, []);
});

test("a filter round-trips through the URL, keeping other parameters", () => {
  const f = { ...emptyFilter(), kinds: ["traffic"], severities: ["extreme", "severe"], districts: ["11680", "11110"], q: " 강남  역 " };
  const params = filterToParams(f, "?kiosk=1&lang=en&kind=disaster");
  assert.equal(params.get("kiosk"), "1");
  assert.equal(params.get("lang"), "en");
  assert.equal(params.get("kind"), "traffic");
  assert.equal(params.get("sev"), "extreme,severe", "canonical order: worst first");
  assert.equal(params.get("district"), "11110,11680");
  assert.equal(params.get("q"), "강남  역");
  const back = parseFilter(params);
  assert.ok(sameFilter(back, f));
  assert.equal(filterToSearch(emptyFilter(), ""), "");
  assert.equal(filterToSearch(emptyFilter(), "lang=en&q=x&sev=minor"), "?lang=en");
});

test("isEmpty and toggleValue", () => {
  assert.ok(isEmpty(emptyFilter()));
  assert.ok(isEmpty({ ...emptyFilter(), q: "   " }));
  const f = toggleValue(emptyFilter(), "districts", "11110");
  assert.deepEqual(f.districts, ["11110"]);
  assert.ok(!isEmpty(f));
  assert.deepEqual(toggleValue(f, "districts", "11110").districts, []);
});

test("the matcher applies every field", () => {
  const flows = new Map([["test:b", { state: "acknowledged" }]]);
  const opts = { workflowOf: (id) => flows.get(id) ?? null, districtNames: (c) => (c === "11110" ? ["종로구", "Jongno-gu"] : []) };
  const a = ev("test:a", { severity: "extreme" });
  const b = ev("test:b", { kind: "disaster", district: "11680", source: "kma" });
  const c = ev("test:c", { title: "시청 앞 교통사고", translations: { en: { title: "Crash outside City Hall", area_desc: "Sejong-daero crossing" } } });
  const all = [a, b, c];
  const ids = (f, o = opts) => all.filter(makeMatcher({ ...emptyFilter(), ...f }, o)).map((e) => e.event_id);
  assert.deepEqual(ids({}), ["test:a", "test:b", "test:c"]);
  assert.deepEqual(ids({ kinds: ["traffic"] }), ["test:a", "test:c"]);
  assert.deepEqual(ids({ severities: ["extreme", "severe"] }), ["test:a"]);
  assert.deepEqual(ids({ districts: ["11680"] }), ["test:b"]);
  assert.deepEqual(ids({ sources: ["kma"] }), ["test:b"]);
  assert.deepEqual(ids({ statuses: ["new"] }), ["test:a", "test:c"], "no workflow means new");
  assert.deepEqual(ids({ statuses: ["acknowledged", "assigned"] }), ["test:b"]);
  assert.deepEqual(ids({ q: "CITY hall" }), ["test:c"], "English translation, case-folded, all terms");
  assert.deepEqual(ids({ q: "교통사고" }), ["test:c"]);
  assert.deepEqual(ids({ q: "sejong-daero" }), ["test:c"], "the translated place is searchable");
  assert.deepEqual(ids({ q: "jongno" }), ["test:a", "test:c"], "district names are searchable");
  assert.deepEqual(ids({ q: "jongno crash" }), ["test:c"]);
  assert.deepEqual(ids({ districts: ["11680"], kinds: ["traffic"] }, { ...opts, ignore: ["districts"] }), ["test:a", "test:c"]);
});

test("describeFilter names what is filtered", () => {
  const label = (g, v) => ({ kinds: { traffic: "교통" }, severities: { extreme: "심각" } })[g]?.[v] ?? v;
  const text = describeFilter(
    { ...emptyFilter(), kinds: ["traffic"], severities: ["extreme"], districts: ["11110"], q: "역" },
    { label, districtName: () => "종로구" },
  );
  assert.equal(text, "교통 · 심각 · 종로구 · “역”");
});
