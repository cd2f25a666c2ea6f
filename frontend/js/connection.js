// The board's websocket to /ws (hello, resume, keepalive, backoff, actions); it reads only its inputs, so node can test it.

import { backoffDelay } from "./stream.js";

const STALE_AFTER_MS = 20000; // no message for this long: the wall says so
const PING_AFTER_MS = 10000; // quiet this long: ask the server for a pong
const DEAD_AFTER_MS = 45000; // quiet this long: assume a dead socket and reconnect
const CONNECT_TIMEOUT_MS = 10000;
const TRANSIENT_STATE_MS = 6000; // how long "resumed" / "snapshot reloaded" stay before "live"
const ACTION_TIMEOUT_MS = 10000;
const ONLINE_STATES = ["live", "resumed", "snapshot", "stale"];
const UTF8 = new TextDecoder(); // binary frames (the snapshot's parts) hold UTF-8 JSON

/**
 * ctx: {url, store (BoardStream), token, actor() → the operator's name or null, tr (Translator),
 *       onState() the state changed or its countdown moved, onChange(change) after every message,
 *       onWelcome(msg), onNewHistory(epoch) the first snapshot of a history,
 *       onUnknownStream(message, hadWelcome) the server does not have the stream (any more)}
 */
export class Connection {
  constructor(ctx) {
    this.ctx = ctx;
    this.ws = null;
    this.state = "connecting";
    this.attempt = 0; // failed attempts since the last welcome
    this.retryAt = null;
    this.retryTimer = null;
    this.connectTimer = null;
    this.transientTimer = null;
    this.hadWelcome = false; // a welcome on any earlier socket: this one is a reconnect
    this.hadWelcomeBefore = false;
    this.awaitingSnapshot = false;
    this.backfilled = false; // the page was told of this history's first snapshot
    this.lastPingAt = 0;
    this.pingRef = 0;
    this.actionRef = 0;
    this.pendingActions = new Map(); // ref -> {resolve, reject, timer}
    this.openedAt = 0; // when the current socket opened: silence is never counted from before it
    this.history = []; // recent [state, time] pairs, for debugging at the wall and for tests
    this.stopped = false; // the stream does not exist: no point knocking again
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
    this.setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.ctx.url);
    } catch (err) {
      console.warn("cityboard: cannot open websocket", err);
      this.scheduleReconnect();
      return;
    }
    ws.binaryType = "arraybuffer"; // the snapshot's parts (binary_snapshot in the hello)
    this.ws = ws;
    this.connectTimer = setTimeout(() => {
      if (ws.readyState !== WebSocket.OPEN) ws.close();
    }, CONNECT_TIMEOUT_MS);
    ws.addEventListener("open", () => {
      clearTimeout(this.connectTimer);
      this.openedAt = Date.now();
      // binary snapshot parts: read for about half the main thread's time of text frames
      this.send({ ...this.ctx.store.helloMessage({ token: this.ctx.token }), binary_snapshot: true });
    });
    ws.addEventListener("message", (ev) => this.onMessage(ev));
    ws.addEventListener("close", (ev) => this.onClose(ws, ev));
  }

  get online() {
    return ONLINE_STATES.includes(this.state) && this.ws?.readyState === WebSocket.OPEN;
  }

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  /** Send an operator action; resolves with {seq} on `result`, rejects on `error` or timeout. */
  sendAction(action, eventId, data = {}) {
    return new Promise((resolve, reject) => {
      this.actionRef += 1;
      const ref = `a${this.actionRef}`;
      const msg = { v: 1, type: "action", action, event_id: eventId, data, ref };
      const actor = this.ctx.actor();
      if (actor) msg.actor = actor;
      const sent = this.send(msg);
      if (!sent) {
        reject(new Error(this.ctx.tr.t("actions.offline")));
        return;
      }
      const timer = setTimeout(() => {
        this.pendingActions.delete(ref);
        reject(new Error(this.ctx.tr.t("actions.timeout")));
      }, ACTION_TIMEOUT_MS);
      this.pendingActions.set(ref, { resolve, reject, timer });
    });
  }

  _settle(ref, fn, value) {
    const p = this.pendingActions.get(ref);
    if (!p) return;
    clearTimeout(p.timer);
    this.pendingActions.delete(ref);
    p[fn](value);
  }

  onMessage(ev) {
    let msg;
    try {
      msg = JSON.parse(typeof ev.data === "string" ? ev.data : UTF8.decode(ev.data));
    } catch {
      console.warn("cityboard: a frame that is not JSON", ev.data);
      return;
    }
    const store = this.ctx.store;
    const change = store.handle(msg);
    switch (msg.type) {
      case "welcome":
        this.onWelcome(msg, change);
        break;
      case "snapshot":
        if (this.awaitingSnapshot) {
          this.awaitingSnapshot = false;
          this.setState(this.hadWelcomeBefore ? "snapshot" : "live", this.hadWelcomeBefore);
        }
        if (!this.backfilled) {
          this.backfilled = true;
          this.ctx.onNewHistory(store.epoch);
        }
        break;
      case "result":
        if (change.result?.ref) this._settle(change.result.ref, "resolve", change.result);
        break;
      case "error":
        console.warn("cityboard: server error", msg);
        if (msg.code === "unknown_stream") {
          this.stopped = true;
          this.ctx.onUnknownStream(msg.message, this.hadWelcome);
        }
        if (msg.ref) this._settle(msg.ref, "reject", new Error(`${msg.message ?? msg.code} (${msg.code})`));
        break;
      default:
        break;
    }
    if (this.state === "stale") this.setState("live");
    this.ctx.onChange(change);
  }

  onWelcome(msg, change) {
    this.attempt = 0;
    this.hadWelcomeBefore = this.hadWelcome;
    this.hadWelcome = true;
    this.ctx.onWelcome(msg);
    if (change.reset) this.backfilled = false; // another history: look back again
    if (change.reset || msg.mode !== "resume") {
      this.awaitingSnapshot = true; // the state settles when the snapshot lands
    } else if (this.hadWelcomeBefore) {
      this.setState("resumed", true);
    } else {
      this.setState("live");
    }
  }

  onClose(ws, ev) {
    if (ws !== this.ws) return; // an old socket we already replaced
    clearTimeout(this.connectTimer);
    this.ws = null;
    this.awaitingSnapshot = false;
    if (ev.code !== 1000 && ev.code !== 1001 && ev.code !== 1006) {
      console.warn(`cityboard: socket closed ${ev.code} ${ev.reason}`);
    }
    for (const ref of [...this.pendingActions.keys()]) this._settle(ref, "reject", new Error(this.ctx.tr.t("actions.offline")));
    if (this.stopped) {
      this.setState("stopped");
      return;
    }
    // 4009 (a replay was sought or stopped) is a drop like any other: the resume finds another
    // epoch and the server sends a fresh snapshot (or says the stream is gone).
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    const delay = backoffDelay(this.attempt);
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.setState("reconnecting");
  }

  /** Milliseconds since this socket last brought anything (or since it opened). */
  silenceMs() {
    return Date.now() - Math.max(this.ctx.store.lastMessageAt ?? 0, this.openedAt);
  }

  /** Skip the countdown, e.g. when the network comes back. */
  reconnectNow() {
    if (this.state === "reconnecting") this.connect();
  }

  /** Do not connect at all: the stream cannot exist. */
  stop() {
    this.stopped = true;
    this.setState("stopped");
  }

  setState(state, transient = false) {
    clearTimeout(this.transientTimer);
    if (state !== this.state) {
      this.history.push([state, Date.now()]);
      if (this.history.length > 50) this.history.shift();
    }
    this.state = state;
    if (transient) {
      this.transientTimer = setTimeout(() => {
        if (this.state === state) this.setState("live");
      }, TRANSIENT_STATE_MS);
    }
    this.ctx.onState();
  }

  /** Once a second: countdown, staleness, keepalive. */
  tick() {
    if (this.state === "reconnecting") {
      this.ctx.onState();
      return;
    }
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    const silence = this.silenceMs();
    if (silence >= DEAD_AFTER_MS) {
      console.warn("cityboard: no message for", silence, "ms; reconnecting");
      const ws = this.ws;
      ws.close(4000, "stale");
      this.onClose(ws, { code: 4000, reason: "stale" }); // do not wait for a half-open close
      return;
    }
    if (silence >= PING_AFTER_MS && Date.now() - this.lastPingAt >= PING_AFTER_MS) {
      this.lastPingAt = Date.now();
      this.pingRef += 1;
      this.send({ v: 1, type: "ping", ref: `p${this.pingRef}` });
    }
    if (silence >= STALE_AFTER_MS) {
      if (this.state !== "stale") this.setState("stale");
      else this.ctx.onState();
    }
  }
}
