// The filter row and the header's active-filter line: a change goes into the state, the address and the controls.
// districtChoice and sourceNames have no DOM: `node --test`.

import { MAIN_KINDS, SEVERITIES, STATES, describeFilter, emptyFilter, filterToSearch, isEmpty, toggleValue } from "./filters.js";
import { setText } from "./list.js";

const SEARCH_DEBOUNCE_MS = 200;
const MANY = "__many"; // the district menu's entry for several districts (map clicks)
// statuses in the rows' short words (the filter row must fit one line), the full ones in the tooltip
const CHIP_LABELS = { kinds: "kinds", severities: "severities", statuses: "statesShort" };

/**
 * The district menu: every district by name in the board's language, and "n selected" when the
 * filter holds several (map clicks). Returns {options: [[value, label]...], value}.
 */
export function districtChoice(codes, chosen, { nameOf, locale, all }) {
  const options = [["", all]];
  const sorted = [...codes].sort((a, b) => nameOf(a).localeCompare(nameOf(b), locale));
  for (const code of sorted) options.push([code, nameOf(code)]);
  if (chosen.length > 1) options.push([MANY, chosen.map(nameOf).join(", ")]);
  return { options, value: chosen.length > 1 ? MANY : chosen[0] ?? "" };
}

/** The sources the source menu offers: the chosen ones, every feed, and every source an event came from. */
export function sourceNames(chosen, feeds, events) {
  const sources = new Set(chosen);
  for (const f of feeds) if (f?.name) sources.add(String(f.name));
  for (const ev of events) if (ev.source) sources.add(ev.source);
  return sources;
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

/** ctx: {summary (the header's active-filter line), board (BoardState), store (BoardStream), onChange()} */
export class FilterBar {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    const $ = (sel) => root.querySelector(sel);
    this.els = {
      kindChips: $('[data-testid="filter-kind"]'),
      sevChips: $('[data-testid="filter-sev"]'),
      statusChips: $('[data-testid="filter-status"]'),
      district: $('[data-testid="filter-district"]'),
      source: $('[data-testid="filter-source"]'),
      clear: $('[data-testid="filter-clear"]'),
    };
    this.search = $('[data-testid="search"]'); // the keyboard's `/` and Esc reach it too
    this.knownSources = new Set();
    this.searchTimer = null;
    this._build();
  }

  /** Show `filter`: in the state, the address and these controls; the board redraws (onChange). */
  set(filter, { fromSearchBox = false } = {}) {
    this.ctx.board.setFilter(filter);
    history.replaceState(null, "", `${location.pathname}${filterToSearch(filter, location.search)}`);
    this.render({ keepSearch: fromSearchBox });
    this.ctx.onChange();
  }

  _chip(field, value, extraClass = "") {
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
    b.append(document.createElement("span")); // the label, in the board's language (render)
    b.addEventListener("click", () => this.set(toggleValue(this.ctx.board.filter, field, value)));
    return b;
  }

  _build() {
    const { els, search } = this;
    const filter = () => this.ctx.board.filter;
    els.kindChips.replaceChildren(...MAIN_KINDS.map((k) => this._chip("kinds", k)));
    els.sevChips.replaceChildren(...SEVERITIES.map((s) => this._chip("severities", s, `sev-${s}`)));
    els.statusChips.replaceChildren(...STATES.map((s) => this._chip("statuses", s)));
    els.district.addEventListener("change", () => {
      const v = els.district.value;
      if (v === MANY) return;
      this.set({ ...filter(), districts: v ? [v] : [] });
    });
    els.source.addEventListener("change", () => {
      const v = els.source.value;
      this.set({ ...filter(), sources: v ? [v] : [] });
    });
    search.addEventListener("input", () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.set({ ...filter(), q: search.value }, { fromSearchBox: true }), SEARCH_DEBOUNCE_MS);
    });
    search.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        clearTimeout(this.searchTimer);
        this.set({ ...filter(), q: search.value }, { fromSearchBox: true });
      }
    });
    this.root.addEventListener("submit", (e) => e.preventDefault());
    els.clear.addEventListener("click", () => {
      search.value = "";
      this.set(emptyFilter());
    });
  }

  render({ keepSearch = false } = {}) {
    const { board } = this.ctx;
    const { tr, filter } = board;
    const nameOf = (code) => board.districtNameOf(code);
    for (const group of [this.els.kindChips, this.els.sevChips, this.els.statusChips]) {
      for (const b of group.children) {
        const field = b.dataset.field;
        setText(b.lastChild, tr.label(CHIP_LABELS[field], b.dataset.value));
        if (field === "statuses") b.title = tr.label("states", b.dataset.value);
        b.setAttribute("aria-pressed", String(filter[field].includes(b.dataset.value)));
      }
    }
    const districts = districtChoice(board.districts.keys(), filter.districts, { nameOf, locale: tr.locale, all: tr.t("filters.allDistricts") });
    fillSelect(this.els.district, districts.options, districts.value);
    this.refreshSources();
    if (!keepSearch && this.search.value !== filter.q) this.search.value = filter.q;
    const summary = describeFilter(filter, { label: (g, v) => tr.label(g, v), districtName: nameOf });
    const line = this.ctx.summary;
    line.hidden = !summary;
    line.dataset.filter = filterToSearch(filter, "");
    setText(line, summary ? tr.t("filters.active", { what: summary }) : "");
    this.els.clear.disabled = isEmpty(filter);
  }

  /** The source menu follows the feeds and events that arrive; rebuilt only when a source is new. */
  refreshSources() {
    const { board, store } = this.ctx;
    const { tr, filter } = board;
    const select = this.els.source;
    const sources = sourceNames(filter.sources, store.feeds, store.events.values());
    const changed = sources.size !== this.knownSources.size || [...sources].some((s) => !this.knownSources.has(s));
    this.knownSources = sources;
    if (!changed && select.dataset.lang === tr.lang && select.options.length) {
      if (select.value !== (filter.sources[0] ?? "")) select.value = filter.sources[0] ?? "";
      return;
    }
    select.dataset.lang = tr.lang;
    const opts = [["", tr.t("filters.allSources")], ...[...sources].sort().map((s) => [s, s])];
    fillSelect(select, opts, filter.sources[0] ?? "");
  }
}
