"""ATOM and RSS indexes of CAP alerts: each entry with its alert, its link and what to fetch.

An entry carries a CAP alert embedded in it, or links to one (an `application/cap+xml` link or
enclosure, a `.cap`/`.xml` link, or any link when `follow_links` is on); a link is followed only
over http(s) to the index's own host or one the feed allows, so a hostile index cannot make the
server fetch internal URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element

from feeds.cap.alert import CapAlert, is_cap, read_alert
from feeds.cap.options import CapOptions
from feeds.kit import FeedContext, FeedRejected
from feeds.kit.xml import child, children, local, text

INDEX_ROOTS = ("feed", "rss", "RDF")
CAP_MEDIA_TYPES = ("application/cap+xml",)


@dataclass(frozen=True)
class Entry:
    """One ATOM entry or RSS item, with what poll() and parse() need to know about it."""

    element: Element
    label: str
    external_id: str | None  # entry id, else its link
    link: str | None  # absolute display link
    cap_link: str | None  # absolute URL of a linked CAP document to fetch
    alert: CapAlert | None  # a usable CAP alert embedded in the entry
    alert_problem: str | None  # why an embedded alert was not usable


class IndexReader:
    """Reads the entries of one feed's indexes; links resolve against the feed's URL."""

    def __init__(self, context: FeedContext, options: CapOptions) -> None:
        self.context = context
        self.options = options

    def entries(self, root: Element) -> list[Entry]:
        """The entries of an ATOM `feed`, an RSS 2.0 `rss` or an RSS 1.0 `rdf:RDF` document."""
        name = local(root.tag)
        if name == "feed":
            return [self._atom_entry(el, n) for n, el in enumerate(children(root, "entry"), 1)]
        if name == "rss":
            channel = child(root, "channel")
            if channel is None:
                raise FeedRejected("RSS document has no <channel>")
            items = children(channel, "item")
        else:  # RSS 1.0 (rdf:RDF): items are children of the root
            items = children(root, "item")
        return [self._rss_item(el, n) for n, el in enumerate(items, 1)]

    def _absolute(self, href: str | None) -> str | None:
        if not href or not href.strip():
            return None
        return urljoin(self.context.config.resolved_url or "", href.strip())

    def _followable(self, url: str | None) -> str | None:
        """The URL if poll() may fetch it: http(s), on the index's host or an allowed one."""
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        index_host = urlsplit(self.context.config.resolved_url or "").hostname
        allowed = self.options.link_hosts or (index_host,)
        if "*" not in allowed and parts.hostname not in allowed:
            return None
        return url

    @staticmethod
    def _looks_cap(url: str) -> bool:
        return urlsplit(url).path.lower().endswith((".cap", ".xml"))

    def _atom_entry(self, el: Element, n: int) -> Entry:
        links = [
            (
                link.get("rel") or "alternate",
                (link.get("type") or "").split(";")[0].strip().lower(),
                self._absolute(link.get("href")),
            )
            for link in children(el, "link")
        ]
        links = [(rel, kind, href) for rel, kind, href in links if href]
        display = next((x for x in links if x[0] == "alternate"), links[0] if links else None)
        cap_link = next((href for _, kind, href in links if kind in CAP_MEDIA_TYPES), None)
        cap_link = cap_link or next(
            (href for _, _, href in links if href and self._looks_cap(href)), None
        )
        if cap_link is None and display is not None and self.options.follow_links:
            cap_link = display[2] if "html" not in display[1] else None
        link = display[2] if display else None
        return self._entry(el, n, text(el, "id"), link, cap_link)

    def _rss_item(self, el: Element, n: int) -> Entry:
        link = self._absolute(text(el, "link"))
        enclosure = next(
            (
                self._absolute(e.get("url"))
                for e in children(el, "enclosure")
                if (e.get("type") or "").split(";")[0].strip().lower() in CAP_MEDIA_TYPES
            ),
            None,
        )
        follow = link is not None and (self._looks_cap(link) or self.options.follow_links)
        return self._entry(el, n, text(el, "guid"), link, enclosure or (link if follow else None))

    def _entry(
        self, el: Element, n: int, own_id: str, link: str | None, cap_link: str | None
    ) -> Entry:
        external_id = own_id or link
        embedded = next(
            (e for e in el.iter() if e is not el and local(e.tag) == "alert" and is_cap(e)), None
        )
        alert = problem = None
        if embedded is not None:
            try:
                alert = read_alert(embedded, zone=self.context.zone)
            except FeedRejected as exc:
                problem = exc.message
        return Entry(
            element=el,
            label=external_id or f"entry {n}",
            external_id=external_id,
            link=link,
            cap_link=self._followable(cap_link),
            alert=alert,
            alert_problem=problem,
        )
