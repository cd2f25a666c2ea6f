// Who is at the board: the operator token (from the operator link `?token=…`, kept for the tab, never
// left in the address bar), the role the server gives it, and the operator's name written on the
// record. No DOM and no storage here; prefs.js does the I/O. Tested with `node --test`.

export const TOKEN_KEY = "cityboard.token"; // sessionStorage: the tab keeps it, a new window asks again
export const ACTOR_KEY = "cityboard.actor"; // localStorage: the name stays with the PC
export const MAX_ACTOR_CHARS = 100; // the protocol's limit on `actor`

/**
 * The token to use and the query to show: a `token` in the URL wins over the stored one and is
 * taken out of the query (the other parameters stay, in order).
 */
export function takeToken(search, stored = null) {
  const params = new URLSearchParams(search);
  const fromUrl = params.get("token");
  if (fromUrl === null) return { token: stored || null, search: null };
  params.delete("token");
  const rest = params.toString();
  return { token: fromUrl.trim() || stored || null, search: rest ? `?${rest}` : "" };
}

/** Whether a role may act and call; no role at all (an older server) means operator. */
export function canAct(role) {
  return role !== "viewer";
}

/** The operator's name as sent on the record, or null when none was typed. */
export function cleanActor(text) {
  const name = String(text ?? "").trim().slice(0, MAX_ACTOR_CHARS);
  return name || null;
}
