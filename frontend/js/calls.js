// Calls from an event to an officer, shared by the detail panel and the directory: POST /api/calls
// (with the operator's token and name, and the stream on a replay), then the call's life as the
// server records it — call_started → call_ringing → call_answered → call_ended (docs/officers.md).
// Those actions reach every board on the stream, so every board follows every call, not only the
// ones it started. CallBook, callView and the text helpers have no DOM and are tested with
// `node --test`; CallControls is one officer row's call button, hang-up button and status line.

import { authHeaders, readError } from "./http.js";
import { setText } from "./list.js";

export const CALL_ACTIONS = ["call_started", "call_ringing", "call_answered", "call_ended"];
// A call only moves forward: a late or repeated report never takes it back.
const PHASE_RANK = { requesting: 0, error: 0, dialing: 1, handed_off: 1, ringing: 2, answered: 3, ended: 4 };
const LIVE_PHASES = new Set(["requesting", "dialing", "handed_off", "ringing", "answered"]);
const MAX_CALLS_KEPT = 200; // calls a board remembers; each officer row shows its latest
// how a handed-off (tel:) call went, as the operator can say it when marking it over
export const MARK_OUTCOMES = ["answered", "no_answer", "busy"];

/** "0:07", "12:30", "1:02:03": a call's length as a phone shows it. */
export function clockDuration(seconds) {
  const total = Math.max(0, Math.floor(Number(seconds) || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Why a call ended, in the board's language when the server named the reason (`reason_code`),
 * else in the server's words. */
export function reasonText(data, tr) {
  const key = data?.reason_code ? `calls.reasons.${data.reason_code}` : null;
  return key && tr.has(key) ? tr.t(key) : String(data?.reason ?? "");
}

/** How a call ended, for its status line and the history: "answered · 1:02 · hung up by …". */
export function callEndedText(data, tr) {
  const parts = [];
  if (data?.outcome) parts.push(tr.label("calls.outcomes", data.outcome));
  const secs = Number(data?.duration_s);
  if (Number.isFinite(secs) && secs > 0) parts.push(clockDuration(secs));
  const why = reasonText(data, tr);
  if (why) parts.push(why);
  return parts.join(" · ");
}

function ms(iso) {
  const t = Date.parse(iso ?? "");
  return Number.isNaN(t) ? null : t;
}

const keyOf = (eventId, officerId) => `${eventId}\n${officerId}`;

/** Where the API's `status` puts a call. */
function phaseOf(status) {
  if (status === "handed_off" || status === "ringing" || status === "answered" || status === "ended") return status;
  return "dialing";
}

/** The calls a board knows of: each by its id, and the latest one per event and officer. */
export class CallBook {
  constructor() {
    this.byId = new Map(); // call_id -> call, oldest first
    this.latest = new Map(); // event+officer -> the call (or refused request) its row shows
  }

  /** The call an officer's row shows for an event, or null. */
  get(eventId, officerId) {
    return this.latest.get(keyOf(eventId, String(officerId))) ?? null;
  }

  /** This board asked for a call and the server has not answered yet. */
  request(eventId, officerId) {
    const key = keyOf(eventId, officerId);
    this.latest.set(key, { key, event_id: eventId, officer_id: officerId, call_id: null, phase: "requesting" });
  }

  /** The server refused the request before any call existed (401, 403, 404, 409 ...). */
  refuse(eventId, officerId, message) {
    const key = keyOf(eventId, officerId);
    this.latest.set(key, { key, event_id: eventId, officer_id: officerId, call_id: null, phase: "error", message });
  }

  /** A call as the HTTP API describes it (the 202 body, or a 502's `error.call`); null if none. */
  answer(eventId, officerId, body) {
    if (!body || typeof body !== "object" || !body.call_id) return null;
    const call = this._call(String(body.call_id), eventId, officerId);
    call.startedAt ??= ms(body.started_at) ?? Date.now();
    call.dialer = body.dialer ?? call.dialer;
    call.tel_uri = body.tel_uri ?? call.tel_uri;
    if (body.status === "simulated") {
      this._end(call, { outcome: "simulated", reason: body.reason }, null);
    } else if (body.outcome) {
      this._end(call, body, ms(body.ended_at));
    } else {
      this._advance(call, phaseOf(body.status));
      if (body.answered_at) call.answeredAt ??= ms(body.answered_at);
    }
    this._link(call, true);
    return call;
  }

  /** One action body from the stream or from an event's history; true when a call changed. */
  apply(action) {
    const name = action?.action;
    const data = action?.data;
    if (!CALL_ACTIONS.includes(name) || !data?.call_id) return false;
    const id = String(data.call_id);
    const at = ms(action.at);
    if (name === "call_started") {
      const call = this._call(id, String(action.event_id ?? ""), String(data.officer_id ?? ""));
      call.startedAt ??= at;
      call.dialer = data.dialer ?? call.dialer;
      call.tel_uri = data.tel_uri ?? call.tel_uri;
      this._advance(call, data.dialer === "tel" ? "handed_off" : "dialing");
      this._link(call, false);
      return true;
    }
    const call = this.byId.get(id);
    if (!call) return false; // a call whose start this board never saw
    if (name === "call_ringing") return this._advance(call, "ringing");
    if (name === "call_answered") {
      call.answeredAt ??= at;
      return this._advance(call, "answered");
    }
    return this._end(call, data, at);
  }

  _call(id, eventId, officerId) {
    let call = this.byId.get(id);
    if (!call) {
      call = { key: keyOf(eventId, officerId), call_id: id, event_id: eventId, officer_id: officerId, phase: "requesting" };
      this.byId.set(id, call);
      for (const [oldId, old] of this.byId) {
        if (this.byId.size <= MAX_CALLS_KEPT) break;
        this.byId.delete(oldId);
        if (this.latest.get(old.key) === old) this.latest.delete(old.key);
      }
    }
    return call;
  }

  _advance(call, phase) {
    if (call.phase === "ended" || PHASE_RANK[phase] < PHASE_RANK[call.phase]) return false;
    const changed = call.phase !== phase;
    call.phase = phase;
    return changed;
  }

  _end(call, data, at) {
    if (call.phase === "ended") return false;
    call.phase = "ended";
    call.endedAt = at;
    call.outcome = data.outcome ?? null;
    call.duration_s = data.duration_s ?? null;
    call.reason = data.reason ?? "";
    call.reason_code = data.reason_code ?? "";
    return true;
  }

  /** The row shows the newest call: its own answer always, another's start unless older. */
  _link(call, mine) {
    const held = this.latest.get(call.key);
    if (mine || !held || held.call_id === null || (held.startedAt ?? 0) <= (call.startedAt ?? 0)) this.latest.set(call.key, call);
  }
}

/** What an officer's row says about a call: {phase, live, error, text}. */
export function callView(call, tr, now) {
  if (!call) return { phase: "", live: false, error: false, text: "" };
  const view = { phase: call.phase, live: LIVE_PHASES.has(call.phase), error: false, text: "" };
  switch (call.phase) {
    case "requesting":
      view.text = tr.t("calls.requesting");
      break;
    case "dialing":
      view.text = tr.t("calls.dialing");
      break;
    case "handed_off":
      view.text = tr.t("calls.handedOff");
      break;
    case "ringing":
      view.text = tr.t("calls.ringing");
      break;
    case "answered":
      view.text = tr.t("calls.answered", { time: call.answeredAt ? clockDuration((now - call.answeredAt) / 1000) : "" });
      break;
    case "error":
      view.error = true;
      view.text = tr.t("calls.refused", { message: call.message ?? "" });
      break;
    default:
      view.error = call.outcome === "failed";
      view.text = view.error ? tr.t("calls.failed", { reason: reasonText(call, tr) || tr.t("calls.noReason") }) : tr.t("calls.ended", { detail: callEndedText(call, tr) });
      view.detail = call.reason ?? ""; // the server's own words (an address, a SIP status) for whoever fixes it
  }
  if (view.live && call.problem) {
    view.error = true;
    view.text = `${view.text} — ${tr.t("calls.hangupFailed", { message: call.problem })}`;
  }
  return view;
}

// ------------------------------------------------------------------------------- the service

/**
 * Starts and ends calls and keeps every mounted row up to date.
 * ctx: {tr(), now() → server time (ms), token(), actor(), stream, canAct(), openTel(uri),
 *       drill() → "real" | "simulated" | null (replay.js drillCalls)}
 */
export class Calls {
  constructor(ctx) {
    this.ctx = ctx;
    this.book = new CallBook();
    this.views = new Set(); // mounted CallControls
  }

  headers() {
    return { "Content-Type": "application/json", Accept: "application/json", ...authHeaders(this.ctx.token()) };
  }

  /** Call `officer` about event `eventId`; the row follows the call from there. */
  async start(eventId, officer) {
    const officerId = String(officer.id);
    this.book.request(eventId, officerId);
    this.render();
    const body = { event_id: eventId, officer_id: officerId };
    const actor = this.ctx.actor();
    if (actor) body.actor = actor;
    if (this.ctx.stream !== "live") body.stream = this.ctx.stream;
    try {
      const resp = await fetch("api/calls", { method: "POST", headers: this.headers(), body: JSON.stringify(body) });
      if (resp.ok) {
        const answer = await resp.json();
        this.book.answer(eventId, officerId, answer);
        if (answer?.tel_uri) this.ctx.openTel(answer.tel_uri); // the tel dialer: the operator's phone dials
      } else {
        const { body: error, message } = await readError(resp);
        // a 502 is a call that failed and is on the record: show it as that call
        if (!this.book.answer(eventId, officerId, error?.error?.call)) this.book.refuse(eventId, officerId, message);
      }
    } catch (err) {
      this.book.refuse(eventId, officerId, err?.message ?? String(err));
    }
    this.render();
  }

  /** End a call (SIP) or mark a handed-off one over (tel), saying how it went when the operator did (`outcome`). */
  async hangup(call, outcome = null) {
    delete call.problem;
    const init = { method: "POST", headers: this.headers() };
    if (outcome) init.body = JSON.stringify({ outcome });
    try {
      const resp = await fetch(`api/calls/${encodeURIComponent(call.call_id)}/hangup`, init);
      if (!resp.ok) call.problem = (await readError(resp)).message;
      else this.book.answer(call.event_id, call.officer_id, await resp.json());
    } catch (err) {
      call.problem = err?.message ?? String(err);
    }
    this.render();
  }

  /** Call actions from the stream or an event's history; rows redraw when a call changed. */
  apply(actions) {
    let changed = false;
    for (const a of actions) changed = this.book.apply(a) || changed;
    if (changed) this.render();
  }

  /** Redraw every mounted row (also once a second, for the talk time). */
  render() {
    for (const view of this.views) {
      if (view.status.isConnected) view.render();
      else this.views.delete(view);
    }
  }
}

function button(className, testid) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.dataset.testid = testid;
  return b;
}

/**
 * One officer's call button (labelled with catalogue key `label`), hang-up button, status line and,
 * for a call handed to the operator's phone, the buttons that say how it went — for one event.
 * The row shows `buttons`, `status` and `marks`.
 */
export class CallControls {
  constructor(calls, eventId, officer, label = "officers.call") {
    this.calls = calls;
    this.label = label;
    this.eventId = eventId;
    this.officerId = String(officer.id);
    this.call = button("act call", "call-button");
    this.call.addEventListener("click", async () => {
      const started = calls.start(eventId, officer);
      this.status.scrollIntoView({ block: "nearest" }); // the call's progress, in sight ...
      await started;
      this.status.scrollIntoView({ block: "nearest" }); // ... also once the hang-up button is there
    });
    this.hangup = button("act hangup", "hangup-button");
    const end = (outcome) => {
      const call = calls.book.get(eventId, this.officerId);
      if (call?.call_id) calls.hangup(call, outcome);
    };
    this.hangup.addEventListener("click", () => end(null));
    // the tel dialer's number again, in case the browser did not open the phone by itself
    this.tel = document.createElement("a");
    this.tel.className = "call-tel";
    this.tel.dataset.testid = "call-tel";
    this.buttons = document.createElement("div");
    this.buttons.className = "call-buttons";
    this.buttons.append(this.call, this.hangup, this.tel);
    this.status = document.createElement("div");
    this.status.className = "call-status";
    this.status.dataset.testid = "call-status";
    this.status.setAttribute("role", "status");
    this.marks = document.createElement("div");
    this.marks.className = "call-marks";
    this.marks.setAttribute("role", "group");
    this.marksLabel = document.createElement("span");
    this.marksLabel.className = "call-marks-label";
    this.marks.append(this.marksLabel);
    this.outcomes = MARK_OUTCOMES.map((outcome) => {
      const b = button("act", "call-outcome");
      b.dataset.outcome = outcome;
      b.addEventListener("click", () => end(outcome));
      this.marks.append(b);
      return b;
    });
    calls.views.add(this);
    this.render();
  }

  render() {
    const { tr, now, canAct, drill } = this.calls.ctx;
    const t = tr();
    const call = this.calls.book.get(this.eventId, this.officerId);
    const view = callView(call, t, now());
    const allowed = canAct();
    const drillMode = drill?.() ?? null; // on a drill: "real" phones ring, or "simulated"
    const real = drillMode === "real";
    setText(this.call, real ? t.t("calls.realLabel", { label: t.t(this.label) }) : t.t(this.label));
    this.call.classList.toggle("real", real);
    this.call.disabled = !allowed || view.live;
    this.call.title = !allowed ? t.t("operator.viewOnly") : drillMode ? t.t(`calls.drill.${drillMode}`) : "";
    this.hangup.hidden = !(view.live && call.call_id);
    this.hangup.disabled = !allowed;
    const handedOff = call?.phase === "handed_off";
    setText(this.hangup, t.t(handedOff ? "calls.markEnded" : "calls.hangup"));
    this.marks.hidden = !(handedOff && call.call_id);
    this.marks.setAttribute("aria-label", t.t("calls.howItWent"));
    setText(this.marksLabel, t.t("calls.howItWent"));
    for (const b of this.outcomes) {
      setText(b, t.t(`calls.mark.${b.dataset.outcome}`));
      b.disabled = !allowed;
    }
    const tel = call?.phase === "handed_off" ? (call.tel_uri ?? "") : "";
    this.tel.hidden = !tel;
    if (tel && this.tel.getAttribute("href") !== tel) {
      this.tel.href = tel;
      setText(this.tel, `☎ ${tel.replace(/^tel:/, "")}`);
    }
    setText(this.status, view.text);
    this.status.title = view.detail ?? "";
    this.status.hidden = !view.text;
    this.status.classList.toggle("error", view.error);
    this.status.classList.toggle("live", view.live);
    this.status.dataset.phase = view.phase;
    this.status.dataset.outcome = call?.outcome ?? "";
  }
}
