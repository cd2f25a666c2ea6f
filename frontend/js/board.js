// The wall board: one websocket to /ws, the stream state from stream.js, and incremental DOM and
// map updates batched per animation frame. Data from the server is only ever written with
// textContent (or escaped, for Leaflet's HTML labels). User guide: docs/board.md.

import { SEVERITIES, STATES, describeFilter, emptyFilter, filterToSearch, isEmpty, makeMatcher, parseFilter, toggleValue } from "./filters.js";
import { LANGS, Translator, ageText, cityName, durationText, eventText, formatIso, makeTimeFormats } from "./i18n.js";
import { iconFor, spriteMarkup } from "./icons.js";
import {
  DAY_MS,
  HOUR_MS,
  Timeline,
  activeCounts,
  complaintsOpen,
  districtLoad,
  kioskTargets,
  medianTimeToAck,
  nextTarget,
  shouldAnnounce,
  sparklinePoints,
  withPastWorkflows,
} from "./kpi.js";
import { Calls } from "./calls.js";
import { DetailPanel } from "./detail.js";
import { DirectoryPanel } from "./directory.js";
import { withStream } from "./http.js";
import { EventLists, iconEl, setText } from "./list.js";
import { BoardMap } from "./map.js";
import { ACTOR_KEY, TOKEN_KEY, canAct, cleanActor, takeToken } from "./operator.js";
import { EventIndex } from "./sorted.js";
import { BoardStream, backoffDelay } from "./stream.js";
import { ReplayBar, drillCalls, replayName, searchForStream, streamFromParams } from "./replay.js";

// ------------------------------------------------------------------------------ settings

const STALE_AFTER_MS = 20000; // no message for this long: the wall says so
const PING_AFTER_MS = 10000; // quiet this long: ask the server for a pong
const DEAD_AFTER_MS = 45000; // quiet this long: assume a dead socket and reconnect
const CONNECT_TIMEOUT_MS = 10000;
const TRANSIENT_STATE_MS = 6000; // how long "resumed" / "snapshot reloaded" stay before "live"
const DISTRICT_RETRY_MS = 15000;
const STATS_EVERY_MS = 500; // KPI tiles and district shading at most this often
const MAP_EVERY_MS = 300; // markers and shapes at most this often
const ACTION_TIMEOUT_MS = 10000;
const ANNOUNCE_MS = 12000; // an alert banner stays this long when nothing else waits
const ANNOUNCE_BUSY_MS = 5000; // ... and this long when more are queued
const ANNOUNCE_MIN_MS = 3000; // a newer alert replaces the shown one after this long
const BLINK_MS = 300;
const ANNOUNCE_QUEUE = 5; // newest alerts kept waiting; older ones only count in "+N more"
const FLASH_BODY_MS = 3000; // body[data-alert] is set this long after a new alert
const BACKFILL_PAGE = 1000;
const BACKFILL_MAX_PAGES = 50; // the 24 h figures count at most this many pages of events
const SEARCH_DEBOUNCE_MS = 200;
const MAIN_KINDS = ["disaster", "traffic", "complaint"];

// ------------------------------------------------------------------------------- state

const params = new URLSearchParams(location.search);
const kiosk = params.get("kiosk") === "1";
const rotateMs = Math.max(2, Number(params.get("rotate")) || 15) * 1000;
const streamName = streamFromParams(params); // "live" or "replay:<name>" (docs/board.md)
const store = new BoardStream({ stream: streamName });
const token = operatorToken(); // before anything copies the address: the token leaves it here
let actor = storedActor(); // the operator's name on actions and calls, or null
const index = new EventIndex();
const timeline = new Timeline();
// workflows of the events the 24 h look-back found, for the time to acknowledge (one history's)
let pastWorkflows = { epoch: null, byId: new Map() };

let tr = null; // Translator, once the catalogues are loaded
let filter = parseFilter(params);
let matcher = () => true;
let mapMatcher = () => true; // the filter without its districts: the map shades every district
let districts = new Map(); // code -> {ko, en}
let timeZone = safeStoredTimeZone();
let formats = null;
let selectedId = null;
let focusCode = null;
let initialLoad = true; // the first snapshot is not news
let lastStatsAt = 0;
let statsTimer = null;
let frameRequested = false;
let moreDue = false; // "N more" needs measuring at the start of the next frame
let mapTimer = null;
let lastMapAt = 0;
const mapPending = { upserted: new Set(), removed: new Set(), refilter: false };
let lists = null;
let boardMap = null;
let detail = null;
let directory = null;
let calls = null;
let replayBar = null; // on a replay stream: the banner and the scrubber

const pending = {
  reset: true,
  upserted: new Set(),
  removed: new Set(),
  workflows: new Set(),
  flash: new Set(),
  filter: false,
  feeds: false,
  notices: false,
  error: false,
  replay: false,
};

const $ = (sel) => document.querySelector(sel);
const els = {
  body: document.body,
  conn: $('[data-testid="conn-state"]'),
  connText: $('[data-testid="conn-state"] .conn-text'),
  lastData: $('[data-testid="last-data"]'),
  clock: $('[data-testid="clock"]'),
  clockDate: $('[data-testid="clock-date"]'),
  city: $('[data-testid="city-name"]'),
  demoBanner: $('[data-testid="demo-banner"]'),
  replayBar: $('[data-testid="replay-bar"]'),
  streamSelect: $('[data-testid="stream-select"]'),
  streamMissing: $('[data-testid="stream-missing"]'),
  streamMissingText: $('[data-testid="stream-missing-text"]'),
  filterSummary: $('[data-testid="filter-summary"]'),
  feedAlarm: $('[data-testid="feed-alarm"]'),
  filters: $('[data-testid="filters"]'),
  kindChips: $('[data-testid="filter-kind"]'),
  sevChips: $('[data-testid="filter-sev"]'),
  statusChips: $('[data-testid="filter-status"]'),
  districtSelect: $('[data-testid="filter-district"]'),
  sourceSelect: $('[data-testid="filter-source"]'),
  search: $('[data-testid="search"]'),
  clear: $('[data-testid="filter-clear"]'),
  keyHelp: $('[data-testid="key-help"]'),
  map: $('[data-testid="map"]'),
  legend: $('[data-testid="map-legend"]'),
  mapNote: $('[data-testid="map-note"]'),
  focusCaption: $('[data-testid="kiosk-focus"]'),
  announce: $('[data-testid="announce"]'),
  detail: $('[data-testid="detail"]'),
  kpis: $('[data-testid="kpis"]'),
  feeds: $('[data-testid="feed-list"]'),
  feedsEmpty: $(".feeds-empty"),
  notices: $('[data-testid="notice-list"]'),
  lastSeq: $('[data-testid="last-seq"]'),
  epoch: $('[data-testid="epoch"]'),
  lastError: $('[data-testid="last-error"]'),
  langToggle: $('[data-testid="lang-toggle"]'),
  directory: $('[data-testid="directory"]'),
  directoryToggle: $('[data-testid="directory-toggle"]'),
  soundToggle: $('[data-testid="sound-toggle"]'),
};

function pickLanguage() {
  const fromUrl = params.get("lang");
  if (fromUrl && LANGS.includes(fromUrl)) return fromUrl;
  try {
    const saved = localStorage.getItem("cityboard.lang");
    if (saved && LANGS.includes(saved)) return saved;
  } catch {
    // storage may be disabled in kiosk profiles
  }
  return "ko";
}

