// The detail panel's reading of HTTP errors (frontend/js/detail.js): the server's own words.
import assert from "node:assert/strict";
import { test } from "node:test";

const { responseError } = await import("../../frontend/js/detail.js");

test("a JSON error says the server's message and code", async () => {
  const resp = new Response(JSON.stringify({ error: { code: "unknown_officer", message: "no officer 'x'" } }), { status: 404 });
  assert.equal(await responseError(resp), "no officer 'x' (unknown_officer)");
});

test("a plain-text error (aiohttp's default 404) keeps status and text", async () => {
  assert.equal(await responseError(new Response("404: Not Found", { status: 404 })), "HTTP 404: 404: Not Found");
  assert.equal(await responseError(new Response("", { status: 502, statusText: "Bad Gateway" })), "HTTP 502 Bad Gateway");
});
