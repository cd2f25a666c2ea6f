"""The briefing as Markdown and HTML in both languages: hostile titles stay text."""

from __future__ import annotations

from html.parser import HTMLParser

from server.brief.model import Briefing
from server.brief.render import render
from server.districts import Districts
from tests.brief.entries import HOSTILE, Log, minutes

DISTRICTS = Districts.load()
SECTIONS = [
    "summary",
    "situations",
    "map",
    "events",
    "open",
    "ack",
    "calls",
    "escalations",
    "outages",
]


class Page(HTMLParser):
    """Every element of a page by tag, its text, and the ids of its sections."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag]


def hostile_night() -> Briefing:
    log = Log()
    bad = log.event(minutes(1), 1, title=HOSTILE, severity="extreme")
    log.event(
        minutes(2), 2, translations={"en": {"title": "Flooded underpass"}}, title="지하차도 침수"
    )
    log.action(minutes(3), "assign", bad, to="<b>Team</b>")
    log.action(
        minutes(4),
        "call_started",
        bad,
        call_id="c1",
        officer_name="김<i>",
        officer_name_en="Kim<i>",
        dialer="tel",
    )
    log.notice(minutes(5), "feed_failed", "kma", "feed kma failed: <svg onload=alert(1)>")
    return log.brief(minutes(0), minutes(60))


def test_html_keeps_hostile_text_as_text_in_both_languages() -> None:
    brief = hostile_night()
    for lang, title, severity in [
        ("ko", "교대 근무 브리핑", "심각"),
        ("en", "Shift briefing", "Extreme"),
    ]:
        page = Page(render(brief, "html", lang, DISTRICTS))
        text = "".join(page.text)
        assert page.all("script") == [] and page.all("img") == [] and page.all("i") == []
        assert page.all("b") == []
        assert HOSTILE in text and "<b>Team</b>" in text and "<svg onload=alert(1)>" in text
        assert title in text and severity in text
        assert [s["id"] for s in page.all("section")] == SECTIONS
        assert not any(n.startswith("on") for _, attrs in page.tags for n in attrs), "handlers"
        assert page.all("html")[0]["lang"] == lang
    english = "".join(Page(render(brief, "html", "en", DISTRICTS)).text)
    korean = "".join(Page(render(brief, "html", "ko", DISTRICTS)).text)
    assert "Flooded underpass" in english and "지하차도 침수" in korean, "the source's translation"
    assert "Jung-gu" in english and "중구" in korean
    assert "2026-11-29 09:01" in english, "times in the city's zone (Seoul, UTC+9)"


def test_the_map_draws_districts_events_and_nothing_else() -> None:
    page = Page(render(hostile_night(), "html", "en", DISTRICTS))
    svg = page.all("svg")
    assert svg[0]["class"] == "map"
    assert len(page.all("path")) == len(DISTRICTS.items) == 25
    dots = [c for c in page.all("circle") if c.get("r") == "4.0"]
    assert sorted(c["fill"] for c in dots) == ["#c81e2e", "#d4a900"]  # extreme, moderate
    assert all("style" not in attrs for _, attrs in page.tags), "the CSP allows no inline style"


def test_a_standalone_page_carries_its_css_and_a_served_one_links_it() -> None:
    brief = hostile_night()
    alone = render(brief, "html", "en", DISTRICTS)
    served = render(brief, "html", "en", DISTRICTS, stylesheet="/brief.css")
    assert "<style>" in alone and "@page" in alone and "size: A4" in alone
    assert "<style>" not in served and '<link rel="stylesheet" href="/brief.css">' in served


def test_markdown_escapes_markup_and_keeps_tables_whole() -> None:
    md = render(hostile_night(), "md", "en", DISTRICTS)
    assert "<script" not in md and "<b>" not in md and "<svg" not in md
    assert "&lt;script&gt;" in md and r"\*\*bold\*\*" in md and r"\[a\](javascript:x)" in md
    for block in md.split("\n\n"):
        rows = [r for r in block.splitlines() if r.startswith("|")]
        widths = {len(r.replace("\\|", "").split("|")) for r in rows}
        assert len(widths) <= 1, f"a cell broke its table:\n{block}"
    assert "## Still open at the end of the period" in md
    assert "## Map of the period" not in md, "the map is drawn in HTML only"


def test_an_empty_period_says_so_in_every_format() -> None:
    brief = Log().brief(minutes(0), minutes(60))
    assert "Nothing happened in this period and nothing is open." in render(
        brief, "md", "en", DISTRICTS
    )
    page = Page(render(brief, "html", "ko", DISTRICTS))
    assert "이 기간에 발생한 상황이 없고, 미결 상황도 없습니다." in "".join(page.text)
    assert [s["id"] for s in page.all("section")] == ["summary"]
    assert '"empty": true' in render(brief, "json", "en", DISTRICTS)
