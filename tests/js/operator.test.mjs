// Who is at the board (frontend/js/operator.js): the token out of the address bar, role, name.
import assert from "node:assert/strict";
import { test } from "node:test";

const { MAX_ACTOR_CHARS, canAct, cleanActor, takeToken } = await import("../../frontend/js/operator.js");

test("a token in the URL is taken out of it, the other parameters stay in order", () => {
  assert.deepEqual(takeToken("?lang=en&token=abc&kind=traffic", null), { token: "abc", search: "?lang=en&kind=traffic" });
  assert.deepEqual(takeToken("?token=abc", "old"), { token: "abc", search: "" }, "the link wins over the stored token");
  assert.deepEqual(takeToken("?lang=en", "kept"), { token: "kept", search: null }, "no token in the URL: nothing to rewrite");
  assert.deepEqual(takeToken("", null), { token: null, search: null });
  assert.deepEqual(takeToken("?token=", "kept"), { token: "kept", search: "" }, "an empty token is dropped from the address");
});

test("viewers may not act; operators, admins and older servers (no role) may", () => {
  assert.equal(canAct("viewer"), false);
  assert.equal(canAct("operator"), true);
  assert.equal(canAct("admin"), true);
  assert.equal(canAct(null), true);
  assert.equal(canAct(undefined), true);
});

test("the operator's name is trimmed, capped at the protocol's limit, and absent when blank", () => {
  assert.equal(cleanActor("  박 주무관 "), "박 주무관");
  assert.equal(cleanActor("   "), null);
  assert.equal(cleanActor(null), null);
  assert.equal(cleanActor("x".repeat(150)).length, MAX_ACTOR_CHARS);
});