/** The operator token: from the operator link (then out of the address bar), else kept for this tab. */
function operatorToken() {
  let stored = null;
  try {
    stored = sessionStorage.getItem(TOKEN_KEY);
  } catch {
    // no storage: the token lasts for this page
  }
  const taken = takeToken(location.search, stored);
  if (taken.search !== null) {
    history.replaceState(null, "", `${location.pathname}${taken.search}${location.hash}`);
    try {
      if (taken.token) sessionStorage.setItem(TOKEN_KEY, taken.token);
    } catch {
      // no storage
    }
  }
  return taken.token;
}

function storedActor() {
  try {
    return cleanActor(localStorage.getItem(ACTOR_KEY));
  } catch {
    return null;
  }
}

function setActor(name) {
  actor = cleanActor(name);
  try {
    if (actor) localStorage.setItem(ACTOR_KEY, actor);
    else localStorage.removeItem(ACTOR_KEY);
  } catch {
    // no storage: the name lasts for this page
  }
}

/** The role changed (a welcome): every action and call button follows. */
function applyRole() {
  if (detail?.isOpen) detail.fill();
  directory?.render();
  calls?.render();
}

function safeStoredTimeZone() {
  try {
    const tz = localStorage.getItem("cityboard.tz");
    if (tz) {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return tz;
    }
  } catch {
    // unknown zone or no storage: wait for the server's welcome
  }
  return null;
}

/** Our best idea of the server's "now": event ages and the clock should not depend on a drifting PC. */
function serverNow() {
  return Date.now() + store.serverTimeOffsetMs;
}

function timeFormats() {
  if (!formats) formats = makeTimeFormats(tr.locale, timeZone ?? undefined);
  return formats;
}

function districtNameOf(code) {
  const d = districts.get(String(code));
  if (!d) return String(code);
  return (tr.lang === "en" ? d.en : d.ko) || d.ko || d.en || String(code);
}

function districtName(ev) {
  if (ev.district) return districtNameOf(ev.district);
  return eventText(ev, tr.lang).area || tr.t("noLocation");
}

function isDemo(ev) {
  return store.demo && ev.source === "demo";
}

function workflowOf(id) {
  return store.workflow(id);
}

function rebuildMatchers() {
  const opts = { workflowOf, districtNames: (code) => Object.values(districts.get(String(code)) ?? {}) };
  matcher = makeMatcher(filter, opts);
  mapMatcher = makeMatcher(filter, { ...opts, ignore: ["districts"] });
}

// ---------------------------------------------------------------------------- connection

