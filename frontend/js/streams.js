// Which stream the board watches: the header's menu (live and running replays) and the notice for one the server lacks.

import { setText } from "./list.js";
import { searchForStream } from "./replay.js";

/**
 * ctx: {stream (the one watched), tr (Translator), missing (the notice for an unknown stream),
 *       replayBand (the replay bar's element), liveLinks (every "back to live" link)}
 */
export class StreamMenu {
  constructor(select, ctx) {
    this.select = select;
    this.ctx = ctx;
    for (const a of ctx.liveLinks) {
      a.href = this.href("live");
      a.addEventListener("click", () => (a.href = this.href("live"))); // filters or language may have changed since
    }
    select.addEventListener("change", () => this.switchTo(select.value));
    select.addEventListener("focus", () => this.load());
  }

  /** The page's address on `stream`, keeping every other parameter. */
  href(stream) {
    return `${location.pathname}${searchForStream(location.search, stream)}`;
  }

  switchTo(stream) {
    if (stream === this.ctx.stream) return;
    location.assign(this.href(stream));
  }

  /** The menu: live and every running replay; the watched stream is always there, even unknown. */
  async load() {
    const { stream: watched, tr } = this.ctx;
    let replays = [];
    try {
      const resp = await fetch("api/replays", { headers: { Accept: "application/json" } });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      replays = (await resp.json()).replays ?? [];
    } catch (err) {
      console.warn("cityboard: replay list unavailable", err);
    }
    const options = [["live", tr.t("replay.live")]];
    for (const r of replays) {
      const stream = r.stream ?? `replay:${r.name}`;
      const word = tr.t(r.exercise ? "replay.exercise" : "replay.replay");
      options.push([stream, `${word} · ${r.name}`]);
    }
    if (!options.some(([v]) => v === watched)) options.push([watched, watched]);
    const nodes = options.map(([value, label]) => {
      const o = document.createElement("option");
      o.value = value;
      o.textContent = label;
      o.selected = value === watched;
      return o;
    });
    this.select.replaceChildren(...nodes);
  }

  /** The language changed: a menu already filled is filled again in it. */
  relabel() {
    if (this.select.options.length) this.load();
  }

  /** The server does not have the stream: say so (with its words) instead of a replay band. */
  showMissing(message) {
    const { missing, replayBand, stream, tr } = this.ctx;
    missing.hidden = false;
    replayBand.hidden = true;
    setText(missing.querySelector('[data-testid="stream-missing-text"]'), `${tr.t("replay.unknownStream", { stream })}${message ? ` (${message})` : ""}`);
  }
}
