// Replays on the board: which stream the board watches (`?stream=replay:<name>`), the REPLAY /
// EXERCISE banner and the scrubber (density, position, controls). The pure helpers at the top have
// no DOM and are unit-tested with `node --test`. Server side: docs/protocol.md ("Streams"),
// server/openapi.yaml (/api/replays).

import { authHeaders } from "./http.js";

export const SPEEDS = [1, 10, 60, 600];
const STREAM_RE = /^replay:[a-z0-9][a-z0-9_-]{0,39}$/;

/** The stream named in the page's query (`live` when absent or malformed-but-empty). */
export function streamFromParams(params) {
  const raw = (params.get("stream") ?? "").trim();
  return raw === "" ? "live" : raw;
}

/** The replay's name for `replay:<name>`, else null (live, or not a replay stream). */
export function replayName(stream) {
  return typeof stream === "string" && STREAM_RE.test(stream) ? stream.slice("replay:".length) : null;
}

/** The page query for a stream, keeping every other parameter (lang, filters, kiosk ...). */
export function searchForStream(search, stream) {
  const p = new URLSearchParams(search);
  if (!stream || stream === "live") p.delete("stream");
  else p.set("stream", stream);
  const q = p.toString();
  return q ? `?${q}` : "";
}

function ms(iso) {
  const t = Date.parse(iso ?? "");
  return Number.isNaN(t) ? null : t;
}

/** Where the position sits in the recording's span, 0..1 (0 before anything was played). */
export function positionFraction(status) {
  const start = ms(status?.start);
  const end = ms(status?.end);
  const pos = ms(status?.position);
  if (start === null || end === null || pos === null) return 0;
  if (end <= start) return 1;
  return Math.min(1, Math.max(0, (pos - start) / (end - start)));
}

/** The recorded time (ISO, UTC `Z`) at a fraction of the span, or null without a span. */
export function timeAtFraction(status, fraction) {
  const start = ms(status?.start);
  const end = ms(status?.end);
  if (start === null || end === null) return null;
  const f = Math.min(1, Math.max(0, Number(fraction) || 0));
  return new Date(Math.round(start + (end - start) * f)).toISOString();
}

/** "60×", or the translated "as fast as possible" for speed 0. */
export function speedLabel(speed, tr) {
  const n = Number(speed);
  if (!Number.isFinite(n)) return "—";
  if (n === 0) return tr ? tr.t("replay.speedMax") : "max";
  return `${Number.isInteger(n) ? n : n.toFixed(1)}×`;
}

/** What a replay's calls do: "real" (a drill that rings real phones), "simulated" (a drill), or null (no drill). */
export function drillCalls(status) {
  if (!status?.exercise) return null;
  return status.real_calls === true ? "real" : "simulated";
}

/** Density bars as heights 0..1 (the tallest bucket is 1); empty buckets stay 0. */
export function densityHeights(density) {
  const list = Array.isArray(density) ? density.map((n) => Math.max(0, Number(n) || 0)) : [];
  const max = Math.max(0, ...list);
  return list.map((n) => (max > 0 ? n / max : 0));
}

// --------------------------------------------------------------------------------- DOM

/**
 * The banner and scrubber of one replay stream. `ctx`: {tr(), formats(), name}.
 * The status comes from the stream (`update`); density is fetched once per epoch. Once the server
 * stops the replay (`stop`), the banner stays, says so, and the controls are disabled.
 */
