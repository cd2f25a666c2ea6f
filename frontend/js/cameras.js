// Live cameras beside an incident (GET /api/cameras): HLS through the vendored hls.js, MJPEG in an
// <img> (the browser plays multipart/x-mixed-replace natively), snapshots fetched again every
// `refresh_seconds`. A camera that fails says why in text, over its last frame, never a blank
// frame; closing the panel stops every player (hls.js torn down, image requests dropped), so no
// connection outlives the panel. Also the map layer that shows every camera on demand.

import { authHeaders, responseError } from "./http.js";

const STALL_SECONDS = 15; // a live video whose time has not moved this long is shown as stalled
const RETRY_SECONDS = 30; // an unreachable stream is tried again this often while the panel is open
const EARTH_RADIUS_M = 6371008.8;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Metres between two [lon, lat] positions (haversine, as the server measures). */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const h = Math.sin(((b[1] - a[1]) * rad) / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(((b[0] - a[0]) * rad) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** "120 m" or "1.4 km", in the board's language's number format. */
export function distanceText(metres, tr) {
  if (!Number.isFinite(metres)) return "";
  return metres < 1000 ? `${tr.number(Math.round(metres))} m` : `${tr.number(Math.round(metres / 100) / 10)} km`;
}

/** Where an item stands as [lon, lat]: its point, a Point geometry, or an area's ring's mean. */
export function pointOf(item) {
  if (Array.isArray(item?.point)) return item.point;
  const g = item?.geometry;
  if (g?.type === "Point") return g.coordinates;
  const ring = g?.type === "Polygon" ? g.coordinates[0] : g?.type === "LineString" ? g.coordinates : null;
  if (!Array.isArray(ring) || !ring.length) return null;
  return [ring.reduce((a, p) => a + p[0], 0) / ring.length, ring.reduce((a, p) => a + p[1], 0) / ring.length];
}

/** Which player a camera gets: the live video first, then MJPEG, then snapshots. */
export function playerKind(camera) {
  if (camera.hls_url) return "hls";
  if (camera.mjpeg_url) return "mjpeg";
  if (camera.snapshot_url) return "snapshot";
  return "none"; // a viewer, and the camera is not public
}

/** `url` with a changing parameter, so a snapshot is fetched again rather than from the cache. */
export function freshUrl(url, now) {
  return `${url}${url.includes("?") ? "&" : "?"}_cb=${now}`;
}

/** One camera's tile: its picture, its name and distance, and what is wrong if anything is. */
class CameraTile {
  constructor(camera, tr) {
    this.camera = camera;
    this.tr = tr;
    this.kind = playerKind(camera);
    this.timers = [];
    this.retry = null;
    this.hls = null;
    this.root = el("figure", "camera");
    this.root.dataset.testid = "camera";
    this.root.dataset.cameraId = String(camera.id ?? "");
    this.root.dataset.player = this.kind;
    this.frame = el("div", "camera-frame");
    this.status = el("p", "camera-status");
    this.status.dataset.testid = "camera-status";
    this.status.setAttribute("role", "status");
    const caption = el("figcaption", "camera-caption");
    caption.append(el("span", "camera-name", String(camera.name ?? camera.id ?? "")));
    const distance = distanceText(Number(camera.distance_m), tr);
    if (distance) caption.append(el("span", "camera-distance", distance));
    this.frame.append(this.status);
    this.root.append(this.frame, caption);
  }

  start() {
    this._say("loading", "cameras.loading");
    if (this.kind === "hls") this._startHls();
    else if (this.kind === "mjpeg") this._startImage(this.camera.mjpeg_url, false);
    else if (this.kind === "snapshot") this._startImage(this.camera.snapshot_url, true);
    else this._say("error", "cameras.operatorsOnly");
  }

  stop() {
    this._teardown();
    this.root.remove();
  }

  /** Stop the player but keep the tile (and its last words), e.g. before trying again. */
  _teardown() {
    clearTimeout(this.retry);
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    }
    if (this.video) {
      this.video.pause();
      this.video.removeAttribute("src");
      this.video.load(); // drops the media element's own connection
    }
    for (const img of [this.img, this.next]) {
      if (!img) continue;
      img.onload = img.onerror = null;
      img.removeAttribute("src"); // an MJPEG stream stays open for as long as its <img> loads it
    }
    this.next = null;
  }

  /** The camera cannot be reached: say so, and try again in a while (over its last frame). */
  _unreachable() {
    this._say("error", "cameras.networkError", { retry: this.tr.number(RETRY_SECONDS) });
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      const said = this.said;
      this._teardown();
      this.frame.querySelector("video, img")?.remove();
      this.start();
      this._say(...said); // still the reason until the picture is back
    }, RETRY_SECONDS * 1000);
  }

  /** Say it again in the board's language now (the language was switched). */
  retranslate(tr) {
    this.tr = tr;
    if (this.said) this._say(...this.said);
  }

  _say(state, key, params) {
    this.said = [state, key, params];
    this.root.dataset.state = state;
    this.status.dataset.state = state;
    this.status.textContent = this.tr.t(key, params).trim();
  }

  _startHls() {
    const video = el("video", "camera-video");
    video.muted = true; // autoplay needs it; a wall has no one to unmute anyway
    video.autoplay = true;
    video.playsInline = true;
    video.dataset.testid = "camera-video";
    this.video = video;
    this.frame.prepend(video);
    let moved = Date.now();
    let last = -1;
    video.addEventListener("playing", () => this._say("live", "cameras.live"));
    video.addEventListener("ended", () => this._say("error", "cameras.ended"));
    video.addEventListener("timeupdate", () => {
      if (video.currentTime !== last) {
        last = video.currentTime;
        moved = Date.now();
        if (this.root.dataset.state !== "live" && this.root.dataset.state !== "error") this._say("live", "cameras.live");
      }
    });
    this.timers.push(
      setInterval(() => {
        if (this.root.dataset.state === "live" && Date.now() - moved > STALL_SECONDS * 1000) this._say("error", "cameras.stalled");
      }, 1000),
    );
    const Hls = window.Hls;
    if (Hls && Hls.isSupported()) {
      // no worker: the board's CSP allows scripts from itself only, and hls.js builds its worker from a blob
      const hls = new Hls({ enableWorker: false, liveDurationInfinity: true, manifestLoadingMaxRetry: 1, levelLoadingMaxRetry: 2 });
      this.hls = hls;
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (!data?.fatal) return;
        hls.destroy(); // a fatal error: nothing more will come, and its requests stop here
        if (this.hls === hls) this.hls = null;
        if (data.type === Hls.ErrorTypes.NETWORK_ERROR) return this._unreachable();
        const key = data.type === Hls.ErrorTypes.MEDIA_ERROR ? "cameras.notPlayable" : "cameras.failed";
        this._say("error", key, { detail: String(data.details ?? "") });
      });
      hls.loadSource(this.camera.hls_url);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.addEventListener("error", () => this._unreachable());
      video.src = this.camera.hls_url; // Safari plays HLS itself
    } else {
      this._say("error", "cameras.notPlayable", { detail: "HLS" });
    }
  }

  _refreshSeconds() {
    return Math.max(1, Number(this.camera.refresh_seconds) || 5);
  }

  _startImage(url, refresh) {
    const img = el("img", "camera-image");
    img.alt = String(this.camera.name ?? "");
    img.dataset.testid = "camera-image";
    img.decoding = "async";
    this.img = img;
    this.frame.prepend(img);
    const live = refresh ? ["cameras.snapshot", { n: this.tr.number(this._refreshSeconds()) }] : ["cameras.live"];
    img.onload = () => this._say("live", ...live);
    img.onerror = () => (refresh ? this._say("error", "cameras.networkError", { retry: this.tr.number(this._refreshSeconds()) }) : this._unreachable());
    img.src = refresh ? freshUrl(url, Date.now()) : url;
    if (!refresh) return;
    const seconds = this._refreshSeconds();
    this.timers.push(
      setInterval(() => {
        // fetched aside and swapped in once loaded: a failed refresh keeps the last frame, with why
        if (this.next) return;
        const next = new Image();
        this.next = next;
        next.onload = () => {
          this.next = null;
          img.src = next.src;
          img.dataset.refreshed = String(Date.now());
          this._say("live", ...live);
        };
        next.onerror = () => {
          this.next = null;
          this._say("error", "cameras.networkError", { retry: this.tr.number(seconds) });
        };
        next.src = freshUrl(url, Date.now());
      }, seconds * 1000),
    );
  }
}

