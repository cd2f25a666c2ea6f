// Stream changes into DOM and map work, batched: rows once per frame, markers and figures at most a few times a second.

import { later } from "./chunks.js";
import { districtLoad, shouldAnnounce } from "./kpi.js";
import { setText } from "./list.js";
import { CLUSTER_PREFIX, clusterEvent } from "./situations.js";

const STATS_EVERY_MS = 500; // KPI tiles and district shading at most this often
const MAP_EVERY_MS = 300; // markers and shapes at most this often
const CARDS_EVERY_MS = 250; // situation cards at most this often
const PARTS_EVERY_MS = 250; // while a snapshot's parts arrive, rows and markers follow at most this often

/**
 * parts: {store (BoardStream), board (BoardState), index (EventIndex), timeline (Timeline),
 *         lists (EventLists), map (BoardMap), mapNote, tiles (KpiTiles), strip (FeedStrip),
 *         header (Header), announcer (Announcer), calls (Calls), detail (DetailPanel),
 *         replayBar (ReplayBar or null), kiosk (Kiosk), filterBar (FilterBar), cards (SituationCards),
 *         view() → situations.js clusterView for the current filter, catalogs (for cluster rows)}
 */
export class Updates {
  constructor(parts) {
    this.parts = parts;
    this.initialLoad = true; // the first snapshot is not news
    this.frameRequested = false;
    this.moreDue = false; // "N more" needs measuring at the start of the next frame
    this.lastStatsAt = 0;
    this.statsTimer = null;
    this.lastMapAt = 0;
    this.mapTimer = null;
    this.lastCardsAt = 0;
    this.cardsTimer = null;
    this.partsTimer = null;
    this.pending = {
      reset: true,
      upserted: new Set(),
      loaded: new Set(), // of upserted, those a snapshot's later part brought: the map queues them at once
      removed: new Set(),
      workflows: new Set(),
      flash: new Set(),
      filter: false,
      feeds: false,
      notices: false,
      error: false,
      replay: false,
      clusters: new Set(), // cluster ids whose row changed
      clustersGone: new Set(), // cluster ids whose row goes
      membership: false, // a complaint joined or left a cluster: its own row shows or hides
      cards: false,
    };
    this.mapPending = { upserted: new Set(), removed: new Set(), refilter: false, situations: false };
  }

  /** One message's change (BoardStream.handle), for the next frame. */
  queue(change) {
    const { timeline, board, announcer, calls, detail } = this.parts;
    const pending = this.pending;
    if (change.reset) {
      pending.reset = true;
      pending.upserted.clear();
      pending.loaded.clear();
      pending.removed.clear();
      pending.flash.clear();
    }
    const news = !change.reset && !change.loading && !this.initialLoad;
    for (const id of change.upserted) {
      pending.upserted.add(id);
      pending.removed.delete(id);
      if (change.loading) pending.loaded.add(id);
      else pending.loaded.delete(id);
      if (news) pending.flash.add(id);
    }
    for (const id of change.removed) {
      pending.removed.add(id);
      pending.upserted.delete(id);
      pending.loaded.delete(id);
    }
    for (const id of change.workflows) {
      pending.workflows.add(id);
      if (!this.initialLoad) pending.flash.add(id);
    }
    for (const { ev, prev } of change.applied) {
      timeline.add(ev);
      if (news && shouldAnnounce(prev, ev) && board.matcher(ev)) announcer.push(ev);
    }
    if (change.reset || change.applied.length) announcer.recheck(); // ended or downgraded alerts go
    if (change.notices.length) pending.notices = true;
    if (change.feeds) pending.feeds = true;
    if (change.error) pending.error = true;
    if (change.replay) pending.replay = true;
    if (change.actions.length) calls.apply(change.actions);
    if (change.situations?.applied) this._situations(change.situations);
    if (change.reset || change.upserted.length || change.removed.length || change.workflows.length) pending.cards = true;
    if (detail.isOpen) {
      const id = detail.id;
      if (change.reset || change.upserted.includes(id) || change.removed.includes(id) || change.workflows.includes(id)) detail.changed();
    }
    // once a snapshot has come, what follows is news, even before that snapshot is drawn
    if (change.reset && this.parts.store.epoch) this.initialLoad = false;
    if (change.loading && this.parts.store.snapshotPart) this.scheduleParts();
    else this.scheduleFrame();
  }

  /** A snapshot's middle part: drawn with the next ones, so the parts are read without a frame
   *  (lists, layout, paint) between each two; a slow link still shows them every PARTS_EVERY_MS. */
  scheduleParts() {
    if (this.partsTimer !== null || this.frameRequested) return;
    this.partsTimer = setTimeout(() => this.scheduleFrame(), PARTS_EVERY_MS);
  }

