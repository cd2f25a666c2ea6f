// The KPI tiles under the map, and the 24 h look-back (GET /api/events) they count, so events that already ended count too.

import { MAIN_KINDS, SEVERITIES, isEmpty } from "./filters.js";
import { durationText } from "./i18n.js";
import { iconFor } from "./icons.js";
import { DAY_MS, HOUR_MS, activeCounts, complaintsOpen, medianTimeToAck, sparklinePoints, withPastWorkflows } from "./kpi.js";
import { withStream } from "./http.js";
import { iconEl, setText } from "./list.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const BACKFILL_PAGE = 1000;
const BACKFILL_MAX_PAGES = 50; // the 24 h figures count at most this many pages of events

/** ctx: {board (BoardState), store (BoardStream), timeline (kpi.js Timeline), stream} */
export class KpiTiles {
  constructor(container, ctx) {
    this.container = container;
    this.ctx = ctx;
    this.tiles = {};
    // workflows of the events the look-back found, for the time to acknowledge (one history's)
    this.past = { epoch: null, byId: new Map() };
    this._build();
  }

  _tile(key, testid) {
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
    this.container.append(node);
    const t = { node, value, label, sub, extra: null };
    this.tiles[key] = t;
    return t;
  }

  _build() {
    const active = this._tile("active", "kpi-active");
    active.value.dataset.testid = "event-count";
    active.extra = document.createElement("div");
    active.extra.className = "sev-counts";
    active.node.insertBefore(active.extra, active.sub);
    for (const kind of MAIN_KINDS) {
      const t = this._tile(`kind-${kind}`, `kpi-kind-${kind}`);
      t.node.dataset.kind = kind;
      t.icon = iconEl(iconFor(`${kind}.other`, kind));
      t.labelText = document.createElement("span");
      t.label.append(t.icon, t.labelText);
      t.extra = document.createElement("div");
      t.extra.className = "sev-counts";
      t.node.insertBefore(t.extra, t.sub);
      const svg = document.createElementNS(SVG_NS, "svg");
      svg.setAttribute("class", "spark");
      svg.setAttribute("viewBox", "0 0 100 20");
      svg.setAttribute("preserveAspectRatio", "none");
      svg.setAttribute("role", "img");
      svg.dataset.testid = "sparkline";
      const base = document.createElementNS(SVG_NS, "line");
      base.setAttribute("class", "base");
      base.setAttribute("x1", "0");
      base.setAttribute("x2", "100");
      base.setAttribute("y1", "19.5");
      base.setAttribute("y2", "19.5");
      const line = document.createElementNS(SVG_NS, "polyline");
      svg.append(base, line);
      t.spark = svg;
      t.sparkLine = line;
      t.node.insertBefore(svg, t.sub);
    }
    this._tile("newHour", "kpi-new-hour");
    this._tile("complaintsOpen", "kpi-complaints-open");
    this._tile("tta", "kpi-tta");
  }

