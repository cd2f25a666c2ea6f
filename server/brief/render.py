"""A `Briefing` as Markdown, printable HTML (A4, no script) or JSON, in Korean or English.

Both text formats are drawn from one list of sections, so they say the same things; every text that
came from a feed or an operator (titles, names, messages) is escaped for the format it lands in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from server.brief.model import Briefing
from server.brief.svgmap import SEVERITY_COLOURS, svg_map
from server.brief.words import Words, words
from server.districts import Districts
from server.errors import BriefError
from server.stream.events import Severity

FORMATS = ("html", "md", "json")
SEVERITIES = [s.value for s in Severity]
MD_INLINE = re.compile(r"([\\`*_\[\]|~])")  # what marks up text inside a line or a table cell
MD_LINE_START = re.compile(r"^([#+=-])")  # what makes a line a heading or a list item
MD_NUMBERED = re.compile(r"^(\d+)([.)])")  # what makes a line a numbered item

Cell = str | tuple[str, str]  # text, or (text, css class) for a severity swatch


@dataclass
class Table:
    """Rows of plain text (escaped when rendered)."""

    head: list[str]
    rows: Sequence[Sequence[Cell]]
    caption: str = ""


@dataclass
class Section:
    """One part of the briefing; in print each after the first starts a new page."""

    key: str
    title: str
    texts: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    tiles: list[tuple[str, str, str]] = field(default_factory=list)  # label, figure, note
    figure: str = ""  # the map (HTML only: Markdown leaves its section out)


class Page:
    """How one briefing reads in one language and zone: times, durations, names."""

    def __init__(self, brief: Briefing, words: Words, districts: Districts) -> None:
        self.brief, self.t, self.districts = brief, words, districts
        self.zone = ZoneInfo(brief.timezone)

    def time(self, iso: str | None, *, day: bool = True) -> str:
        if not iso:
            return "—"
        local = datetime.fromisoformat(iso).astimezone(self.zone)
        return local.strftime("%Y-%m-%d %H:%M" if day else "%H:%M")

    def duration(self, seconds: float | None) -> str:
        if seconds is None:
            return self.t("duration.none")
        whole = round(seconds)
        h, rest = divmod(whole, 3600)
        m, s = divmod(rest, 60)
        if h:
            return self.t("duration.hm", h=h, m=m)
        if m:
            return self.t("duration.ms", m=m, s=s) if s else self.t("duration.m", m=m)
        return self.t("duration.s", s=s)

    def word(self, key: str, raw: str) -> str:
        """The word for `key`, or the raw value when the board has none for it."""
        return self.t(key) if self.t.has(key) else raw

    def severity(self, value: str) -> tuple[str, str]:
        return (self.word(f"severities.{value}", value), f"sev sev-{value}")

    def category(self, value: str) -> str:
        return self.word(f"categories.{value}", value)

    def district(self, code: str | None) -> str:
        found = self.districts.by_code.get(code or "")
        if found is None:
            return code or self.t("brief.events.noDistrict")
        return found.name_ko if self.t.lang == "ko" else found.name_en

    def title(self, title: str, titles: dict[str, str]) -> str:
        return titles.get(self.t.lang) or title


def sections(page: Page) -> list[Section]:
    """The briefing's parts, in reading order."""
    b, t = page.brief, page.t
    out = [_summary(page)]
    if b.empty:
        return out
    out.append(_situations(page))
    names = {d.code: page.district(d.code) for d in page.districts.items}
    out.append(
        Section(
            "map",
            t("brief.map.label"),
            texts=[t("brief.map.legend")]
            + ([t("brief.map.outside", n=b.map.more)] if b.map.more else []),
            figure=svg_map(b.map, page.districts, names, t("brief.map.label")),
        )
    )
    out.append(_events(page))
    out.append(_open(page))
    out.append(_acknowledgement(page))
    out.append(_calls(page))
    out.append(_escalations(page))
    out.append(_outages(page))
    return out


def _more(page: Page, n: int) -> list[str]:
    return [page.t("brief.more", n=n)] if n else []


def _summary(page: Page) -> Section:
    b, t = page.brief, page.t
    section = Section("summary", t("brief.summary.label"))
    if b.empty:
        section.texts.append(t("brief.empty"))
        return section
    ack = b.acknowledgement
    section.tiles = [
        (t("brief.summary.new"), str(b.events.new), ""),
        (
            t("brief.summary.open"),
            str(b.open.count),
            t("brief.summary.unassigned", n=b.open.unassigned),
        ),
        (t("brief.summary.ttaMedian"), page.duration(ack.median_s), ""),
        (t("brief.summary.ttaP90"), page.duration(ack.p90_s), ""),
        (t("brief.summary.calls"), str(b.calls.count), ""),
        (t("brief.summary.escalations"), str(b.escalations.steps), ""),
        (t("brief.summary.outages"), str(b.outages.count), ""),
    ]
    if b.situations.available:
        section.tiles.append((t("brief.summary.situations"), str(b.situations.open), ""))
    section.texts.append(t("brief.summary.entries", n=b.entries))
    return section


