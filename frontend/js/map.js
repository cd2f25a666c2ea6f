// The district map (Leaflet, vendored): the city's districts from /api/districts as the base layer
// (no tiles unless `?tiles=` names a tile server), shaded by active-event load and labelled in the
// board's language; events as severity-coloured markers (clustered when dense), with road closures
// drawn as lines and alert areas as outlined areas. Changes are applied in batches, once a frame;
// a snapshot's (or a filter's) thousands of markers are built in slices (chunks.js), worst first.
// renderLegend draws the map's key (severities, shading, shapes) over it.

import { Backlog } from "./chunks.js";
import { eventText } from "./i18n.js";
import { iconFor, iconMarkup } from "./icons.js";
import { SEVERITY_RANK, loadLevel } from "./kpi.js";
import { severityOf, sparklinePoints } from "./situations.js";

const SEVERITIES = ["extreme", "severe", "moderate", "minor", "info"];
const LOAD_LEVELS = 5;
const MAX_RANK = SEVERITY_RANK.extreme;
const CITY_PADDING = [12, 12];
const FOCUS_PADDING = [90, 90]; // a focused district keeps its neighbours in view
const FOCUS_MAX_ZOOM = 12.6;
const RING_RADIUS_PX = 30; // a situation too small to see at this zoom gets a ring this size ...
const RING_UNDER_PX = 2 * RING_RADIUS_PX; // ... when its area is smaller than this on screen
const SPARK_W = 80; // a cluster tooltip's sparkline, px
const SPARK_H = 22;
const SELECTED_SHAPE = { weight: 6, color: "#ffffff" };
// how deep a geometry's coordinates nest below its points, for the types drawn as one path
const PATH_DEPTH = { LineString: 0, MultiLineString: 1, Polygon: 1, MultiPolygon: 2 };
const PUBLIC_AREA_RADIUS_M = 125; // half the default public grid: the cell a complaint was snapped into