/** The socket, its backoff, and the state shown in the header. */
class Connection {
  constructor() {
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
    this.lastPingAt = 0;
    this.pingRef = 0;
    this.actionRef = 0;
    this.pendingActions = new Map(); // ref -> {resolve, reject, timer}
    this.openedAt = 0; // when the current socket opened: silence is never counted from before it
    this.history = []; // recent [state, time] pairs, for debugging at the wall and for tests
    this.stopped = false; // the stream does not exist: no point knocking again
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws`;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
    this.setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      console.warn("cityboard: cannot open websocket", err);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.connectTimer = setTimeout(() => {
      if (ws.readyState !== WebSocket.OPEN) ws.close();
    }, CONNECT_TIMEOUT_MS);
    ws.addEventListener("open", () => {
      clearTimeout(this.connectTimer);
      this.openedAt = Date.now();
      this.send(store.helloMessage({ token }));
    });
    ws.addEventListener("message", (ev) => this.onMessage(ev));
    ws.addEventListener("close", (ev) => this.onClose(ws, ev));
  }

  get online() {
    return ["live", "resumed", "snapshot", "stale"].includes(this.state) && this.ws?.readyState === WebSocket.OPEN;
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
      if (actor) msg.actor = actor;
      const sent = this.send(msg);
      if (!sent) {
        reject(new Error(tr.t("actions.offline")));
        return;
      }
      const timer = setTimeout(() => {
        this.pendingActions.delete(ref);
        reject(new Error(tr.t("actions.timeout")));
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
      msg = JSON.parse(ev.data);
    } catch {
      console.warn("cityboard: a frame that is not JSON", ev.data);
      return;
    }
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
          backfillTimeline(store.epoch);
        }
        break;
      case "result":
        if (change.result?.ref) this._settle(change.result.ref, "resolve", change.result);
        break;
      case "error":
        console.warn("cityboard: server error", msg);
        if (msg.code === "unknown_stream") {
          this.stopped = true;
          // a replay this board was watching: the server stopped it (not a wrong address)
          if (this.hadWelcome && replayBar) showReplayStopped();
          else showStreamMissing(msg.message);
        }
        if (msg.ref) this._settle(msg.ref, "reject", new Error(`${msg.message ?? msg.code} (${msg.code})`));
        break;
      default:
        break;
    }
    if (this.state === "stale") this.setState("live");
    queueChange(change);
  }

  onWelcome(msg, change) {
    this.attempt = 0;
    this.hadWelcomeBefore = this.hadWelcome;
    this.hadWelcome = true;
    applyCity(msg.city);
    applyRole();
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
    for (const ref of [...this.pendingActions.keys()]) this._settle(ref, "reject", new Error(tr.t("actions.offline")));
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
    return Date.now() - Math.max(store.lastMessageAt ?? 0, this.openedAt);
  }

  /** Skip the countdown, e.g. when the network comes back. */
  reconnectNow() {
    if (this.state === "reconnecting") this.connect();
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
    renderConnState();
  }

  /** Once a second: countdown, staleness, keepalive. */
  tick() {
    if (this.state === "reconnecting") {
      renderConnState();
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
      else renderConnState();
    }
  }
}

const conn = new Connection();

// ------------------------------------------------------------------------ change → frame

function queueChange(change) {
  if (change.reset) {
    pending.reset = true;
    pending.upserted.clear();
    pending.removed.clear();
    pending.flash.clear();
  }
  for (const id of change.upserted) {
    pending.upserted.add(id);
    pending.removed.delete(id);
    if (!change.reset && !initialLoad) pending.flash.add(id);
  }
  for (const id of change.removed) {
    pending.removed.add(id);
    pending.upserted.delete(id);
  }
  for (const id of change.workflows) {
    pending.workflows.add(id);
    if (!initialLoad) pending.flash.add(id);
  }
  for (const { ev, prev } of change.applied) {
    timeline.add(ev);
    if (!initialLoad && !change.reset && shouldAnnounce(prev, ev) && matcher(ev)) announcer.push(ev);
  }
  if (change.notices.length) pending.notices = true;
  if (change.feeds) pending.feeds = true;
  if (change.error) pending.error = true;
  if (change.replay) pending.replay = true;
  if (change.actions.length) calls?.apply(change.actions);
  if (detail?.isOpen) {
    const id = detail.id;
    if (change.reset || change.upserted.includes(id) || change.removed.includes(id) || change.workflows.includes(id)) detail.changed();
  }
  scheduleFrame();
}

function scheduleFrame() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(flush);
}

/** All DOM and map work for the messages since the last frame, done once. */
function flush() {
  frameRequested = false;
  if (!tr) return; // catalogues still loading: the first frame after them draws everything
  if (moreDue) {
    // layout is still clean at the start of a frame: measure "N more" before this frame's writes
    moreDue = false;
    lists.updateMore();
  }
  let dirtyKinds = new Set();
  let statusesMatter = filter.statuses.length > 0;
  if (pending.reset) {
    index.reset(store.events.values());
    for (const ev of store.events.values()) timeline.add(ev);
    flushMap();
    boardMap?.apply({ reset: true }, store.events, matcher);
    dirtyKinds = null;
    if (store.lastSeq > 0 || store.epoch) initialLoad = false;
  } else {
    for (const id of pending.removed) {
      const kind = index.kindOf.get(id);
      if (kind !== undefined) dirtyKinds.add(kind);
      index.remove(id);
    }
    for (const id of pending.upserted) {
      const ev = store.events.get(id);
      if (!ev) continue;
      const old = index.kindOf.get(id);
      if (old !== undefined) dirtyKinds.add(old);
      dirtyKinds.add(String(ev.kind ?? "system"));
      index.upsert(ev);
    }
    for (const id of pending.removed) {
      mapPending.removed.add(id);
      mapPending.upserted.delete(id);
    }
    for (const id of pending.upserted) {
      mapPending.upserted.add(id);
      mapPending.removed.delete(id);
    }
    if (statusesMatter && pending.workflows.size) {
      dirtyKinds = null;
      mapPending.refilter = true;
    }
  }
  if (pending.filter) {
    dirtyKinds = null;
    mapPending.refilter = true;
  }
  if (pending.filter && !pending.reset) flushMap(); // a click: at once
  else if (mapPending.upserted.size || mapPending.removed.size || mapPending.refilter) scheduleMap();
  const changed = pending.reset || pending.filter || pending.upserted.size || pending.removed.size || pending.workflows.size;
  if (changed) {
    lists.render({ dirtyKinds, refresh: pending.workflows, flash: pending.flash });
    // the count updates with the rows; the rest of the tiles follow at most twice a second
    const total = lists.total();
    setText(kpiTiles.active.value, tr.number(total));
    kpiTiles.active.value.dataset.count = String(total);
    scheduleStats();
  }
  pending.reset = false;
  pending.filter = false;
  pending.upserted.clear();
  pending.removed.clear();
  pending.workflows.clear();
  pending.flash.clear();
  if (pending.feeds) {
    pending.feeds = false;
    renderFeeds();
  }
  if (pending.notices) {
    pending.notices = false;
    renderNotices();
  }
  if (pending.error) {
    pending.error = false;
    renderError();
  }
  if (pending.replay) {
    pending.replay = false;
    if (replayBar && store.replay) replayBar.update(store.replay);
    calls.render(); // a drill's call buttons say whether they ring real phones
  }
  renderDemo();
  setText(els.lastSeq, String(store.lastSeq));
  setText(els.epoch, store.epoch ? store.epoch.slice(0, 8) : "—");
}

/** Markers and shapes change in batches of at most a few per second: clusters are rebuilt once
 *  per batch, not once per entry. */
function scheduleMap() {
  if (mapTimer !== null) return;
  const wait = Math.max(0, lastMapAt + MAP_EVERY_MS - performance.now());
  mapTimer = setTimeout(() => {
    mapTimer = null;
    requestAnimationFrame(flushMap);
  }, wait);
}

function flushMap() {
  clearTimeout(mapTimer);
  mapTimer = null;
  lastMapAt = performance.now();
  if (pending.reset) {
    mapPending.upserted.clear();
    mapPending.removed.clear();
    mapPending.refilter = false;
    return; // the reset below rebuilds the map
  }
  if (mapPending.upserted.size || mapPending.removed.size) {
    boardMap?.apply({ upserted: mapPending.upserted, removed: mapPending.removed }, store.events, matcher);
  }
  if (mapPending.refilter) boardMap?.refilter(matcher);
  mapPending.upserted.clear();
  mapPending.removed.clear();
  mapPending.refilter = false;
}

// ------------------------------------------------------------------------- KPIs, shading

function scheduleStats() {
  if (statsTimer !== null) return;
  const wait = Math.max(0, lastStatsAt + STATS_EVERY_MS - performance.now());
  statsTimer = setTimeout(() => {
    statsTimer = null;
    lastStatsAt = performance.now();
    renderStats();
  }, wait);
}

const kpiTiles = {};

function tile(key, testid) {
  const node = document.createElement("div");
  node.className = "tile";
  node.dataset.testid = testid;
  node.dataset.kpi = key;
  const top = document.createElement("div");
  top.className = "tile-top";
  const value = document.createElement("span");
  value.className = "tile-value";
  const label = document.createElement("span");
  label.className = "tile-label";
  top.append(value, label);
  const sub = document.createElement("div");
  sub.className = "tile-sub";
  node.append(top, sub);
  els.kpis.append(node);
  const t = { node, value, label, sub, extra: null };
  kpiTiles[key] = t;
  return t;
}

function buildKpis() {
  const active = tile("active", "kpi-active");
  active.value.dataset.testid = "event-count";
  active.extra = document.createElement("div");
  active.extra.className = "sev-counts";
  active.node.insertBefore(active.extra, active.sub);
  for (const kind of MAIN_KINDS) {
    const t = tile(`kind-${kind}`, `kpi-kind-${kind}`);
    t.node.dataset.kind = kind;
    t.icon = iconEl(iconFor(`${kind}.other`, kind));
    t.labelText = document.createElement("span");
    t.label.append(t.icon, t.labelText);
    t.extra = document.createElement("div");
    t.extra.className = "sev-counts";
    t.node.insertBefore(t.extra, t.sub);
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 100 20");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    svg.dataset.testid = "sparkline";
    const base = document.createElementNS("http://www.w3.org/2000/svg", "line");
    base.setAttribute("class", "base");
    base.setAttribute("x1", "0");
    base.setAttribute("x2", "100");
    base.setAttribute("y1", "19.5");
    base.setAttribute("y2", "19.5");
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    svg.append(base, line);
    t.spark = svg;
    t.sparkLine = line;
    t.node.insertBefore(svg, t.sub);
  }
  tile("newHour", "kpi-new-hour");
  tile("complaintsOpen", "kpi-complaints-open");
  tile("tta", "kpi-tta");
}

function sevCounts(container, bySeverity, only = null) {
  const wanted = SEVERITIES.filter((s) => (only ? only.includes(s) : true) && bySeverity[s]);
  const key = wanted.map((s) => `${s}:${bySeverity[s]}`).join(",") + tr.lang;
  if (container.dataset.key === key) return;
  container.dataset.key = key;
  container.replaceChildren(
    ...wanted.map((s) => {
      const span = document.createElement("span");
      span.className = `sev-count sev-${s}`;
      span.dataset.severity = s;
      span.textContent = `${tr.label("severities", s)} ${tr.number(bySeverity[s])}`;
      return span;
    }),
  );
}

function renderStats() {
  if (!tr) return;
  const now = serverNow();
  const events = [...store.events.values()];
  const counts = activeCounts(events, matcher);
  const a = kpiTiles.active;
  setText(a.label, tr.t("kpi.active"));
  a.node.classList.toggle("zero", counts.total === 0);
  sevCounts(a.extra, counts.bySeverity);
  setText(a.sub, store.truncated ? tr.t("list.truncated") : tr.t("kpi.activeHint"));

  const hourly = timeline.hourly(now, { kinds: MAIN_KINDS, match: matcher });
  for (const kind of MAIN_KINDS) {
    const t = kpiTiles[`kind-${kind}`];
    const k = counts.byKind[kind] ?? { total: 0, bySeverity: {} };
    setText(t.value, tr.number(k.total));
    t.value.dataset.count = String(k.total);
    setText(t.labelText, tr.label("kinds", kind));
    t.node.classList.toggle("zero", k.total === 0);
    sevCounts(t.extra, k.bySeverity, ["extreme", "severe", "moderate"]);
    const series = hourly[kind] ?? new Array(24).fill(0);
    t.sparkLine.setAttribute("points", sparklinePoints(series, 100, 20));
    const total = series.reduce((x, y) => x + y, 0);
    const peak = Math.max(0, ...series);
    t.spark.dataset.total = String(total);
    t.spark.setAttribute("aria-label", tr.t("kpi.sparkLabel"));
    setText(t.sub, tr.t("kpi.spark", { n: tr.number(total), max: tr.number(peak) }));
  }

  const newHour = timeline.countSince(now - HOUR_MS, matcher);
  const nh = kpiTiles.newHour;
  setText(nh.value, tr.number(newHour));
  nh.value.dataset.count = String(newHour);
  setText(nh.label, tr.t("kpi.newHour"));
  setText(nh.sub, tr.t("kpi.newHourHint"));
  nh.node.classList.toggle("zero", newHour === 0);

  const open = complaintsOpen(events, workflowOf, matcher);
  const co = kpiTiles.complaintsOpen;
  setText(co.value, tr.number(open));
  co.value.dataset.count = String(open);
  setText(co.label, tr.t("kpi.complaintsOpen"));
  setText(co.sub, tr.t("kpi.complaintsOpenHint"));
  co.node.classList.toggle("zero", open === 0);

  const sentAtOf = (id) => {
    const ev = store.events.get(id);
    const t1 = timeline.sentAt(id);
    if (Number.isFinite(t1)) return t1;
    return ev ? Date.parse(ev.sent_at ?? "") : NaN;
  };
  const include = (id) => {
    const ev = store.events.get(id) ?? timeline.items.get(id)?.ev;
    return ev ? matcher(ev) : isEmpty(filter);
  };
  const past = pastWorkflows.epoch === store.epoch ? pastWorkflows.byId : new Map();
  const tta = medianTimeToAck(withPastWorkflows(store.workflows, past), sentAtOf, { now, windowMs: DAY_MS, include });
  const tt = kpiTiles.tta;
  setText(tt.value, durationText(tta.median, tr));
  tt.value.dataset.ms = tta.median === null ? "" : String(Math.round(tta.median));
  tt.value.dataset.n = String(tta.n);
  setText(tt.label, tr.t("kpi.tta"));
  setText(tt.sub, tta.n ? tr.t("kpi.ttaHint", { n: tr.number(tta.n) }) : tr.t("kpi.ttaNone"));
  tt.node.classList.toggle("zero", tta.n === 0);

  if (boardMap?.ready) {
    boardMap.shade(districtLoad(events, mapMatcher), new Set(filter.districts));
    const missing = boardMap.noLocation;
    els.mapNote.hidden = missing === 0;
    if (missing) setText(els.mapNote, tr.t("map.noGeometry", { n: tr.number(missing) }));
  }
  moreDue = true;
  scheduleFrame();
  if (kiosk) {
    if (!focusCode && districts.size) rotateKiosk(); // the first alert district, without waiting a turn
    updateKioskCaption();
  }
  refreshSources();
}

// --------------------------------------------------------------------------- feed strip

// One feed's health record as the server sends it (feeds/runner.py FeedHealth.as_json):
// {name, state: starting|ok|degraded|down, stale, age_seconds, last_success, last_error, demo, ...}
function feedInfo(h) {
  let state = String(h.state ?? "unknown");
  if (h.stale === true && state === "ok") state = "stale"; // running, but nothing new within its SLA
  let ageMs = null;
  const ts = h.last_success ? Date.parse(h.last_success) : NaN;
  if (!Number.isNaN(ts)) {
    ageMs = serverNow() - ts;
  } else if (typeof h.age_seconds === "number") {
    // an age as of when the record arrived: keep it counting between `feeds` messages
    ageMs = h.age_seconds * 1000 + (store.feedsAt === null ? 0 : Date.now() - store.feedsAt);
  }
  return { name: String(h.name ?? "?"), state, ageMs, error: h.last_error ?? null, demo: h.demo === true, stale: h.stale === true };
}

function feedStateClass(state) {
  const s = state.toLowerCase();
  if (s === "ok") return "ok";
  if (["degraded", "stale", "starting"].includes(s)) return "warn";
  if (s === "down") return "bad";
  return "unknown";
}

const FEED_ORDER = { bad: 0, warn: 1, unknown: 2, ok: 3 };

function renderFeeds() {
  if (!tr) return;
  const list = [...store.feeds].map(feedInfo);
  // problems first, so a stale or down feed is never cut off the strip
  list.sort((a, b) => FEED_ORDER[feedStateClass(a.state)] - FEED_ORDER[feedStateClass(b.state)] || a.name.localeCompare(b.name));
  const existing = new Map([...els.feeds.children].map((li) => [li.dataset.feed, li]));
  let cursor = els.feeds.firstElementChild;
  let problems = 0;
  for (const f of list) {
    let li = existing.get(f.name);
    if (!li) {
      li = document.createElement("li");
      li.dataset.testid = "feed-row";
      li.dataset.feed = f.name;
      const badge = document.createElement("span");
      badge.className = "badge-demo";
      badge.textContent = "DEMO";
      const state = document.createElement("span");
      state.className = "feed-state";
      const name = document.createElement("span");
      name.className = "feed-name";
      const age = document.createElement("span");
      age.className = "feed-age";
      li.append(state, name, badge, age);
    }
    existing.delete(f.name);
    if (li !== cursor) els.feeds.insertBefore(li, cursor);
    else cursor = cursor.nextElementSibling;
    const cls = feedStateClass(f.state);
    if (cls === "bad" || (cls === "warn" && f.state !== "starting")) problems += 1;
    li.className = `feed feed-${cls}`;
    li.dataset.state = f.state;
    li.dataset.stale = String(f.stale);
    setText(li.querySelector(".feed-state"), tr.label("feedStates", f.state.toLowerCase()));
    setText(li.querySelector(".feed-name"), f.name);
    li.querySelector(".badge-demo").hidden = !f.demo;
    setText(
      li.querySelector(".feed-age"),
      f.ageMs === null ? tr.t("age.never") : f.ageMs < 10000 ? tr.t("age.now") : tr.t("age.ago", { age: ageText(f.ageMs, tr) }),
    );
    li.title = f.error ? String(f.error) : "";
  }
  for (const li of existing.values()) li.remove();
  els.feedsEmpty.hidden = list.length > 0;
  // the server cannot reach its log (a node lost Redis): nothing new can arrive, so say so first
  const logDown = store.log?.ok === false;
  els.feedAlarm.hidden = problems === 0 && !logDown;
  els.feedAlarm.dataset.count = String(problems);
  els.feedAlarm.dataset.log = logDown ? "down" : "ok";
  els.feedAlarm.title = logDown ? String(store.log.problem ?? "") : "";
  if (logDown) setText(els.feedAlarm, `⚠ ${tr.t("feeds.logDown")}`);
  else if (problems) setText(els.feedAlarm, `⚠ ${tr.t("feeds.problems", { n: problems })}`);
}

function renderNotices() {
  if (!tr) return;
  const items = store.notices.slice(0, 3);
  const frag = document.createDocumentFragment();
  for (const n of items) {
    const li = document.createElement("li");
    li.className = `notice notice-${n.level ?? "info"}`;
    li.dataset.testid = "notice";
    li.dataset.code = n.code ?? "";
    const when = document.createElement("span");
    when.className = "notice-time";
    when.textContent = formatIso(n.at, timeFormats().short);
    const text = document.createElement("span");
    text.className = "notice-text";
    text.textContent = `${n.source ? `${n.source}: ` : ""}${n.message ?? n.code ?? ""}`;
    li.title = `${n.code ?? ""} ${n.message ?? ""}`;
    li.append(when, text);
    frag.append(li);
  }
  els.notices.replaceChildren(frag);
}

function renderError() {
  const e = store.lastError;
  setText(els.lastError, e ? `${tr.t("errorPrefix")}: ${e.code} — ${e.message ?? ""}` : "");
}

function renderDemo() {
  const demo = store.demo && !replayBar; // a replay has its own banner
  els.demoBanner.hidden = !demo;
  els.body.classList.toggle("demo", demo);
}

// ---------------------------------------------------------------------------- streams

function streamHref(stream) {
  return `${location.pathname}${searchForStream(location.search, stream)}`;
}

/** Watch another stream: the URL changes and the board starts afresh (nothing of the old one is kept). */
function switchStream(stream) {
  if (stream === streamName) return;
  location.assign(streamHref(stream));
}

/** The header's stream menu: live and every running replay (GET /api/replays). */
async function loadStreams() {
  let replays = [];
  try {
    const resp = await fetch("api/replays", { headers: { Accept: "application/json" } });
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    replays = (await resp.json()).replays ?? [];
  } catch (err) {
    console.warn("cityboard: replay list unavailable", err);
  }
  const options = [["live", tr.t("replay.live")]];
  for (const r of replays) {
    const stream = r.stream ?? `replay:${r.name}`;
    const word = tr.t(r.exercise ? "replay.exercise" : "replay.replay");
    options.push([stream, `${word} · ${r.name}`]);
  }
  if (!options.some(([v]) => v === streamName)) options.push([streamName, streamName]);
  const nodes = options.map(([value, label]) => {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    o.selected = value === streamName;
    return o;
  });
  els.streamSelect.replaceChildren(...nodes);
}

/** The replay was stopped while the board watched it: the banner stays (still not live), the rows stay, visibly stale. */
function showReplayStopped() {
  replayBar.stop();
  els.body.classList.add("replay-stopped");
}

function showStreamMissing(message) {
  els.streamMissing.hidden = false;
  els.replayBar.hidden = true;
  setText(els.streamMissingText, `${tr.t("replay.unknownStream", { stream: streamName })}${message ? ` (${message})` : ""}`);
}

function renderConnState() {
  if (!tr) return;
  const state = conn.state;
  let text;
  if (state === "reconnecting") {
    const left = Math.max(0, Math.ceil(((conn.retryAt ?? Date.now()) - Date.now()) / 1000));
    text = tr.t("conn.reconnecting", { n: left });
  } else if (state === "stale") {
    text = tr.t("conn.stale", { n: Math.floor(conn.silenceMs() / 1000) });
  } else if (state === "connecting" && conn.attempt > 0) {
    text = tr.t("conn.connectingAttempt", { n: conn.attempt + 1 });
  } else if (state === "stopped" && replayBar?.stopped) {
    text = tr.t("conn.replayStopped");
  } else {
    text = tr.t(`conn.${state}`);
  }
  els.conn.dataset.state = state;
  setText(els.connText, text);
  const online = state === "live" || state === "resumed" || state === "snapshot";
  // Off line, say how old the wall's picture is (in the city's time, like the clock).
  const last = store.lastMessageAt === null ? "" : formatIso(new Date(store.lastMessageAt + store.serverTimeOffsetMs).toISOString(), timeFormats().clock);
  els.lastData.hidden = online || !last;
  if (!online && last) setText(els.lastData, tr.t("lastData", { time: last }));
  const wasOnline = !els.body.classList.contains("offline");
  els.body.classList.toggle("offline", !online);
  els.body.classList.toggle("stale", state === "stale");
  if (wasOnline !== online && detail?.isOpen) detail.fill();
}

// ------------------------------------------------------------------------------- clock

function applyCity(city) {
  if (!city) return;
  renderCityName();
  if (city.timezone && city.timezone !== timeZone) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: city.timezone });
      timeZone = city.timezone;
      try {
        localStorage.setItem("cityboard.tz", timeZone);
      } catch {
        // no storage: fine, the next welcome tells us again
      }
    } catch {
      console.warn("cityboard: unknown timezone from server", city.timezone);
    }
    formats = null;
  }
  renderClock();
}

/** The city's name in the board's language (welcome.city.names), else the one it has. */
function renderCityName() {
  setText(els.city, cityName(store.city, tr.lang));
}

function renderClock() {
  if (!timeZone || !tr) return; // the city's zone is not known yet: no guessed clock
  const f = timeFormats();
  const now = new Date(serverNow());
  setText(els.clock, f.clock.format(now));
  setText(els.clockDate, f.date.format(now));
}

// ------------------------------------------------------------------------- announcements

/** Plays a short beep per alert through WebAudio; off unless switched on (toggle or ?sound=1). */
class Beeper {
  constructor() {
    this.on = false;
    this.ctx = null;
    this.count = 0; // beeps played (for tests and the curious)
  }

  enable(on) {
    this.on = on;
    if (on && !this.ctx) {
      try {
        this.ctx = new AudioContext();
      } catch (err) {
        console.warn("cityboard: no WebAudio", err);
      }
    }
    if (on && this.ctx?.state === "suspended") this.ctx.resume().catch(() => {});
  }

  beep(severity) {
    if (!this.on || !this.ctx) return;
    this.count += 1;
    const t0 = this.ctx.currentTime + 0.02;
    const n = severity === "extreme" ? 3 : 2;
    const freq = severity === "extreme" ? 1046 : 784;
    for (let i = 0; i < n; i++) {
      const osc = this.ctx.createOscillator();
      const gain = this.ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const start = t0 + i * 0.28;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.2);
      osc.connect(gain).connect(this.ctx.destination);
      osc.start(start);
      osc.stop(start + 0.22);
    }
  }
}

const beeper = new Beeper();

/** Extreme and severe events get a banner over the map that blinks, and a beep. */
class Announcer {
  constructor() {
    this.queue = [];
    this.current = null;
    this.dropped = 0;
    this.timer = null;
    this.flashTimer = null;
    this.blinkTimer = null;
    this.moreEl = null;
    this.shown = 0; // how many banners were shown (tests)
  }

  push(ev) {
    this.queue = this.queue.filter((e) => e.event_id !== ev.event_id);
    this.queue.push(ev);
    if (this.queue.length > ANNOUNCE_QUEUE) {
      this.dropped += this.queue.length - ANNOUNCE_QUEUE;
      this.queue.splice(0, this.queue.length - ANNOUNCE_QUEUE);
    }
    if (!this.current) {
      this.next();
      return;
    }
    this.renderMore();
    // the newest alert is the one to read: cut the current one short, once it has been seen
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.next(), Math.max(0, this.shownAt + ANNOUNCE_MIN_MS - Date.now()));
  }

  next() {
    clearTimeout(this.timer);
    // newest first: the latest alert is the one to read
    this.current = this.queue.pop() ?? null;
    if (!this.current) {
      this.dropped = 0;
      els.announce.hidden = true;
      return;
    }
    this.shown += 1;
    this.shownAt = Date.now();
    const sev = this.current.severity;
    beeper.beep(sev);
    els.body.dataset.alert = sev;
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => delete els.body.dataset.alert, FLASH_BODY_MS);
    if (kiosk && this.current.district) kioskFocus(String(this.current.district));
    this.render();
    this.blink();
    this.timer = setTimeout(() => this.next(), this.queue.length ? ANNOUNCE_BUSY_MS : ANNOUNCE_MS);
  }

  /** Three blinks: a class toggled six times (six repaints of the banner, no animation). */
  blink() {
    clearInterval(this.blinkTimer);
    let n = 0;
    els.announce.classList.add("blink");
    this.blinkTimer = setInterval(() => {
      n += 1;
      els.announce.classList.toggle("blink", n % 2 === 0);
      if (n >= 5) {
        clearInterval(this.blinkTimer);
        els.announce.classList.remove("blink");
      }
    }, BLINK_MS);
  }

  render() {
    const ev = this.current;
    if (!ev || !tr) return;
    const cur = store.events.get(ev.event_id) ?? ev;
    const a = els.announce;
    a.hidden = false;
    a.classList.remove("sev-extreme", "sev-severe");
    a.classList.add(`sev-${cur.severity}`);
    a.dataset.eventId = cur.event_id;
    a.dataset.severity = cur.severity;
    const sev = document.createElement("span");
    sev.className = "a-sev";
    sev.textContent = tr.label("severities", cur.severity);
    const text = document.createElement("span");
    text.className = "a-text";
    const title = document.createElement("span");
    title.className = "a-title";
    title.textContent = eventText(cur, tr.lang).title;
    const where = document.createElement("span");
    where.className = "a-where";
    where.textContent = [tr.label("kinds", cur.kind), districtName(cur)].filter(Boolean).join(" · ");
    text.append(title, where);
    this.moreEl = document.createElement("span");
    this.moreEl.className = "a-more";
    a.replaceChildren(sev, iconEl(iconFor(cur.category, cur.kind)), text, this.moreEl);
    this.renderMore();
  }

  renderMore() {
    if (!this.moreEl || !tr) return;
    const more = this.queue.length + this.dropped;
    setText(this.moreEl, more ? tr.t("announce.more", { n: tr.number(more) }) : "");
  }
}

const announcer = new Announcer();

// --------------------------------------------------------------------------------- kiosk

function kioskFocus(code) {
  focusCode = code;
  boardMap?.focus(code);
  lists?.markSelection();
  scheduleStats();
  updateKioskCaption();
}

function rotateKiosk() {
  const targets = kioskTargets(store.events.values(), matcher);
  const next = nextTarget(targets, focusCode);
  if (next !== focusCode || (next && targets.length === 1 && boardMap?.focusCode !== next)) kioskFocus(next);
}

function updateKioskCaption() {
  const cap = els.focusCaption;
  if (!kiosk || !focusCode || !tr) {
    cap.hidden = true;
    return;
  }
  const d = kioskTargets(store.events.values(), matcher).find((t) => t.code === focusCode);
  cap.hidden = false;
  cap.dataset.code = focusCode;
  const main = document.createElement("span");
  main.textContent = tr.t("map.focus", { name: districtNameOf(focusCode) });
  const sub = document.createElement("span");
  sub.className = "sub";
  sub.textContent = tr.t("map.focusCounts", { n: tr.number(d?.count ?? 0) });
  cap.replaceChildren(main, sub);
}

// ------------------------------------------------------------------------------- filters

function setFilter(next, { fromSearchBox = false } = {}) {
  filter = next;
  rebuildMatchers();
  history.replaceState(null, "", `${location.pathname}${filterToSearch(filter, location.search)}`);
  pending.filter = true;
  renderFilterControls({ keepSearch: fromSearchBox });
  scheduleFrame();
  lastStatsAt = 0;
  scheduleStats();
}

function chip(field, value, label, extraClass = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.className = `chip ${extraClass}`.trim();
  b.dataset.value = value;
  b.dataset.field = field;
  if (field === "severities") {
    const sw = document.createElement("span");
    sw.className = "swatch";
    b.append(sw);
  }
  const text = document.createElement("span");
  text.textContent = label;
  b.append(text);
  b.addEventListener("click", () => setFilter(toggleValue(filter, field, value)));
  return b;
}

function buildFilterControls() {
  els.kindChips.replaceChildren(...MAIN_KINDS.map((k) => chip("kinds", k, "")));
  els.sevChips.replaceChildren(...SEVERITIES.map((s) => chip("severities", s, "", `sev-${s}`)));
  els.statusChips.replaceChildren(...STATES.map((s) => chip("statuses", s, "")));
  els.districtSelect.addEventListener("change", () => {
    const v = els.districtSelect.value;
    if (v === "__many") return;
    setFilter({ ...filter, districts: v ? [v] : [] });
  });
  els.sourceSelect.addEventListener("change", () => {
    const v = els.sourceSelect.value;
    setFilter({ ...filter, sources: v ? [v] : [] });
  });
  let searchTimer = null;
  els.search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => setFilter({ ...filter, q: els.search.value }, { fromSearchBox: true }), SEARCH_DEBOUNCE_MS);
  });
  els.search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      clearTimeout(searchTimer);
      setFilter({ ...filter, q: els.search.value }, { fromSearchBox: true });
    }
  });
  els.filters.addEventListener("submit", (e) => e.preventDefault());
  els.clear.addEventListener("click", () => {
    els.search.value = "";
    setFilter(emptyFilter());
  });
}

function renderFilterControls({ keepSearch = false } = {}) {
  if (!tr) return;
  // statuses in the rows' short words (the filter row must fit one line), the full ones in the tooltip
  const labels = { kinds: "kinds", severities: "severities", statuses: "statesShort" };
  for (const group of [els.kindChips, els.sevChips, els.statusChips]) {
    for (const b of group.children) {
      const field = b.dataset.field;
      setText(b.lastChild, tr.label(labels[field], b.dataset.value));
      if (field === "statuses") b.title = tr.label("states", b.dataset.value);
      b.setAttribute("aria-pressed", String(filter[field].includes(b.dataset.value)));
    }
  }
  // districts: one select; several districts (map clicks) show as "n selected"
  const ds = els.districtSelect;
  const options = [["", tr.t("filters.allDistricts")]];
  const sorted = [...districts.keys()].sort((a, b) => districtNameOf(a).localeCompare(districtNameOf(b), tr.locale));
  for (const code of sorted) options.push([code, districtNameOf(code)]);
  if (filter.districts.length > 1) options.push(["__many", filter.districts.map(districtNameOf).join(", ")]);
  fillSelect(ds, options, filter.districts.length > 1 ? "__many" : filter.districts[0] ?? "");
  refreshSources();
  if (!keepSearch && els.search.value !== filter.q) els.search.value = filter.q;
  const summary = describeFilter(filter, { label: (g, v) => tr.label(g, v), districtName: districtNameOf });
  els.filterSummary.hidden = !summary;
  els.filterSummary.dataset.filter = filterToSearch(filter, "");
  setText(els.filterSummary, summary ? tr.t("filters.active", { what: summary }) : "");
  els.clear.disabled = isEmpty(filter);
}

function fillSelect(select, options, value) {
  const key = JSON.stringify(options);
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    select.replaceChildren(
      ...options.map(([v, label]) => {
        const o = document.createElement("option");
        o.value = v;
        o.textContent = label;
        return o;
      }),
    );
  }
  if (select.value !== value) select.value = value;
}

let knownSources = new Set();
function refreshSources() {
  if (!tr) return;
  const sources = new Set(filter.sources);
  for (const f of store.feeds) if (f?.name) sources.add(String(f.name));
  for (const ev of store.events.values()) if (ev.source) sources.add(ev.source);
  const changed = sources.size !== knownSources.size || [...sources].some((s) => !knownSources.has(s));
  knownSources = sources;
  if (!changed && els.sourceSelect.dataset.lang === tr.lang && els.sourceSelect.options.length) {
    if (els.sourceSelect.value !== (filter.sources[0] ?? "")) els.sourceSelect.value = filter.sources[0] ?? "";
    return;
  }
  els.sourceSelect.dataset.lang = tr.lang;
  const opts = [["", tr.t("filters.allSources")], ...[...sources].sort().map((s) => [s, s])];
  fillSelect(els.sourceSelect, opts, filter.sources[0] ?? "");
}

function onDistrictClick(code) {
  if (kiosk) return;
  setFilter(toggleValue(filter, "districts", code));
}

// ------------------------------------------------------------------------------- detail

function select(id) {
  selectedId = id;
  if (id) detail.open(id);
  else detail.close();
  boardMap?.select(id);
  lists.markSelection();
  directory.render(); // its call buttons are about the selected event
}

/** The open event for the directory's call buttons: {id, title}, or null. */
function selectedEvent() {
  if (!selectedId) return null;
  return { id: selectedId, title: eventText(detail.event() ?? {}, tr.lang).title || selectedId };
}

// ------------------------------------------------------------------------------ language

function applyLanguage() {
  document.documentElement.lang = tr.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) setText(node, tr.t(node.dataset.i18n));
  for (const node of document.querySelectorAll("[data-i18n-label]")) {
    const text = tr.t(node.dataset.i18nLabel);
    node.setAttribute("aria-label", text);
    node.title = text;
  }
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = tr.t(node.dataset.i18nPlaceholder);
  document.title = `${tr.t("title")} · cityboard`;
  renderKeyHelp();
  setText(els.langToggle, tr.t("langButton"));
  els.langToggle.setAttribute("aria-label", tr.t("langLabel"));
  renderSoundToggle();
  formats = null;
  renderLegend();
  renderFilterControls();
  lists.relabel();
  boardMap?.relabel();
  detail.relabel();
  directory.relabel();
  calls.render();
  announcer.render();
  renderFeeds();
  renderNotices();
  renderError();
  renderConnState();
  renderCityName();
  renderClock();
  replayBar?.render();
  if (els.streamSelect.options.length) loadStreams();
  if (conn.stopped && !replayBar?.stopped) showStreamMissing();
  lastStatsAt = 0;
  scheduleStats();
}

/** The key hints, one span each: the filter row shows those that fit (board.css), all in the tooltip. */
function renderKeyHelp() {
  const help = tr.t("keys.help");
  els.keyHelp.title = help;
  els.keyHelp.replaceChildren(
    ...help.split(" · ").map((hint) => {
      const span = document.createElement("span");
      span.textContent = hint;
      return span;
    }),
  );
}

function renderSoundToggle() {
  els.soundToggle.setAttribute("aria-pressed", String(beeper.on));
  setText(els.soundToggle, `♪ ${tr.t(beeper.on ? "sound.on" : "sound.off")}`);
  els.soundToggle.title = tr.t("sound.label");
  els.soundToggle.setAttribute("aria-label", tr.t("sound.label"));
}

function renderLegend() {
  const L = els.legend;
  const sevRow = document.createElement("div");
  sevRow.className = "legend-row";
  for (const s of SEVERITIES) {
    const item = document.createElement("span");
    item.className = `legend-sev sev-${s}`;
    const dot = document.createElement("span");
    dot.className = "legend-dot";
    item.append(dot, `${tr.label("severities", s)}${s === "extreme" ? " !!" : s === "severe" ? " !" : ""}`);
    sevRow.append(item);
  }
  const loadRow = document.createElement("div");
  loadRow.className = "legend-row";
  const ramp = document.createElement("span");
  ramp.className = "legend-ramp";
  for (let i = 1; i <= 5; i++) {
    const sw = document.createElement("span");
    sw.style.background = `var(--load-${i})`;
    ramp.append(sw);
  }
  loadRow.append(`${tr.t("map.legendLoad")}: ${tr.t("map.legendLow")}`, ramp, tr.t("map.legendHigh"));
  const shapes = document.createElement("div");
  shapes.className = "legend-row";
  const sample = (dash, width) => {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "legend-shape");
    svg.setAttribute("viewBox", "0 0 24 10");
    const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
    for (const [k, v] of Object.entries({ x1: 1, y1: 5, x2: 23, y2: 5, stroke: "var(--sev-moderate)", "stroke-width": width })) line.setAttribute(k, String(v));
    if (dash) line.setAttribute("stroke-dasharray", dash);
    svg.append(line);
    return svg;
  };
  shapes.append(sample("4 3", 2), tr.t("map.legendArea"), sample(null, 4), tr.t("map.legendLine"));
  const hint = document.createElement("div");
  hint.className = "legend-row control";
  hint.textContent = tr.t("map.clickToFilter");
  L.replaceChildren(sevRow, loadRow, shapes, hint);
}

function toggleLanguage() {
  tr.setLang(tr.lang === "ko" ? "en" : "ko");
  try {
    localStorage.setItem("cityboard.lang", tr.lang);
  } catch {
    // no storage: the choice lasts for this page
  }
  if (params.has("lang")) {
    const p = new URLSearchParams(location.search);
    p.set("lang", tr.lang);
    history.replaceState(null, "", `${location.pathname}?${p}`);
  }
  applyLanguage();
}

function toggleSound() {
  beeper.enable(!beeper.on);
  try {
    localStorage.setItem("cityboard.sound", beeper.on ? "1" : "0");
  } catch {
    // no storage
  }
  renderSoundToggle();
}

// ------------------------------------------------------------------------------ keyboard

function onKey(e) {
  const target = e.target;
  const typing = target instanceof HTMLElement && (target.matches("input, textarea, select") || target.isContentEditable);
  if (e.key === "Escape") {
    // the directory closes first when the key is pressed in it, or when it is the only panel open
    if (directory.isOpen && (directory.root.contains(target) || !detail.isOpen)) {
      directory.close();
      e.preventDefault();
    } else if (detail.isOpen) {
      select(null);
      e.preventDefault();
    } else if (target === els.search) {
      els.search.blur();
    }
    return;
  }
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "/" && !kiosk) {
    els.search.focus();
    els.search.select();
    e.preventDefault();
    return;
  }
  if (e.key === "l" || e.key === "L") {
    toggleLanguage();
    return;
  }
  if ((e.key === "s" || e.key === "S") && !kiosk) {
    toggleSound();
    return;
  }
  const rowEl = target instanceof HTMLElement ? target.closest('[data-testid="event-row"]') : null;
  if (["ArrowDown", "ArrowUp", "j", "k"].includes(e.key)) {
    const rows = lists.orderedRows();
    if (!rows.length) return;
    const at = rowEl ? rows.indexOf(rowEl) : -1;
    const down = e.key === "ArrowDown" || e.key === "j";
    const next = rows[Math.min(rows.length - 1, Math.max(0, at === -1 ? 0 : at + (down ? 1 : -1)))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
    e.preventDefault();
    return;
  }
  if ((e.key === "Enter" || e.key === " ") && rowEl) {
    select(rowEl.dataset.eventId);
    e.preventDefault();
  }
}

// ----------------------------------------------------------------------------- loading

async function loadCatalogs() {
  const entries = await Promise.all(
    LANGS.map(async (lang) => {
      const resp = await fetch(`i18n/${lang}.json`);
      if (!resp.ok) throw new Error(`i18n/${lang}.json: HTTP ${resp.status}`);
      return [lang, await resp.json()];
    }),
  );
  return Object.fromEntries(entries);
}

async function loadDistricts() {
  try {
    const resp = await fetch("api/districts", { headers: { Accept: "application/geo+json, application/json" } });
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    const geo = await resp.json();
    const map = new Map();
    for (const f of geo.features ?? []) {
      const p = f.properties ?? {};
      if (p.code) map.set(String(p.code), { ko: p.name_ko ?? "", en: p.name_en ?? "" });
    }
    districts = map;
    rebuildMatchers();
    boardMap?.setDistricts(geo);
    lists.relabel();
    renderFilterControls();
    directory.relabel();
    lastStatsAt = 0;
    scheduleStats();
    if (kiosk) rotateKiosk();
  } catch (err) {
    console.warn("cityboard: districts unavailable, showing codes", err);
    els.mapNote.hidden = false;
    setText(els.mapNote, tr.t("map.unavailable"));
    setTimeout(loadDistricts, DISTRICT_RETRY_MS);
  }
}

/**
 * The 24 h sparklines, "new in the last hour" and the time to acknowledge also count events that
 * already ended: page through /api/events (latest version of each event sent in the last 25 h, by
 * the seq of its last change, with the workflows of those acted on) of the stream the board
 * watches, in the background.
 */
async function backfillTimeline(epoch) {
  const since = new Date(serverNow() - DAY_MS - HOUR_MS).toISOString();
  const past = new Map();
  pastWorkflows = { epoch, byId: past };
  let after = 0;
  try {
    for (let page = 0; page < BACKFILL_MAX_PAGES; page++) {
      const query = `sent_after=${encodeURIComponent(since)}&after_seq=${after}&limit=${BACKFILL_PAGE}&workflows=1`;
      const resp = await fetch(withStream(`api/events?${query}`, streamName), { headers: { Accept: "application/json" } });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      const body = await resp.json();
      if (body.epoch !== epoch || store.epoch !== epoch) return;
      for (const ev of body.events ?? []) timeline.add(ev);
      for (const [id, wf] of Object.entries(body.workflows ?? {})) if (wf && typeof wf === "object") past.set(id, wf);
      if ((body.events ?? []).length < BACKFILL_PAGE) break;
      after = body.next_after_seq;
    }
  } catch (err) {
    console.warn("cityboard: could not look back 24 h for the sparklines", err);
  }
  timeline.prune(serverNow());
  lastStatsAt = 0;
  scheduleStats();
}

// ---------------------------------------------------------------------------------- start

async function start() {
  if (kiosk) document.body.classList.add("kiosk");
  document.body.insertAdjacentHTML("afterbegin", spriteMarkup());
  rebuildMatchers();
  let catalogs;
  try {
    catalogs = await loadCatalogs();
  } catch (err) {
    console.error("cityboard: message catalogues missing", err);
    catalogs = { ko: {}, en: {} };
  }
  tr = new Translator(catalogs, pickLanguage());
  try {
    beeper.enable(params.get("sound") === "1" || (params.get("sound") !== "0" && localStorage.getItem("cityboard.sound") === "1"));
  } catch {
    beeper.enable(params.get("sound") === "1");
  }
  const ctx = {
    tr: () => tr,
    index,
    match: () => matcher,
    filtered: () => !isEmpty(filter),
    workflowOf,
    districtName,
    now: serverNow,
    isDemo,
    selectedId: () => selectedId,
    focusDistrict: () => focusCode,
    onSelect: (id) => select(id),
  };
  lists = new EventLists([...document.querySelectorAll("[data-groups]")], ctx);
  boardMap = new BoardMap(els.map, {
    tr: () => tr,
    onSelect: (id) => select(id),
    onDistrictClick,
    districtNames: (code) => districts.get(String(code)) ?? { ko: String(code), en: String(code) },
    kiosk,
    tiles: params.get("tiles"),
  });
  const allowed = () => canAct(store.role);
  calls = new Calls({
    tr: () => tr,
    now: serverNow,
    token: () => token,
    actor: () => actor,
    stream: streamName,
    canAct: allowed,
    drill: () => drillCalls(store.replay),
    openTel: (uri) => {
      location.href = uri; // the operator's softphone or desk phone dials; the page stays
    },
  });
  detail = new DetailPanel(els.detail, {
    tr: () => tr,
    formats: timeFormats,
    now: serverNow,
    store,
    stream: streamName,
    calls,
    districtName,
    isDemo,
    sendAction: (action, id, data) => conn.sendAction(action, id, data),
    connected: () => conn.online,
    canAct: allowed,
    actor: () => actor,
    setActor,
    token: () => token,
    onClose: () => select(null),
  });
  directory = new DirectoryPanel(els.directory, els.directoryToggle, {
    tr: () => tr,
    formats: timeFormats,
    now: serverNow,
    districts: () => districts,
    districtName: districtNameOf,
    selectedEvent,
    calls,
    canAct: allowed,
    token: () => token,
  });
  if (replayName(streamName)) {
    replayBar = new ReplayBar(els.replayBar, { tr: () => tr, formats: timeFormats, name: replayName(streamName), token: () => token });
    replayBar.show(true);
    els.body.classList.add("replay");
  }
  for (const a of document.querySelectorAll('[data-testid="back-to-live"], [data-testid="stopped-back-to-live"], [data-testid="stream-missing-live"]')) {
    a.href = streamHref("live");
    a.addEventListener("click", () => (a.href = streamHref("live"))); // filters or language may have changed since
  }
  els.streamSelect.addEventListener("change", () => switchStream(els.streamSelect.value));
  els.streamSelect.addEventListener("focus", () => loadStreams());
  buildKpis();
  buildFilterControls();
  els.langToggle.addEventListener("click", toggleLanguage);
  els.soundToggle.addEventListener("click", toggleSound);
  els.announce.addEventListener("click", () => {
    if (!kiosk && els.announce.dataset.eventId) select(els.announce.dataset.eventId);
  });
  document.addEventListener("keydown", onKey);
  applyLanguage();
  loadDistricts();
  loadStreams();
  if (streamName !== "live" && !replayName(streamName)) {
    conn.stopped = true; // not a stream name the server could have: say so instead of knocking
    showStreamMissing();
    conn.setState("stopped");
  } else {
    conn.connect();
  }
  scheduleFrame();
  let ticks = 0;
  setInterval(() => {
    ticks += 1;
    renderClock();
    conn.tick();
    calls.render(); // talk time of answered calls
    moreDue = true; // row heights also change when fonts load or titles re-wrap
    scheduleFrame();
    if (ticks % 5 === 0) {
      lists.refreshAges();
      renderFeeds();
    }
    if (ticks % 30 === 0) scheduleStats(); // "last hour" and the sparklines move with the clock
    if (ticks % 600 === 0) timeline.prune(serverNow());
  }, 1000);
  if (kiosk) setInterval(rotateKiosk, rotateMs);
  window.addEventListener("online", () => conn.reconnectNow());
  window.addEventListener("resize", () => lists.updateMore());
  document.fonts?.ready.then(() => lists.updateMore());
  // A read-only handle for debugging at the wall, for browser tests and the benchmark.
  window.cityboard = {
    store,
    conn,
    timeline,
    index,
    get lang() {
      return tr.lang;
    },
    get filter() {
      return filter;
    },
    get map() {
      return boardMap;
    },
    get lists() {
      return lists;
    },
    get replay() {
      return replayBar;
    },
    get announcer() {
      return announcer;
    },
    get beeper() {
      return beeper;
    },
    get focus() {
      return focusCode;
    },
    get selected() {
      return selectedId;
    },
    get role() {
      return store.role;
    },
    missingTranslations: () => [...tr.missing],
  };
}

start();
