// The board's HTTP helpers, with no DOM: errors in the server's own words, the operator's bearer
// token, and the `stream` parameter of a board that watches a replay. Tested with `node --test`.

/** The body of an HTTP error (parsed JSON, or null) and one line saying what went wrong. */
export async function readError(resp) {
  let text = "";
  try {
    text = await resp.text();
  } catch {
    // no body
  }
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  const err = body?.error ?? body;
  if (err && typeof err === "object" && (err.message || err.code)) {
    return { body, code: err.code ?? null, message: `${err.message ?? err.code}${err.code && err.message ? ` (${err.code})` : ""}` };
  }
  const plain = text.trim().slice(0, 200);
  return { body, code: null, message: plain ? `HTTP ${resp.status}: ${plain}` : `HTTP ${resp.status} ${resp.statusText}`.trim() };
}

/** What went wrong with an HTTP answer, in the server's own words when it gave some. */
export async function responseError(resp) {
  return (await readError(resp)).message;
}

/** `Authorization: Bearer …` when the board was opened with an operator token. */
export function authHeaders(token) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** `url` asking about `stream` instead of the live log (nothing added for live). */
export function withStream(url, stream) {
  if (!stream || stream === "live") return url;
  return `${url}${url.includes("?") ? "&" : "?"}stream=${encodeURIComponent(stream)}`;
}