/**
 * The panel section: the nearest cameras of the open event, playing.
 * ctx: {tr(), token(), stream ("public": the citizens' board, public cameras only)}; els: {status, grid}
 */
export class CameraPanel {
  constructor(els, ctx) {
    this.els = els;
    this.ctx = ctx;
    this.tiles = [];
    this.generation = 0;
    this.state = null; // {state: loading|ok|none|error, radius, message}
  }

  /** Show the cameras near an event (by id) or a place ([lon, lat]); stops what played before. */
  async show({ eventId, point }) {
    this.stop();
    const gen = this.generation;
    const params = new URLSearchParams();
    if (point) params.set("near", `${point[1]},${point[0]}`);
    else if (eventId) params.set("event", eventId);
    else return this._status({ state: "nowhere" }); // an area the board cannot point at
    if (this.ctx.stream === "public") params.set("stream", "public"); // public cameras only
    this._status({ state: "loading" });
    try {
      const headers = { Accept: "application/json", ...authHeaders(this.ctx.token?.()) };
      const resp = await fetch(`api/cameras?${params}`, { headers });
      if (gen !== this.generation) return;
      if (!resp.ok) throw new Error(await responseError(resp));
      const body = await resp.json();
      if (gen !== this.generation) return;
      const cameras = Array.isArray(body.cameras) ? body.cameras : [];
      this._status({ state: cameras.length ? "ok" : body.near === null ? "nowhere" : "none", radius: body.radius_m });
      const tr = this.ctx.tr();
      this.tiles = cameras.map((camera) => new CameraTile(camera, tr));
      this.els.grid.replaceChildren(...this.tiles.map((t) => t.root));
      for (const tile of this.tiles) tile.start();
    } catch (err) {
      if (gen !== this.generation) return;
      this._status({ state: "error", message: err?.message ?? String(err) });
    }
  }

