// Alerts for extreme and severe events, so the wall cannot miss them: a blinking banner over the map and a beep.
// AlertQueue, bannerMs and replaceAfterMs (newest first, a few kept waiting) have no DOM: `node --test`.

import { eventText } from "./i18n.js";
import { iconFor } from "./icons.js";
import { isAlert } from "./kpi.js";
import { iconEl, setText } from "./list.js";

const ANNOUNCE_MS = 12000; // an alert banner stays this long when nothing else waits
const ANNOUNCE_BUSY_MS = 5000; // ... and this long when more are queued
const ANNOUNCE_MIN_MS = 3000; // a newer alert replaces the shown one after this long
const ANNOUNCE_QUEUE = 5; // newest alerts kept waiting; older ones only count in "+N more"
const BLINK_MS = 300;
const FLASH_BODY_MS = 3000; // body[data-alert] is set this long after a new alert

/** The alerts waiting for the banner: one per event, the newest few; the rest only counted. */
export class AlertQueue {
  constructor(limit = ANNOUNCE_QUEUE) {
    this.limit = limit;
    this.waiting = [];
    this.dropped = 0;
  }

  get size() {
    return this.waiting.length;
  }

  /** How many alerts wait behind the shown one ("+N more"). */
  get more() {
    return this.waiting.length + this.dropped;
  }

  push(ev) {
    this.waiting = this.waiting.filter((e) => e.event_id !== ev.event_id);
    this.waiting.push(ev);
    if (this.waiting.length > this.limit) {
      this.dropped += this.waiting.length - this.limit;
      this.waiting.splice(0, this.waiting.length - this.limit);
    }
  }

  /** Keep only the alerts `due(ev)` still holds worth showing. */
  keep(due) {
    this.waiting = this.waiting.filter(due);
  }

  /** The newest alert (the one to read), or null when none waits; then the count starts over. */
  take() {
    const ev = this.waiting.pop() ?? null;
    if (!ev) this.dropped = 0;
    return ev;
  }
}

/** How long a banner stays: its full time, less when more alerts wait behind it. */
export function bannerMs(waiting) {
  return waiting ? ANNOUNCE_BUSY_MS : ANNOUNCE_MS;
}

/** When a newer alert may replace the banner shown at `shownAt`: once it has been seen for a while. */
export function replaceAfterMs(shownAt, now) {
  return Math.max(0, shownAt + ANNOUNCE_MIN_MS - now);
}

/** Plays a short beep per alert through WebAudio; off unless switched on (toggle or ?sound=1). */
export class Beeper {
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

/**
 * The alert banner. ctx: {body, beeper (Beeper), tr (Translator), eventOf(id) → the latest version
 * or undefined, districtName(ev), onShow(ev) an alert is shown (the kiosk jumps to its district),
 * onOpen(id) the banner was clicked}
 */
export class Announcer {
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx;
    this.queue = new AlertQueue();
    this.current = null;
    this.shownAt = 0;
    this.timer = null;
    this.flashTimer = null;
    this.blinkTimer = null;
    this.moreEl = null;
    this.shown = 0; // how many banners were shown (tests)
    el.addEventListener("click", () => {
      if (el.dataset.eventId) ctx.onOpen(el.dataset.eventId);
    });
  }

  push(ev) {
    this.queue.push(ev);
    if (!this.current) {
      this.next();
      return;
    }
    this.renderMore();
    // the newest alert is the one to read: cut the current one short, once it has been seen
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.next(), replaceAfterMs(this.shownAt, Date.now()));
  }

  /** Alerts whose events ended or fell below severe go at once, shown or waiting: the wall must
   *  not keep blinking for what is over. */
  recheck() {
    const due = (ev) => isAlert(this.ctx.eventOf(ev.event_id));
    this.queue.keep(due);
    if (this.current && !due(this.current)) {
      delete this.ctx.body.dataset.alert;
      this.next();
    } else {
      this.renderMore();
    }
  }

  next() {
    clearTimeout(this.timer);
    this.current = this.queue.take();
    if (!this.current) {
      clearInterval(this.blinkTimer);
      this.el.classList.remove("blink");
      this.el.hidden = true;
      return;
    }
    this.shown += 1;
    this.shownAt = Date.now();
    const sev = this.current.severity;
    const body = this.ctx.body;
    this.ctx.beeper.beep(sev);
    body.dataset.alert = sev;
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => delete body.dataset.alert, FLASH_BODY_MS);
    this.ctx.onShow(this.current);
    this.render();
    this.blink();
    this.timer = setTimeout(() => this.next(), bannerMs(this.queue.size));
  }

  /** Three blinks: a class toggled six times (six repaints of the banner, no animation). */
  blink() {
    clearInterval(this.blinkTimer);
    let n = 0;
    this.el.classList.add("blink");
    this.blinkTimer = setInterval(() => {
      n += 1;
      this.el.classList.toggle("blink", n % 2 === 0);
      if (n >= 5) {
        clearInterval(this.blinkTimer);
        this.el.classList.remove("blink");
      }
    }, BLINK_MS);
  }

  render() {
    const ev = this.current;
    if (!ev) return;
    const tr = this.ctx.tr;
    const cur = this.ctx.eventOf(ev.event_id) ?? ev;
    const a = this.el;
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
    where.textContent = [tr.label("kinds", cur.kind), this.ctx.districtName(cur)].filter(Boolean).join(" · ");
    text.append(title, where);
    this.moreEl = document.createElement("span");
    this.moreEl.className = "a-more";
    a.replaceChildren(sev, iconEl(iconFor(cur.category, cur.kind)), text, this.moreEl);
    this.renderMore();
  }

  renderMore() {
    if (!this.moreEl) return;
    const more = this.queue.more;
    setText(this.moreEl, more ? this.ctx.tr.t("announce.more", { n: this.ctx.tr.number(more) }) : "");
  }
}