  _sevCounts(container, bySeverity, only = null) {
    const tr = this.ctx.board.tr;
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

  /** The active count, which follows the rows at once; render() does the rest at its own pace. */
  setActive(total) {
    const value = this.tiles.active.value;
    setText(value, this.ctx.board.tr.number(total));
    value.dataset.count = String(total);
  }

  /** Every tile from `events` (the store's active ones) at the server's time `now`. */
  render(events, now) {
    const { board, store, timeline } = this.ctx;
    const { tr, matcher } = board;
    const counts = activeCounts(events, matcher);
    const a = this.tiles.active;
    setText(a.label, tr.t("kpi.active"));
    a.node.classList.toggle("zero", counts.total === 0);
    this._sevCounts(a.extra, counts.bySeverity);
    setText(a.sub, store.truncated ? tr.t("list.truncated") : tr.t("kpi.activeHint"));

    const hourly = timeline.hourly(now, { kinds: MAIN_KINDS, match: matcher });
    for (const kind of MAIN_KINDS) {
      const t = this.tiles[`kind-${kind}`];
      const k = counts.byKind[kind] ?? { total: 0, bySeverity: {} };
      setText(t.value, tr.number(k.total));
      t.value.dataset.count = String(k.total);
      setText(t.labelText, tr.label("kinds", kind));
      t.node.classList.toggle("zero", k.total === 0);
      this._sevCounts(t.extra, k.bySeverity, ["extreme", "severe", "moderate"]);
      const series = hourly[kind] ?? new Array(24).fill(0);
      t.sparkLine.setAttribute("points", sparklinePoints(series, 100, 20));
      const total = series.reduce((x, y) => x + y, 0);
      const peak = Math.max(0, ...series);
      t.spark.dataset.total = String(total);
      t.spark.setAttribute("aria-label", tr.t("kpi.sparkLabel"));
      setText(t.sub, tr.t("kpi.spark", { n: tr.number(total), max: tr.number(peak) }));
    }

    this._countTile(this.tiles.newHour, timeline.countSince(now - HOUR_MS, matcher), "kpi.newHour");
    const open = complaintsOpen(events, (id) => board.workflowOf(id), matcher);
    this._countTile(this.tiles.complaintsOpen, open, "kpi.complaintsOpen");

    const sentAtOf = (id) => {
      const ev = store.events.get(id);
      const t1 = timeline.sentAt(id);
      if (Number.isFinite(t1)) return t1;
      return ev ? Date.parse(ev.sent_at ?? "") : NaN;
    };
    const include = (id) => {
      const ev = store.events.get(id) ?? timeline.items.get(id)?.ev;
      return ev ? matcher(ev) : isEmpty(board.filter);
    };
    const past = this.past.epoch === store.epoch ? this.past.byId : new Map();
    const tta = medianTimeToAck(withPastWorkflows(store.workflows, past), sentAtOf, { now, windowMs: DAY_MS, include });
    const tt = this.tiles.tta;
    setText(tt.value, durationText(tta.median, tr));
    tt.value.dataset.ms = tta.median === null ? "" : String(Math.round(tta.median));
    tt.value.dataset.n = String(tta.n);
    setText(tt.label, tr.t("kpi.tta"));
    setText(tt.sub, tta.n ? tr.t("kpi.ttaHint", { n: tr.number(tta.n) }) : tr.t("kpi.ttaNone"));
    tt.node.classList.toggle("zero", tta.n === 0);
  }

  /** A tile that shows one count, its label (`key`) and its hint (`key` + "Hint"). */
  _countTile(tile, count, key) {
    const { tr } = this.ctx.board;
    setText(tile.value, tr.number(count));
    tile.value.dataset.count = String(count);
    setText(tile.label, tr.t(key));
    setText(tile.sub, tr.t(`${key}Hint`));
    tile.node.classList.toggle("zero", count === 0);
  }

  /**
   * The 24 h sparklines, "new in the last hour" and the time to acknowledge also count events that
   * already ended: page through /api/events (latest version of each event sent in the last 25 h, by
   * the seq of its last change, with the workflows of those acted on) of the stream the board
   * watches, in the background. Resolves true when the tiles have more to show, false when another
   * history replaced `epoch` meanwhile.
   */
  async lookBack(epoch) {
    const { board, store, timeline, stream } = this.ctx;
    const since = new Date(board.now() - DAY_MS - HOUR_MS).toISOString();
    const past = new Map();
    this.past = { epoch, byId: past };
    let after = 0;
    try {
      for (let page = 0; page < BACKFILL_MAX_PAGES; page++) {
        const query = `sent_after=${encodeURIComponent(since)}&after_seq=${after}&limit=${BACKFILL_PAGE}&workflows=1`;
        const resp = await fetch(withStream(`api/events?${query}`, stream), { headers: { Accept: "application/json" } });
        if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
        const body = await resp.json();
        if (body.epoch !== epoch || store.epoch !== epoch) return false;
        for (const ev of body.events ?? []) timeline.add(ev);
        for (const [id, wf] of Object.entries(body.workflows ?? {})) if (wf && typeof wf === "object") past.set(id, wf);
        if ((body.events ?? []).length < BACKFILL_PAGE) break;
        after = body.next_after_seq;
      }
    } catch (err) {
      console.warn("cityboard: could not look back 24 h for the sparklines", err);
    }
    timeline.prune(board.now());
    return true;
  }
}
