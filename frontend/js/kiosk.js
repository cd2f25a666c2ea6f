// Kiosk mode (`?kiosk=1`): the map's focus rotates over the severe situations (their areas) and the districts with
// severe events, and jumps to new alerts, captioned.
// kioskStep has no DOM: `node --test`.

import { kioskTargets, nextTarget } from "./kpi.js";
import { SITUATION_PREFIX, situationTargets } from "./situations.js";

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
 *       map (BoardMap), lists (EventLists), cards (SituationCards: the situations shown),
 *       onFocus() the focus moved (the figures follow)}
 */
export class Kiosk {
  constructor(ctx) {
    this.ctx = ctx;
    this.enabled = ctx.enabled;
    this.code = null; // the focused district or situation id, or null for the whole city
  }

  focus(code) {
    const sit = code?.startsWith(SITUATION_PREFIX) ? this.ctx.store.situations.situations.get(code) : null;
    this.code = code;
    if (!sit || !this.ctx.map.focusArea(code, sit.bbox)) this.ctx.map.focus(sit ? sit.districts?.[0] ?? null : code);
    this.ctx.lists.markSelection();
    this.ctx.cards.markSelection();
    this.ctx.onFocus();
    this.renderCaption();
  }

  /** Every `ms`: the next district. */
  start(ms) {
    if (this.enabled) setInterval(() => this.rotate(), ms);
  }

  rotate() {
    if (!this.enabled) return;
    const targets = this.targets();
    const next = kioskStep(targets, this.code, this.ctx.map.focusCode);
    if (next !== undefined) this.focus(next);
  }

  /** The rotation's stops: severe situations first (worst first), then the other districts with severe events. */
  targets() {
    const sits = situationTargets(this.ctx.cards.visible());
    const covered = new Set(sits.flatMap((t) => t.situation.districts ?? []));
    return [...sits, ...kioskTargets(this.ctx.store.events.values(), this.ctx.board.matcher).filter((t) => !covered.has(t.code))];
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
    const sit = store.situations.situations.get(this.code);
    if (sit) {
      this._caption(tr.t("situations.focus", { title: sit.title ?? sit.id }), tr.t("situations.focusCounts", { n: tr.number(sit.member_count ?? sit.members?.length ?? 0) }));
      return;
    }
    const d = kioskTargets(store.events.values(), board.matcher).find((t) => t.code === this.code);
    this._caption(tr.t("map.focus", { name: board.districtNameOf(this.code) }), tr.t("map.focusCounts", { n: tr.number(d?.count ?? 0) }));
  }

  _caption(title, counts) {
    const cap = this.ctx.caption;
    cap.hidden = false;
    cap.dataset.code = this.code;
    const main = document.createElement("span");
    main.textContent = title;
    const sub = document.createElement("span");
    sub.className = "sub";
    sub.textContent = counts;
    cap.replaceChildren(main, sub);
  }
}
