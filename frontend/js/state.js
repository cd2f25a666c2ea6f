// The board's shared state (translator, filter, districts, time zone, selection, operator's name), passed to the parts.
// No DOM: `node --test tests/js/` covers it.

import { makeMatcher } from "./filters.js";
import { eventText, isTimeZone, makeTimeFormats } from "./i18n.js";

export class BoardState {
  /** store: the BoardStream; tr: the Translator; filter: the one in the address; timeZone: the last one known. */
  constructor({ store, tr, filter, timeZone = null, actor = null }) {
    this.store = store;
    this.tr = tr;
    this.filter = filter;
    this.districts = new Map(); // code -> {ko, en}
    this.timeZone = isTimeZone(timeZone) ? timeZone : null; // null until a welcome names it: no guessed clock
    this.selectedId = null;
    this.actor = actor; // the operator's name on actions and calls, or null
    this._formats = null;
    this._formatsKey = null;
    this._rebuildMatchers();
  }

  /** Our best idea of the server's "now": event ages and the clock should not depend on a drifting PC. */
  now() {
    return Date.now() + this.store.serverTimeOffsetMs;
  }

  workflowOf(id) {
    return this.store.workflow(id);
  }

  isDemo(ev) {
    return this.store.demo && (ev.source === "demo" || ev.extra?.synthetic === true); // the public stream names no source
  }

  setFilter(filter) {
    this.filter = filter;
    this._rebuildMatchers();
  }

  /** The district names from /api/districts; the search matches them too. */
  setDistricts(districts) {
    this.districts = districts;
    this._rebuildMatchers();
  }

  /** The city's zone from the server; false (the old one kept) for a zone this browser does not know. */
  setTimeZone(tz) {
    if (!isTimeZone(tz)) return false;
    this.timeZone = tz;
    return true;
  }

  /** Time formats in the board's language and the city's zone, rebuilt only when either changes. */
  formats() {
    const key = `${this.tr.locale}|${this.timeZone}`;
    if (this._formatsKey !== key) {
      this._formats = makeTimeFormats(this.tr.locale, this.timeZone ?? undefined);
      this._formatsKey = key;
    }
    return this._formats;
  }

  districtNameOf(code) {
    const d = this.districts.get(String(code));
    if (!d) return String(code);
    return (this.tr.lang === "en" ? d.en : d.ko) || d.ko || d.en || String(code);
  }

  /** Where an event is: its district's name, else its own place text, else "no location". */
  districtName(ev) {
    if (ev.district) return this.districtNameOf(ev.district);
    return eventText(ev, this.tr.lang).area || this.tr.t("noLocation");
  }

  _rebuildMatchers() {
    const opts = {
      workflowOf: (id) => this.workflowOf(id),
      districtNames: (code) => Object.values(this.districts.get(String(code)) ?? {}),
    };
    this.matcher = makeMatcher(this.filter, opts);
    this.mapMatcher = makeMatcher(this.filter, { ...opts, ignore: ["districts"] }); // the map shades every district
  }
}
