// The header's briefing button (operators, live board): a link cannot carry the operator token, so
// the board asks the server for a short-lived ticket (POST /api/brief/link) and opens /brief with it.
import { authHeaders, responseError } from "./http.js";

export const BRIEF_SINCE = "8h"; // the shift a briefing covers, as `cityboard brief` defaults

/** The briefing page's address for a ticket, in the board's language. */
export function briefUrl(ticket, lang, since = BRIEF_SINCE) {
  return `brief?${new URLSearchParams({ since, lang, ticket })}`;
}

export class BriefButton {
  /** ctx: {canAct(), live: bool, token(), lang(), tr()} */
  constructor(button, ctx) {
    this.button = button;
    this.ctx = ctx;
    button.addEventListener("click", () => this.open());
  }

  render() {
    this.button.hidden = !this.ctx.live || !this.ctx.canAct();
  }

  async open() {
    const tab = window.open("", "_blank"); // in the click itself: a later one is a blocked pop-up
    try {
      const resp = await fetch("api/brief/link", { method: "POST", headers: authHeaders(this.ctx.token()) });
      if (!resp.ok) throw new Error(await responseError(resp));
      const { ticket } = await resp.json();
      if (!tab) throw new Error(this.ctx.tr().t("briefing.blocked"));
      tab.opener = null;
      tab.location.href = briefUrl(ticket, this.ctx.lang());
      this.button.removeAttribute("title");
    } catch (err) {
      tab?.close();
      this.button.title = `${this.ctx.tr().t("briefing.failed")}: ${err?.message ?? err}`;
    }
  }
}
