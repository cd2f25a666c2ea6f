// The wall board: one websocket to /ws, the stream state from stream.js, and incremental DOM
// updates batched per animation frame. Data is only ever written with textContent.

import { BoardStream, backoffDelay, compareNewestFirst, eventTime } from "./stream.js";

// ------------------------------------------------------------------------------ settings

const STALE_AFTER_MS = 20000; // no message for this long: the wall says so
const PING_AFTER_MS = 10000; // quiet this long: ask the server for a pong
const DEAD_AFTER_MS = 45000; // quiet this long: assume a dead socket and reconnect
const CONNECT_TIMEOUT_MS = 10000;
const TRANSIENT_STATE_MS = 6000; // how long "resumed" / "snapshot reloaded" stay before "live"
const MAX_ROWS = 500; // rows in the DOM; the count still shows every active event
const FLASH_MS = 2500;
const DISTRICT_RETRY_MS = 15000;
const ALWAYS_SHOWN_KINDS = ["disaster", "traffic", "complaint"];
const KIND_ORDER = ["disaster", "traffic", "complaint", "call", "system"];
const SEVERITIES = ["extreme", "severe", "moderate", "minor", "info"];

// --------------------------------------------------------------------------- catalogue

const STRINGS = {
  ko: {
    title: "상황판",
    demoBanner: "시연용 데이터 — 실제 상황이 아닙니다",
    activeEvents: "진행 중인 상황",
    colSeverity: "등급",
    colKind: "분류",
    colTitle: "내용",
    colDistrict: "자치구",
    colAge: "경과",
    colSource: "출처",
    noEvents: "진행 중인 상황이 없습니다",
    feeds: "데이터 피드",
    noFeeds: "피드 정보 없음",
    notices: "시스템 알림",
    noNotices: "알림 없음",
    seq: "seq",
    epoch: "epoch",
    showing: "{shown}건 표시 / 전체 {total}건",
    moreBelow: "▼ 아래에 {n}건 더",
    truncated: "서버 스냅샷 한도 초과",
    langButton: "EN",
    langLabel: "Switch to English",
    conn: {
      connecting: "연결 중…",
      connectingAttempt: "연결 중… ({n}번째 시도)",
      live: "실시간",
      reconnecting: "{n}초 후 재연결",
      resumed: "재연결됨 · 이어받음",
      snapshot: "재연결됨 · 전체 다시 불러옴",
      stale: "수신 없음 {n}초",
    },
    kinds: {
      disaster: "재난",
      traffic: "교통",
      complaint: "민원",
      call: "통화",
      system: "시스템",
    },
    severities: {
      extreme: "심각",
      severe: "경계",
      moderate: "주의",
      minor: "관심",
      info: "정보",
    },
    feedStates: {
      ok: "정상",
      stale: "지연",
      degraded: "불안정",
      down: "중단",
      starting: "시작 중",
      unknown: "알 수 없음",
    },
    age: {
      now: "방금",
      s: "{n}초",
      min: "{n}분",
      h: "{n}시간",
      d: "{n}일",
      never: "—",
    },
    ago: "{age} 전",
    lastData: "마지막 수신 {time}",
    errorPrefix: "서버 오류",
  },
  en: {
    title: "Situation Board",
    demoBanner: "Demo data — not a real situation",
    activeEvents: "Active events",
    colSeverity: "Severity",
    colKind: "Kind",
    colTitle: "Event",
    colDistrict: "District",
    colAge: "Age",
    colSource: "Source",
    noEvents: "No active events",
    feeds: "Data feeds",
    noFeeds: "No feed health yet",
    notices: "System notices",
    noNotices: "No notices",
    seq: "seq",
    epoch: "epoch",
    showing: "showing {shown} of {total}",
    moreBelow: "▼ {n} more below",
    truncated: "server snapshot limit reached",
    langButton: "한국어",
    langLabel: "한국어로 보기",
    conn: {
      connecting: "Connecting…",
      connectingAttempt: "Connecting… (attempt {n})",
      live: "Live",
      reconnecting: "Reconnecting in {n} s",
      resumed: "Reconnected · resumed",
      snapshot: "Reconnected · snapshot reloaded",
      stale: "Stale · no data for {n} s",
    },
    kinds: {
      disaster: "Disaster",
      traffic: "Traffic",
      complaint: "Complaint",
      call: "Call",
      system: "System",
    },
    severities: {
      extreme: "Extreme",
      severe: "Severe",
      moderate: "Moderate",
      minor: "Minor",
      info: "Info",
    },
    feedStates: {
      ok: "OK",
      stale: "Stale",
      degraded: "Degraded",
      down: "Down",
      starting: "Starting",
      unknown: "Unknown",
    },
    age: {
      now: "now",
      s: "{n} s",
      min: "{n} min",
      h: "{n} h",
      d: "{n} d",
      never: "—",
    },
    ago: "{age} ago",
    lastData: "last data {time}",
    errorPrefix: "Server error",
  },
};