export class ReplayBar {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.status = null;
    this.stopped = false;
    this.densityEpoch = null;
    this.dragging = false;
    this.q = (id) => root.querySelector(`[data-testid="${id}"]`);
    this.track = this.q("scrubber-track");
    this.marker = this.q("scrubber-marker");
    this.preview = this.q("scrubber-preview");
    this.bars = this.q("scrubber-density");
    this.errorEl = this.q("replay-error");
    this.speedBox = this.q("replay-speeds");
    for (const speed of SPEEDS) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "replay-btn speed";
      b.setAttribute("data-testid", "replay-speed-button");
      b.dataset.speed = String(speed);
      b.textContent = speedLabel(speed);
      b.addEventListener("click", () => this.control({ op: "speed", speed }));
      this.speedBox.append(b);
    }
    this.q("replay-toggle").addEventListener("click", () => {
      this.control({ op: this.status?.state === "paused" ? "resume" : "pause" });
    });
    this.q("replay-step").addEventListener("click", () => this.control({ op: "step" }));
    this.track.addEventListener("pointerdown", (e) => this._down(e));
    this.track.addEventListener("pointermove", (e) => this._move(e));
    this.track.addEventListener("pointerup", (e) => this._up(e));
    this.track.addEventListener("pointercancel", () => this._cancel());
    this.track.addEventListener("keydown", (e) => this._key(e));
  }

  get name() {
    return this.ctx.name;
  }

  show(on) {
    this.root.hidden = !on;
  }

  /** The server no longer plays this replay: keep the banner (it is still not live), say so, disable the controls. */
  stop() {
    this.stopped = true;
    this._cancel();
    this.showError(null);
    this.render();
  }

  /** A new status (welcome.replay or a `replay` message); null clears nothing but the state. */
  update(status) {
    if (!status) return;
    this.status = status;
    if (status.epoch && status.epoch !== this.densityEpoch) {
      this.densityEpoch = status.epoch;
      this.loadDensity(status.epoch);
    }
    this.render();
  }

  async loadDensity(epoch) {
    try {
      const resp = await fetch(`api/replays/${encodeURIComponent(this.name)}`, { headers: { Accept: "application/json" } });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      const body = await resp.json();
      if (epoch !== this.densityEpoch) return; // a newer epoch asked again meanwhile
      this.drawDensity(body.density);
      if (!this.status) this.update(body);
    } catch (err) {
      console.warn("cityboard: replay density unavailable", err);
      this.densityEpoch = null; // try again with the next status
    }
  }

  drawDensity(density) {
    const heights = densityHeights(density);
    const nodes = heights.map((h) => {
      const bar = document.createElement("span");
      bar.className = "density-bar";
      bar.style.height = `${Math.round(h * 100)}%`;
      return bar;
    });
    this.bars.replaceChildren(...nodes);
    this.bars.dataset.buckets = String(heights.length);
  }

  render() {
    const tr = this.ctx.tr();
    const s = this.status;
    if (!tr) return;
    const exercise = Boolean(s?.exercise);
    this.root.classList.toggle("exercise", exercise);
    this.q("replay-word").textContent = tr.t(exercise ? "replay.exercise" : "replay.replay");
    const drill = drillCalls(s); // a drill says whether its calls ring real phones
    const callsEl = this.q("replay-calls");
    callsEl.hidden = !drill;
    callsEl.dataset.calls = drill ?? "";
    callsEl.textContent = drill ? tr.t(`replay.calls.${drill}`) : "";
    this.q("replay-name").textContent = this.name ?? "";
    const f = this.ctx.formats();
    const pos = s?.position ? fmtTime(s.position, f) : tr.t("replay.notStarted");
    this.q("replay-position").textContent = pos;
    this.q("replay-speed").textContent = s ? speedLabel(s.speed, tr) : "—";
    const state = this.stopped ? "stopped" : s?.state ?? "starting";
    this.q("replay-state").textContent = tr.t(`replay.state.${state}`);
    this.root.dataset.state = state;
    this.q("replay-stopped").hidden = !this.stopped;
    const toggle = this.q("replay-toggle");
    toggle.textContent = tr.t(state === "paused" ? "replay.resume" : "replay.pause");
    toggle.disabled = this.stopped;
    this.q("replay-step").textContent = tr.t("replay.step");
    this.q("replay-step").disabled = state !== "paused";
    for (const b of this.speedBox.children) {
      b.setAttribute("aria-pressed", String(Number(b.dataset.speed) === Number(s?.speed)));
      b.disabled = this.stopped;
    }
    this.track.setAttribute("aria-disabled", String(this.stopped));
    this.track.tabIndex = this.stopped ? -1 : 0;
    this.q("scrubber-start").textContent = s?.start ? fmtTime(s.start, f, "clock") : "";
    this.q("scrubber-end").textContent = s?.end ? fmtTime(s.end, f, "clock") : "";
    this.q("scrubber-start").title = s?.start ? fmtTime(s.start, f) : "";
    this.q("scrubber-end").title = s?.end ? fmtTime(s.end, f) : "";
    const frac = positionFraction(s);
    this.marker.style.left = `${(frac * 100).toFixed(2)}%`;
    this.track.setAttribute("aria-valuenow", String(Math.round(frac * 100)));
    this.track.setAttribute("aria-valuetext", pos);
  }

  showError(text) {
    this.errorEl.hidden = !text;
    this.errorEl.textContent = text ?? "";
  }

  /** POST a control command; the outcome (or the server's refusal) is shown, never swallowed. */
  async control(body) {
    const tr = this.ctx.tr();
    this.showError(null);
    try {
      const resp = await fetch(`api/replays/${encodeURIComponent(this.name)}/control`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", ...authHeaders(this.ctx.token?.()) },
        body: JSON.stringify(body),
      });
      let data = null;
      try {
        data = await resp.json();
      } catch {
        data = null;
      }
      if (!resp.ok) {
        const why = data?.message ?? data?.error ?? resp.statusText;
        const code = data?.code ? ` (${data.code})` : "";
        const hint = resp.status === 403 ? ` — ${tr.t("replay.forbidden")}` : "";
        this.showError(`${tr.t("replay.controlFailed")}: HTTP ${resp.status} ${why}${code}${hint}`);
        return null;
      }
      if (data) this.update(data);
      return data;
    } catch (err) {
      this.showError(`${tr.t("replay.controlFailed")}: ${err.message ?? err}`);
      return null;
    }
  }

  seekFraction(fraction) {
    const at = timeAtFraction(this.status, fraction);
    if (!at) return null;
    return this.control({ op: "seek", at });
  }

  _fraction(e) {
    const r = this.track.getBoundingClientRect();
    return r.width > 0 ? Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)) : 0;
  }

  _showPreview(frac) {
    this.preview.hidden = false;
    this.preview.style.left = `${(frac * 100).toFixed(2)}%`;
    const at = timeAtFraction(this.status, frac);
    this.preview.textContent = at ? fmtTime(at, this.ctx.formats(), "clock") : "";
  }

  _down(e) {
    if (e.button !== 0 || this.stopped) return;
    this.dragging = true;
    this.track.setPointerCapture?.(e.pointerId);
    this._showPreview(this._fraction(e));
  }

  _move(e) {
    if (this.dragging) this._showPreview(this._fraction(e));
  }

  _up(e) {
    if (!this.dragging) return;
    this.dragging = false;
    this.preview.hidden = true;
    this.seekFraction(this._fraction(e));
  }

  _cancel() {
    this.dragging = false;
    this.preview.hidden = true;
  }

  _key(e) {
    if (this.stopped) return;
    const step = e.shiftKey ? 0.1 : 0.02;
    const frac = positionFraction(this.status);
    if (e.key === "ArrowLeft") this.seekFraction(frac - step);
    else if (e.key === "ArrowRight") this.seekFraction(frac + step);
    else if (e.key === "Home") this.seekFraction(0);
    else if (e.key === "End") this.seekFraction(1);
    else return;
    e.preventDefault();
    e.stopPropagation();
  }
}

function fmtTime(iso, formats, which = "full") {
  const t = Date.parse(iso ?? "");
  if (Number.isNaN(t) || !formats) return "";
  return formats[which].format(new Date(t));
}
