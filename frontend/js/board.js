// The board page's startup: it creates the shared state and every part, with what each reads as inputs, and wires them.
// User guide: docs/board.md. Data from the server only ever goes in through textContent (or escaped, for Leaflet's labels).

import { isEmpty, parseFilter, toggleValue } from "./filters.js";
import { LANGS, Translator, eventText } from "./i18n.js";
import { spriteMarkup } from "./icons.js";
import { Timeline } from "./kpi.js";
import { Announcer, Beeper } from "./announcer.js";
import { BriefButton } from "./briefing.js";
import { Calls } from "./calls.js";
import { CameraLayer, pointOf } from "./cameras.js";
import { SituationCards } from "./cards.js";
import { Connection } from "./connection.js";
import { DetailPanel } from "./detail.js";
import { DirectoryPanel } from "./directory.js";
import { FeedStrip } from "./feedstrip.js";
import { FilterBar } from "./filterbar.js";
import { Header } from "./header.js";
import { bindKeys, renderKeyHelp } from "./keyboard.js";
import { Kiosk } from "./kiosk.js";
import { EventLists, setText } from "./list.js";
import { BoardMap, renderLegend } from "./map.js";
import { canAct } from "./operator.js";
import { pickLanguage, saveActor, saveLanguage, saveSound, saveTimeZone, savedActor, savedTimeZone, soundWanted, takeOperatorToken } from "./prefs.js";
import { ReplayBar, drillCalls, replayName, streamFromParams } from "./replay.js";
import { EventIndex } from "./sorted.js";
import { clusterView, virtualEvent } from "./situations.js";
import { BoardState } from "./state.js";
import { BoardStream } from "./stream.js";
import { StreamMenu } from "./streams.js";
import { KpiTiles } from "./tiles.js";
import { Updates } from "./updates.js";

const DISTRICT_RETRY_MS = 15000;

const $ = (sel) => document.querySelector(sel);

async function loadCatalogs() {
  const entries = await Promise.all(
    LANGS.map(async (lang) => {
      const resp = await fetch(`i18n/${lang}.json`);
      if (!resp.ok) throw new Error(`i18n/${lang}.json: HTTP ${resp.status}`);
      return [lang, await resp.json()];
    }),
  );
  return Object.fromEntries(entries);
}

