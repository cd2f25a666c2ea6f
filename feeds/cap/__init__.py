"""CAP adapter: OASIS CAP 1.2/1.1 alerts, EDXL-DE wrapped alerts, and ATOM/RSS indexes of CAP.

One alert is one event, whatever its number of `info` blocks (they are languages). Its event_id
is `sender,identifier` of the first message of its chain: an Update or Cancel takes the earliest
message it references, so the whole chain replaces one event on the board.

An index (ATOM `feed`, RSS `rss`) parses to one event per entry from the entry's own data (a CAP
alert embedded in the entry, else inline `cap:` fields, else title/summary/link/updated); `poll()`
also fetches the CAP documents the entries link to and uses those instead (see `_poll_index`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element

from pydantic import Field

from feeds.cap.parse import (
    DISTRICT_CODE_NAMES,
    CapAlert,
    CapInfo,
    Reference,
    cap_category,
    cap_severity,
    cap_status,
    cap_text,
    cap_time,
    chain_key,
    circle_shape,
    combine_shapes,
    is_cap,
    lang_key,
    namespace,
    parse_references,
    polygon_shape,
    read_alert,
)
from feeds.kit import (
    LANG_PATTERN,
    MAX_AREA_DESC_CHARS,
    MAX_REFS,
    MAX_TRANSLATIONS,
    Event,
    FeedError,
    FeedOptions,
    FeedRejected,
    Parsed,
    PollingFeed,
    georss_point,
    iso_utc,
    make_event,
    newest_per_event,
    parse_rfc822,
    plain_text,
    title_text,
    version_of,
    web_url,
)
from feeds.kit.xml import child, children, find_all, local, parse_xml, text

__all__ = [
    "CapFeed",
    "CapOptions",
    "Reference",
    "cap_category",
    "cap_severity",
    "cap_status",
    "cap_text",
    "cap_time",
    "chain_key",
]

INDEX_ROOTS = ("feed", "rss", "RDF")
CAP_MEDIA_TYPES = ("application/cap+xml",)
GEORSS_NAMESPACE = "http://www.georss.org/georss"
MAX_EXTRA_TEXT = 200


class CapOptions(FeedOptions):
    """Settings under [feeds.options] for a `cap` feed."""

    language: str = Field(
        default="ko",
        pattern=r"^[A-Za-z]{2,3}$",
        description="info block shown as the title; others become translations",
    )
    include_non_actual: bool = Field(
        default=False, description="also show Exercise/Test/System/Draft alerts (title prefixed)"
    )
    include_restricted: bool = Field(
        default=False, description="also show scope Restricted/Private alerts"
    )
    follow_links: bool = Field(
        default=True,
        description="poll() fetches every entry's link, not only application/cap+xml, .cap, .xml",
    )
    max_linked_alerts: int = Field(
        default=200, ge=0, le=5000, description="linked CAP documents fetched per poll, at most"
    )
    link_hosts: tuple[str, ...] = Field(
        default=(),
        description="hosts whose linked alerts may be fetched; empty = only the index's own "
        "host (so a hostile index cannot make the server fetch internal URLs); '*' = any",
    )


@dataclass(frozen=True)
class _Entry:
    """One ATOM entry or RSS item, with what poll() and parse() need to know about it."""

    element: Element
    label: str
    external_id: str | None  # entry id, else its link
    link: str | None  # absolute display link
    cap_link: str | None  # absolute URL of a linked CAP document to fetch
    alert: CapAlert | None  # a usable CAP alert embedded in the entry
    alert_problem: str | None  # why an embedded alert was not usable


def _short(value: str) -> str:
    return value[:MAX_EXTRA_TEXT]


class CapFeed(PollingFeed):
    """A CAP document, an EDXL-DE distribution of CAP alerts, or an ATOM/RSS index of CAP."""

    Options = CapOptions
    options: CapOptions

    # ------------------------------------------------------------------------ documents

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        return self._document(parse_xml(payload), received_at)

    async def poll(self, received_at: datetime) -> Parsed | None:
        """Fetch the URL; an index also gets its linked alerts fetched (see `_poll_index`)."""
        payload = await self.fetch()
        if payload is None:
            return None
        root = parse_xml(payload)
        if local(root.tag) in INDEX_ROOTS:
            return await self._poll_index(root, received_at)
        return self._document(root, received_at)

    def _document(self, root: Element, received_at: datetime, *, url: str | None = None) -> Parsed:
        name = local(root.tag)
        parsed = Parsed()
        zone = self.context.zone
        if name == "alert":
            self._alert_into(parsed, read_alert(root, zone=zone), received_at, url)
        elif name == "EDXLDistribution":
            alerts = [e for e in find_all(root, "alert") if is_cap(e)]
            if not alerts:
                raise FeedRejected("EDXL-DE distribution carries no CAP <alert>")
            if len(alerts) == 1:  # a lone wrapped alert is judged like a bare one
                self._alert_into(parsed, read_alert(alerts[0], zone=zone), received_at, url)
            else:
                for n, element in enumerate(alerts, 1):
                    with parsed.item(f"alert {n}"):
                        self._alert_into(parsed, read_alert(element, zone=zone), received_at, url)
        elif name in INDEX_ROOTS:
            for entry in self._entries(root):
                self._entry_into(parsed, entry, received_at)
        else:
            raise FeedRejected(
                f"root element <{name}> is not a CAP <alert>, an EDXL-DE "
                "<EDXLDistribution>, an ATOM <feed> or an RSS <rss>"
            )
        parsed.events = newest_per_event(parsed.events, ties="last")
        return parsed

    # ---------------------------------------------------------------------------- alerts

    def _alert_into(
        self, parsed: Parsed, alert: CapAlert, received_at: datetime, url: str | None
    ) -> None:
        with parsed.item(alert.label):
            parsed.events.append(self._alert_event(alert, received_at, url))

    def _policy(self, status: str, scope: str, msg_type: str) -> None:
        """Skip (FeedRejected for the item) what the board should not show."""
        if status and status != "Actual" and not self.options.include_non_actual:
            raise FeedRejected(
                f"status {status}: only Actual alerts are shown (option include_non_actual)"
            )
        if scope and scope != "Public" and not self.options.include_restricted:
            raise FeedRejected(f"scope {scope}: not a public alert (option include_restricted)")
        if msg_type in ("Ack", "Error"):
            raise FeedRejected(f"msgType {msg_type} answers another message; nothing to show")

    def _pick(self, infos: tuple[CapInfo, ...]) -> CapInfo | None:
        want = self.options.language.lower()
        return next((i for i in infos if lang_key(i.language) == want), infos[0] if infos else None)

    def _alert_event(self, alert: CapAlert, received_at: datetime, url: str | None) -> Event:
        self._policy(alert.status, alert.scope, alert.msg_type)
        info = self._pick(alert.infos)
        prefix = "" if alert.status == "Actual" else f"[{alert.status}] "
        extra: dict[str, Any] = {
            "msg_type": alert.msg_type,
            "identifier": _short(alert.identifier),
            "sender": _short(alert.sender),
        }
        refs = list(dict.fromkeys(f"{self.source}:{r.key}" for r in alert.references))
        common: dict[str, Any] = {
            "status": cap_status(alert.msg_type),
            "sent_at": alert.sent,
            "updated_at": alert.sent,
            "received_at": received_at,
            "version": version_of(alert.sent),
            "refs": refs[:MAX_REFS],
            "extra": extra,
        }
        if info is None:  # a Cancel may come without info: the chain is closed, nothing to show
            return make_event(
                self.source,
                alert.key,
                kind="disaster",
                category="disaster.other",
                severity="info",
                url=url,
                title=title_text(prefix + "Cancelled" + (f": {alert.note}" if alert.note else "")),
                **common,
            )
        kind, category = cap_category(info.categories, info.event, info.headline)
        extra.update(
            {
                k: _short(v)
                for k, v in (
                    ("event", info.event),
                    ("urgency", info.urgency),
                    ("certainty", info.certainty),
                )
                if v
            }
        )
        extra.update(
            {
                k: iso_utc(v)
                for k, v in (("effective", info.effective), ("onset", info.onset))
                if v is not None
            }
        )
        expires = info.expires if info.expires and info.expires >= alert.sent else None
        return make_event(
            self.source,
            alert.key,
            kind=kind,
            category=category,
            severity=cap_severity(info.severity),
            title=title_text(prefix + info.title),
            description=info.text,
            translations=self._translations(info, alert.infos),
            geometry=combine_shapes(s for a in info.areas for s in a.shapes),
            district=self._district(info),
            area_desc=_area_desc(info),
            expires_at=expires,
            url=web_url(info.web) or url,
            **common,
        )

    def _translations(
        self, chosen: CapInfo, infos: tuple[CapInfo, ...]
    ) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for info in infos:
            key = lang_key(info.language)
            if (
                info is chosen
                or key == lang_key(chosen.language)
                or key in found
                or not LANG_PATTERN.match(key)
                or len(found) >= MAX_TRANSLATIONS
            ):
                continue
            found[key] = {
                "title": title_text(info.title),
                "description": info.text,
                "area_desc": _area_desc(info),
            }
        return found

    def _district(self, info: CapInfo) -> str | None:
        """A district from a Korean area code geocode (10 digits; the first 5 are the gu)."""
        for area in info.areas:
            for name, value in area.geocodes:
                if (
                    name in DISTRICT_CODE_NAMES
                    and len(value) == 10
                    and value.isdigit()
                    and value[:5] in self.context.districts.by_code
                ):
                    return value[:5]
        return None

    # --------------------------------------------------------------------------- indexes

    def _entries(self, root: Element) -> list[_Entry]:
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

    def _atom_entry(self, el: Element, n: int) -> _Entry:
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

    def _rss_item(self, el: Element, n: int) -> _Entry:
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
    ) -> _Entry:
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
        return _Entry(
            element=el,
            label=external_id or f"entry {n}",
            external_id=external_id,
            link=link,
            cap_link=self._followable(cap_link),
            alert=alert,
            alert_problem=problem,
        )

    def _entry_into(
        self, parsed: Parsed, entry: _Entry, received_at: datetime, *, note: bool = True
    ) -> None:
        if entry.alert is not None:
            self._alert_into(parsed, entry.alert, received_at, web_url(entry.link))
            return
        if entry.alert_problem and note:
            parsed.skipped.append(
                f"{entry.label}: embedded CAP alert not used "
                f"({entry.alert_problem}); used the entry's own fields"
            )
        with parsed.item(entry.label):
            parsed.events.append(self._entry_event(entry, received_at))

    def _entry_event(self, entry: _Entry, received_at: datetime) -> Event:
        """An event from the entry's own data: inline cap: fields, else title/summary/updated."""
        el = entry.element
        if entry.external_id is None:
            raise FeedRejected("entry has neither an id nor a link")

        def cap(name: str) -> str:
            return next(
                (
                    e.text.strip()
                    for e in el.iter()
                    if e is not el
                    and local(e.tag) == name
                    and is_cap(e)
                    and e.text
                    and e.text.strip()
                ),
                "",
            )

        self._policy(cap("status"), cap("scope"), cap("msgType"))
        title = text(el, "title") or cap("headline") or cap("event")
        if not title:
            raise FeedRejected("entry has no title and no cap:event")
        zone = self.context.zone
        if local(el.tag) == "entry":
            updated_raw = text(el, "updated") or text(el, "published")
            published_raw = text(el, "published") or updated_raw
            updated = cap_time(updated_raw, zone=zone, field="<updated>") if updated_raw else None
            published = (
                cap_time(published_raw, zone=zone, field="<published>") if published_raw else None
            )
        else:
            raw = text(el, "pubDate")
            updated = published = parse_rfc822(raw, field="<pubDate>") if raw else None
        sent = cap_time(cap("sent"), zone=zone, field="cap:sent") if cap("sent") else published
        updated = updated or sent
        if sent is None or updated is None:
            raise FeedRejected("entry has no <updated>, <published>, <pubDate> or cap:sent time")
        expires_raw = cap("expires")
        expires = cap_time(expires_raw, zone=zone, field="cap:expires") if expires_raw else None
        categories = [
            e.text.strip() for e in el.iter() if local(e.tag) == "category" and is_cap(e) and e.text
        ]
        kind, category = cap_category(categories, cap("event"), title)
        summary = text(el, "summary") or text(el, "content") or text(el, "description")
        refs = parse_references(cap("references"), zone=zone) if cap("references") else []
        msg_type = cap("msgType") or "Alert"
        external_id = entry.external_id
        if msg_type in ("Update", "Cancel") and refs:
            external_id = chain_key(msg_type, "", "", refs)
        extra = {
            k: _short(v)
            for k, v in (
                ("event", cap("event")),
                ("msg_type", cap("msgType")),
                ("urgency", cap("urgency")),
            )
            if v
        }
        return make_event(
            self.source,
            external_id,
            kind=kind,
            category=category,
            severity=cap_severity(cap("severity")),
            status=cap_status(msg_type),
            title=title_text(title),
            description=cap_text(summary, cap("instruction")),
            geometry=combine_shapes(self._entry_shapes(el)),
            area_desc=plain_text(cap("areaDesc"), limit=MAX_AREA_DESC_CHARS),
            sent_at=sent,
            updated_at=updated,
            received_at=received_at,
            expires_at=expires if expires and expires >= sent else None,
            version=version_of(updated),
            url=web_url(entry.link),
            refs=list(dict.fromkeys(f"{self.source}:{r.key}" for r in refs))[:MAX_REFS],
            extra=extra,
        )

    @staticmethod
    def _entry_shapes(el: Element) -> list[dict[str, Any]]:
        shapes = []
        for e in el.iter():
            name, raw = local(e.tag), (e.text or "").strip()
            if not raw:  # NWS ATOM writes <cap:polygon/> when there is none
                continue
            ns = namespace(e.tag)
            if name in ("polygon", "circle") and is_cap(e):
                shapes.append(
                    polygon_shape(raw, where="cap:polygon")
                    if name == "polygon"
                    else circle_shape(raw, where="cap:circle")
                )
            elif ns == GEORSS_NAMESPACE and name == "point":
                shapes.append(georss_point(raw))
            elif ns == GEORSS_NAMESPACE and name == "polygon":
                numbers = raw.split()
                if len(numbers) % 2:
                    raise FeedRejected(f"georss:polygon has an odd count of numbers: {raw[:60]!r}")
                pairs = " ".join(
                    f"{a},{b}" for a, b in zip(numbers[::2], numbers[1::2], strict=True)
                )
                shapes.append(polygon_shape(pairs, where="georss:polygon"))
        return shapes

    async def _poll_index(self, root: Element, received_at: datetime) -> Parsed:
        """The index's entries, with each linked CAP document fetched and used instead.

        Entries with a usable embedded alert are not fetched. At most `max_linked_alerts`
        documents per poll, `max_concurrent_fetches` at a time. A link that fails (unreachable,
        HTTP error, not a valid CAP alert) costs only itself: the entry's own event is used and
        the failure is listed among the skipped items. A link answered 304 Not Modified yields
        nothing: the alert is unchanged since the poll that fetched it.
        """
        http = self.context.http
        if http is None:
            raise FeedRejected(f"feed {self.source} has no HTTP client for linked alerts")
        entries = self._entries(root)
        wanted = [e for e in entries if e.alert is None and e.cap_link is not None]
        limit = self.options.max_linked_alerts
        linked = {id(e): e for e in wanted[:limit]}
        gate = asyncio.Semaphore(self.context.config.max_concurrent_fetches)

        async def get(url: str) -> bytes | FeedError | None:
            async with gate:
                try:
                    return await http.get(url)
                except FeedError as exc:
                    return exc

        async with asyncio.TaskGroup() as group:
            tasks = {key: group.create_task(get(e.cap_link or "")) for key, e in linked.items()}
        parsed = Parsed()
        if len(wanted) > limit:
            parsed.skipped.append(
                f"{len(wanted) - limit} linked alert(s) not fetched this poll "
                f"(max_linked_alerts = {limit}); used the entries' own fields"
            )
        for entry in entries:
            task = tasks.get(id(entry))
            if task is None:
                self._entry_into(parsed, entry, received_at)
                continue
            result = task.result()
            if result is None:
                continue
            try:
                if isinstance(result, FeedError):
                    raise result
                sub = self._linked(result, entry, received_at)
            except FeedError as exc:
                parsed.skipped.append(
                    f"{entry.label}: linked alert {entry.cap_link} failed "
                    f"({exc.message}); used the entry's own fields"
                )
                self._entry_into(parsed, entry, received_at, note=False)
                continue
            parsed.events.extend(sub.events)
            parsed.skipped.extend(f"{entry.label}: {reason}" for reason in sub.skipped)
        parsed.events = newest_per_event(parsed.events, ties="last")
        return parsed

    def _linked(self, body: bytes, entry: _Entry, received_at: datetime) -> Parsed:
        root = parse_xml(body)
        if local(root.tag) in INDEX_ROOTS:
            raise FeedRejected("the linked document is an index, not a CAP alert")
        return self._document(root, received_at, url=web_url(entry.link) or entry.cap_link)


def _area_desc(info: CapInfo) -> str:
    """Where an info block says it applies, in its own language."""
    return plain_text(", ".join(a.desc for a in info.areas if a.desc), limit=MAX_AREA_DESC_CHARS)
