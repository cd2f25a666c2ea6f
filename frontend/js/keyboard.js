// The board's keys (docs/board.md "Keyboard") and their hints in the filter row, so the wall works without a mouse.
// keyCommand, escapeAction and rowStep have no DOM: `node --test`.

/** What a key does outside text fields: "search", "language", "sound", "down", "up", "open", or null. Kiosk walls have no search and no sound switch. */
export function keyCommand({ key, ctrlKey = false, metaKey = false, altKey = false }, { kiosk = false } = {}) {
  if (ctrlKey || metaKey || altKey) return null;
  if (key === "/" && !kiosk) return "search";
  if (key === "l" || key === "L") return "language";
  if ((key === "s" || key === "S") && !kiosk) return "sound";
  if (key === "ArrowDown" || key === "j") return "down";
  if (key === "ArrowUp" || key === "k") return "up";
  if (key === "Enter" || key === " ") return "open";
  return null;
}

/**
 * What Esc closes: the directory when the key is pressed in it or it is the only panel open, else
 * the detail panel, else it leaves the search box. "directory" | "detail" | "search" | null.
 */
export function escapeAction({ directoryOpen, inDirectory, detailOpen, inSearch }) {
  if (directoryOpen && (inDirectory || !detailOpen)) return "directory";
  if (detailOpen) return "detail";
  if (inSearch) return "search";
  return null;
}

/** The row to focus among `count` rows from row `at` (-1: none focused yet: the first). */
export function rowStep(count, at, down) {
  return Math.min(count - 1, Math.max(0, at === -1 ? 0 : at + (down ? 1 : -1)));
}

/** The hints, one span each: the filter row shows those that fit (board.css), all in the tooltip. */
export function renderKeyHelp(el, tr) {
  const help = tr.t("keys.help");
  el.title = help;
  el.replaceChildren(
    ...help.split(" · ").map((hint) => {
      const span = document.createElement("span");
      span.textContent = hint;
      return span;
    }),
  );
}

/**
 * ctx: {kiosk, search (the search box), directory (DirectoryPanel), detail (DetailPanel),
 *       rows() → the event rows in screen order, select(id or null), toggleLanguage(), toggleSound()}
 */
export function bindKeys(doc, ctx) {
  doc.addEventListener("keydown", (e) => {
    const target = e.target;
    const { search, directory, detail } = ctx;
    if (e.key === "Escape") {
      const action = escapeAction({
        directoryOpen: directory.isOpen,
        inDirectory: directory.root.contains(target),
        detailOpen: detail.isOpen,
        inSearch: target === search,
      });
      if (action === "directory") directory.close();
      else if (action === "detail") ctx.select(null);
      else if (action === "search") search.blur();
      if (action === "directory" || action === "detail") e.preventDefault();
      return;
    }
    const typing = target instanceof HTMLElement && (target.matches("input, textarea, select") || target.isContentEditable);
    if (typing) return;
    const command = keyCommand(e, { kiosk: ctx.kiosk });
    const rowEl = target instanceof HTMLElement ? target.closest('[data-testid="event-row"]') : null;
    if (command === "search") {
      search.focus();
      search.select();
      e.preventDefault();
    } else if (command === "language") {
      ctx.toggleLanguage();
    } else if (command === "sound") {
      ctx.toggleSound();
    } else if (command === "down" || command === "up") {
      const rows = ctx.rows();
      if (!rows.length) return;
      const next = rows[rowStep(rows.length, rowEl ? rows.indexOf(rowEl) : -1, command === "down")];
      next.focus();
      next.scrollIntoView({ block: "nearest" });
      e.preventDefault();
    } else if (command === "open" && rowEl) {
      ctx.select(rowEl.dataset.eventId);
      e.preventDefault();
    }
  });
}
