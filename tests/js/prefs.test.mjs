// What the board keeps in the browser (frontend/js/prefs.js): language, sound, time zone, operator's name.
import assert from "node:assert/strict";
import { test } from "node:test";

const { pickLanguage, saveActor, saveLanguage, saveSound, saveTimeZone, savedActor, savedTimeZone, soundWanted } = await import(
  "../../frontend/js/prefs.js"
);

/** A Storage stand-in; `broken` throws on every call, as a kiosk profile with storage disabled does. */
function storage(entries = {}, { broken = false } = {}) {
  const map = new Map(Object.entries(entries));
  const s = {
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k),
    map,
  };
  return () => {
    if (broken) throw new DOMException("storage disabled", "SecurityError");
    return s;
  };
}

const q = (search) => new URLSearchParams(search);

test("the language: ?lang= first, then the last choice, then Korean; unknown values are ignored", () => {
  assert.equal(pickLanguage(q("lang=en"), storage({ "cityboard.lang": "ko" })), "en");
  assert.equal(pickLanguage(q(""), storage({ "cityboard.lang": "en" })), "en");
  assert.equal(pickLanguage(q("lang=fr"), storage({ "cityboard.lang": "xx" })), "ko");
  assert.equal(pickLanguage(q(""), storage({}, { broken: true })), "ko");
  const s = storage();
  saveLanguage("en", s);
  assert.equal(pickLanguage(q(""), s), "en");
});

test("sound is off unless ?sound=1, or switched on last time and not ?sound=0", () => {
  const on = storage({ "cityboard.sound": "1" });
  assert.equal(soundWanted(q(""), storage()), false);
  assert.equal(soundWanted(q("sound=1"), storage()), true);
  assert.equal(soundWanted(q(""), on), true);
  assert.equal(soundWanted(q("sound=0"), on), false);
  assert.equal(soundWanted(q("sound=1"), storage({}, { broken: true })), true);
  assert.equal(soundWanted(q(""), storage({}, { broken: true })), false);
  const s = storage({ "cityboard.sound": "1" });
  saveSound(false, s);
  assert.equal(soundWanted(q(""), s), false);
});

test("the time zone and the operator's name are kept; no storage is not an error", () => {
  const s = storage();
  assert.equal(savedTimeZone(s), null);
  saveTimeZone("Asia/Seoul", s);
  assert.equal(savedTimeZone(s), "Asia/Seoul");
  assert.equal(saveActor("  교통상황실 이  ", s), "교통상황실 이");
  assert.equal(savedActor(s), "교통상황실 이");
  assert.equal(saveActor("   ", s), null, "a blank name is no name");
  assert.equal(s().map.has("cityboard.actor"), false, "and is forgotten");
  const broken = storage({}, { broken: true });
  assert.equal(saveActor("Kim", broken), "Kim", "the name still lasts for the page");
  assert.equal(savedActor(broken), null);
  assert.equal(savedTimeZone(broken), null);
});