const LOCALES = { ko: "ko-KR", en: "en-GB" };

function fmt(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));
}

// ------------------------------------------------------------------------------- state

const params = new URLSearchParams(location.search);
const store = new BoardStream({ stream: params.get("stream") || "live" });
const token = params.get("token");

let lang = pickLanguage();
let districts = new Map(); // code -> {ko, en}
let timeZone = safeStoredTimeZone();
let clockFormat = null;
let dateFormat = null;

const rows = new Map(); // event_id -> {el, sev, kind, title, district, age, src, badge}
const pending = { reset: true, upserted: new Set(), removed: new Set() };
let frameRequested = false;

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
  kpis: $('[data-testid="kind-counts"]'),
  list: $('[data-testid="event-list"]'),
  empty: $('[data-testid="empty"]'),
  count: $('[data-testid="event-count"]'),
  listNote: $('[data-testid="list-note"]'),
  moreBelow: $('[data-testid="more-below"]'),
  feeds: $('[data-testid="feed-list"]'),
  feedsEmpty: $(".feeds-empty"),
  noticesEmpty: $(".notices-empty"),
  notices: $('[data-testid="notice-list"]'),
  lastSeq: $('[data-testid="last-seq"]'),
  epoch: $('[data-testid="epoch"]'),
  lastError: $('[data-testid="last-error"]'),
  langToggle: $('[data-testid="lang-toggle"]'),
};

