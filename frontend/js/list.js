// The live lists: one group per kind, newest change first, keyed rows updated in place. Each group
// is a window over its events: only the rows in view (and OVERSCAN_ROWS either side) are in the
// DOM, the rest are space of their estimated height, so all 5,000 active events can be scrolled
// to (and walked with the keyboard) for the cost of a few dozen nodes. All text goes in through
// textContent.

import { ageText, eventText, fetchedTimeText } from "./i18n.js";
import { iconFor } from "./icons.js";
import { sparklinePoints } from "./situations.js";
import { eventTime } from "./stream.js";
import { stateOf } from "./workflow.js";

export const OVERSCAN_ROWS = 10; // rendered beyond each edge of the view: keys and wheels never meet a gap
const ROW_HEIGHT_GUESS_PX = 64; // until a rendered row is measured
const ROW_HEIGHT_SLACK = 0.7; // rows shorter than the average (one-line titles) still fill the view
const POOL_MAX = 100; // rows that left the window, kept to be filled with the next ones
const FLASH_MS = 2500;
const FLASHES_PER_RENDER = 20; // in a burst, more highlights at once say nothing more
const FLASH_TOP_ROWS = 15;
const SEVERITIES = ["extreme", "severe", "moderate", "minor", "info"];
const SVG_NS = "http://www.w3.org/2000/svg";
const SPARK_W = 48; // a sparkline's drawing box (viewBox units; CSS sizes it)
const SPARK_H = 14;

/**
 * The rows [start, end) of `n` a list shows from `viewTop` for `viewHeight` px with rows of about
 * `rowHeight` px: those in view and OVERSCAN_ROWS either side; at the end, a full view of rows.
 */
export function rowWindow(n, viewTop, viewHeight, rowHeight) {
  const first = Math.floor(viewTop / rowHeight);
  const visible = Math.ceil(viewHeight / (rowHeight * ROW_HEIGHT_SLACK));
  const start = Math.min(Math.max(0, first - OVERSCAN_ROWS), Math.max(0, n - visible - OVERSCAN_ROWS));
  return [start, Math.min(n, first + visible + OVERSCAN_ROWS)];
}

