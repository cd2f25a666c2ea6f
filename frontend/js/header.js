// The header's lines (city, DEMO banner, connection state, age of the last data, clock, switches): never look live when not.

import { cityName, formatIso } from "./i18n.js";
import { setText } from "./list.js";

const ONLINE = ["live", "resumed", "snapshot"];

/**
 * ctx: {body, board (BoardState), store (BoardStream), replay: whether the board watches a replay,
 *       replayStopped() → whether that replay was stopped, onOnlineChange() the board went on or off line,
 *       toggleLanguage(), toggleSound() the switches were pressed}
 */
export class Header {
  constructor(root, ctx) {
    this.ctx = ctx;
    const $ = (sel) => root.querySelector(sel);
    this.els = {
      conn: $('[data-testid="conn-state"]'),
      connText: $('[data-testid="conn-state"] .conn-text'),
      lastData: $('[data-testid="last-data"]'),
      clock: $('[data-testid="clock"]'),
      clockDate: $('[data-testid="clock-date"]'),
      city: $('[data-testid="city-name"]'),
      demoBanner: $('[data-testid="demo-banner"]'),
      publicNote: $('[data-testid="public-note"]'),
      langToggle: $('[data-testid="lang-toggle"]'),
      soundToggle: $('[data-testid="sound-toggle"]'),
    };
    this.els.langToggle.addEventListener("click", () => ctx.toggleLanguage());
    this.els.soundToggle.addEventListener("click", () => ctx.toggleSound());
  }

  /** The connection's state in words; off line, how old the wall's picture is, and the page dimmed. */
  renderConn(conn) {
    const { board, store, body } = this.ctx;
    const tr = board.tr;
    const state = conn.state;
    let text;
    if (state === "reconnecting") {
      const left = Math.max(0, Math.ceil(((conn.retryAt ?? Date.now()) - Date.now()) / 1000));
      text = tr.t("conn.reconnecting", { n: left });
    } else if (state === "stale") {
      text = tr.t("conn.stale", { n: Math.floor(conn.silenceMs() / 1000) });
    } else if (state === "connecting" && conn.attempt > 0) {
      text = tr.t("conn.connectingAttempt", { n: conn.attempt + 1 });
    } else if (state === "stopped" && this.ctx.replayStopped()) {
      text = tr.t("conn.replayStopped");
    } else {
      text = tr.t(`conn.${state}`);
    }
    this.els.conn.dataset.state = state;
    setText(this.els.connText, text);
    const online = ONLINE.includes(state);
    // Off line, say how old the wall's picture is (in the city's time, like the clock).
    const last = store.lastMessageAt === null ? "" : formatIso(new Date(store.lastMessageAt + store.serverTimeOffsetMs).toISOString(), board.formats().clock);
    this.els.lastData.hidden = online || !last;
    if (!online && last) setText(this.els.lastData, tr.t("lastData", { time: last }));
    const wasOnline = !body.classList.contains("offline");
    body.classList.toggle("offline", !online);
    body.classList.toggle("stale", state === "stale");
    if (wasOnline !== online) this.ctx.onOnlineChange();
  }

  /** The city's name in the board's language (welcome.city.names), else the one it has. */
  renderCity() {
    setText(this.els.city, cityName(this.ctx.store.city, this.ctx.board.tr.lang));
  }

  renderClock() {
    const board = this.ctx.board;
    if (!board.timeZone) return; // the city's zone is not known yet: no guessed clock
    const f = board.formats();
    const now = new Date(board.now());
    setText(this.els.clock, f.clock.format(now));
    setText(this.els.clockDate, f.date.format(now));
  }

  /** The live demo's banner; a replay has its own. */
  renderDemo() {
    const demo = this.ctx.store.demo && !this.ctx.replay;
    this.els.demoBanner.hidden = !demo;
    this.ctx.body.classList.toggle("demo", demo);
  }

  /** The public board's rules in words (welcome.public): complaints come later, and coarsened. */
  renderPublicNote() {
    const rules = this.ctx.store.publicRules;
    const tr = this.ctx.board.tr;
    const parts = [];
    const minutes = rules?.delay_minutes?.complaint;
    if (minutes > 0) parts.push(tr.t("public.delay", { n: tr.number(minutes) }));
    if (rules?.grid_meters > 0) parts.push(tr.t("public.grid", { m: tr.number(rules.grid_meters) }));
    else if (rules) parts.push(tr.t("public.district"));
    this.els.publicNote.hidden = parts.length === 0;
    setText(this.els.publicNote, parts.join(" · "));
  }

  renderLanguageToggle() {
    const tr = this.ctx.board.tr;
    setText(this.els.langToggle, tr.t("langButton"));
    this.els.langToggle.setAttribute("aria-label", tr.t("langLabel"));
  }

  renderSoundToggle(on) {
    const tr = this.ctx.board.tr;
    const b = this.els.soundToggle;
    b.setAttribute("aria-pressed", String(on));
    setText(b, `♪ ${tr.t(on ? "sound.on" : "sound.off")}`);
    b.title = tr.t("sound.label");
    b.setAttribute("aria-label", tr.t("sound.label"));
  }
}