def _situations(page: Page) -> Section:
    b, t = page.brief, page.t
    section = Section("situations", t("brief.situations.label"))
    if not b.situations.available:
        section.texts.append(t("brief.situations.unavailable"))
        return section
    if b.situations.clusters:
        section.texts.append(t("brief.situations.clusters", n=b.situations.clusters))
    rows: list[list[Cell]] = []
    for s in b.situations.items:
        severity = str(s.get("severity", "info"))
        word, cls = page.severity(severity)
        if s.get("raised"):
            word += f" ({t('brief.situations.raised')})"
        counts = s.get("counts") or {}
        members = ", ".join(
            f"{page.word(f'kinds.{k}', k)} {n}" for k, n in sorted(counts.items()) if n
        )
        rows.append(
            [
                str(s.get("title", s.get("id", ""))),
                (word, cls),
                t(f"brief.situations.{s.get('status', 'open')}"),
                ", ".join(page.district(c) for c in s.get("districts") or []),
                members,
                str(s.get("owner") or t("brief.open.nobody")),
                page.time(s.get("last_change_at")),
            ]
        )
    section.tables.append(
        Table(
            [
                t("brief.situations.title"),
                t("brief.situations.severity"),
                t("brief.situations.status"),
                t("brief.situations.districts"),
                t("brief.situations.members"),
                t("brief.situations.owner"),
                t("brief.situations.lastChange"),
            ],
            rows,
        )
    )
    if not rows:
        section.texts.append(t("brief.none"))
    section.texts += _more(page, b.situations.more)
    return section


def _events(page: Page) -> Section:
    b, t = page.brief, page.t
    counts = b.events
    section = Section("events", t("brief.events.label"))
    kinds = sorted(counts.by_kind, key=lambda k: (-counts.by_kind[k], k))
    rows: list[Sequence[Cell]] = [
        [page.word(f"kinds.{k}", k)]
        + [str(counts.by_kind_severity.get(k, {}).get(s, 0) or "") for s in SEVERITIES]
        + [str(counts.by_kind[k])]
        for k in kinds
    ]
    rows.append(
        [t("brief.events.total")]
        + [str(counts.by_severity.get(s, 0) or "") for s in SEVERITIES]
        + [str(counts.new)]
    )
    section.tables.append(
        Table(
            [""] + [page.severity(s)[0] for s in SEVERITIES] + [t("brief.events.total")],
            rows,
            t("brief.events.byKind"),
        )
    )
    districts = sorted(counts.by_district.items(), key=lambda kv: (-kv[1], kv[0]))
    section.tables.append(
        Table(
            [t("detail.district"), t("brief.events.total")],
            [[page.district(code or None), str(n)] for code, n in districts],
            t("brief.events.byDistrict"),
        )
    )
    return section


def _open(page: Page) -> Section:
    b, t = page.brief, page.t
    section = Section("open", t("brief.open.label"))
    if not b.open.count:
        section.texts.append(t("brief.none"))
        return section
    section.texts.append(
        t("brief.summary.unassigned", n=b.open.unassigned)
        + " · "
        + t("brief.open.unacknowledged", n=b.open.unacknowledged)
    )
    section.tables.append(
        Table(
            [
                t("brief.open.event"),
                t("brief.situations.severity"),
                t("detail.category"),
                t("detail.district"),
                t("brief.open.state"),
                t("brief.open.owner"),
                t("brief.open.arrived"),
            ],
            [
                [
                    page.title(i.title, i.titles),
                    page.severity(i.severity),
                    page.category(i.category),
                    page.district(i.district),
                    page.word(f"states.{i.state}", i.state),
                    i.assigned_to or t("brief.open.nobody"),
                    page.time(i.arrived_at),
                ]
                for i in b.open.items
            ],
        )
    )
    section.texts += _more(page, b.open.more)
    return section