function el(tag, className, attrs = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** An <svg><use href="#i-NAME"/></svg> element (the sprite is in the page). */
export function iconEl(name, className = "icon") {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS(SVG_NS, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

export function setIcon(svg, name) {
  const use = svg.firstChild;
  if (use && use.getAttribute("href") !== `#i-${name}`) use.setAttribute("href", `#i-${name}`);
}

/** A list row's elements (an <li> with severity, icon, title, place, age, source, state); a click selects its event. */
export function createRow(onSelect) {
  const li = el("li", "row", { "data-testid": "event-row", tabindex: "0" });
  const row = {
    el: li,
    sev: el("span", "sev", { "data-testid": "severity" }),
    icon: iconEl("alert", "icon cat"),
    title: el("span", "title", { "data-testid": "event-title" }),
    meta: el("span", "meta"),
    district: el("span", "district"),
    age: el("span", "age"),
    src: el("span", "source"),
    srcName: el("span", "source-name"),
    badge: el("span", "badge-demo", { "data-testid": "demo-badge" }),
    wf: el("span", "wf", { "data-testid": "workflow-state" }),
    spark: null, // a complaint cluster's sparkline, made when a cluster first fills the row
    ev: null,
    version: null,
    state: null,
  };
  row.badge.textContent = "DEMO";
  row.src.append(row.srcName, row.badge);
  row.meta.append(row.district, row.age, row.src, row.wf);
  li.append(row.sev, row.icon, row.title, row.meta);
  li.addEventListener("click", () => onSelect(li.dataset.eventId));
  return row;
}

/**
 * Fill a row with an event (ctx as EventLists'); a complaint cluster (`ev.cluster`, situations.js
 * clusterEvent) also gets its sparkline. Returns whether its version or its state changed.
 */
export function fillRow(row, ev, ctx, now) {
  const tr = ctx.tr();
  const changed = row.ev === null || row.version !== ev.version;
  const wf = ctx.workflowOf(ev.event_id);
  const state = stateOf(wf);
  const stateChanged = row.state !== null && row.state !== state;
  row.ev = ev;
  row.version = ev.version;
  row.state = state;
  const sev = SEVERITIES.includes(ev.severity) ? ev.severity : "info";
  const li = row.el;
  li.dataset.eventId = ev.event_id;
  li.dataset.version = String(ev.version ?? 1);
  li.dataset.severity = sev;
  li.dataset.kind = ev.kind ?? "";
  li.dataset.state = state;
  li.dataset.district = ev.district ?? "";
  const cls = `row sev-${sev}`;
  if (!li.classList.contains(`sev-${sev}`) || !li.classList.contains("row")) {
    const keep = [...li.classList].filter((c) => c === "in-focus" || c === "fresh" || c === "cluster-row");
    li.className = [cls, ...keep].join(" ");
  }
  li.classList.toggle("in-focus", Boolean(ev.district) && ev.district === ctx.focusDistrict());
  if (ctx.selectedId() === ev.event_id) li.setAttribute("aria-current", "true");
  else li.removeAttribute("aria-current");
  setText(row.sev, tr.label("severities", sev));
  setIcon(row.icon, iconFor(ev.category, ev.kind));
  const text = eventText(ev, tr.lang);
  setText(row.title, text.title);
  li.title = [text.title, tr.label(`categories.${ev.kind}`, String(ev.category ?? "").split(".")[1] ?? ""), text.area]
    .filter(Boolean)
    .join(" · ");
  setText(row.district, ctx.districtName(ev));
  rowAge(row, now, tr, ctx.formats());
  const demo = ctx.isDemo(ev);
  setText(row.srcName, demo ? "" : ev.source ?? "");
  row.srcName.hidden = demo;
  row.badge.hidden = !demo;
  row.src.title = ev.source ?? "";
  row.wf.className = `wf wf-${state}`;
  setText(row.wf, tr.label("statesShort", state));
  row.wf.title = tr.label("states", state);
  if (ev.cluster || row.spark) fillSparkline(row, ev.cluster);
  return { changed, stateChanged };
}

/** A cluster row's sparkline (hidden on a row that holds an event again). */
function fillSparkline(row, cluster) {
  row.el.classList.toggle("cluster-row", Boolean(cluster));
  if (!cluster) {
    row.spark.hidden = true;
    return;
  }
  if (!row.spark) {
    row.spark = sparklineEl("spark", "row-sparkline");
    row.meta.insertBefore(row.spark.svg, row.wf);
  }
  row.spark.hidden = false;
  row.spark.set(cluster.sparkline);
}

/** An inline SVG sparkline: `{svg, set(values), hidden}` (points from situations.js sparklinePoints). */
export function sparklineEl(className, testid) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", className);
  svg.setAttribute("viewBox", `0 0 ${SPARK_W} ${SPARK_H}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  svg.dataset.testid = testid;
  const line = document.createElementNS(SVG_NS, "polyline");
  svg.append(line);
  return {
    svg,
    set(values) {
      const points = sparklinePoints(values, SPARK_W, SPARK_H);
      if (line.getAttribute("points") !== points) line.setAttribute("points", points);
      svg.dataset.values = (values ?? []).join(",");
    },
    set hidden(h) {
      svg.classList.toggle("is-hidden", h);
    },
  };
}

/** How old the row's event is; marked when the server dated it by its fetch. */
export function rowAge(row, now, tr, formats) {
  const age = ageText(now - eventTime(row.ev), tr);
  const fetched = fetchedTimeText(row.ev, tr, formats.short);
  setText(row.age, fetched ? tr.t("age.fetched", { age }) : age);
  row.age.title = fetched;
  row.el.dataset.timeBasis = row.ev.time_basis ?? "source";
}

/**
 * ctx: {tr() → Translator, index: EventIndex, match() → predicate, workflowOf(id),
 *       districtName(ev), now(), formats() → makeTimeFormats(), isDemo(ev), selectedId(),
 *       focusDistrict(), onSelect(id), clusterWeight(clusterEvent) → its complaints that match}
 */
export class EventLists {
  constructor(columns, ctx) {
    this.ctx = ctx;
    this.groups = new Map(); // kind -> group
    this.rows = new Map(); // event_id -> row (across groups)
    for (const container of columns) {
      for (const kind of container.dataset.groups.split(",")) this.groups.set(kind, this._group(container, kind));
    }
    this.other = this.groups.get("system"); // where kinds the board does not know go
    this.fresh = new Map(); // highlighted row element -> when its highlight ends
    this.freshTimer = null;
    this.rowHeight = ROW_HEIGHT_GUESS_PX; // average rendered row, measured in updateMore()
    this.pool = []; // detached rows for reuse
  }

  _group(container, kind) {
    const section = el("section", "group", { "data-kind": kind, "data-testid": "group" });
    const head = el("header", "group-head");
    const title = el("h3");
    const count = el("span", "group-count", { "data-testid": "group-count" });
    head.append(iconEl(iconFor(`${kind}.other`, kind)), title, count);
    const list = el("ol", "event-list", { "data-testid": "event-list" });
    const more = el("div", "group-more", { "data-testid": "group-more" });
    more.hidden = true;
    const empty = el("p", "empty");
    section.append(head, list, more, empty);
    container.append(section);
    const optional = kind === "call" || kind === "system";
    // events: what matches, in order; [start, end): the window of them in the DOM; viewTop and
    // viewHeight: the list's scroll position and height as last read (never read while drawing)
    const group = { kind, section, title, count, list, more, empty, rows: new Map(), events: [], start: 0, end: 0, viewTop: 0, viewHeight: 0, optional };
    list.addEventListener(
      "scroll",
      () => {
        group.viewTop = list.scrollTop;
        const [start, end] = this._window(group);
        if (start !== group.start || end !== group.end) this._draw(group, this.ctx.now(), new Set(), new Set());
      },
      { passive: true },
    );
    return group;
  }

  /** The group an event's kind goes in. */
  groupOf(kind) {
    return this.groups.get(kind) ?? this.other;
  }

  /**
   * Bring the groups up to date. `dirtyKinds`: kinds whose membership or order may have changed
   * (null: all); `refresh`: ids whose row content changed (new version or workflow); `flash`: ids
   * to highlight.
   */
  render({ dirtyKinds = null, refresh = new Set(), flash = new Set() } = {}) {
    this.flashBudget = FLASHES_PER_RENDER;
    const match = this.ctx.match();
    const now = this.ctx.now();
    for (const group of this.groups.values()) {
      const kinds = group === this.other ? [...this.ctx.index.byKind.keys()].filter((k) => !this.groups.has(k) || k === group.kind) : [group.kind];
      if (dirtyKinds && !kinds.some((k) => dirtyKinds.has(k))) {
        for (const id of refresh) {
          const row = group.rows.get(id);
          if (row) this._fill(row, row.ev, now, flash.has(id));
        }
        continue;
      }
      let events = [];
      for (const k of kinds) events = events.concat(this.ctx.index.kind(k).take(match, Infinity).shown);
      if (kinds.length > 1) events.sort((a, b) => eventTime(b) - eventTime(a));
      const anchor = this._anchor(group);
      group.events = events;
      group.total = this._weigh(events);
      const shift = anchor ? this._shift(group, anchor) : 0;
      this._draw(group, now, refresh, flash);
      if (shift) group.list.scrollTop = group.viewTop; // after the writes: one layout, rarely
      this._head(group);
    }
    // "N more" reads layout, so it is not done here but at most twice a second (updates.js)
  }

  /** How many events the rows stand for: a complaint cluster's row for its complaints that match. */
  _weigh(events) {
    let n = events.length;
    for (const ev of events) if (ev.cluster) n += this.ctx.clusterWeight(ev) - 1;
    return n;
  }

  /** A scrolled list's top row in view ({id, at}), so rows that arrive above it do not move it. */
  _anchor(group) {
    if (group.viewTop <= 0) return null; // at the top, new rows come into view: the wall's case
    const at = Math.floor(group.viewTop / this.rowHeight);
    const ev = group.events[at];
    return ev ? { id: ev.event_id, at } : null;
  }

  /** Scroll by the rows that came or went above the anchor; how many rows that was. */
  _shift(group, anchor) {
    const now = group.events.findIndex((ev) => ev.event_id === anchor.id);
    if (now === -1 || now === anchor.at) return 0;
    group.viewTop = Math.max(0, group.viewTop + (now - anchor.at) * this.rowHeight);
    return now - anchor.at;
  }

  /** The rows of `group.events` the view needs, from the last read scroll position. */
  _window(group) {
    return rowWindow(group.events.length, group.viewTop, group.viewHeight || window.innerHeight, this.rowHeight);
  }

  /** The group's window into the DOM; the rows outside it are space of their estimated height. */
  _draw(group, now, refresh, flash) {
    const [start, end] = this._window(group);
    group.start = start;
    group.end = end;
    group.list.style.setProperty("--above", `${start * this.rowHeight}px`);
    group.list.style.setProperty("--below", `${(group.events.length - end) * this.rowHeight}px`);
    this._reconcile(group, group.events.slice(start, end), now, refresh, flash, start);
  }

  _reconcile(group, shown, now, refresh, flash, offset) {
    const keep = new Set(shown.map((ev) => ev.event_id));
    for (const [id, row] of group.rows) {
      if (!keep.has(id)) {
        row.el.remove();
        group.rows.delete(id);
        if (this.rows.get(id) === row) this.rows.delete(id);
        this._recycle(row);
      }
    }
    let cursor = group.list.firstElementChild;
    let position = offset;
    const size = String(group.events.length);
    for (const ev of shown) {
      const id = ev.event_id;
      let row = group.rows.get(id);
      // only rows near the top are highlighted: the rest are below the fold of a wall nobody scrolls
      const highlight = flash.has(id) && (position < FLASH_TOP_ROWS || group.viewTop > 0);
      position += 1;
      if (!row) {
        row = this._create();
        group.rows.set(id, row);
        this.rows.set(id, row);
        this._fill(row, ev, now, highlight);
      } else if (row.ev !== ev || refresh.has(id)) {
        this._fill(row, ev, now, highlight);
      }
      // a screen reader says "57 of 1,648" although only a window of the rows is in the page
      const place = String(position);
      if (row.el.getAttribute("aria-posinset") !== place) row.el.setAttribute("aria-posinset", place);
      if (row.el.getAttribute("aria-setsize") !== size) row.el.setAttribute("aria-setsize", size);
      if (row.el === cursor) cursor = cursor.nextElementSibling;
      else group.list.insertBefore(row.el, cursor);
    }
  }

  /** A row that left the window, kept (blank of state) for the next row that enters one. */
  _recycle(row) {
    if (this.pool.length >= POOL_MAX) return;
    row.el.classList.remove("fresh");
    this.fresh.delete(row.el);
    row.ev = null;
    row.version = null;
    row.state = null;
    this.pool.push(row);
  }

  _create() {
    return this.pool.pop() ?? createRow((id) => this.ctx.onSelect(id));
  }

  _fill(row, ev, now, flash) {
    const { changed, stateChanged } = fillRow(row, ev, this.ctx, now);
    if (flash && (changed || stateChanged) && this.flashBudget > 0) {
      this.flashBudget -= 1;
      const li = row.el;
      li.classList.add("fresh");
      this.fresh.set(li, performance.now() + FLASH_MS);
      if (this.freshTimer === null) this.freshTimer = setTimeout(() => this._unfresh(), FLASH_MS);
    }
  }

  /** End the highlights that are due (one timer for all of them). */
  _unfresh() {
    this.freshTimer = null;
    const now = performance.now();
    let next = Infinity;
    for (const [li, until] of this.fresh) {
      if (until <= now + 20) {
        li.classList.remove("fresh");
        this.fresh.delete(li);
      } else {
        next = Math.min(next, until);
      }
    }
    if (next !== Infinity) this.freshTimer = setTimeout(() => this._unfresh(), next - now);
  }

  _head(group) {
    const tr = this.ctx.tr();
    const total = group.total ?? group.events.length;
    setText(group.title, tr.label("groups", group.kind));
    setText(group.count, tr.number(total));
    group.count.dataset.total = String(total);
    group.empty.hidden = total > 0;
    setText(group.empty, tr.t(this.ctx.filtered() ? "list.emptyFiltered" : "list.empty"));
    // rare kinds only take room when they have something to show
    group.section.hidden = group.optional && total === 0;
  }

  /** "▼ N more" per group: the rows below the fold (nobody scrolls a wall); and the windows follow
   *  the lists' sizes and the rows' measured height. All layout reads first, then the writes, so
   *  it costs at most one layout. */
  updateMore() {
    const tr = this.ctx.tr();
    const measured = [];
    let height = 0;
    let rows = 0;
    for (const group of this.groups.values()) {
      if (group.section.hidden) continue;
      const list = group.list;
      group.viewTop = list.scrollTop;
      group.viewHeight = Math.min(list.clientHeight, window.innerHeight); // a list never shows more than the window
      const n = list.children.length;
      if (n > 1) {
        height += list.children[n - 1].offsetTop + list.children[n - 1].offsetHeight - list.children[0].offsetTop;
        rows += n;
      }
      measured.push([group, this._belowFold(list)]);
    }
    const resized = rows > 0 && Math.abs(height / rows - this.rowHeight) > 0.1 * this.rowHeight;
    if (resized) this.rowHeight = height / rows;
    const now = this.ctx.now();
    for (const [group, below] of measured) {
      const [start, end] = this._window(group);
      if (resized || start !== group.start || end !== group.end) this._draw(group, now, new Set(), new Set());
      const hidden = group.events.length - group.end + below;
      group.more.hidden = hidden === 0;
      group.more.dataset.count = String(hidden);
      if (hidden) setText(group.more, tr.t("list.more", { n: tr.number(hidden) }));
    }
  }

  /** Rows whose bottom is below the visible part of the list (binary search on offsets). */
  _belowFold(list) {
    const n = list.children.length;
    if (!n || list.clientHeight === 0) return 0;
    const limit = list.scrollTop + list.clientHeight + 1;
    const last = list.children[n - 1];
    if (last.offsetTop + last.offsetHeight <= limit) return 0;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const r = list.children[mid];
      if (r.offsetTop + r.offsetHeight <= limit) lo = mid + 1;
      else hi = mid;
    }
    return n - lo;
  }

  /** Refill every row (language changed). */
  relabel() {
    const now = this.ctx.now();
    for (const row of this.rows.values()) this._fill(row, row.ev, now, false);
    for (const group of this.groups.values()) this._head(group);
    this.updateMore();
  }

  refreshAges() {
    const now = this.ctx.now();
    const tr = this.ctx.tr();
    for (const row of this.rows.values()) rowAge(row, now, tr, this.ctx.formats());
  }

  /** Mark the selected row and the kiosk's focus district. */
  markSelection() {
    const sel = this.ctx.selectedId();
    const focus = this.ctx.focusDistrict();
    for (const [id, row] of this.rows) {
      if (id === sel) row.el.setAttribute("aria-current", "true");
      else row.el.removeAttribute("aria-current");
      row.el.classList.toggle("in-focus", Boolean(focus) && row.ev.district === focus);
    }
  }

  /** Active events that match the filter, over every group. */
  total() {
    let n = 0;
    for (const group of this.groups.values()) n += group.total ?? group.events.length;
    return n;
  }

  /** Rows in page order, for keyboard navigation. */
  orderedRows() {
    const out = [];
    for (const group of this.groups.values()) {
      if (group.section.hidden) continue;
      for (const li of group.list.children) out.push(li);
    }
    return out;
  }
}
