// The officer directory (GET /api/officers, docs/officers.md): a drawer over the board's left side,
// opened from the header, with a search box and district, department and kind filters. Officers on
// duty now come first and stand out; each shows role, department, level, districts, phone and duty
// in the city's time. With an event open, officers on duty get the detail panel's call button
// (calls.js) to call about that event. Text from the server only goes in through textContent.

import { CallControls } from "./calls.js";
import { authHeaders, responseError } from "./http.js";
import { setText } from "./list.js";
import { departmentsOf, directoryQuery, districtsText, dutyText, officerName, sortForDirectory } from "./officers.js";

const DIRECTORY_REFRESH_MS = 60000; // duty changes at shift boundaries: look again while open
const DIRECTORY_SEARCH_DEBOUNCE_MS = 250;
const DIRECTORY_KINDS = ["disaster", "traffic", "complaint", "system"];

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Options of a filter; rebuilt only when they changed, so a refresh never closes an open menu. */
function fillSelect(select, options) {
  const key = JSON.stringify(options);
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  const value = select.value;
  select.replaceChildren(
    ...options.map(([v, label]) => {
      const o = el("option", "", label);
      o.value = v;
      return o;
    }),
  );
  select.value = options.some(([v]) => v === value) ? value : "";
}

/**
 * ctx: {tr(), formats(), now() → server time (ms), districts() → Map code → {ko, en},
 *       districtName(code), selectedEvent() → {id, title} | null, calls (Calls), canAct()}
 */