async function start() {
  const params = new URLSearchParams(location.search);
  // the citizens' board (/public, docs/public.md): stream `public`, no token, no operator parts
  const publicMode = document.body.dataset.mode === "public";
  const token = publicMode ? null : takeOperatorToken(); // before anything copies the address: the token leaves it here
  const kioskMode = params.get("kiosk") === "1";
  const rotateMs = Math.max(2, Number(params.get("rotate")) || 15) * 1000;
  const streamName = publicMode ? "public" : streamFromParams(params); // "live" or "replay:<name>" (docs/board.md)
  const replay = replayName(streamName);
  const store = new BoardStream({ stream: streamName });
  const index = new EventIndex();
  const timeline = new Timeline();
  const body = document.body;
  if (kioskMode) body.classList.add("kiosk");
  body.insertAdjacentHTML("afterbegin", spriteMarkup());
  let catalogs;
  try {
    catalogs = await loadCatalogs();
  } catch (err) {
    console.error("cityboard: message catalogues missing", err);
    catalogs = { ko: {}, en: {} };
  }
  const tr = new Translator(catalogs, pickLanguage(params));
  const board = new BoardState({ store, tr, filter: parseFilter(params), timeZone: savedTimeZone(), actor: savedActor() });
  const beeper = new Beeper();
  beeper.enable(soundWanted(params));
  const allowed = () => !publicMode && canAct(store.role);
  if (publicMode) $('[data-testid="public-mark"]').hidden = false;

  // ------------------------------------------------------------------------------ the parts

  const calls = new Calls({
    tr: () => tr,
    now: () => board.now(),
    token: () => token,
    actor: () => board.actor,
    stream: streamName,
    canAct: allowed,
    drill: () => drillCalls(store.replay),
    openTel: (uri) => {
      location.href = uri; // the operator's softphone or desk phone dials; the page stays
    },
  });
  const detail = new DetailPanel($('[data-testid="detail"]'), {
    tr: () => tr,
    formats: () => board.formats(),
    now: () => board.now(),
    store,
    stream: streamName,
    calls,
    districtName: (ev) => board.districtName(ev),
    isDemo: (ev) => board.isDemo(ev),
    sendAction: (action, id, data) => conn.sendAction(action, id, data),
    connected: () => conn.online,
    canAct: allowed,
    actor: () => board.actor,
    setActor: (name) => {
      board.actor = saveActor(name);
    },
    token: () => token,
    publicMode,
    onClose: () => select(null),
    virtualEvent: (id) => virtualEvent(id, store.situations, catalogs, store.events),
  });
  const directory = new DirectoryPanel($('[data-testid="directory"]'), $('[data-testid="directory-toggle"]'), {
    tr: () => tr,
    formats: () => board.formats(),
    now: () => board.now(),
    districts: () => board.districts,
    districtName: (code) => board.districtNameOf(code),
    selectedEvent,
    calls,
    canAct: allowed,
    token: () => token,
  });
  const briefButton = new BriefButton($('[data-testid="brief-open"]'), {
    canAct: allowed,
    live: streamName === "live",
    token: () => token,
    lang: () => tr.lang,
    tr: () => tr,
  });
  let viewCache = null;
  /** The lists' and the map's predicates for the current filter, with complaint clusters (situations.js). */
  function view() {
    if (viewCache?.matcher !== board.matcher) viewCache = { matcher: board.matcher, ...clusterView(store, board.matcher, !isEmpty(board.filter)) };
    return viewCache;
  }
  const rowCtx = {
    tr: () => tr,
    index,
    match: () => view().list,
    clusterWeight: (ev) => view().weight(ev),
    filtered: () => !isEmpty(board.filter),
    workflowOf: (id) => board.workflowOf(id),
    districtName: (ev) => board.districtName(ev),
    now: () => board.now(),
    formats: () => board.formats(),
    isDemo: (ev) => board.isDemo(ev),
    selectedId: () => board.selectedId,
    focusDistrict: () => kiosk.code,
    onSelect: (id) => select(id),
  };
  const lists = new EventLists([...document.querySelectorAll("[data-groups]")], rowCtx);
  const cards = new SituationCards($('[data-testid="situations"]'), {
    tr: () => tr,
    store,
    now: () => board.now(),
    match: () => board.matcher,
    filtered: () => !isEmpty(board.filter),
    rowCtx,
    districtNameOf: (code) => board.districtNameOf(code),
    canAct: allowed,
    connected: () => conn.online,
    sendAction: (action, id, data) => conn.sendAction(action, id, data),
    selectedId: () => board.selectedId,
    focused: () => kiosk.code,
    onSelect: (id) => select(id),
  });
  const map = new BoardMap($('[data-testid="map"]'), {
    tr: () => tr,
    onSelect: (id) => select(id),
    onDistrictClick: (code) => {
      if (!kioskMode) filterBar.set(toggleValue(board.filter, "districts", code));
    },
    districtNames: (code) => board.districts.get(String(code)) ?? { ko: String(code), en: String(code) },
    kiosk: kioskMode,
    tiles: params.get("tiles"),
    publicAreas: publicMode,
  });
  new CameraLayer(map, $('[data-testid="camera-layer"]'), {
    tr: () => tr,
    token: () => token,
    stream: streamName,
    selectedPoint: () => (board.selectedId ? pointOf(detail.event()) : null),
  });
  const mapNote = $('[data-testid="map-note"]');
  const replayBand = $('[data-testid="replay-bar"]');
  let replayBar = null; // on a replay stream: the banner and the scrubber
  if (replay) {
    replayBar = new ReplayBar(replayBand, { tr: () => tr, formats: () => board.formats(), name: replay, token: () => token });
    replayBar.show(true);
    body.classList.add("replay");
  }
  const header = new Header($("header.top"), {
    body,
    board,
    store,
    replay: Boolean(replay),
    replayStopped: () => Boolean(replayBar?.stopped),
    onOnlineChange: () => {
      if (detail.isOpen) detail.fill(); // its action buttons follow the connection
      cards.render();
    },
    toggleLanguage,
    toggleSound,
  });
  const strip = new FeedStrip($('[data-testid="feed-strip"]'), { alarm: $('[data-testid="feed-alarm"]'), store, board });
  const tiles = new KpiTiles($('[data-testid="kpis"]'), { board, store, timeline, stream: streamName });
  const filterBar = new FilterBar($('[data-testid="filters"]'), {
    summary: $('[data-testid="filter-summary"]'),
    board,
    store,
    onChange: () => updates.filterChanged(),
  });
  const kiosk = new Kiosk({
    enabled: kioskMode,
    caption: $('[data-testid="kiosk-focus"]'),
    store,
    board,
    map,
    lists,
    cards,
    onFocus: () => updates.scheduleStats(),
  });
  const announcer = new Announcer($('[data-testid="announce"]'), {
    body,
    beeper,
    tr,
    eventOf: (id) => store.events.get(id),
    districtName: (ev) => board.districtName(ev),
    onShow: (ev) => kiosk.alert(ev),
    onOpen: (id) => {
      if (!kioskMode) select(id);
    },
  });
  const streams = new StreamMenu($('[data-testid="stream-select"]'), {
    stream: streamName,
    tr,
    missing: $('[data-testid="stream-missing"]'),
    replayBand,
    liveLinks: document.querySelectorAll('[data-testid="back-to-live"], [data-testid="stopped-back-to-live"], [data-testid="stream-missing-live"]'),
  });
  const updates = new Updates({ store, board, index, timeline, lists, map, mapNote, tiles, strip, header, announcer, calls, detail, replayBar, kiosk, filterBar, cards, view, catalogs });
  const conn = new Connection({
    url: `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`,
    store,
    token,
    actor: () => board.actor,
    tr,
    onState: () => header.renderConn(conn),
    onChange: (change) => updates.queue(change),
    onWelcome: (msg) => {
      applyCity(msg.city);
      applyRole();
    },
    onNewHistory: async (epoch) => {
      if (await tiles.lookBack(epoch)) updates.statsNow();
    },
    onUnknownStream: (message, hadWelcome) => {
      if (hadWelcome && replayBar) {
        // a replay this board was watching: the server stopped it (not a wrong address); the
        // banner stays (still not live), the rows stay, visibly stale
        replayBar.stop();
        body.classList.add("replay-stopped");
      } else {
        streams.showMissing(message);
      }
    },
  });
  bindKeys(document, {
    kiosk: kioskMode,
    search: filterBar.search,
    directory,
    detail,
    rows: () => lists.orderedRows(),
    select,
    toggleLanguage,
    toggleSound,
  });

  // -------------------------------------------------------------------------- the wiring

  function select(id) {
    board.selectedId = id;
    if (id) detail.open(id);
    else detail.close();
    map.select(id);
    lists.markSelection();
    cards.markSelection();
    directory.render(); // its call buttons are about the selected event
  }

  /** The open event for the directory's call buttons: {id, title}, or null. */
  function selectedEvent() {
    const id = board.selectedId;
    if (!id) return null;
    return { id, title: eventText(detail.event() ?? {}, tr.lang).title || id };
  }

  /** The role changed (a welcome): every action and call button follows. */
  function applyRole() {
    if (detail.isOpen) detail.fill();
    cards.render();
    directory.render();
    calls.render();
    briefButton.render();
  }

  function applyCity(city) {
    if (!city) return;
    header.renderCity();
    if (city.timezone && city.timezone !== board.timeZone) {
      if (board.setTimeZone(city.timezone)) saveTimeZone(city.timezone);
      else console.warn("cityboard: unknown timezone from server", city.timezone);
    }
    header.renderClock();
  }

  function applyLanguage() {
    document.documentElement.lang = tr.lang;
    for (const node of document.querySelectorAll("[data-i18n]")) setText(node, tr.t(node.dataset.i18n));
    for (const node of document.querySelectorAll("[data-i18n-label]")) {
      const text = tr.t(node.dataset.i18nLabel);
      node.setAttribute("aria-label", text);
      node.title = text;
    }
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = tr.t(node.dataset.i18nPlaceholder);
    document.title = `${tr.t("title")} · cityboard`;
    renderKeyHelp($('[data-testid="key-help"]'), tr);
    header.renderLanguageToggle();
    header.renderSoundToggle(beeper.on);
    renderLegend($('[data-testid="map-legend"]'), tr);
    filterBar.render();
    lists.relabel();
    cards.render();
    map.relabel();
    detail.relabel();
    directory.relabel();
    calls.render();
    announcer.render();
    strip.renderFeeds();
    strip.renderNotices();
    strip.renderError();
    header.renderConn(conn);
    header.renderCity();
    header.renderClock();
    replayBar?.render();
    streams.relabel();
    if (conn.stopped && !replayBar?.stopped) streams.showMissing();
    updates.statsNow();
  }

  function toggleLanguage() {
    tr.setLang(tr.lang === "ko" ? "en" : "ko");
    saveLanguage(tr.lang);
    if (params.has("lang")) {
      const p = new URLSearchParams(location.search);
      p.set("lang", tr.lang);
      history.replaceState(null, "", `${location.pathname}?${p}`);
    }
    applyLanguage();
  }

  function toggleSound() {
    beeper.enable(!beeper.on);
    saveSound(beeper.on);
    header.renderSoundToggle(beeper.on);
  }

  async function loadDistricts() {
    try {
      const resp = await fetch("api/districts", { headers: { Accept: "application/geo+json, application/json" } });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      const geo = await resp.json();
      const names = new Map();
      for (const f of geo.features ?? []) {
        const p = f.properties ?? {};
        if (p.code) names.set(String(p.code), { ko: p.name_ko ?? "", en: p.name_en ?? "" });
      }
      board.setDistricts(names);
      map.setDistricts(geo);
      lists.relabel();
      cards.render();
      filterBar.render();
      directory.relabel();
      updates.statsNow();
      kiosk.rotate();
    } catch (err) {
      console.warn("cityboard: districts unavailable, showing codes", err);
      mapNote.hidden = false;
      setText(mapNote, tr.t("map.unavailable"));
      setTimeout(loadDistricts, DISTRICT_RETRY_MS);
    }
  }

  // ------------------------------------------------------------------------------ running

  applyLanguage();
  loadDistricts();
  if (!publicMode) streams.load(); // the public board has no stream menu
  if (streamName !== "live" && streamName !== "public" && !replay) {
    // not a stream name the server could have: say so instead of knocking
    streams.showMissing();
    conn.stop();
  } else {
    conn.connect();
  }
  updates.scheduleFrame();
  let ticks = 0;
  setInterval(() => {
    ticks += 1;
    header.renderClock();
    conn.tick();
    calls.render(); // talk time of answered calls
    cards.tick(); // escalation countdowns, ages
    updates.remeasure(); // row heights also change when fonts load or titles re-wrap
    if (ticks % 5 === 0) {
      lists.refreshAges();
      strip.renderFeeds();
    }
    if (ticks % 30 === 0) updates.scheduleStats(); // "last hour" and the sparklines move with the clock
    if (ticks % 600 === 0) timeline.prune(board.now());
  }, 1000);
  kiosk.start(rotateMs);
  window.addEventListener("online", () => conn.reconnectNow());
  window.addEventListener("resize", () => lists.updateMore());
  document.fonts?.ready.then(() => lists.updateMore());
  // A read-only handle for debugging at the wall, for browser tests and the benchmark.
  window.cityboard = {
    store,
    conn,
    timeline,
    index,
    get lang() {
      return tr.lang;
    },
    get filter() {
      return board.filter;
    },
    get map() {
      return map;
    },
    get lists() {
      return lists;
    },
    get cards() {
      return cards;
    },
    get replay() {
      return replayBar;
    },
    get announcer() {
      return announcer;
    },
    get beeper() {
      return beeper;
    },
    get focus() {
      return kiosk.code;
    },
    get selected() {
      return board.selectedId;
    },
    get role() {
      return store.role;
    },
    missingTranslations: () => [...tr.missing],
  };
}

start();
