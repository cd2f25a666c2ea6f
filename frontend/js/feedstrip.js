// The feed strip (feed states and ages, problems first; notices; seq, epoch, last error) and the header's feed alarm.
// feedInfo, sortFeeds and isProblem have no DOM: `node --test`.

import { ageText, formatIso } from "./i18n.js";
import { setText } from "./list.js";

const FEED_ORDER = { bad: 0, warn: 1, unknown: 2, ok: 3 };
const NOTICES_SHOWN = 3;

/**
 * One feed's health record as the server sends it (feeds/runner.py FeedHealth.as_json):
 * {name, state: starting|ok|degraded|down, stale, age_seconds, last_success, last_error, demo, ...},
 * as the strip shows it. `now` is the server's time, `localNow` this PC's, `feedsAt` (this PC's
 * time) when the record arrived.
 */
export function feedInfo(h, { now, localNow = Date.now(), feedsAt = null }) {
  let state = String(h.state ?? "unknown");
  if (h.stale === true && state === "ok") state = "stale"; // running, but nothing new within its SLA
  let ageMs = null;
  const ts = h.last_success ? Date.parse(h.last_success) : NaN;
  if (!Number.isNaN(ts)) {
    ageMs = now - ts;
  } else if (typeof h.age_seconds === "number") {
    // an age as of when the record arrived: keep it counting between `feeds` messages
    ageMs = h.age_seconds * 1000 + (feedsAt === null ? 0 : localNow - feedsAt);
  }
  return { name: String(h.name ?? "?"), state, ageMs, error: h.last_error ?? null, demo: h.demo === true, stale: h.stale === true };
}

/** ok | warn | bad | unknown: the colour of a feed's state. */
export function feedStateClass(state) {
  const s = state.toLowerCase();
  if (s === "ok") return "ok";
  if (["degraded", "stale", "starting"].includes(s)) return "warn";
  if (s === "down") return "bad";
  return "unknown";
}

/** Problems first, so a stale or down feed is never cut off the strip; then by name. */
export function sortFeeds(feeds) {
  return [...feeds].sort((a, b) => FEED_ORDER[feedStateClass(a.state)] - FEED_ORDER[feedStateClass(b.state)] || a.name.localeCompare(b.name));
}

/** Whether a feed needs attention (the header counts them); one that is only starting does not. */
export function isProblem(feed) {
  const cls = feedStateClass(feed.state);
  return cls === "bad" || (cls === "warn" && feed.state !== "starting");
}

/** ctx: {alarm (the header's feed alarm), store (BoardStream), board (BoardState)} */
export class FeedStrip {
  constructor(root, ctx) {
    this.ctx = ctx;
    const $ = (sel) => root.querySelector(sel);
    this.els = {
      feeds: $('[data-testid="feed-list"]'),
      empty: $(".feeds-empty"),
      notices: $('[data-testid="notice-list"]'),
      lastSeq: $('[data-testid="last-seq"]'),
      epoch: $('[data-testid="epoch"]'),
      lastError: $('[data-testid="last-error"]'),
    };
  }

  renderFeeds() {
    const { store, board, alarm } = this.ctx;
    const tr = board.tr;
    const now = board.now();
    const list = sortFeeds(store.feeds.map((h) => feedInfo(h, { now, feedsAt: store.feedsAt })));
    const feedsEl = this.els.feeds;
    const existing = new Map([...feedsEl.children].map((li) => [li.dataset.feed, li]));
    let cursor = feedsEl.firstElementChild;
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
      if (li !== cursor) feedsEl.insertBefore(li, cursor);
      else cursor = cursor.nextElementSibling;
      if (isProblem(f)) problems += 1;
      li.className = `feed feed-${feedStateClass(f.state)}`;
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
    this.els.empty.hidden = list.length > 0;
    // the server cannot reach its log (a node lost Redis): nothing new can arrive, so say so first
    const logDown = store.log?.ok === false;
    alarm.hidden = problems === 0 && !logDown;
    alarm.dataset.count = String(problems);
    alarm.dataset.log = logDown ? "down" : "ok";
    alarm.title = logDown ? String(store.log.problem ?? "") : "";
    if (logDown) setText(alarm, `⚠ ${tr.t("feeds.logDown")}`);
    else if (problems) setText(alarm, `⚠ ${tr.t("feeds.problems", { n: problems })}`);
  }

  renderNotices() {
    const short = this.ctx.board.formats().short;
    const frag = document.createDocumentFragment();
    for (const n of this.ctx.store.notices.slice(0, NOTICES_SHOWN)) {
      const li = document.createElement("li");
      li.className = `notice notice-${n.level ?? "info"}`;
      li.dataset.testid = "notice";
      li.dataset.code = n.code ?? "";
      const when = document.createElement("span");
      when.className = "notice-time";
      when.textContent = formatIso(n.at, short);
      const text = document.createElement("span");
      text.className = "notice-text";
      text.textContent = `${n.source ? `${n.source}: ` : ""}${n.message ?? n.code ?? ""}`;
      li.title = `${n.code ?? ""} ${n.message ?? ""}`;
      li.append(when, text);
      frag.append(li);
    }
    this.els.notices.replaceChildren(frag);
  }

  renderError() {
    const e = this.ctx.store.lastError;
    setText(this.els.lastError, e ? `${this.ctx.board.tr.t("errorPrefix")}: ${e.code} — ${e.message ?? ""}` : "");
  }

  /** Where the board is in the stream's history. */
  renderPosition() {
    const store = this.ctx.store;
    setText(this.els.lastSeq, String(store.lastSeq));
    setText(this.els.epoch, store.epoch ? store.epoch.slice(0, 8) : "—");
  }
}
