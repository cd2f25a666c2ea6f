// The situation cards above the per-kind lists (issue 14): one card per open situation that the
// filter lets through, worst first — title, severity, districts, counts per kind, age, owner, time
// since its last change and a live countdown to the next escalation step. A card expands to its
// members (rows as in the lists) and its complaint clusters, and on an operator's board to the
// operator acts (rename, close, unlink, merge, split), sent as the contract's ws actions; the
// destructive ones ask once more. The decisions are in situations.js; all text goes in as text.

import { ageText } from "./i18n.js";
import { createRow, fillRow, setText, sparklineEl } from "./list.js";
import { countdownText, escalationOf, escalationState, kindCounts, memberOrder, ownerOf, severityOf, situationMatches } from "./situations.js";
import { stateOf } from "./workflow.js";

export const MAX_CARDS = 40; // more open situations than this: "N more" (the filter narrows them)
export const MAX_MEMBER_ROWS = 60; // an expanded card shows this many members, newest first
const CONFIRM_MS = 4000; // a destructive button asks again for this long
const MAX_TITLE_CHARS = 200;

function el(tag, className, attrs = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function button(className, testid, onClick) {
  const b = el("button", className, { type: "button", "data-testid": testid });
  b.addEventListener("click", (e) => {
    e.stopPropagation();
    onClick();
  });
  return b;
}

/**
 * ctx: {tr(), store (BoardStream), now(), match() → predicate, filtered(), rowCtx (EventLists' ctx,
 *       for member rows), districtNameOf(code), canAct(), connected(), sendAction(action, id, data),
 *       selectedId(), focused() → the kiosk's focused id, onSelect(id)}
 */
export class SituationCards {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.cards = new Map(); // situation id -> card
    this.expanded = new Set(); // ids of expanded cards (kept across renders)
    this.confirming = null; // "<id>|<act>|<arg>" waiting for its second press
    this.confirmTimer = null;
    this.head = el("header", "group-head sit-section-head");
    this.title = el("h3");
    this.count = el("span", "group-count", { "data-testid": "situation-count" });
    this.head.append(this.title, this.count);
    this.list = el("ol", "sit-list", { "data-testid": "situation-list" });
    this.empty = el("p", "empty");
    this.more = el("div", "group-more", { "data-testid": "situation-more" });
    root.append(this.head, this.list, this.more, this.empty);
    this.shown = [];
  }

  /** The situations the filter lets through, worst first. */
  visible() {
    const store = this.ctx.store;
    const match = this.ctx.match();
    const filtered = this.ctx.filtered();
    return store.situations.open().filter((s) => situationMatches(store.situations, s, store.events, match, filtered));
  }

  /** Redraw every card from what the board holds now. */
  render() {
    const tr = this.ctx.tr();
    const all = this.visible();
    this.shown = all.slice(0, MAX_CARDS);
    const keep = new Set(this.shown.map((s) => s.id));
    for (const [id, card] of this.cards) {
      if (!keep.has(id)) {
        card.el.remove();
        this.cards.delete(id);
      }
    }
    let cursor = this.list.firstElementChild;
    for (const sit of this.shown) {
      let card = this.cards.get(sit.id);
      if (!card) {
        card = this._create(sit.id);
        this.cards.set(sit.id, card);
      }
      this._fill(card, sit);
      if (card.el === cursor) cursor = cursor.nextElementSibling;
      else this.list.insertBefore(card.el, cursor);
    }
    setText(this.title, tr.t("situations.label"));
    setText(this.count, tr.number(all.length));
    this.count.dataset.total = String(all.length);
    this.empty.hidden = all.length > 0;
    setText(this.empty, tr.t(this.ctx.filtered() ? "situations.emptyFiltered" : "situations.empty"));
    this.more.hidden = all.length <= MAX_CARDS;
    setText(this.more, tr.t("situations.moreCards", { n: tr.number(all.length - this.shown.length) }));
    this.root.dataset.count = String(all.length);
  }

  /** Once a second: the countdowns and the ages move with the clock. */
  tick() {
    const now = this.ctx.now();
    for (const sit of this.shown) {
      const card = this.cards.get(sit.id);
      if (card) this._times(card, sit, now);
    }
  }

  _create(id) {
    const card = { id, members: new Map(), chosen: new Set() };
    card.el = el("li", "sit-card", { "data-testid": "situation-card", "data-situation-id": id });
    card.headBtn = el("button", "sit-head", { type: "button", "data-testid": "situation-toggle" });
    card.sev = el("span", "sev", { "data-testid": "situation-severity" });
    card.title = el("span", "sit-title", { "data-testid": "situation-title" });
    card.chevron = el("span", "sit-chevron", { "aria-hidden": "true" });
    card.headBtn.append(card.sev, card.title, card.chevron);
    card.headBtn.addEventListener("click", () => this.toggle(id));
    card.districts = el("div", "sit-line sit-districts", { "data-testid": "situation-districts" });
    card.counts = el("div", "sit-line sit-counts", { "data-testid": "situation-counts" });
    card.raised = el("div", "sit-line sit-raised", { "data-testid": "situation-raised" });
    const times = el("div", "sit-line sit-times");
    card.age = el("span", "sit-age", { "data-testid": "situation-age" });
    card.changed = el("span", "sit-changed", { "data-testid": "situation-changed" });
    card.owner = el("span", "sit-owner", { "data-testid": "situation-owner" });
    card.wf = el("span", "wf", { "data-testid": "situation-state" });
    times.append(card.age, card.changed, card.owner, card.wf);
    card.countdown = el("div", "sit-countdown", { "data-testid": "situation-countdown", role: "timer" });
    card.body = el("div", "sit-body", { "data-testid": "situation-body" });
    card.memberList = el("ol", "sit-members event-list", { "data-testid": "situation-members" });
    card.memberMore = el("p", "sit-note", { "data-testid": "situation-members-more" });
    card.clusterList = el("ul", "sit-clusters", { "data-testid": "situation-clusters" });
    card.ops = this._ops(card);
    card.status = el("p", "sit-status", { "data-testid": "situation-status", role: "status" });
    card.body.append(card.memberList, card.memberMore, card.clusterList, card.ops, card.status);
    card.el.append(card.headBtn, card.districts, card.counts, card.raised, times, card.countdown, card.body);
    return card;
  }

  /** The operator's buttons of one card (hidden on a view-only board). */
  _ops(card) {
    const id = card.id;
    const ops = el("div", "sit-ops control", { "data-testid": "situation-ops" });
    card.details = button("act", "situation-details", () => this.ctx.onSelect(id));
    card.renameInput = el("input", "sit-rename-input", { type: "text", maxlength: String(MAX_TITLE_CHARS), "data-testid": "situation-rename-input" });
    card.renameInput.addEventListener("click", (e) => e.stopPropagation());
    card.renameInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.rename(card);
    });
    card.rename = button("act", "situation-rename", () => this.rename(card));
    card.mergeSelect = el("select", "sit-merge-select", { "data-testid": "situation-merge-select" });
    card.mergeSelect.addEventListener("click", (e) => e.stopPropagation());
    card.merge = button("act", "situation-merge", () => this.mergeInto(card));
    card.split = button("act", "situation-split", () => this.split(card));
    card.close = button("act act-resolve", "situation-close", () => this.closeSituation(card));
    const row1 = el("div", "action-row");
    row1.append(card.details, card.split, card.close);
    const row2 = el("div", "action-row");
    row2.append(card.renameInput, card.rename);
    const row3 = el("div", "action-row");
    row3.append(card.mergeSelect, card.merge);
    ops.append(row1, row2, row3);
    return ops;
  }

  toggle(id) {
    if (this.expanded.has(id)) this.expanded.delete(id);
    else this.expanded.add(id);
    const sit = this.ctx.store.situations.situations.get(id);
    const card = this.cards.get(id);
    if (sit && card) this._fill(card, sit);
  }

  _fill(card, sit) {
    const tr = this.ctx.tr();
    const sev = severityOf(sit);
    const wf = this.ctx.store.workflow(sit.id) ?? sit.workflow ?? null;
    const open = this.expanded.has(sit.id);
    card.sit = sit;
    const li = card.el;
    li.className = `sit-card sev-${sev}`;
    li.classList.toggle("expanded", open);
    li.classList.toggle("in-focus", this.ctx.focused() === sit.id);
    li.dataset.severity = sev;
    if (this.ctx.selectedId() === sit.id) li.setAttribute("aria-current", "true");
    else li.removeAttribute("aria-current");
    card.headBtn.setAttribute("aria-expanded", String(open));
    card.headBtn.title = tr.t(open ? "situations.collapse" : "situations.expand");
    setText(card.chevron, open ? "▾" : "▸");
    setText(card.sev, tr.label("severities", sev));
    card.sev.title = sit.raised ? tr.t("situations.raised") : "";
    setText(card.title, String(sit.title ?? sit.id));
    const names = (Array.isArray(sit.districts) ? sit.districts : []).map((c) => this.ctx.districtNameOf(c));
    setText(card.districts, names.length > 3 ? `${names.slice(0, 3).join(", ")} ${tr.t("situations.districtsMore", { n: names.length - 3 })}` : names.join(", "));
    card.districts.title = names.join(", ");
    card.districts.hidden = !names.length;
    setText(card.counts, kindCounts(sit).map(([k, n]) => `${tr.label("kinds", k)} ${tr.number(n)}`).join(" · "));
    setText(card.raised, sit.raised ? `▲ ${tr.t("situations.raised")}` : "");
    card.raised.hidden = !sit.raised;
    const owner = ownerOf(sit, wf);
    setText(card.owner, owner ? tr.t("situations.owner", { name: owner }) : tr.t("situations.noOwner"));
    card.owner.classList.toggle("muted", !owner);
    const state = stateOf(wf);
    card.wf.className = `wf wf-${state}`;
    setText(card.wf, tr.label("statesShort", state));
    card.wf.title = tr.label("states", state);
    this._times(card, sit, this.ctx.now());
    card.body.hidden = !open;
    if (open) this._fillBody(card, sit);
  }

  /** Age, time since the last change and the escalation countdown: they move every second. */
  _times(card, sit, now) {
    const tr = this.ctx.tr();
    const age = ageText(now - Date.parse(sit.first_at ?? ""), tr);
    setText(card.age, tr.t("situations.age", { age }));
    setText(card.changed, tr.t("situations.changed", { age: ageText(now - Date.parse(sit.last_change_at ?? ""), tr) }));
    const store = this.ctx.store;
    const esc = escalationOf(sit, store.workflow(sit.id) ?? sit.workflow, (id) => store.workflow(id));
    const text = countdownText(esc, now, tr);
    setText(card.countdown, text);
    card.countdown.hidden = !text;
    const state = escalationState(esc, now).state;
    if (card.countdown.dataset.state !== state) card.countdown.dataset.state = state;
  }

  _fillBody(card, sit) {
    const tr = this.ctx.tr();
    const events = this.ctx.store.events;
    const members = memberOrder(sit, events, this.ctx.store.situations.clusterOf);
    const known = members.filter((id) => events.has(id));
    const shown = known.slice(0, MAX_MEMBER_ROWS);
    const keep = new Set(shown);
    for (const [id, row] of card.members) {
      if (!keep.has(id)) {
        row.el.remove();
        card.members.delete(id);
      }
    }
    for (const id of card.chosen) if (!members.includes(id)) card.chosen.delete(id);
    const now = this.ctx.now();
    let cursor = card.memberList.firstElementChild;
    for (const id of shown) {
      let row = card.members.get(id);
      if (!row) {
        row = this._memberRow(card);
        card.members.set(id, row);
      }
      fillRow(row, events.get(id), this.ctx.rowCtx, now);
      row.el.dataset.testid = "situation-member";
      row.check.checked = card.chosen.has(id);
      const armed = this.confirming === `${sit.id}|unlink|${id}`;
      setText(row.unlink, tr.t(armed ? "situations.unlinkConfirm" : "situations.unlink"));
      row.unlink.classList.toggle("confirm", armed);
      row.check.title = tr.t("situations.select");
      row.check.setAttribute("aria-label", tr.t("situations.select"));
      if (row.el === cursor) cursor = cursor.nextElementSibling;
      else card.memberList.insertBefore(row.el, cursor);
    }
    const notes = [];
    if (known.length > shown.length) notes.push(tr.t("situations.membersMore", { n: tr.number(known.length - shown.length) }));
    if (members.length > known.length) notes.push(tr.t("situations.ended", { n: tr.number(members.length - known.length) }));
    setText(card.memberMore, notes.join(" · "));
    card.memberMore.hidden = !notes.length;
    this._fillClusters(card, sit);
    this._fillOps(card, sit);
  }

  _memberRow(card) {
    const row = createRow((id) => this.ctx.onSelect(id));
    row.check = el("input", "sit-check control", { type: "checkbox", "data-testid": "situation-member-check" });
    row.check.addEventListener("click", (e) => e.stopPropagation());
    row.check.addEventListener("change", () => {
      const id = row.el.dataset.eventId;
      if (row.check.checked) card.chosen.add(id);
      else card.chosen.delete(id);
      this._fillOps(card, card.sit);
    });
    row.unlink = button("sit-unlink control", "situation-unlink", () => this.unlink(card, row.el.dataset.eventId));
    const ops = el("span", "sit-member-ops");
    ops.append(row.check, row.unlink);
    row.el.append(ops);
    return row;
  }

  _fillClusters(card, sit) {
    const tr = this.ctx.tr();
    const items = [];
    for (const cid of Array.isArray(sit.clusters) ? sit.clusters : []) {
      const c = this.ctx.store.situations.clusters.get(cid);
      if (!c) continue;
      const li = el("li", "sit-cluster", { "data-testid": "situation-cluster", "data-cluster-id": cid });
      const sub = String(c.category ?? "").split(".")[1] ?? "other";
      const label = el("span", "sit-cluster-label");
      label.textContent = tr.t("clusters.title", { category: tr.label("categories.complaint", sub), n: tr.number(c.count ?? 0) });
      const spark = sparklineEl("spark", "situation-cluster-sparkline");
      spark.set(c.sparkline);
      li.append(label, spark.svg);
      li.addEventListener("click", () => this.ctx.onSelect(cid));
      items.push(li);
    }
    card.clusterList.replaceChildren(...items);
    card.clusterList.hidden = !items.length;
  }

  _fillOps(card, sit) {
    const tr = this.ctx.tr();
    const allowed = this.ctx.canAct();
    card.ops.hidden = !allowed;
    for (const row of card.members.values()) {
      row.check.hidden = !allowed;
      row.unlink.hidden = !allowed;
    }
    if (!allowed) return;
    const online = this.ctx.connected();
    const armed = (act, arg = "") => this.confirming === `${sit.id}|${act}|${arg}`;
    setText(card.details, tr.t("situations.details"));
    setText(card.rename, tr.t("situations.rename"));
    card.renameInput.placeholder = tr.t("situations.renamePlaceholder");
    card.renameInput.setAttribute("aria-label", tr.t("situations.renamePlaceholder"));
    setText(card.close, tr.t(armed("close") ? "situations.closeConfirm" : "situations.close"));
    card.close.classList.toggle("confirm", armed("close"));
    const n = card.chosen.size;
    setText(card.split, tr.t(armed("split") ? "situations.splitConfirm" : "situations.split", { n: tr.number(n) }));
    card.split.classList.toggle("confirm", armed("split"));
    card.split.disabled = !online || n === 0;
    const others = this.ctx.store.situations.open().filter((s) => s.id !== sit.id);
    const options = [["", tr.t("situations.mergeChoose")], ...others.map((s) => [s.id, `${tr.label("severities", severityOf(s))} · ${s.title ?? s.id}`])];
    const key = JSON.stringify(options);
    if (card.mergeSelect.dataset.key !== key) {
      const value = card.mergeSelect.value;
      card.mergeSelect.dataset.key = key;
      card.mergeSelect.replaceChildren(
        ...options.map(([v, label]) => {
          const o = el("option");
          o.value = v;
          o.textContent = label;
          return o;
        }),
      );
      card.mergeSelect.value = others.some((s) => s.id === value) ? value : "";
    }
    card.mergeSelect.setAttribute("aria-label", tr.t("situations.mergeChoose"));
    const mergeArmed = armed("merge", card.mergeSelect.value);
    setText(card.merge, tr.t(mergeArmed ? "situations.mergeConfirm" : "situations.merge"));
    card.merge.classList.toggle("confirm", mergeArmed);
    for (const b of [card.rename, card.merge, card.close]) b.disabled = !online;
    for (const row of card.members.values()) row.unlink.disabled = !online;
  }

  // --------------------------------------------------------------------------- operator acts

  /** A destructive act's first press arms it (the button asks again); the second, within CONFIRM_MS, says yes. */
  _confirmed(card, act, arg = "") {
    const key = `${card.id}|${act}|${arg}`;
    if (this.confirming === key) {
      this._disarm();
      return true;
    }
    this.confirming = key;
    clearTimeout(this.confirmTimer);
    this.confirmTimer = setTimeout(() => {
      this._disarm();
      this._refill(card);
    }, CONFIRM_MS);
    this._refill(card);
    return false;
  }

  _disarm() {
    clearTimeout(this.confirmTimer);
    this.confirming = null;
  }

  _refill(card) {
    if (card.sit && this.cards.get(card.id) === card) this._fill(card, card.sit);
  }

  rename(card) {
    const title = card.renameInput.value.trim().slice(0, MAX_TITLE_CHARS);
    if (!title) {
      this._status(card, this.ctx.tr().t("situations.needTitle"), "error");
      card.renameInput.focus();
      return;
    }
    this._send(card, "situation_rename", { title }, () => {
      card.renameInput.value = "";
    });
  }

  closeSituation(card) {
    if (this._confirmed(card, "close")) this._send(card, "situation_close", {});
  }

  unlink(card, eventId) {
    if (this._confirmed(card, "unlink", eventId)) this._send(card, "situation_unlink", { event: eventId });
  }

  mergeInto(card) {
    const from = card.mergeSelect.value;
    if (!from) {
      this._status(card, this.ctx.tr().t("situations.needOther"), "error");
      return;
    }
    if (this._confirmed(card, "merge", from)) this._send(card, "situation_merge", { from });
  }

  split(card) {
    const events = [...card.chosen];
    if (!events.length) return;
    if (this._confirmed(card, "split")) {
      this._send(card, "situation_split", { events }, () => card.chosen.clear());
    }
  }

  async _send(card, action, data, onDone = () => {}) {
    const tr = this.ctx.tr();
    this._refill(card);
    if (!this.ctx.connected()) {
      this._status(card, tr.t("actions.offline"), "error");
      return;
    }
    this._status(card, tr.t("actions.sending"), "sending");
    try {
      const result = await this.ctx.sendAction(action, card.id, data);
      onDone();
      this._status(card, tr.t("actions.done", { seq: result.seq ?? "?" }), "done");
    } catch (err) {
      this._status(card, tr.t("actions.failed", { message: err?.message ?? String(err) }), "error");
    }
  }

  _status(card, text, state) {
    setText(card.status, text);
    card.status.dataset.state = state;
    card.status.classList.toggle("error", state === "error");
  }

  /** The kiosk's focus or the selection moved: mark the cards. */
  markSelection() {
    for (const card of this.cards.values()) {
      card.el.classList.toggle("in-focus", this.ctx.focused() === card.id);
      if (this.ctx.selectedId() === card.id) card.el.setAttribute("aria-current", "true");
      else card.el.removeAttribute("aria-current");
    }
  }
}