  /** A `situations` message: the cards, the cluster rows and the map's areas and bubbles follow. */
  _situations(sc) {
    const { pending, mapPending } = this;
    const { detail } = this.parts;
    pending.cards = true;
    mapPending.situations = true;
    for (const id of sc.clusters) {
      pending.clusters.add(id);
      pending.clustersGone.delete(id);
      if (!this.initialLoad) pending.flash.add(id);
    }
    for (const id of sc.removed) {
      if (!id.startsWith(CLUSTER_PREFIX)) continue;
      pending.clustersGone.add(id);
      pending.clusters.delete(id);
    }
    if (sc.membership) pending.membership = true;
    if (detail.isOpen && (sc.situations.has(detail.id) || sc.clusters.has(detail.id) || sc.removed.has(detail.id))) detail.fill();
    this.scheduleMap();
  }

  /** The cluster rows into the index (their complaints' own rows hide through the view's matcher);
   *  `all` after the index was rebuilt. */
  _clusterRows(dirtyKinds, all = false) {
    const { store, index, catalogs } = this.parts;
    const pending = this.pending;
    const clusters = store.situations.clusters;
    const ids = all ? clusters.keys() : pending.clusters;
    for (const id of pending.clustersGone) index.remove(id);
    for (const id of ids) {
      const c = clusters.get(id);
      if (c) index.upsert(clusterEvent(c, catalogs, store.events));
    }
    const touched = pending.clusters.size || pending.clustersGone.size || pending.membership;
    if (touched && dirtyKinds) dirtyKinds.add("complaint");
    if (pending.membership) this.mapPending.refilter = true;
    pending.clusters.clear();
    pending.clustersGone.clear();
    pending.membership = false;
    return touched;
  }

  /** The filter changed: rows and markers at once, the figures without waiting their turn. */
  filterChanged() {
    this.pending.filter = true;
    this.pending.cards = true;
    this.mapPending.situations = true;
    this.scheduleFrame();
    this.statsNow();
  }

  /** Row heights may have changed (fonts, re-wrapped titles): measure "N more" next frame. */
  remeasure() {
    this.moreDue = true;
    this.scheduleFrame();
  }

