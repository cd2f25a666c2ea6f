// Kiosk mode (`?kiosk=1`): the map's focus rotates over districts with severe events and jumps to new alerts, captioned.
// kioskStep has no DOM: `node --test`.

import { kioskTargets, nextTarget } from "./kpi.js";

/**
 * Where the rotation goes from `current` among `targets` (kpi.js kioskTargets): the next district,
 * null for the whole city, or undefined to stay. A lone target is focused again when the map
 * (`mapFocus`) no longer shows it.
 */
export function kioskStep(targets, current, mapFocus) {
  const next = nextTarget(targets, current);
  if (next !== current || (next && targets.length === 1 && mapFocus !== next)) return next;
  return undefined;
}

/**
 * ctx: {enabled, caption (the caption over the map), store (BoardStream), board (BoardState),
 *       map (BoardMap), lists (EventLists), onFocus() the focus moved (the figures follow)}
 */
export class Kiosk {
  constructor(ctx) {
    this.ctx = ctx;
    this.enabled = ctx.enabled;
    this.code = null; // the focused district, or null for the whole city
  }

  focus(code) {
    this.code = code;
    this.ctx.map.focus(code);
    this.ctx.lists.markSelection();
    this.ctx.onFocus();
    this.renderCaption();
  }

  /** Every `ms`: the next district. */
  start(ms) {
    if (this.enabled) setInterval(() => this.rotate(), ms);
  }

  rotate() {
    if (!this.enabled) return;
    const targets = kioskTargets(this.ctx.store.events.values(), this.ctx.board.matcher);
    const next = kioskStep(targets, this.code, this.ctx.map.focusCode);
    if (next !== undefined) this.focus(next);
  }

  /** An alert was shown: its district comes into focus at once. */
  alert(ev) {
    if (this.enabled && ev.district) this.focus(String(ev.district));
  }

  /** The figures changed: the first alert district without waiting a turn, and the caption's count. */
  refresh() {
    if (!this.enabled) return;
    if (!this.code && this.ctx.board.districts.size) this.rotate();
    this.renderCaption();
  }

  renderCaption() {
    const { caption: cap, board, store } = this.ctx;
    if (!this.enabled || !this.code) {
      cap.hidden = true;
      return;
    }
    const tr = board.tr;
    const d = kioskTargets(store.events.values(), board.matcher).find((t) => t.code === this.code);
    cap.hidden = false;
    cap.dataset.code = this.code;
    const main = document.createElement("span");
    main.textContent = tr.t("map.focus", { name: board.districtNameOf(this.code) });
    const sub = document.createElement("span");
    sub.className = "sub";
    sub.textContent = tr.t("map.focusCounts", { n: tr.number(d?.count ?? 0) });
    cap.replaceChildren(main, sub);
  }
}