function escapeHtml(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function pointInRing(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The worst severity rank among a cluster's markers: a walk of markercluster's tree that stops at
 *  the first extreme one (getAllChildMarkers would first copy thousands into an array). */
function worstRank(cluster) {
  let worst = 0;
  for (const m of cluster._markers) {
    worst = Math.max(worst, m.options.sevRank ?? 0);
    if (worst === MAX_RANK) return worst;
  }
  for (const child of cluster._childClusters) {
    worst = Math.max(worst, worstRank(child));
    if (worst === MAX_RANK) return worst;
  }
  return worst;
}

/** [lat, lng] where an event's marker goes: its representative point, else a Point geometry. */
export function markerLatLng(ev) {
  const p = Array.isArray(ev.point) ? ev.point : ev.geometry?.type === "Point" ? ev.geometry.coordinates : null;
  if (!p || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) return null;
  return [p[1], p[0]];
}

/**
 * ctx: {tr() → Translator, onSelect(id), onDistrictClick(code), districtNames(code) → {ko, en},
 *       kiosk: bool, tiles: string|null, publicAreas: bool (complaints as areas: the public board)}
 */
export class BoardMap {
  constructor(el, ctx) {
    this.el = el;
    this.ctx = ctx;
    this.L = window.L;
    this.ready = Boolean(this.L && this.L.markerClusterGroup);
    this.items = new Map(); // event_id -> {ev, marker, shape, built, want, shown}
    this.districtLayers = new Map(); // code -> polygon layer
    this.labels = new Map(); // code -> last label html
    this.selected = null;
    this.focusCode = null;
    this.userMoved = false;
    this.noLocation = 0; // shown events without a marker
    this.shownCount = 0;
    this.holdClusters = false; // a snapshot's parts are still coming: its clusters are drawn after the last
    this.shapesDue = []; // backlog items whose lines and areas join the canvas once the backlog is done
    this.backlog = new Backlog({ work: (item) => this._showQueued(item), done: () => this._sliceDone() });
    if (!this.ready) {
      el.textContent = "Leaflet failed to load (frontend/vendor/)";
      return;
    }
    const L = this.L;
    this.colours = Object.fromEntries(SEVERITIES.map((s) => [s, cssVar(`--sev-${s}`, "#aab4bf")]));
    this.ramp = Array.from({ length: LOAD_LEVELS + 1 }, (_, i) => cssVar(`--load-${i}`, "#222"));
    const kiosk = Boolean(ctx.kiosk);
    this.map = L.map(el, {
      zoomControl: !kiosk,
      attributionControl: true,
      zoomSnap: 0.1,
      zoomDelta: 0.5,
      minZoom: 8,
      maxZoom: 18,
      scrollWheelZoom: !kiosk,
      dragging: !kiosk,
      doubleClickZoom: !kiosk,
      boxZoom: false,
      keyboard: false,
      fadeAnimation: !kiosk,
    });
    this.map.attributionControl.setPrefix('<a href="https://leafletjs.com/">Leaflet</a>');
    this.map.createPane("shapes").style.zIndex = "420";
    const labels = this.map.createPane("labels");
    labels.style.zIndex = "450";
    labels.style.pointerEvents = "none";
    if (ctx.tiles) {
      L.tileLayer(ctx.tiles, { maxZoom: 18, attribution: escapeHtml(new URL(ctx.tiles, location.href).host) }).addTo(this.map);
    }
    // lines and areas on one canvas: thousands of them cost one bitmap, not thousands of SVG paths
    this.shapeRenderer = L.canvas({ pane: "shapes", padding: 0.3, tolerance: 4 });
    this.shapes = L.layerGroup().addTo(this.map);
    // situations' areas (a few outlines, SVG) under the markers, and complaint clusters' bubbles
    this.map.createPane("situations").style.zIndex = "410";
    this.situationAreas = L.layerGroup().addTo(this.map);
    this.clusterBubbles = L.layerGroup().addTo(this.map);
    this.areaKeys = new Map(); // situation id -> [layer, key of what it drew, ring, bounds]
    this.bubbles = new Map(); // cluster id -> [marker, key]
    this.cluster = L.markerClusterGroup({
      chunkedLoading: false, // the board builds in slices itself (this.backlog)
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
      maxClusterRadius: 42,
      disableClusteringAtZoom: 16,
      animate: !kiosk,
      iconCreateFunction: (c) => this._clusterIcon(c),
    });
    this.cluster.addTo(this.map);
    // A marker whose icon is made when it is first drawn: most of a snapshot's 5,000 markers are
    // only ever inside clusters, and making all their icons up front cost ~15 ms (a profile).
    const board = this;
    this.EventMarker = L.Marker.extend({
      _initIcon() {
        this.options.icon ??= board._icon(this.ev);
        L.Marker.prototype._initIcon.call(this);
      },
    });
    // one click handler and one tooltip for all markers (a closure and a tooltip each cost a
    // snapshot's 5,000 markers ~60 ms); a cluster's own click comes as "clusterclick"
    this.tip = L.tooltip({ direction: "top", offset: [0, -14] });
    this.cluster.on("click", (e) => e.layer.eventId && this.ctx.onSelect(e.layer.eventId));
    this.cluster.on("mouseover", (e) => e.layer.eventId && this._markerTip(e.layer));
    this.cluster.on("mouseout", () => this.map.closeTooltip(this.tip));
    this.map.setView([37.5665, 126.978], 11);
    // A click on the map that no marker or line took: the district under it toggles the filter.
    this.map.on("click", (e) => {
      const code = this.districtAt(e.latlng);
      if (code) this.ctx.onDistrictClick(code);
    });
    // Once someone pans or zooms by hand, resizes no longer re-fit the city into view.
    for (const type of ["mousedown", "wheel", "touchstart", "dblclick"]) {
      el.addEventListener(type, () => (this.userMoved = true), { passive: true });
    }
    this.map.on("zoomend", () => this._sizeRings());
    new ResizeObserver(() => this._resized()).observe(el);
  }

  // ----------------------------------------------------------------------------- districts

  setDistricts(geojson) {
    if (!this.ready) return;
    const L = this.L;
    if (this.districts) this.districts.remove();
    this.districtLayers.clear();
    this.labels.clear();
    this.districtRings = [];
    this.districts = L.geoJSON(geojson, {
      // clicks are found by position (below): lines on the canvas above would hide them from the paths
      interactive: false,
      style: () => ({ color: "#42546a", weight: 1.2, fillColor: this.ramp[0], fillOpacity: 0.9, className: "district" }),
      onEachFeature: (feature, layer) => {
        const code = String(feature.properties?.code ?? "");
        if (!code) return;
        this.districtLayers.set(code, layer);
        const g = feature.geometry;
        const polys = g?.type === "Polygon" ? [g.coordinates] : g?.type === "MultiPolygon" ? g.coordinates : [];
        this.districtRings.push({ code, polys, bounds: layer.getBounds() });
        layer.bindTooltip("", { permanent: true, direction: "center", className: "district-label", pane: "labels", interactive: false, opacity: 1 });
      },
    });
    this.districts.addTo(this.map);
    this.districts.bringToBack();
    for (const [code, layer] of this.districtLayers) {
      const path = layer.getElement?.();
      if (path) path.setAttribute("data-code", code);
      // the label sits where the polygon's mass is, not in its bounding box's centre
      const tip = layer.getTooltip();
      if (tip) tip.setLatLng(layer.getCenter());
    }
    this.cityBounds = this.districts.getBounds();
    this._refit();
  }

  /** The district code at a position, or null (even-odd rule, holes respected). */
  districtAt(latlng) {
    const x = latlng.lng;
    const y = latlng.lat;
    for (const d of this.districtRings ?? []) {
      if (!d.bounds.contains(latlng)) continue;
      for (const rings of d.polys) {
        let inside = false;
        for (const ring of rings) if (pointInRing(ring, x, y)) inside = !inside;
        if (inside) return d.code;
      }
    }
    return null;
  }

  /** What the view fits while nobody has moved it: [bounds, options], or null before the districts. */
  _fit() {
    if (this.focusCode && this.districtLayers.has(this.focusCode)) {
      return [this.districtLayers.get(this.focusCode).getBounds(), { padding: FOCUS_PADDING, maxZoom: FOCUS_MAX_ZOOM, animate: false }];
    }
    return this.cityBounds?.isValid() ? [this.cityBounds, { padding: CITY_PADDING, animate: false }] : null;
  }

  _refit() {
    const fit = this.ready && this._fit();
    if (fit) this.map.fitBounds(...fit);
  }

  /** The map's box changed size (e.g. the KPI row under it grew): one view update for the new size. */
  _resized() {
    const size = this.map.getSize(); // the size Leaflet last read
    if (size.x === this.el.clientWidth && size.y === this.el.clientHeight) return;
    if (this.userMoved || !this._fit()) {
      this.map.invalidateSize({ animate: false });
      return;
    }
    // invalidateSize would pan for the new size (every path and marker updated) and the fit would
    // update them all again: mark the size stale as it does (Leaflet 1.9's own fields), fit once.
    this.map._sizeChanged = true;
    this.map._lastCenter = null;
    this._refit();
  }

  /** Shade districts by load ({code → {count, worst}}), outline the filtered ones, relabel. */
  shade(load, selectedCodes) {
    if (!this.ready) return;
    const tr = this.ctx.tr();
    let max = 0;
    for (const d of load.values()) max = Math.max(max, d.count);
    for (const [code, layer] of this.districtLayers) {
      const d = load.get(code);
      const count = d?.count ?? 0;
      const level = loadLevel(count, max, LOAD_LEVELS);
      const selected = selectedCodes.has(code);
      const focus = this.focusCode === code;
      const styleKey = `${level}|${selected}|${focus}`;
      if (layer._cbStyle !== styleKey) {
        layer._cbStyle = styleKey;
        layer.setStyle({
          fillColor: this.ramp[level],
          color: selected || focus ? "#ffffff" : "#42546a",
          weight: focus ? 4 : selected ? 3 : 1.2,
          dashArray: focus ? "10 6" : null,
        });
        if (selected || focus) layer.bringToFront();
      }
      const path = layer.getElement?.();
      if (path && path.getAttribute("data-count") !== String(count)) {
        path.setAttribute("data-level", String(level));
        path.setAttribute("data-count", String(count));
      }
      const names = this.ctx.districtNames(code);
      let name = (tr.lang === "en" ? names.en : names.ko) || names.ko || code;
      if (tr.lang === "en") name = name.replace(/-gu$/, "");
      const html = `<span class="lbl"><span class="nm">${escapeHtml(name)}</span>${count ? `<span class="n">${escapeHtml(tr.number(count))}</span>` : ""}</span>`;
      const key = `${html}|${selected}`;
      if (this.labels.get(code) !== key) {
        this.labels.set(code, key);
        const tip = layer.getTooltip();
        if (tip) {
          // Leaflet 1.9's setContent also places the label again, reading its size: a layout of
          // the whole page per label. The label is a zero-size box centred by CSS instead
          // (board.css .district-label), so only its content changes.
          tip._content = html;
          if (tip._contentNode) {
            tip._updateContent();
            tip.getElement().classList.toggle("selected", selected);
          }
        }
      }
    }
    this.el.dataset.maxLoad = String(max);
  }

  // -------------------------------------------------------------------------------- events

  /** On the public board a complaint is an area (its grid cell), never a pin on a doorstep. */
  _area(ev) {
    const ll = markerLatLng(ev);
    if (!ll) return null;
    const colour = this.colours[this._sev(ev)];
    const style = { color: colour, weight: 2, dashArray: "4 4", fillColor: colour, fillOpacity: 0.15, className: "ev-shape ev-area" };
    const layer = this.L.circle(ll, { ...style, radius: PUBLIC_AREA_RADIUS_M, pane: "shapes", renderer: this.shapeRenderer, interactive: false });
    layer.baseStyle = style; // what select() restores, as for every shape
    return layer;
  }

  _sev(ev) {
    return SEVERITIES.includes(ev.severity) ? ev.severity : "info";
  }

  /** An event's marker; its icon is made when it is first drawn (EventMarker). */
  _marker(ev) {
    const ll = markerLatLng(ev);
    if (!ll) return null;
    const rank = SEVERITY_RANK[this._sev(ev)] ?? 0;
    const marker = new this.EventMarker(ll, { icon: null, keyboard: false, riseOnHover: true, zIndexOffset: rank * 100, sevRank: rank });
    marker.eventId = ev.event_id;
    marker.ev = ev;
    return marker;
  }

  _icon(ev) {
    const sev = this._sev(ev);
    const bang = sev === "extreme" ? '<span class="bang">!!</span>' : sev === "severe" ? '<span class="bang">!</span>' : "";
    const sel = this.selected === ev.event_id ? " selected" : "";
    return this.L.divIcon({
      className: "ev-marker",
      iconSize: null,
      html: `<div class="mk sev-${sev}${sel}" data-testid="map-marker" data-event-id="${escapeHtml(ev.event_id)}" data-severity="${sev}">${iconMarkup(iconFor(ev.category, ev.kind))}${bang}</div>`,
    });
  }

  /** The hovered marker's event in the one tooltip every marker shares. */
  _markerTip(marker) {
    const ev = this.items.get(marker.eventId)?.ev;
    if (!ev) return;
    const tr = this.ctx.tr();
    this.tip.setLatLng(marker.getLatLng()).setContent(`<b>${escapeHtml(tr.label("severities", this._sev(ev)))}</b> ${escapeHtml(eventText(ev, tr.lang).title)}`);
    this.map.openTooltip(this.tip);
  }

  /** A line or an area on the shapes' canvas: a plain path (an L.geoJSON group around each one cost
   *  a snapshot's thousand shapes twice the time), with the style it returns to when unselected. */
  _shape(ev) {
    if (this.ctx.publicAreas && ev.kind === "complaint") return this._area(ev);
    const g = ev.geometry;
    if (!g || g.type === "Point" || g.type === "MultiPoint") return null;
    const L = this.L;
    const colour = this.colours[this._sev(ev)];
    const area = g.type === "Polygon" || g.type === "MultiPolygon";
    const style = area
      ? { color: colour, weight: 2.5, dashArray: "6 5", fillColor: colour, fillOpacity: 0.1, className: "ev-shape ev-area" }
      : { color: colour, weight: 6, opacity: 0.95, lineCap: "round", className: "ev-shape ev-line" };
    // areas are large: clicks go through to the district below
    const options = { ...style, pane: "shapes", renderer: this.shapeRenderer, interactive: !area };
    const depth = PATH_DEPTH[g.type];
    let layer;
    if (depth === undefined) layer = L.geoJSON(g, { ...options, style });
    else if (area) layer = L.polygon(L.GeoJSON.coordsToLatLngs(g.coordinates, depth), options);
    else layer = L.polyline(L.GeoJSON.coordsToLatLngs(g.coordinates, depth), options);
    layer.baseStyle = style;
    if (!area) layer.on("click", () => this.ctx.onSelect(ev.event_id));
    return layer;
  }

  _clusterIcon(cluster) {
    const L = this.L;
    const worst = worstRank(cluster);
    const sev = SEVERITIES.find((s) => SEVERITY_RANK[s] === worst) ?? "info";
    const bang = sev === "extreme" ? '<span class="bang">!!</span>' : sev === "severe" ? '<span class="bang">!</span>' : "";
    return L.divIcon({
      className: "ev-cluster",
      iconSize: null,
      html: `<div class="cl sev-${sev}" data-testid="map-cluster" data-severity="${sev}">${cluster.getChildCount()}${bang}</div>`,
    });
  }

  /**
   * Apply the stream's changes: `reset` rebuilds from `events`; otherwise `removed` and
   * `upserted` ids are applied. `match` decides which events are shown.
   */
  apply({ reset = false, upserted = [], removed = [] }, events, match) {
    if (!this.ready) return;
    if (reset) {
      this._rebuild(events, match);
      return;
    }
    const addMarkers = [];
    const dropMarkers = [];
    for (const id of removed) {
      const item = this.items.get(id);
      if (!item) continue;
      this._hide(item, dropMarkers);
      this.items.delete(id);
    }
    for (const id of upserted) {
      const ev = events.get(id);
      if (!ev) continue;
      const old = this.items.get(id);
      if (old) {
        if (old.ev === ev) continue;
        this._hide(old, dropMarkers);
      }
      // a live change is shown at once; an older item still waiting in the backlog is skipped there
      const item = this._item(ev, match);
      this.items.set(id, item);
      if (item.want) this._show(item, addMarkers);
    }
    this._commit(addMarkers, dropMarkers);
  }

  /** A snapshot's later part: its events join the map in slices, as a rebuild's do. */
  load(ids, events, match) {
    if (!this.ready) return;
    const queue = [];
    const dropMarkers = [];
    for (const id of ids) {
      const ev = events.get(id);
      const old = this.items.get(id);
      if (!ev || old?.ev === ev) continue;
      if (old) this._hide(old, dropMarkers);
      const item = this._item(ev, match);
      this.items.set(id, item);
      if (item.want) queue.push(item);
    }
    this._commit([], dropMarkers);
    this._queue(queue);
    if (!this.backlog.size) this._sliceDone(); // nothing to build: the clusters are drawn now
  }

  /** Re-evaluate which events are shown (the filter changed): hidden at once, shown in slices. */
  refilter(match) {
    if (!this.ready) return;
    const queue = [];
    const dropMarkers = [];
    for (const item of this.items.values()) {
      item.want = Boolean(match(item.ev));
      if (item.want && !item.shown) queue.push(item);
      else if (!item.want && item.shown) this._hide(item, dropMarkers);
    }
    this._commit([], dropMarkers);
    this._queue(queue);
  }

  _rebuild(events, match) {
    this.backlog.clear();
    this.shapesDue = [];
    this.cluster.clearLayers();
    this.shapes.clearLayers();
    this.items.clear();
    this.shownCount = 0;
    this.noLocation = 0;
    const queue = [];
    for (const ev of events.values()) {
      const item = this._item(ev, match);
      this.items.set(ev.event_id, item);
      if (item.want) queue.push(item);
    }
    this._commit([], []);
    this._queue(queue);
  }

  _item(ev, match) {
    return { ev, marker: null, shape: null, built: false, want: Boolean(match(ev)), shown: false };
  }

  /** Into the backlog, worst severity first: what matters most is on the map soonest. One pass
   *  into a bucket per severity (a sort of a snapshot's 4,500 items took ~30 ms). */
  _queue(items) {
    const buckets = Array.from({ length: MAX_RANK + 1 }, () => []);
    for (const item of items) buckets[MAX_RANK - (SEVERITY_RANK[this._sev(item.ev)] ?? 0)].push(item);
    this.backlog.push(buckets.flat());
  }

  /** One backlog item, unless the stream replaced or removed it, or a filter hid it, meanwhile. */
  _showQueued(item) {
    if (item.shown || !item.want || this.items.get(item.ev.event_id) !== item) return;
    const markers = [];
    this._show(item, markers, this.shapesDue);
    if (markers.length) this._gridAdd(markers[0]);
  }

  /**
   * A marker into the clusters' grid without redrawing them: markercluster 1.5.3's own chunked
   * `addLayers` (its loop body), in our slices, so that a marker the stream removes meanwhile is
   * already known to `removeLayers` (markercluster's own chunks would add it back afterwards).
   */
  _gridAdd(marker) {
    const c = this.cluster;
    c._addLayer(marker, c._maxZoom);
    const parent = marker.__parent;
    if (parent && parent.getChildCount() === 2) {
      const pair = parent.getAllChildMarkers();
      c._featureGroup.removeLayer(pair[0] === marker ? pair[1] : pair[0]);
    }
  }

  /** After each slice; when the backlog is done, the clusters on screen and the canvas of lines
   *  and areas are drawn, once (a shape added in each slice redrew the whole canvas every frame). */
  _sliceDone() {
    if (!this.backlog.size && !this.holdClusters) {
      for (const item of this.shapesDue) {
        if (item.shown && this.items.get(item.ev.event_id) === item) this.shapes.addLayer(item.shape);
      }
      this.shapesDue = [];
      const c = this.cluster;
      c._unspiderfy?.();
      c._topClusterLevel._recalculateBounds();
      c._refreshClustersIcons();
      c._topClusterLevel._recursivelyAddChildrenToMap(null, c._zoom, c._currentShownBounds);
    }
    this._commit([], []);
  }

  _build(item) {
    if (item.built) return;
    item.marker = this._marker(item.ev);
    item.shape = this._shape(item.ev);
    if (item.shape && this.selected === item.ev.event_id) item.shape.setStyle(SELECTED_SHAPE);
    item.built = true;
  }

  /** On the map: its marker into `addMarkers`, its shape onto the canvas now or, with `shapesDue`, later. */
  _show(item, addMarkers, shapesDue = null) {
    this._build(item);
    if (item.marker) addMarkers.push(item.marker);
    if (item.shape && shapesDue) shapesDue.push(item);
    else if (item.shape) this.shapes.addLayer(item.shape);
    item.shown = true;
    this.shownCount += 1;
    if (!item.marker) this.noLocation += 1;
  }

  _hide(item, dropMarkers) {
    if (!item.shown) return;
    if (item.marker) dropMarkers.push(item.marker);
    if (item.shape) this.shapes.removeLayer(item.shape);
    item.shown = false;
    this.shownCount -= 1;
    if (!item.marker) this.noLocation -= 1;
  }

  _commit(addMarkers, dropMarkers) {
    if (dropMarkers.length) this.cluster.removeLayers(dropMarkers);
    if (addMarkers.length) this.cluster.addLayers(addMarkers);
    this.el.dataset.shown = String(this.shownCount);
    this.el.dataset.pending = String(this.backlog.size + this.shapesDue.length); // 0: all drawn
  }

  /**
   * Each open situation's area, outlined in its severity's colour, and each complaint cluster as a
   * bubble with its count (its sparkline in the tooltip). Redrawn only where something changed.
   */
  setSituations(situations, clusters) {
    if (!this.ready) return;
    const L = this.L;
    const want = new Map(situations.filter((s) => s.area).map((s) => [s.id, s]));
    for (const [id, [layer, , ring]] of this.areaKeys) {
      if (!want.has(id)) {
        this.situationAreas.removeLayer(layer);
        this.situationAreas.removeLayer(ring);
        this.areaKeys.delete(id);
      }
    }
    for (const [id, sit] of want) {
      const sev = severityOf(sit);
      const key = `${sev}|${JSON.stringify(sit.area)}`;
      const held = this.areaKeys.get(id);
      if (held?.[1] === key) continue;
      if (held) {
        this.situationAreas.removeLayer(held[0]);
        this.situationAreas.removeLayer(held[2]);
      }
      const colour = this.colours[sev];
      const layer = L.geoJSON(sit.area, {
        pane: "situations",
        interactive: false,
        pointToLayer: (_f, ll) => L.circleMarker(ll, { pane: "situations", radius: 14 }),
        style: { color: colour, weight: 4, opacity: 0.95, fillColor: colour, fillOpacity: 0.08, className: "sit-area" },
      });
      this.situationAreas.addLayer(layer);
      layer.eachLayer((l) => {
        const path = l.getElement?.();
        if (path) {
          path.setAttribute("data-situation-id", id);
          path.setAttribute("data-severity", sev);
        }
      });
      const bounds = layer.getBounds();
      const ring = L.circleMarker(bounds.getCenter(), { pane: "situations", interactive: false, radius: RING_RADIUS_PX, color: colour, weight: 4, fill: false, className: "sit-ring" });
      this.areaKeys.set(id, [layer, key, ring, bounds]);
    }
    this._sizeRings();
    for (const [id, [marker]] of this.bubbles) {
      if (!clusters.has(id)) {
        this.clusterBubbles.removeLayer(marker);
        this.bubbles.delete(id);
      }
    }
    for (const [id, c] of clusters) {
      const center = Array.isArray(c.center) ? c.center : null;
      if (!center || !Number.isFinite(center[0]) || !Number.isFinite(center[1])) continue;
      const key = `${c.count}|${center}|${c.sparkline}`;
      const held = this.bubbles.get(id);
      if (held?.[1] === key) continue;
      if (held) this.clusterBubbles.removeLayer(held[0]);
      const icon = L.divIcon({
        className: "ev-cluster",
        iconSize: null,
        html: `<div class="cb" data-testid="map-complaint-cluster" data-cluster-id="${escapeHtml(id)}" data-count="${escapeHtml(c.count)}">${escapeHtml(c.count)}</div>`,
      });
      const marker = L.marker([center[1], center[0]], { icon, keyboard: false, zIndexOffset: 50 });
      marker.on("click", () => this.ctx.onSelect(id));
      marker.bindTooltip(() => this._clusterTip(this.bubbles.get(id)?.[2] ?? c), { direction: "top", offset: [0, -16] });
      this.clusterBubbles.addLayer(marker);
      this.bubbles.set(id, [marker, key, c]);
    }
    this.el.dataset.situationAreas = String(this.areaKeys.size);
    this.el.dataset.complaintClusters = String(this.bubbles.size);
  }

  /** A situation whose area is a speck at this zoom is ringed, so the wall sees where it is. */
  _sizeRings() {
    for (const [id, [, , ring, bounds]] of this.areaKeys) {
      const a = this.map.latLngToLayerPoint(bounds.getSouthWest());
      const b = this.map.latLngToLayerPoint(bounds.getNorthEast());
      const small = Math.max(Math.abs(b.x - a.x), Math.abs(b.y - a.y)) < RING_UNDER_PX;
      if (small === this.situationAreas.hasLayer(ring)) continue;
      if (small) {
        this.situationAreas.addLayer(ring);
        ring.getElement()?.setAttribute("data-situation-id", id);
      } else {
        this.situationAreas.removeLayer(ring);
      }
    }
  }

  _clusterTip(c) {
    const tr = this.ctx.tr();
    const sub = String(c.category ?? "").split(".")[1] ?? "other";
    const title = tr.t("clusters.title", { category: tr.label("categories.complaint", sub), n: tr.number(c.count ?? 0) });
    const points = sparklinePoints(c.sparkline, SPARK_W, SPARK_H);
    return `<b>${escapeHtml(title)}</b><br><svg class="spark tip-sparkline" width="${SPARK_W}" height="${SPARK_H}" viewBox="0 0 ${SPARK_W} ${SPARK_H}" aria-hidden="true"><polyline points="${points}"/></svg>`;
  }

  /** Kiosk focus on a situation: its bounding box [w, s, e, n] in view. */
  focusArea(id, bbox) {
    if (!this.ready || !Array.isArray(bbox) || bbox.length !== 4) return false;
    this.focusCode = id;
    this.el.dataset.focusDistrict = "";
    this.el.dataset.focusSituation = id;
    this.map.flyToBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], { padding: FOCUS_PADDING, maxZoom: FOCUS_MAX_ZOOM + 1, duration: 1.2 });
    return true;
  }

  /** Whether an event is on the map (a marker, alone or inside a cluster). */
  has(id) {
    const item = this.items.get(id);
    return Boolean(item && item.shown && item.marker && this.cluster.hasLayer(item.marker));
  }

  /** Highlight the selected event's marker and shape, and bring it into view. */
  select(id) {
    if (!this.ready) return;
    const prev = this.items.get(this.selected);
    this.selected = id;
    if (prev?.marker) prev.marker.getElement()?.querySelector(".mk")?.classList.remove("selected");
    if (prev?.shape) prev.shape.setStyle(prev.shape.baseStyle);
    const item = id ? this.items.get(id) : null;
    if (!item) return;
    if (item.shape) item.shape.setStyle(SELECTED_SHAPE);
    if (item.marker && item.shown) {
      const ll = item.marker.getLatLng();
      if (!this.map.getBounds().contains(ll)) this.map.panTo(ll);
      item.marker.getElement()?.querySelector(".mk")?.classList.add("selected");
    }
  }

  /** Kiosk focus: zoom to a district (dashed white outline), or back to the whole city. */
  focus(code) {
    if (!this.ready) return;
    this.focusCode = code && this.districtLayers.has(code) ? code : null;
    this.el.dataset.focusDistrict = this.focusCode ?? "";
    this.el.dataset.focusSituation = "";
    if (this.focusCode) {
      this.map.flyToBounds(this.districtLayers.get(this.focusCode).getBounds(), { padding: FOCUS_PADDING, maxZoom: FOCUS_MAX_ZOOM, duration: 1.2 });
    } else if (this.cityBounds?.isValid()) {
      this.map.flyToBounds(this.cityBounds, { padding: CITY_PADDING, duration: 1.2 });
    }
  }

  /** Screen point (page coordinates) of a district's label, for tests and tools. */
  districtPoint(code) {
    const layer = this.districtLayers.get(code);
    if (!layer) return null;
    const p = this.map.latLngToContainerPoint(layer.getCenter());
    const r = this.el.getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }

  relabel() {
    this.labels.clear(); // the next shade() writes every label in the new language
  }
}

/** The map's legend: severities (word, colour, !! and !), the district shading ramp, lines and areas. */
export function renderLegend(el, tr) {
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
  for (let i = 1; i <= LOAD_LEVELS; i++) {
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
  const ring = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  ring.setAttribute("class", "legend-shape legend-ring");
  ring.setAttribute("viewBox", "0 0 12 12");
  const circle = document.createElementNS("http://www.w3.org/2000/svg", "circle");
  for (const [k, v] of Object.entries({ cx: 6, cy: 6, r: 4.5, fill: "none", stroke: "var(--sev-extreme)", "stroke-width": 2 })) circle.setAttribute(k, String(v));
  ring.append(circle);
  const bubble = document.createElement("span");
  bubble.className = "legend-bubble";
  bubble.textContent = "6";
  shapes.append(sample("4 3", 2), tr.t("map.legendArea"), sample(null, 4), tr.t("map.legendLine"), ring, tr.t("map.legendSituation"), bubble, tr.t("map.legendCluster"));
  const hint = document.createElement("div");
  hint.className = "legend-row control";
  hint.textContent = tr.t("map.clickToFilter");
  el.replaceChildren(sevRow, loadRow, shapes, hint);
}