function pickLanguage() {
  const fromUrl = params.get("lang");
  if (fromUrl && fromUrl in STRINGS) return fromUrl;
  try {
    const saved = localStorage.getItem("cityboard.lang");
    if (saved && saved in STRINGS) return saved;
  } catch {
    // storage may be disabled in kiosk profiles
  }
  return "ko";
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

function t() {
  return STRINGS[lang];
}

/** Our best idea of the server's "now": event ages and the clock should not depend on a drifting PC. */
function serverNow() {
  return Date.now() + store.serverTimeOffsetMs;
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
    this.openedAt = 0; // when the current socket opened: silence is never counted from before it
    this.history = []; // recent [state, time] pairs, for debugging at the wall and for tests
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

  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
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
        break;
      case "error":
        console.warn("cityboard: server error", msg);
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

// ------------------------------------------------------------------------------ render

function queueChange(change) {
  if (change.reset) {
    pending.reset = true;
    pending.upserted.clear();
    pending.removed.clear();
  }
  for (const id of change.upserted) {
    pending.upserted.add(id);
    pending.removed.delete(id);
  }
  for (const id of change.removed) {
    pending.removed.add(id);
    pending.upserted.delete(id);
  }
  if (change.notices.length) pending.notices = true;
  if (change.feeds) pending.feeds = true;
  if (change.error) pending.error = true;
  scheduleFrame();
}

function scheduleFrame() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(flush);
}

/** All DOM work for the messages since the last frame, done once. */
function flush() {
  frameRequested = false;
  const now = serverNow();

  if (pending.reset) {
    const flash = rows.size > 0; // a first load is not news; rows that change across a reload are
    for (const [id, row] of rows) {
      if (!store.events.has(id)) {
        row.el.remove();
        rows.delete(id);
      }
    }
    for (const ev of store.events.values()) upsertRow(ev, now, flash);
  } else {
    for (const id of pending.removed) {
      const row = rows.get(id);
      if (row) {
        row.el.remove();
        rows.delete(id);
      }
    }
    for (const id of pending.upserted) {
      const ev = store.events.get(id);
      if (ev) upsertRow(ev, now, true);
    }
  }
  const changedOrder = pending.reset || pending.upserted.size > 0 || pending.removed.size > 0;
  pending.reset = false;
  pending.upserted.clear();
  pending.removed.clear();

  if (changedOrder) {
    placeRows();
    renderCounts();
    renderMoreBelow();
  }
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
  renderDemo();
  els.lastSeq.textContent = String(store.lastSeq);
  els.epoch.textContent = store.epoch ? store.epoch.slice(0, 8) : "—";
}

function el(tag, className, attrs = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function upsertRow(ev, now, flash) {
  let row = rows.get(ev.event_id);
  const isNew = !row;
  if (isNew) {
    const li = el("li", "row", { "data-testid": "event-row" });
    row = {
      el: li,
      sev: el("span", "sev", { "data-testid": "severity" }),
      kind: el("span", "kind"),
      title: el("span", "title", { "data-testid": "event-title" }),
      district: el("span", "district"),
      age: el("span", "age"),
      src: el("span", "source"),
      srcName: el("span", "source-name"),
      badge: el("span", "badge-demo", { "data-testid": "demo-badge" }),
      ev: null,
      version: null,
    };
    row.badge.textContent = "DEMO";
    row.src.append(row.srcName, row.badge);
    li.append(row.sev, row.kind, row.title, row.district, row.age, row.src);
    rows.set(ev.event_id, row);
  }
  const changed = isNew || row.version !== ev.version;
  row.ev = ev;
  row.version = ev.version;
  fillRow(row, now);
  if (flash && changed && typeof row.el.animate === "function") {
    // One keyframe pair and an implicit end: the row fades back to its own background.
    row.el.animate(
      [
        { backgroundColor: flashColour(), offset: 0 },
        { backgroundColor: flashColour(), offset: 0.25 },
      ],
      { duration: FLASH_MS, easing: "ease-out" },
    );
  }
}

let flashValue = null;
function flashColour() {
  if (flashValue === null) {
    flashValue = getComputedStyle(document.documentElement).getPropertyValue("--flash").trim() || "#2a4a6b";
  }
  return flashValue;
}

function fillRow(row, now) {
  const ev = row.ev;
  const s = t();
  const sev = SEVERITIES.includes(ev.severity) ? ev.severity : "info";
  const li = row.el;
  li.dataset.eventId = ev.event_id;
  li.dataset.version = String(ev.version ?? 1);
  li.dataset.severity = sev;
  li.dataset.kind = ev.kind ?? "";
  li.className = `row sev-${sev}`;
  setText(row.sev, s.severities[sev] ?? ev.severity);
  setText(row.kind, s.kinds[ev.kind] ?? ev.kind ?? "");
  const title = ev.translations?.[lang]?.title || ev.title || "";
  setText(row.title, title);
  row.title.title = [title, ev.category, ev.area_desc].filter(Boolean).join(" · ");
  setText(row.district, districtName(ev));
  setText(row.age, ageText(now - eventTime(ev)));
  // The bundled demo's rows say DEMO instead of their source name, which would say the same.
  const demo = store.demo && ev.source === "demo";
  setText(row.srcName, demo ? "" : ev.source ?? "");
  row.srcName.hidden = demo;
  row.badge.hidden = !demo;
  row.src.title = ev.source ?? "";
}

function districtName(ev) {
  const code = ev.district;
  if (code) {
    const d = districts.get(String(code));
    if (d) return (lang === "en" ? d.en : d.ko) || d.ko || d.en || String(code);
    return String(code);
  }
  return ev.area_desc || "—";
}

function ageText(ms) {
  const a = t().age;
  if (!Number.isFinite(ms)) return a.never;
  const sec = Math.max(0, Math.floor(ms / 1000));
  if (sec < 10) return a.now;
  if (sec < 60) return fmt(a.s, { n: sec });
  const min = Math.floor(sec / 60);
  if (min < 60) return fmt(a.min, { n: min });
  const h = Math.floor(min / 60);
  if (h < 48) return fmt(a.h, { n: h });
  return fmt(a.d, { n: Math.floor(h / 24) });
}

/** Put rows in newest-first order, moving only the nodes that are out of place. */
function placeRows() {
  const sorted = [...store.events.values()].sort(compareNewestFirst);
  const shown = sorted.slice(0, MAX_ROWS);
  const keep = new Set(shown.map((ev) => ev.event_id));
  for (const [id, row] of rows) {
    if (!keep.has(id)) {
      row.el.remove();
      rows.delete(id);
    }
  }
  let cursor = els.list.firstElementChild;
  for (const ev of shown) {
    const node = rows.get(ev.event_id)?.el;
    if (!node) continue;
    if (node === cursor) {
      cursor = cursor.nextElementSibling;
    } else {
      els.list.insertBefore(node, cursor);
    }
  }
  const total = store.events.size;
  setText(els.count, String(total));
  els.empty.hidden = total > 0;
  const notes = [];
  if (total > shown.length) notes.push(fmt(t().showing, { shown: shown.length, total }));
  if (store.truncated) notes.push(t().truncated);
  setText(els.listNote, notes.join(" · "));
}

/** A wall nobody scrolls must not hide rows silently: say how many are below the fold. */
function renderMoreBelow() {
  const list = els.list;
  const capped = Math.max(0, store.events.size - rows.size); // beyond the row cap
  // The strip takes room from the list, so show it first when the list overflows, then count.
  els.moreBelow.hidden = !(capped > 0 || list.scrollHeight > list.clientHeight + 1);
  let hidden = capped;
  if (!els.moreBelow.hidden) {
    const bottom = list.getBoundingClientRect().bottom;
    for (let node = list.lastElementChild; node; node = node.previousElementSibling) {
      if (node.getBoundingClientRect().bottom <= bottom + 1) break;
      hidden += 1;
    }
  }
  els.moreBelow.hidden = hidden === 0;
  if (hidden) setText(els.moreBelow, fmt(t().moreBelow, { n: hidden }));
}

function renderCounts() {
  const counts = store.countsByKind();
  const kinds = KIND_ORDER.filter((k) => ALWAYS_SHOWN_KINDS.includes(k) || counts[k]);
  for (const k of Object.keys(counts)) if (!kinds.includes(k)) kinds.push(k);
  const existing = new Map([...els.kpis.children].map((li) => [li.dataset.kind, li]));
  let cursor = els.kpis.firstElementChild;
  for (const kind of kinds) {
    let li = existing.get(kind);
    if (!li) {
      li = el("li", "kpi", { "data-testid": "kind-count", "data-kind": kind });
      li.append(el("span", "kpi-value"), el("span", "kpi-label"));
    }
    existing.delete(kind);
    if (li !== cursor) els.kpis.insertBefore(li, cursor);
    else cursor = cursor.nextElementSibling;
    const n = counts[kind] ?? 0;
    li.classList.toggle("zero", n === 0);
    setText(li.querySelector(".kpi-value"), String(n));
    setText(li.querySelector(".kpi-label"), t().kinds[kind] ?? kind);
  }
  for (const li of existing.values()) li.remove();
}

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
  return { name: String(h.name ?? "?"), state, ageMs, error: h.last_error ?? null, demo: h.demo === true };
}

function feedStateClass(state) {
  const s = state.toLowerCase();
  if (s === "ok") return "ok";
  if (["degraded", "stale", "starting"].includes(s)) return "warn";
  if (s === "down") return "bad";
  return "unknown";
}

function renderFeeds() {
  const s = t();
  const list = [...store.feeds].map(feedInfo).sort((a, b) => a.name.localeCompare(b.name));
  const existing = new Map([...els.feeds.children].map((li) => [li.dataset.feed, li]));
  let cursor = els.feeds.firstElementChild;
  for (const f of list) {
    let li = existing.get(f.name);
    if (!li) {
      li = el("li", "feed", { "data-testid": "feed-row" });
      li.dataset.feed = f.name;
      const badge = el("span", "badge-demo");
      badge.textContent = "DEMO";
      li.append(el("span", "feed-state"), el("span", "feed-name"), badge, el("span", "feed-age"));
    }
    existing.delete(f.name);
    if (li !== cursor) els.feeds.insertBefore(li, cursor);
    else cursor = cursor.nextElementSibling;
    const cls = feedStateClass(f.state);
    li.className = `feed feed-${cls}`;
    li.dataset.state = f.state;
    setText(li.querySelector(".feed-state"), s.feedStates[f.state.toLowerCase()] ?? f.state);
    setText(li.querySelector(".feed-name"), f.name);
    li.querySelector(".badge-demo").hidden = !f.demo;
    setText(
      li.querySelector(".feed-age"),
      f.ageMs === null ? s.age.never : f.ageMs < 10000 ? s.age.now : fmt(s.ago, { age: ageText(f.ageMs) }),
    );
    li.title = f.error ? String(f.error) : "";
  }
  for (const li of existing.values()) li.remove();
  els.feedsEmpty.hidden = list.length > 0;
}

function renderNotices() {
  const items = store.notices.slice(0, 8);
  const frag = document.createDocumentFragment();
  for (const n of items) {
    const li = el("li", `notice notice-${n.level ?? "info"}`);
    const when = el("span", "notice-time");
    when.textContent = formatTime(n.at);
    const text = el("span", "notice-text");
    text.textContent = n.message ?? n.code ?? "";
    li.append(when, text);
    frag.append(li);
  }
  els.notices.replaceChildren(frag);
  els.noticesEmpty.hidden = items.length > 0;
}

function renderError() {
  const e = store.lastError;
  setText(els.lastError, e ? `${t().errorPrefix}: ${e.code} — ${e.message ?? ""}` : "");
}

function renderDemo() {
  els.demoBanner.hidden = !store.demo;
  els.body.classList.toggle("demo", store.demo);
}

function renderConnState() {
  const s = t().conn;
  const state = conn.state;
  let text;
  if (state === "reconnecting") {
    const left = Math.max(0, Math.ceil(((conn.retryAt ?? Date.now()) - Date.now()) / 1000));
    text = fmt(s.reconnecting, { n: left });
  } else if (state === "stale") {
    text = fmt(s.stale, { n: Math.floor(conn.silenceMs() / 1000) });
  } else if (state === "connecting" && conn.attempt > 0) {
    text = fmt(s.connectingAttempt, { n: conn.attempt + 1 });
  } else {
    text = s[state] ?? state;
  }
  els.conn.dataset.state = state;
  setText(els.connText, text);
  const online = state === "live" || state === "resumed" || state === "snapshot";
  // Off line, say how old the wall's picture is (in the city's time, like the clock).
  const last =
    store.lastMessageAt === null
      ? ""
      : formatTime(new Date(store.lastMessageAt + store.serverTimeOffsetMs).toISOString());
  els.lastData.hidden = online || !last;
  if (!online && last) setText(els.lastData, fmt(t().lastData, { time: last }));
  els.body.classList.toggle("offline", !online);
  els.body.classList.toggle("stale", state === "stale");
}

// ------------------------------------------------------------------------------- clock

function applyCity(city) {
  if (!city) return;
  setText(els.city, city.name ?? "");
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
    clockFormat = null;
  }
  renderClock();
}