export class DirectoryPanel {
  constructor(root, toggle, ctx) {
    this.root = root;
    this.toggleButton = toggle;
    this.ctx = ctx;
    this.result = null; // {state: loading|ok|none|error, officers, message}
    this.departments = new Set(); // every department seen since the page opened
    this.generation = 0; // late answers for older filters are dropped
    this.refreshTimer = null;
    this.searchTimer = null;
    const $ = (sel) => root.querySelector(sel);
    this.els = {
      count: $('[data-testid="directory-count"]'),
      close: $('[data-testid="directory-close"]'),
      search: $('[data-testid="directory-search"]'),
      district: $('[data-testid="directory-district"]'),
      department: $('[data-testid="directory-department"]'),
      kind: $('[data-testid="directory-kind"]'),
      event: $('[data-testid="directory-event"]'),
      viewOnly: $('[data-testid="directory-view-only"]'),
      status: $('[data-testid="directory-status"]'),
      list: $('[data-testid="directory-list"]'),
    };
    toggle.addEventListener("click", () => (this.isOpen ? this.close() : this.open()));
    this.els.close.addEventListener("click", () => this.close());
    this.els.search.addEventListener("input", () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.load(), DIRECTORY_SEARCH_DEBOUNCE_MS);
    });
    for (const select of [this.els.district, this.els.department, this.els.kind]) select.addEventListener("change", () => this.load());
  }

  get isOpen() {
    return !this.root.hidden;
  }

  open() {
    this.root.hidden = false;
    this.toggleButton.setAttribute("aria-expanded", "true");
    this.relabel();
    this.load();
    this.els.search.focus();
  }

  close() {
    this.root.hidden = true;
    this.toggleButton.setAttribute("aria-expanded", "false");
    this.generation += 1;
    clearTimeout(this.refreshTimer);
    clearTimeout(this.searchTimer);
    if (this.root.contains(document.activeElement)) this.toggleButton.focus();
  }

  filters() {
    return { q: this.els.search.value, district: this.els.district.value, department: this.els.department.value, kind: this.els.kind.value };
  }

  async load() {
    if (!this.isOpen) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.load(), DIRECTORY_REFRESH_MS);
    const gen = ++this.generation;
    if (!this.result) {
      this.result = { state: "loading", officers: [] };
      this.render();
    }
    const query = directoryQuery(this.filters());
    let result;
    try {
      // operators see phone numbers (the server leaves them out for viewers)
      const headers = { Accept: "application/json", ...authHeaders(this.ctx.token?.()) };
      const resp = await fetch(`api/officers${query ? `?${query}` : ""}`, { headers });
      if (resp.status === 404) result = { state: "none", officers: [] };
      else if (!resp.ok) result = { state: "error", officers: [], message: await responseError(resp) };
      else result = { state: "ok", officers: sortForDirectory((await resp.json())?.officers) };
    } catch (err) {
      result = { state: "error", officers: [], message: err?.message ?? String(err) };
    }
    if (gen !== this.generation) return;
    this.result = result;
    for (const d of departmentsOf(result.officers)) this.departments.add(d);
    this.fillFilters();
    this.render();
  }

  /** The filters' options in the board's language (the chosen values stay). */
  fillFilters() {
    const tr = this.ctx.tr();
    const codes = [...this.ctx.districts().keys()].sort((a, b) => this.ctx.districtName(a).localeCompare(this.ctx.districtName(b), tr.locale));
    fillSelect(this.els.district, [["", tr.t("filters.allDistricts")], ...codes.map((c) => [c, this.ctx.districtName(c)])]);
    const departments = [...this.departments].sort((a, b) => a.localeCompare(b, tr.locale));
    fillSelect(this.els.department, [["", tr.t("directory.allDepartments")], ...departments.map((d) => [d, d])]);
    fillSelect(this.els.kind, [["", tr.t("directory.allKinds")], ...DIRECTORY_KINDS.map((k) => [k, tr.label("kinds", k)])]);
  }

  render() {
    if (!this.isOpen) return;
    const tr = this.ctx.tr();
    const r = this.result;
    const event = this.ctx.selectedEvent();
    this.els.event.hidden = !event;
    if (event) setText(this.els.event, tr.t("directory.callAbout", { title: event.title }));
    this.els.viewOnly.hidden = !event || this.ctx.canAct();
    const status = this.els.status;
    status.dataset.state = r?.state ?? "";
    status.classList.toggle("error", r?.state === "error");
    const officers = r?.officers ?? [];
    const onDuty = officers.filter((o) => o.on_duty === true).length;
    setText(this.els.count, r?.state === "ok" ? tr.t("directory.count", { n: tr.number(officers.length), on: tr.number(onDuty) }) : "");
    const key = { loading: "directory.loading", none: "directory.none", error: "directory.failed" }[r?.state];
    setText(status, key ? tr.t(key, { message: r.message ?? "" }) : officers.length ? "" : tr.t("directory.empty"));
    status.hidden = !status.textContent;
    const frag = document.createDocumentFragment();
    for (const officer of officers) frag.append(this.row(officer, event));
    this.els.list.replaceChildren(frag);
  }

  row(officer, event) {
    const tr = this.ctx.tr();
    const li = el("li", "dir-officer");
    li.dataset.testid = "directory-officer";
    li.dataset.officerId = String(officer.id ?? "");
    li.dataset.onDuty = String(officer.on_duty === true);
    li.classList.toggle("on-duty", officer.on_duty === true);
    const head = el("div", "dir-head");
    head.append(el("span", "dir-name", officerName(officer, tr.lang)));
    if (officer.level) {
      const level = el("span", `dir-level level-${officer.level}`, tr.label("officers.levels", officer.level));
      level.dataset.testid = "directory-level";
      head.append(level);
    }
    if (officer.demo === true) head.append(el("span", "badge-demo", "DEMO"));
    const duty = el("span", "dir-duty", dutyText(officer, tr, this.ctx.formats(), this.ctx.now()));
    duty.dataset.testid = "directory-duty";
    head.append(duty);
    const role = el("div", "dir-role", [officer.role, officer.department].filter(Boolean).join(" · "));
    const where = el("div", "dir-where", districtsText(officer.districts, (c) => this.ctx.districtName(c), tr));
    where.dataset.testid = "directory-districts";
    if (officer.phone) {
      const phone = el("a", "dir-phone", String(officer.phone));
      phone.href = officer.tel_uri || `tel:${String(officer.phone).replace(/[^0-9+]/g, "")}`;
      phone.dataset.testid = "directory-phone";
      where.append(" · ", phone);
    }
    li.append(head, role, where);
    if (event && officer.on_duty === true && officer.id) {
      const controls = new CallControls(this.ctx.calls, event.id, officer, "directory.callAboutButton");
      li.append(controls.buttons, controls.status, controls.marks);
      li.classList.add("callable");
    }
    return li;
  }

  /** Language, districts or the selected event changed. */
  relabel() {
    if (!this.isOpen) return;
    this.fillFilters();
    this.render();
  }
}
