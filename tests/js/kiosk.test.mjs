// The kiosk's rotation (frontend/js/kiosk.js) over kpi.js' targets: where the focus goes next.
import assert from "node:assert/strict";
import { test } from "node:test";

const { kioskStep } = await import("../../frontend/js/kiosk.js");

const targets = (...codes) => codes.map((code) => ({ code, count: 1, worst: "severe" }));

test("the focus moves to the next district in turn and wraps around", () => {
  const t = targets("11110", "11680", "11140");
  assert.equal(kioskStep(t, null, null), "11110", "from the whole city: the worst first");
  assert.equal(kioskStep(t, "11110", "11110"), "11680");
  assert.equal(kioskStep(t, "11140", "11140"), "11110");
  assert.equal(kioskStep(t, "99999", null), "11110", "a district no longer in the list: start over");
});

test("a lone district stays focused, and is focused again when the map lost it", () => {
  const t = targets("11680");
  assert.equal(kioskStep(t, "11680", "11680"), undefined, "nothing to do");
  assert.equal(kioskStep(t, "11680", null), "11680", "e.g. its outline was not loaded yet");
});

test("without severe districts the whole city is shown, once", () => {
  assert.equal(kioskStep([], "11680", "11680"), null);
  assert.equal(kioskStep([], null, null), undefined);
});