function makeFormats() {
  const locale = LOCALES[lang];
  clockFormat = new Intl.DateTimeFormat(locale, {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  dateFormat = new Intl.DateTimeFormat(locale, {
    timeZone,
    weekday: "short",
    month: "short",
    day: "numeric",
    timeZoneName: "short",
  });
}

function renderClock() {
  if (!timeZone) return; // the city's zone is not known yet: no guessed clock
  if (!clockFormat) makeFormats();
  const now = new Date(serverNow());
  setText(els.clock, clockFormat.format(now));
  setText(els.clockDate, dateFormat.format(now));
}

function formatTime(iso) {
  const ts = Date.parse(iso ?? "");
  if (Number.isNaN(ts) || !timeZone) return "";
  if (!clockFormat) makeFormats();
  return clockFormat.format(new Date(ts));
}

// ------------------------------------------------------------------------- ages, labels

function refreshAges() {
  const now = serverNow();
  for (const row of rows.values()) setText(row.age, ageText(now - eventTime(row.ev)));
}

function applyLanguage() {
  const s = t();
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    const value = s[node.dataset.i18n];
    if (typeof value === "string") node.textContent = value;
  }
  document.title = `${s.title} · cityboard`;
  els.langToggle.textContent = s.langButton;
  els.langToggle.setAttribute("aria-label", s.langLabel);
  clockFormat = null;
  const now = serverNow();
  for (const row of rows.values()) fillRow(row, now);
  renderCounts();
  renderFeeds();
  renderNotices();
  renderError();
  renderConnState();
  renderClock();
  placeRows();
  renderMoreBelow();
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
    for (const row of rows.values()) setText(row.district, districtName(row.ev));
  } catch (err) {
    console.warn("cityboard: district names unavailable, showing codes", err);
    setTimeout(loadDistricts, DISTRICT_RETRY_MS);
  }
}

// ---------------------------------------------------------------------------------- start

function start() {
  if (params.get("kiosk") === "1") document.body.classList.add("kiosk");
  els.langToggle.addEventListener("click", () => {
    lang = lang === "ko" ? "en" : "ko";
    try {
      localStorage.setItem("cityboard.lang", lang);
    } catch {
      // no storage: the choice lasts for this page
    }
    applyLanguage();
  });
  applyLanguage();
  loadDistricts();
  conn.connect();
  let ticks = 0;
  setInterval(() => {
    ticks += 1;
    renderClock();
    conn.tick();
    renderMoreBelow(); // row heights also change when fonts load or titles re-wrap
    if (ticks % 5 === 0) {
      refreshAges();
      renderFeeds();
    }
  }, 1000);
  window.addEventListener("online", () => conn.reconnectNow());
  window.addEventListener("resize", () => renderMoreBelow());
  document.fonts?.ready.then(() => renderMoreBelow());
  els.list.addEventListener("scroll", () => renderMoreBelow(), { passive: true });
  // A read-only handle for debugging at the wall and for browser tests.
  window.cityboard = { store, conn, get lang() { return lang; } };
}

start();
