// The cameras' pure helpers (frontend/js/cameras.js): which player, distances, fresh snapshot URLs.
import assert from "node:assert/strict";
import { test } from "node:test";

const { distanceM, distanceText, freshUrl, playerKind, pointOf } = await import("../../frontend/js/cameras.js");

const tr = { number: (n) => new Intl.NumberFormat("en").format(n) };

test("the live video is preferred, then MJPEG, then snapshots; no URL means operators only", () => {
  assert.equal(playerKind({ hls_url: "h", mjpeg_url: "m", snapshot_url: "s" }), "hls");
  assert.equal(playerKind({ mjpeg_url: "m", snapshot_url: "s" }), "mjpeg");
  assert.equal(playerKind({ snapshot_url: "s" }), "snapshot");
  assert.equal(playerKind({ id: "x", name: "viewer sees no URL" }), "none");
});

test("distances are measured as the server does and written in metres or kilometres", () => {
  const cityHall = [126.9779, 37.5663];
  const east = [126.9779 + 120 / (111320 * Math.cos((37.5663 * Math.PI) / 180)), 37.5663];
  assert.equal(Math.round(distanceM(cityHall, east)), 120);
  assert.equal(distanceText(119.6, tr), "120 m");
  assert.equal(distanceText(1449, tr), "1.4 km");
  assert.equal(distanceText(Number.NaN, tr), "");
});

test("a snapshot URL gets a changing parameter, keeping its own query", () => {
  assert.equal(freshUrl("http://c/1.jpg", 5), "http://c/1.jpg?_cb=5");
  assert.equal(freshUrl("http://c/snap?id=1", 6), "http://c/snap?id=1&_cb=6");
});

test("a situation's area stands at its ring's mean; a point at itself", () => {
  assert.deepEqual(pointOf({ point: [1, 2] }), [1, 2]);
  assert.deepEqual(pointOf({ geometry: { type: "Point", coordinates: [3, 4] } }), [3, 4]);
  assert.deepEqual(pointOf({ geometry: { type: "Polygon", coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2]]] } }), [1, 1]);
  assert.equal(pointOf({ geometry: null }), null);
});