def _acknowledgement(page: Page) -> Section:
    ack, t = page.brief.acknowledgement, page.t
    section = Section("ack", t("brief.ack.label"))
    if not ack.count:
        section.texts.append(t("brief.ack.none"))
    else:
        section.texts.append(t("brief.ack.explain", n=ack.count))
        section.tiles = [
            (t("brief.ack.median"), page.duration(ack.median_s), ""),
            (t("brief.ack.p90"), page.duration(ack.p90_s), ""),
            (t("brief.ack.max"), page.duration(ack.max_s), ""),
        ]
    if ack.new_unacknowledged:
        section.texts.append(t("brief.ack.newUnacked", n=ack.new_unacknowledged))
    return section


def _calls(page: Page) -> Section:
    calls, t = page.brief.calls, page.t
    section = Section("calls", t("brief.calls.label"))
    if not calls.count:
        section.texts.append(t("brief.none"))
        return section
    section.texts.append(
        " · ".join(f"{_outcome(page, o)} {n}" for o, n in sorted(calls.by_outcome.items()))
    )
    section.tables.append(
        Table(
            [
                t("brief.calls.time"),
                t("brief.calls.officer"),
                t("brief.calls.event"),
                t("brief.calls.outcome"),
                t("brief.calls.duration"),
            ],
            [
                [
                    page.time(c.started_at),
                    c.officer if t.lang == "ko" else c.officer_en,
                    c.title,
                    _outcome(page, c.outcome or "")
                    + (
                        f" ({page.word(f'calls.reasons.{c.reason_code}', c.reason_code)})"
                        if c.reason_code
                        else ""
                    ),
                    page.duration(c.duration_s) if c.outcome else "",
                ]
                for c in calls.items
            ],
        )
    )
    section.texts += _more(page, calls.more)
    return section


def _outcome(page: Page, outcome: str) -> str:
    return (
        page.word(f"calls.outcomes.{outcome}", outcome)
        if outcome
        else page.t("brief.calls.ongoing")
    )


def _escalations(page: Page) -> Section:
    esc, t = page.brief.escalations, page.t
    section = Section("escalations", t("brief.escalations.label"))
    if not esc.items:
        section.texts.append(t("brief.none"))
        return section
    section.texts.append(t("brief.escalations.counts", scheduled=esc.scheduled, steps=esc.steps))
    rows: list[list[Cell]] = []
    for e in esc.items:
        what = t(f"brief.escalations.actions.{e.action}", step=e.step if e.step is not None else "")
        detail = [
            page.word(f"brief.escalations.to.{e.to}", e.to) if e.to else "",
            e.target or "",
            e.via or "",
            _outcome(page, e.outcome) if e.outcome else "",
            page.word(f"states.{e.reason}", page.word(f"statuses.{e.reason}", e.reason))
            if e.reason
            else "",
        ]
        rows.append([page.time(e.at), what, e.title, " · ".join(d for d in detail if d)])
    section.tables.append(
        Table(
            [
                t("brief.escalations.time"),
                t("brief.escalations.what"),
                t("brief.escalations.about"),
                t("brief.escalations.detail"),
            ],
            rows,
        )
    )
    section.texts += _more(page, esc.more)
    return section


def _outages(page: Page) -> Section:
    outages, t = page.brief.outages, page.t
    section = Section("outages", t("brief.outages.label"))
    if not outages.count:
        section.texts.append(t("brief.none"))
        return section
    section.tables.append(
        Table(
            [
                t("brief.outages.feed"),
                t("brief.outages.from"),
                t("brief.outages.to"),
                t("brief.outages.down"),
                t("brief.outages.message"),
            ],
            [
                [
                    o.feed,
                    page.time(o.started_at),
                    page.time(o.ended_at) if o.ended_at else t("brief.outages.ongoing"),
                    page.duration(o.down_s),
                    o.message,
                ]
                for o in outages.items
            ],
        )
    )
    section.texts += _more(page, outages.more)
    return section


def _source(page: Page) -> str:
    """Where the entries came from, as the page says it."""
    return page.t("brief.sourceLog") if page.brief.source == "log" else page.brief.source


def _heading(page: Page) -> tuple[str, str, str]:
    """Title, period line and source line."""
    b, t = page.brief, page.t
    city = b.city_names.get(t.lang) or b.city
    zone = datetime.fromisoformat(b.until).astimezone(page.zone).strftime("%Z")
    return (
        f"{t('brief.title')} — {city}",
        t("brief.period", since=page.time(b.since), until=page.time(b.until), zone=zone),
        t("brief.source", source=_source(page)),
    )


# ------------------------------------------------------------------------------ Markdown