  scheduleFrame() {
    clearTimeout(this.partsTimer);
    this.partsTimer = null;
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => this.flush());
  }

  /** All DOM and map work for the messages since the last frame, done once. */
  flush() {
    const { store, board, index, timeline, lists, map, tiles, strip, header, calls, replayBar } = this.parts;
    const pending = this.pending;
    const mapPending = this.mapPending;
    this.frameRequested = false;
    if (this.moreDue && pending.reset) {
      this.scheduleFrame(); // a snapshot's frame is long enough: measure in the next, not in both
    } else if (this.moreDue) {
      // layout is still clean at the start of a frame: measure "N more" before this frame's writes
      this.moreDue = false;
      lists.updateMore();
    }
    let dirtyKinds = new Set();
    const statusesMatter = board.filter.statuses.length > 0;
    const view = this.parts.view();
    if (pending.reset) {
      index.reset(store.events.values());
      for (const ev of store.events.values()) timeline.add(ev);
      this._clusterRows(null, true);
      this.flushMap();
      map.holdClusters = Boolean(store.snapshotPart); // the clusters are drawn once, when the last part is in
      map.apply({ reset: true }, store.events, view.map);
      map.setSituations(this.parts.cards.visible(), store.situations.clusters);
      dirtyKinds = null;
    } else {
      // a snapshot's later parts: the index rebuilt in one sort (thousands of sorted inserts took
      // ~40 ms), its cluster rows with it
      const rebuild = pending.loaded.size > 0;
      if (rebuild) {
        index.reset(store.events.values());
        dirtyKinds = null;
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
      }
      for (const id of pending.removed) {
        mapPending.removed.add(id);
        mapPending.upserted.delete(id);
      }
      for (const id of pending.upserted) {
        if (pending.loaded.has(id)) continue;
        mapPending.upserted.add(id);
        mapPending.removed.delete(id);
      }
      // a snapshot's later part: into the map's backlog at once (queueing is cheap, the slices
      // do the work), not after the map's throttle
      map.holdClusters = Boolean(store.snapshotPart);
      if (pending.loaded.size) map.load(pending.loaded, store.events, view.map);
      if (this._clusterRows(dirtyKinds, rebuild)) pending.refreshClusters = true;
      if (statusesMatter && pending.workflows.size) {
        dirtyKinds = null;
        mapPending.refilter = true;
      }
    }
    if (pending.filter) {
      dirtyKinds = null;
      mapPending.refilter = true;
    }
    if (pending.filter && !pending.reset) this.flushMap(); // a click: at once
    else if (mapPending.upserted.size || mapPending.removed.size || mapPending.refilter || mapPending.situations) this.scheduleMap();
    const changed = pending.reset || pending.filter || pending.upserted.size || pending.removed.size || pending.workflows.size || pending.refreshClusters;
    if (changed) {
      lists.render({ dirtyKinds, refresh: pending.workflows, flash: pending.flash });
      // the count updates with the rows; the rest of the tiles follow at most twice a second
      tiles.setActive(lists.total());
      this.scheduleStats();
    }
    if (pending.cards) this.scheduleCards();
    pending.reset = false;
    pending.filter = false;
    pending.refreshClusters = false;
    pending.cards = false;
    pending.upserted.clear();
    pending.loaded.clear();
    pending.removed.clear();
    pending.workflows.clear();
    pending.flash.clear();
    if (pending.feeds) {
      pending.feeds = false;
      strip.renderFeeds();
    }
    if (pending.notices) {
      pending.notices = false;
      strip.renderNotices();
    }
    if (pending.error) {
      pending.error = false;
      strip.renderError();
    }
    if (pending.replay) {
      pending.replay = false;
      if (replayBar && store.replay) replayBar.update(store.replay);
      calls.render(); // a drill's call buttons say whether they ring real phones
    }
    header.renderDemo();
    header.renderPublicNote();
    strip.renderPosition();
  }

  /** Markers and shapes change in batches of at most a few per second: clusters are rebuilt once
   *  per batch, not once per entry. */
  scheduleMap() {
    if (this.mapTimer !== null) return;
    const wait = Math.max(0, this.lastMapAt + MAP_EVERY_MS - performance.now());
    this.mapTimer = setTimeout(() => {
      this.mapTimer = null;
      requestAnimationFrame(() => this.flushMap());
    }, wait);
  }

  flushMap() {
    const { store, map, cards } = this.parts;
    const view = this.parts.view();
    const mapPending = this.mapPending;
    clearTimeout(this.mapTimer);
    this.mapTimer = null;
    this.lastMapAt = performance.now();
    if (this.pending.reset) {
      mapPending.upserted.clear();
      mapPending.removed.clear();
      mapPending.refilter = false;
      mapPending.situations = false;
      return; // the reset in flush() rebuilds the map
    }
    if (mapPending.upserted.size || mapPending.removed.size) {
      map.apply({ upserted: mapPending.upserted, removed: mapPending.removed }, store.events, view.map);
    }
    if (mapPending.refilter) map.refilter(view.map);
    if (mapPending.situations) map.setSituations(cards.visible(), store.situations.clusters);
    mapPending.situations = false;
    mapPending.upserted.clear();
    mapPending.removed.clear();
    mapPending.refilter = false;
  }

  /** The situation cards, at most every CARDS_EVERY_MS (a burst of entries redraws them once). */
  scheduleCards() {
    if (this.cardsTimer !== null) return;
    const wait = Math.max(0, this.lastCardsAt + CARDS_EVERY_MS - performance.now());
    this.cardsTimer = setTimeout(() => {
      this.cardsTimer = null;
      this.lastCardsAt = performance.now();
      this.parts.cards.render();
    }, wait);
  }

  scheduleStats() {
    if (this.statsTimer !== null) return;
    const wait = Math.max(0, this.lastStatsAt + STATS_EVERY_MS - performance.now());
    this.statsTimer = setTimeout(() => {
      this.statsTimer = null;
      this.lastStatsAt = performance.now();
      this.renderStats();
    }, wait);
  }

  /** The figures without waiting their turn (something other than the stream changed them). */
  statsNow() {
    this.lastStatsAt = 0;
    this.scheduleStats();
  }

  /** The KPI tiles, then (each in its own task: with 5,000 events each one takes a while) the
   *  district shading and the kiosk's caption, and the source menu. */
  renderStats() {
    const { store, board, map, mapNote, tiles, kiosk, filterBar } = this.parts;
    tiles.render([...store.events.values()], board.now());
    later(() => {
      if (map.ready) {
        const tr = board.tr;
        map.shade(districtLoad(store.events.values(), board.mapMatcher), new Set(board.filter.districts));
        const missing = map.noLocation;
        mapNote.hidden = missing === 0;
        if (missing) setText(mapNote, tr.t("map.noGeometry", { n: tr.number(missing) }));
      }
      this.remeasure();
      kiosk.refresh();
    });
    later(() => filterBar.refreshSources());
  }
}
