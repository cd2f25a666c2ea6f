// What the board keeps in the browser (language, sound, time zone, operator's name and token); no storage is no error.
// `storage` arguments (a function returning a Storage) let `node --test` stand in for the browser's.

import { LANGS } from "./i18n.js";
import { ACTOR_KEY, TOKEN_KEY, cleanActor, takeToken } from "./operator.js";

const LANG_KEY = "cityboard.lang";
const SOUND_KEY = "cityboard.sound";
const TZ_KEY = "cityboard.tz";

// Reached inside try: merely touching localStorage throws where storage is disabled.
const local = () => localStorage;
const session = () => sessionStorage;

function read(storage, key) {
  try {
    return storage().getItem(key);
  } catch {
    return null;
  }
}

function write(storage, key, value) {
  try {
    if (value === null) storage().removeItem(key);
    else storage().setItem(key, value);
  } catch {
    // no storage: the choice lasts for this page
  }
}

/** `?lang=`, else the language chosen last time, else Korean. */
export function pickLanguage(params, storage = local) {
  const fromUrl = params.get("lang");
  if (fromUrl && LANGS.includes(fromUrl)) return fromUrl;
  const saved = read(storage, LANG_KEY);
  if (saved && LANGS.includes(saved)) return saved;
  return "ko";
}

export function saveLanguage(lang, storage = local) {
  write(storage, LANG_KEY, lang);
}

/** Sound is off unless `?sound=1`, or switched on last time and not `?sound=0`. */
export function soundWanted(params, storage = local) {
  const p = params.get("sound");
  return p === "1" || (p !== "0" && read(storage, SOUND_KEY) === "1");
}

export function saveSound(on, storage = local) {
  write(storage, SOUND_KEY, on ? "1" : "0");
}

/** The city's zone from the last welcome, so the clock shows before the socket is up. */
export function savedTimeZone(storage = local) {
  return read(storage, TZ_KEY);
}

export function saveTimeZone(tz, storage = local) {
  write(storage, TZ_KEY, tz);
}

export function savedActor(storage = local) {
  return cleanActor(read(storage, ACTOR_KEY));
}

/** Keep the operator's name (none typed: forget it); returns the name as sent on the record. */
export function saveActor(name, storage = local) {
  const actor = cleanActor(name);
  write(storage, ACTOR_KEY, actor);
  return actor;
}

/** The operator token: from the operator link (then out of the address bar), else kept for this tab. */
export function takeOperatorToken() {
  const taken = takeToken(location.search, read(session, TOKEN_KEY));
  if (taken.search !== null) {
    history.replaceState(null, "", `${location.pathname}${taken.search}${location.hash}`);
    if (taken.token) write(session, TOKEN_KEY, taken.token);
  }
  return taken.token;
}