def md_text(text: str) -> str:
    """Text as Markdown shows it literally: markup characters escaped, no raw HTML, one line."""
    flat = " ".join(text.split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = MD_LINE_START.sub(r"\\\1", MD_INLINE.sub(r"\\\1", flat))
    return MD_NUMBERED.sub(r"\1\\\2", flat)


def _md_cell(cell: Cell) -> str:
    return md_text(cell if isinstance(cell, str) else cell[0])


def markdown(page: Page) -> str:
    """The briefing as GitHub-flavoured Markdown."""
    title, when, source = _heading(page)
    lines = [f"# {md_text(title)}", "", md_text(when), "", md_text(source), ""]
    for section in sections(page):
        if section.figure:  # the map is drawn in HTML only
            continue
        lines += [f"## {md_text(section.title)}", ""]
        for label, figure, note in section.tiles:
            lines.append(
                f"- {md_text(label)}: **{md_text(figure)}**"
                + (f" ({md_text(note)})" if note else "")
            )
        if section.tiles:
            lines.append("")
        for text in section.texts:
            lines += [md_text(text), ""]
        for table in section.tables:
            if table.caption:
                lines += [f"### {md_text(table.caption)}", ""]
            lines.append("| " + " | ".join(md_text(h) for h in table.head) + " |")
            lines.append("|" + "---|" * len(table.head))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
            lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- HTML


def _html_cell(cell: Cell, tag: str = "td") -> str:
    if isinstance(cell, str):
        return f"<{tag}>{escape(cell)}</{tag}>"
    text, cls = cell
    return f'<{tag}><span class="{escape(cls)}">{escape(text)}</span></{tag}>'


def html(page: Page, *, stylesheet: str | None = None, css: str = "") -> str:
    """A printable page: linked to `stylesheet` (served, under the board's CSP) or with `css`
    inline (a file that must stand alone). No script."""
    title, when, source = _heading(page)
    style = (
        f'<link rel="stylesheet" href="{escape(stylesheet)}">'
        if stylesheet
        else f"<style>{css}</style>"
    )
    out = [
        "<!doctype html>",
        f'<html lang="{page.t.lang}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>{style}</head>",
        "<body>",
        f'<header><h1>{escape(title)}</h1><p class="period">{escape(when)}</p>'
        f'<p class="source">{escape(source)}</p></header>',
    ]
    for section in sections(page):
        out.append(f'<section id="{section.key}" class="sheet sheet-{section.key}">')
        out.append(f"<h2>{escape(section.title)}</h2>")
        if section.tiles:
            out.append('<dl class="tiles">')
            for label, figure, note in section.tiles:
                extra = f'<span class="note">{escape(note)}</span>' if note else ""
                out.append(f"<div><dt>{escape(label)}</dt><dd>{escape(figure)}{extra}</dd></div>")
            out.append("</dl>")
        for text in section.texts:
            out.append(f"<p>{escape(text)}</p>")
        if section.figure:
            out.append(f'<figure class="map-figure">{section.figure}{_legend(page)}</figure>')
        for table in section.tables:
            out.append("<table>")
            if table.caption:
                out.append(f"<caption>{escape(table.caption)}</caption>")
            out.append(
                "<thead><tr>" + "".join(_html_cell(h, "th") for h in table.head) + "</tr></thead>"
            )
            out.append("<tbody>")
            out += ["<tr>" + "".join(_html_cell(c) for c in row) + "</tr>" for row in table.rows]
            out.append("</tbody></table>")
        out.append("</section>")
    made = page.t("brief.footer.generated", source=_source(page), zone=page.brief.timezone)
    boundaries = page.t("brief.footer.boundaries")
    out.append(f"<footer><p>{escape(made)}</p><p>{escape(boundaries)}</p></footer>")
    out.append("</body></html>")
    return "\n".join(out)


def _legend(page: Page) -> str:
    items = "".join(
        f'<li><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="5" '
        f'fill="{SEVERITY_COLOURS[s]}"/></svg> {escape(page.severity(s)[0])}</li>'
        for s in SEVERITIES
    )
    return f'<figcaption><ul class="legend">{items}</ul></figcaption>'


CSS = Path(__file__).with_name("brief.css")


def render(
    brief: Briefing,
    fmt: str,
    lang: str,
    districts: Districts,
    *,
    stylesheet: str | None = None,
) -> str:
    """The briefing in one format and language; html stands alone unless given a `stylesheet`."""
    check(fmt, lang)
    if fmt == "json":
        return brief.model_dump_json(indent=2)
    page = Page(brief, words(lang), districts)
    if fmt == "md":
        return markdown(page)
    return html(page, stylesheet=stylesheet, css="" if stylesheet else CSS.read_text())


def check(fmt: str, lang: str) -> None:
    """BriefError for a format or language the briefing is not made in (before any work)."""
    if fmt not in FORMATS:
        raise BriefError(f"the format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    words(lang)
