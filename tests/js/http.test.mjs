// The board's HTTP helpers (frontend/js/http.js): errors in the server's words, the token, the stream.
import assert from "node:assert/strict";
import { test } from "node:test";

const { authHeaders, readError, responseError, withStream } = await import("../../frontend/js/http.js");

test("a JSON error says the server's message and code, and keeps the body", async () => {
  const resp = new Response(JSON.stringify({ error: { code: "unknown_officer", message: "no officer 'x'" } }), { status: 404 });
  const { body, code, message } = await readError(resp);
  assert.equal(message, "no officer 'x' (unknown_officer)");
  assert.equal(code, "unknown_officer");
  assert.equal(body.error.code, "unknown_officer");
});

test("a plain-text error (aiohttp's default 404) keeps status and text", async () => {
  assert.equal(await responseError(new Response("404: Not Found", { status: 404 })), "HTTP 404: 404: Not Found");
  assert.equal(await responseError(new Response("", { status: 502, statusText: "Bad Gateway" })), "HTTP 502 Bad Gateway");
  assert.equal((await readError(new Response("oops", { status: 500 }))).body, null);
});

test("the operator token goes in a bearer header, and only when there is one", () => {
  assert.deepEqual(authHeaders("s3cret"), { Authorization: "Bearer s3cret" });
  assert.deepEqual(authHeaders(null), {});
  assert.deepEqual(authHeaders(""), {});
});

test("a replay's stream is added to API URLs; live adds nothing", () => {
  assert.equal(withStream("api/events/x/history", "live"), "api/events/x/history");
  assert.equal(withStream("api/events/x/history", undefined), "api/events/x/history");
  assert.equal(withStream("api/events/x/history", "replay:flood"), "api/events/x/history?stream=replay%3Aflood");
  assert.equal(withStream("api/events?limit=5", "replay:a-1"), "api/events?limit=5&stream=replay%3Aa-1");
});