  /** Redraw the words in the board's language now (the players go on). */
  retranslate() {
    if (this.state) this._status(this.state);
    for (const tile of this.tiles) tile.retranslate(this.ctx.tr());
  }

  /** Stop every player and forget them (the panel closed or shows another event). */
  stop() {
    this.generation += 1;
    for (const tile of this.tiles) tile.stop();
    this.tiles = [];
    this.els.grid.replaceChildren();
  }

  _status(s) {
    this.state = s;
    const tr = this.ctx.tr();
    const key = { loading: "cameras.loadingList", none: "cameras.none", nowhere: "cameras.nowhere", error: "cameras.listFailed" }[s.state];
    this.els.status.hidden = !key;
    this.els.status.dataset.state = s.state;
    this.els.status.classList.toggle("error", s.state === "error");
    this.els.status.textContent = key ? tr.t(key, { radius: distanceText(Number(s.radius), tr), message: s.message ?? "" }) : "";
  }
}

/**
 * The map layer of every camera, fetched when switched on: a small marker each, a click tells its
 * name and its distance from the incident that is open.
 * ctx: {tr(), token(), selectedPoint() → [lon, lat] | null, stream}
 */
export class CameraLayer {
  constructor(boardMap, button, ctx) {
    this.boardMap = boardMap;
    this.button = button;
    this.ctx = ctx;
    this.layer = null;
    this.markers = [];
    this.on = false;
    button.hidden = !boardMap.ready;
    button.addEventListener("click", () => this.toggle());
  }

  async toggle() {
    this.on = !this.on;
    this.button.setAttribute("aria-pressed", String(this.on));
    if (!this.on) {
      this.layer?.remove();
      this.layer = null;
      return;
    }
    const L = this.boardMap.L;
    try {
      const headers = { Accept: "application/json", ...authHeaders(this.ctx.token?.()) };
      const resp = await fetch(this.ctx.stream === "public" ? "api/cameras?stream=public" : "api/cameras", { headers });
      if (!resp.ok) throw new Error(await responseError(resp));
      const body = await resp.json();
      if (!this.on) return;
      const layer = L.layerGroup();
      this.markers = [];
      for (const camera of Array.isArray(body.cameras) ? body.cameras : []) {
        const [lon, lat] = Array.isArray(camera.point) ? camera.point : [];
        if (!Number.isFinite(lon) || !Number.isFinite(lat)) continue;
        const marker = L.circleMarker([lat, lon], { radius: 5, weight: 2, className: "camera-marker", color: "#7fd3ff", fillColor: "#0b2a3a", fillOpacity: 1 });
        marker.on("click", (e) => {
          L.DomEvent.stopPropagation(e); // not a click on the district below
          marker.unbindPopup();
          marker.bindPopup(this._popup(camera), { className: "camera-popup" }).openPopup();
        });
        layer.addLayer(marker);
        this.markers.push([marker, camera]);
      }
      this.layer?.remove();
      this.layer = layer.addTo(this.boardMap.map);
      for (const [marker, camera] of this.markers) {
        const path = marker.getElement?.();
        if (!path) continue;
        path.setAttribute("data-testid", "camera-marker");
        path.setAttribute("data-camera-id", String(camera.id ?? ""));
      }
      this.button.title = "";
    } catch (err) {
      this.on = false;
      this.button.setAttribute("aria-pressed", "false");
      this.button.title = this.ctx.tr().t("cameras.listFailed", { message: err?.message ?? String(err) });
    }
  }

  _popup(camera) {
    const tr = this.ctx.tr();
    const box = el("div", "camera-pop");
    box.dataset.testid = "camera-popup";
    box.append(el("strong", "", String(camera.name ?? camera.id ?? "")));
    const from = this.ctx.selectedPoint();
    if (from && Array.isArray(camera.point)) box.append(el("div", "", tr.t("cameras.fromIncident", { distance: distanceText(distanceM(from, camera.point), tr) })));
    if (playerKind(camera) === "none") box.append(el("div", "muted", tr.t("cameras.operatorsOnly")));
    return box;
  }
}
