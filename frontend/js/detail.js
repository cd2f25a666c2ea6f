// The detail panel of one event: what it is, where, when (in the city's time), its source, its
// history (GET /api/events/{id}/history), who is on duty for it (GET /api/officers/on-duty) with
// call buttons that follow each call's life (calls.js), and the operator actions (ack, assign,
// note, resolve) sent over the websocket. Text from the server only ever goes in through textContent.

import { CallControls, callEndedText } from "./calls.js";
import { CameraPanel, pointOf } from "./cameras.js";
import { callPeer, historyItems } from "./history.js";
import { authHeaders, responseError, withStream } from "./http.js";
import { eventText, fetchedTimeText, formatIso } from "./i18n.js";
import { iconFor } from "./icons.js";
import { iconEl, setIcon, setText, sparklineEl } from "./list.js";
import { dutyText, officerName } from "./officers.js";
import { MAX_ACTOR_CHARS } from "./operator.js";
import { stateOf } from "./workflow.js";

const HISTORY_DEBOUNCE_MS = 400;
const RESOLVE_CONFIRM_MS = 4000;
const SEVERITIES = ["extreme", "severe", "moderate", "minor", "info"];
const OFFICER_GROUPS = ["now", "next", "escalation"];
const ROSTER_KINDS = ["disaster", "traffic", "complaint", "system"]; // kinds the duty roster covers

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * ctx: {tr(), formats() → makeTimeFormats(), now() → server time (ms), store, stream, calls (Calls),
 *       districtName(ev), isDemo(ev), sendAction(action, id, data) → Promise<{seq}>, connected(),
 *       canAct(), actor(), setActor(name), onClose(), virtualEvent(id) → a situation's or cluster's item or null,
 *       publicMode: the citizens' board (no history, no officers)}
 */
export class DetailPanel {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.id = null;
    this.lastKnown = null; // the newest version from the history, when the event left the view
    this.history = null; // {state: loading|ok|error, entries, message}
    this.officers = null; // {state: loading|none|error|ok, data, message}
    this.historyTimer = null;
    this.confirmTimer = null;
    this.confirming = false;
    this.generation = 0; // bumps on every open, so late answers for another event are dropped
    const $ = (sel) => root.querySelector(sel);
    this.els = {
      sev: $('[data-testid="detail-severity"]'),
      icon: $(".detail-icon"),
      title: $('[data-testid="detail-title"]'),
      close: $('[data-testid="detail-close"]'),
      gone: $('[data-testid="detail-gone"]'),
      facts: $('[data-testid="detail-facts"]'),
      desc: $('[data-testid="detail-description"]'),
      head: $(".detail-head"),
      ack: $('[data-testid="action-ack"]'),
      resolve: $('[data-testid="action-resolve"]'),
      assign: $('[data-testid="action-assign"]'),
      assignTo: $('[data-testid="assign-to"]'),
      note: $('[data-testid="action-note"]'),
      noteText: $('[data-testid="note-text"]'),
      actionStatus: $('[data-testid="action-status"]'),
      actor: $('[data-testid="actor-name"]'),
      viewOnly: $('[data-testid="view-only"]'),
      officersStatus: $('[data-testid="officers-status"]'),
      officerList: $('[data-testid="officer-list"]'),
      names: root.querySelector("#officer-names"),
      historyStatus: $('[data-testid="history-status"]'),
      historyList: $('[data-testid="history-list"]'),
    };
    this.cameras = new CameraPanel({ status: $('[data-testid="cameras-status"]'), grid: $('[data-testid="camera-grid"]') }, ctx);
    this.els.icon.append(iconEl("alert"));
    this.els.close.addEventListener("click", () => this.ctx.onClose());
    for (const button of [this.els.ack, this.els.resolve, this.els.assign, this.els.note]) {
      button.addEventListener("click", () => this.act(button.dataset.action));
    }
    this.els.assignTo.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.act("assign");
    });
    this.els.actor.maxLength = MAX_ACTOR_CHARS;
    this.els.actor.value = ctx.actor() ?? "";
    this.els.actor.addEventListener("input", () => ctx.setActor(this.els.actor.value));
  }

  get isOpen() {
    return this.id !== null;
  }

  open(id) {
    const same = id === this.id;
    this.id = id;
    this.root.hidden = false;
    this.root.dataset.eventId = id;
    if (!same) {
      this.generation += 1;
      this.lastKnown = null;
      this._resetConfirm();
      setText(this.els.actionStatus, "");
      this.els.actionStatus.classList.remove("error");
      this.els.assignTo.value = "";
      this.els.noteText.value = "";
      if (!this.ctx.publicMode) {
        // the public board shows no story of actions and no officers: nothing to fetch
        this.loadHistory();
        this.loadOfficers();
      }
      this.loadCameras();
    }
    this.fill();
  }

  close() {
    this.id = null;
    this.generation += 1;
    this.root.hidden = true;
    delete this.root.dataset.eventId;
    clearTimeout(this.historyTimer);
    this._resetConfirm();
    this.cameras.stop();
  }

  /** The live cameras nearest the event (a situation or cluster: nearest its point). */
  loadCameras() {
    const virtual = this.ctx.virtualEvent(this.id);
    this.cameras.show(virtual ? { point: pointOf(virtual) } : { eventId: this.id });
  }

  event() {
    return this.ctx.store.events.get(this.id) ?? this.ctx.virtualEvent(this.id) ?? this.lastKnown;
  }

  /** Redraw from what the board holds now (new version, workflow change, language). */
  fill() {
    if (!this.id) return;
    const tr = this.ctx.tr();
    const ev = this.event();
    const gone = !this.ctx.store.events.has(this.id) && !this.ctx.virtualEvent(this.id);
    this.els.gone.hidden = !gone;
    this.root.dataset.gone = String(gone);
    if (!ev) {
      setText(this.els.title, this.id);
      setText(this.els.sev, "");
      this.els.facts.replaceChildren();
      setText(this.els.desc, "");
      this._fillActions(null);
      return;
    }
    const sev = SEVERITIES.includes(ev.severity) ? ev.severity : "info";
    this.els.head.className = `detail-head sev-${sev}`;
    this.els.sev.className = `sev sev-${sev}`;
    setText(this.els.sev, tr.label("severities", sev));
    setIcon(this.els.icon.firstChild, iconFor(ev.category, ev.kind));
    const text = eventText(ev, tr.lang);
    setText(this.els.title, text.title);
    setText(this.els.desc, text.description || tr.t("detail.noDescription"));
    this.els.desc.classList.toggle("muted", !text.description);
    this._fillFacts(ev);
    this._fillActions(ev);
    this.cameras.retranslate();
  }

  _fillFacts(ev) {
    const tr = this.ctx.tr();
    const f = this.ctx.formats();
    const wf = this.ctx.store.workflow(ev.event_id);
    const state = stateOf(wf);
    const rows = [];
    const add = (label, value, testid) => {
      if (value === null || value === undefined || value === "") return;
      rows.push([label, value, testid]);
    };
    const sub = String(ev.category ?? "").split(".")[1] ?? "";
    if (ev.situation) add(tr.t("detail.category"), `${tr.t("situations.kind")} · ${tr.t("situations.members", { n: tr.number(ev.situation.member_count ?? ev.situation.members?.length ?? 0) })}`, "detail-situation");
    else if (ev.cluster) add(tr.t("detail.category"), `${tr.t("clusters.label")} · ${tr.label(`categories.${ev.kind}`, sub)}`, "detail-cluster");
    else add(tr.t("detail.category"), `${tr.label("kinds", ev.kind)} · ${tr.label(`categories.${ev.kind}`, sub)}`);
    if (ev.cluster) {
      const spark = sparklineEl("spark detail-sparkline", "detail-sparkline");
      spark.set(ev.cluster.sparkline);
      add(tr.t("clusters.trend"), spark.svg);
    }
    add(tr.t("detail.district"), this.ctx.districtName(ev));
    add(tr.t("detail.area"), eventText(ev, tr.lang).area, "detail-area");
    add(tr.t("detail.status"), tr.label("statuses", ev.status ?? "active"));
    const wfParts = [tr.label("states", state)];
    if (wf?.acked_at) wfParts.push(tr.t("detail.ackedBy", { time: formatIso(wf.acked_at, f.short), who: wf.acked_by ?? "" }));
    if (wf?.assigned_to) wfParts.push(tr.t("detail.assignedTo", { to: wf.assigned_to }));
    add(tr.t("detail.workflow"), wfParts.join(" · "), "detail-workflow");
    const source = document.createDocumentFragment();
    source.append(ev.source ?? "");
    if (this.ctx.isDemo(ev)) source.append(" ", el("span", "badge-demo", "DEMO"));
    if (ev.url && /^https?:\/\//.test(ev.url)) {
      const a = el("a", "source-link", tr.t("detail.sourceLink"));
      a.href = ev.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      source.append(" · ", a);
    }
    add(tr.t("detail.source"), ev.source ? source : "");
    add(tr.t("detail.sent"), fetchedTimeText(ev, tr, f.full) || formatIso(ev.sent_at, f.full), "detail-sent");
    if (ev.updated_at && ev.updated_at !== ev.sent_at) add(tr.t("detail.updated"), formatIso(ev.updated_at, f.full));
    add(tr.t("detail.expires"), formatIso(ev.expires_at, f.full));
    add(tr.t("detail.received"), formatIso(ev.received_at, f.full));
    add(tr.t("detail.eventId"), `${ev.event_id} · ${tr.t("detail.version", { n: ev.version ?? 1 })}`);
    if (Array.isArray(ev.refs) && ev.refs.length) add(tr.t("detail.refs"), ev.refs.join(", "));
    const frag = document.createDocumentFragment();
    for (const [label, value, testid] of rows) {
      const dt = el("dt", "", label);
      const dd = el("dd");
      if (testid) dd.dataset.testid = testid;
      if (typeof value === "string") dd.textContent = value;
      else dd.append(value);
      frag.append(dt, dd);
    }
    this.els.facts.replaceChildren(frag);
  }

  _fillActions(ev) {
    const tr = this.ctx.tr();
    const state = ev ? stateOf(this.ctx.store.workflow(ev.event_id)) : "new";
    const allowed = this.ctx.canAct();
    const online = this.ctx.connected() && allowed;
    this.els.ack.disabled = !ev || !online || state !== "new";
    this.els.resolve.disabled = !ev || !online || state === "resolved";
    this.els.assign.disabled = !ev || !online;
    this.els.note.disabled = !ev || !online;
    this.els.viewOnly.hidden = allowed;
    this.els.actor.disabled = !allowed;
    for (const b of [this.els.ack, this.els.resolve, this.els.assign, this.els.note]) b.title = allowed ? "" : tr.t("operator.viewOnly");
    setText(this.els.resolve, tr.t(this.confirming ? "actions.resolveConfirm" : "actions.resolve"));
    this.els.resolve.classList.toggle("confirm", this.confirming);
  }

  _resetConfirm() {
    clearTimeout(this.confirmTimer);
    this.confirming = false;
  }

  async act(action) {
    if (!this.id) return;
    const tr = this.ctx.tr();
    const id = this.id;
    const status = this.els.actionStatus;
    let data = {};
    if (action === "resolve" && !this.confirming) {
      // resolving cannot be undone: the first press asks, the second does it
      this.confirming = true;
      this._fillActions(this.event());
      clearTimeout(this.confirmTimer);
      this.confirmTimer = setTimeout(() => {
        this.confirming = false;
        this._fillActions(this.event());
      }, RESOLVE_CONFIRM_MS);
      return;
    }
    if (action === "assign") {
      const to = this.els.assignTo.value.trim();
      if (!to) {
        this._status(tr.t("actions.needName"), true);
        this.els.assignTo.focus();
        return;
      }
      data = { to };
    } else if (action === "note") {
      const text = this.els.noteText.value.trim();
      if (!text) {
        this._status(tr.t("actions.needText"), true);
        this.els.noteText.focus();
        return;
      }
      data = { text };
    }
    this._resetConfirm();
    this._fillActions(this.event());
    if (!this.ctx.connected()) {
      this._status(tr.t("actions.offline"), true);
      return;
    }
    this._status(tr.t("actions.sending"), false);
    status.dataset.state = "sending";
    try {
      const result = await this.ctx.sendAction(action, id, data);
      if (this.id !== id) return;
      this._status(tr.t("actions.done", { seq: result.seq ?? "?" }), false);
      status.dataset.state = "done";
      if (action === "assign") this.els.assignTo.value = "";
      if (action === "note") this.els.noteText.value = "";
    } catch (err) {
      if (this.id !== id) return;
      this._status(tr.t("actions.failed", { message: err?.message ?? String(err) }), true);
      status.dataset.state = "error";
    }
  }

  _status(text, error) {
    setText(this.els.actionStatus, text);
    this.els.actionStatus.classList.toggle("error", error);
  }

  // ------------------------------------------------------------------------------ history

  /** Something about this event arrived on the stream: fetch its history again, once. */
  changed() {
    if (!this.id) return;
    this.fill();
    clearTimeout(this.historyTimer);
    this.historyTimer = setTimeout(() => this.loadHistory(), HISTORY_DEBOUNCE_MS);
  }

  async loadHistory() {
    const id = this.id;
    const gen = this.generation;
    if (!this.history || this.history.id !== id) {
      this.history = { id, state: "loading", entries: [] };
      this._renderHistory();
    }
    try {
      const url = withStream(`api/events/${encodeURIComponent(id)}/history`, this.ctx.stream);
      const resp = await fetch(url, { headers: { Accept: "application/json" } });
      if (gen !== this.generation) return;
      if (!resp.ok) throw new Error(await responseError(resp));
      const body = await resp.json();
      if (gen !== this.generation) return;
      this.history = { id, state: "ok", entries: Array.isArray(body.entries) ? body.entries : [] };
      // a call under way when the panel opened: its row picks up where it stands
      this.ctx.calls.apply(this.history.entries.filter((e) => e?.type === "action").map((e) => e.body));
      // the newest version, for an event that already left the live view
      const versions = this.history.entries.filter((e) => e?.type === "event" && e.body?.event_id === id);
      if (versions.length) this.lastKnown = versions[versions.length - 1].body;
      if (!this.ctx.store.events.has(id)) this.fill();
    } catch (err) {
      if (gen !== this.generation) return;
      this.history = { id, state: "error", entries: [], message: err?.message ?? String(err) };
    }
    this._renderHistory();
  }

  _renderHistory() {
    const tr = this.ctx.tr();
    const f = this.ctx.formats();
    const h = this.history;
    const status = this.els.historyStatus;
    status.classList.toggle("error", h?.state === "error");
    if (!h || h.state === "loading") {
      setText(status, tr.t("history.loading"));
      this.els.historyList.replaceChildren();
      return;
    }
    if (h.state === "error") {
      setText(status, tr.t("history.failed", { message: h.message }));
      this.els.historyList.replaceChildren();
      return;
    }
    const items = historyItems(h.entries, h.id);
    setText(status, items.length ? "" : tr.t("history.empty"));
    status.hidden = items.length > 0;
    const frag = document.createDocumentFragment();
    for (const item of items) {
      const li = el("li", `history-item h-${item.kind}`);
      li.dataset.testid = "history-item";
      li.dataset.kind = item.kind;
      if (item.kind === "action") li.dataset.action = item.action;
      if (item.action === "call_ended") {
        li.dataset.outcome = String(item.data?.outcome ?? "");
        li.classList.toggle("h-failed", item.data?.outcome === "failed");
        if (item.data?.reason) li.title = String(item.data.reason); // the server's own words
      }
      const when = el("time", "history-time", formatIso(item.at, f.short));
      when.title = formatIso(item.at, f.full);
      li.append(when, el("span", "history-text", this._historyText(item)));
      frag.append(li);
    }
    this.els.historyList.replaceChildren(frag);
  }

  _historyText(item) {
    const tr = this.ctx.tr();
    if (item.kind === "version") {
      const ev = item.ev;
      const title = eventText(ev, tr.lang).title;
      if (item.first) {
        return `${tr.t("history.created", { severity: tr.label("severities", ev.severity), status: tr.label("statuses", ev.status ?? "active") })} — ${title}`;
      }
      // in a situation's story, a member's later version says which member it is
      const head = `${item.member ? `“${title}” ` : ""}${tr.t("history.version", { n: item.version })}`;
      if (!item.changed.length) return `${head}: ${tr.t("history.unchanged")}`;
      const fields = item.changed.map((k) => tr.label("history.fields", k)).join(", ");
      const parts = [`${head}: ${tr.t("history.changed", { fields })}`];
      if (item.changed.includes("severity")) parts.push(`${tr.label("severities", item.from.severity)} → ${tr.label("severities", ev.severity)}`);
      if (item.changed.includes("status")) parts.push(`${tr.label("statuses", item.from.status ?? "active")} → ${tr.label("statuses", ev.status ?? "active")}`);
      if (item.changed.includes("title") && !item.member) parts.push(`“${title}”`);
      return parts.join(" · ");
    }
    if (item.kind === "action") {
      const who = item.actor;
      const d = item.data ?? {};
      switch (item.action) {
        case "ack":
          return tr.t("history.ack", { who });
        case "assign":
          return tr.t("history.assign", { who, to: d.to ?? "" });
        case "note":
          return tr.t("history.note", { who, text: d.text ?? "" });
        case "resolve":
          return tr.t("history.resolve", { who });
        case "call_started":
        case "call_ringing":
        case "call_answered": {
          const peer = callPeer(item.call, tr.lang);
          const drill = d.simulated ? ` · ${tr.t("history.drill")}` : "";
          return `${tr.t(`history.${item.action}`, { who, to: peer ? ` → ${peer}` : "" })}${drill}`;
        }
        case "call_ended": {
          const peer = callPeer(item.call, tr.lang);
          const detail = callEndedText(d, tr);
          return tr.t("history.call_ended", { to: peer ? ` → ${peer}` : "", detail: detail ? ` — ${detail}` : "" });
        }
        default:
          return tr.t("history.other", { who, action: item.action });
      }
    }
    return String(item.body?.message ?? item.body?.code ?? "");
  }

  // ----------------------------------------------------------------------------- officers

  async loadOfficers() {
    const id = this.id;
    const gen = this.generation;
    const ev = this.event();
    this.officers = { state: "loading" };
    this._renderOfficers();
    const params = new URLSearchParams({ district: ev?.district || "*" }); // "*": outside every district
    if (ROSTER_KINDS.includes(ev?.kind)) {
      params.set("kind", ev.kind);
      if (ev.category) params.set("category", ev.category);
    }
    try {
      const headers = { Accept: "application/json", ...authHeaders(this.ctx.token?.()) };
      const resp = await fetch(`api/officers/on-duty?${params}`, { headers });
      if (gen !== this.generation || this.id !== id) return;
      if (resp.status === 404) {
        this.officers = { state: "none" };
      } else if (!resp.ok) {
        this.officers = { state: "error", message: await responseError(resp) };
      } else {
        const data = await resp.json();
        if (gen !== this.generation) return;
        this.officers = { state: "ok", data: data && typeof data === "object" ? data : {} };
      }
    } catch (err) {
      if (gen !== this.generation) return;
      this.officers = { state: "error", message: err?.message ?? String(err) };
    }
    this._renderOfficers();
  }

  _renderOfficers() {
    const tr = this.ctx.tr();
    const o = this.officers;
    const status = this.els.officersStatus;
    const list = this.els.officerList;
    status.classList.toggle("error", o?.state === "error");
    status.dataset.state = o?.state ?? "";
    this.els.names.replaceChildren();
    if (!o || o.state !== "ok") {
      const key = { loading: "officers.loading", none: "officers.none", error: "officers.failed" }[o?.state] ?? "officers.loading";
      setText(status, tr.t(key, { message: o?.message ?? "" }));
      status.hidden = false;
      list.replaceChildren();
      return;
    }
    const frag = document.createDocumentFragment();
    let count = 0;
    const names = new Set();
    for (const group of OFFICER_GROUPS) {
      const people = Array.isArray(o.data[group]) ? o.data[group] : [];
      if (!people.length) continue;
      const section = el("div", "officer-group");
      section.dataset.group = group;
      section.append(el("h4", "", tr.t(`officers.${group}`)));
      for (const officer of people) {
        if (!officer || typeof officer !== "object") continue;
        count += 1;
        section.append(this._officerRow(officer));
        names.add(officerName(officer, tr.lang));
      }
      frag.append(section);
    }
    for (const name of names) {
      const option = document.createElement("option");
      option.value = name;
      this.els.names.append(option);
    }
    status.hidden = count > 0;
    setText(status, count ? "" : tr.t("officers.empty"));
    list.replaceChildren(frag);
  }

  _officerRow(officer) {
    const tr = this.ctx.tr();
    const row = el("div", "officer");
    row.dataset.testid = "officer";
    row.dataset.officerId = String(officer.id ?? "");
    row.classList.toggle("on-duty", officer.on_duty === true);
    const who = el("div", "officer-who");
    who.append(el("span", "officer-name", officerName(officer, tr.lang)));
    if (officer.demo === true) who.append(" ", el("span", "badge-demo", "DEMO"));
    const level =
      typeof officer.level === "string"
        ? tr.label("officers.levels", officer.level)
        : Number.isFinite(officer.level)
          ? tr.t("officers.level", { n: officer.level })
          : "";
    const shift = officer.on_duty_until || officer.next_shift_at ? dutyText(officer, tr, this.ctx.formats(), this.ctx.now()) : "";
    const line = el("div", "officer-role", [level, officer.role, officer.department, shift].filter(Boolean).join(" · "));
    if (officer.phone) {
      const a = el("a", "officer-phone", String(officer.phone));
      a.href = `tel:${String(officer.phone).replace(/[^0-9+]/g, "")}`;
      line.append(" · ", a);
    }
    row.append(who);
    if (officer.id) {
      const controls = new CallControls(this.ctx.calls, this.id, officer);
      row.append(controls.buttons, line, controls.status, controls.marks);
    } else {
      row.append(line);
    }
    return row;
  }

  relabel() {
    if (!this.id) return;
    this.fill();
    this._renderHistory();
    this._renderOfficers();
  }
}
