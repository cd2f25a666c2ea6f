"""The `cap` feed: a CAP document, an EDXL-DE distribution of alerts, or an ATOM/RSS index of CAP.

An index parses to one event per entry from the entry's own data (a CAP alert embedded in the
entry, else inline `cap:` fields, else title/summary/link/updated); `poll()` also fetches the CAP
documents the entries link to and uses those instead (see `_poll_index`).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from xml.etree.ElementTree import Element

from feeds.cap.alert import CapAlert, is_cap, read_alert
from feeds.cap.events import CapEvents
from feeds.cap.index import INDEX_ROOTS, Entry, IndexReader
from feeds.cap.options import CapOptions
from feeds.kit import (
    FeedContext,
    FeedError,
    FeedRejected,
    Parsed,
    PollingFeed,
    newest_per_event,
    web_url,
)
from feeds.kit.xml import find_all, local, parse_xml


class CapFeed(PollingFeed):
    """A CAP document, an EDXL-DE distribution of CAP alerts, or an ATOM/RSS index of CAP."""

    Options = CapOptions
    options: CapOptions

    def __init__(self, context: FeedContext) -> None:
        super().__init__(context)
        self._events = CapEvents(context, self.options)
        self._index = IndexReader(context, self.options)

    # ------------------------------------------------------------------------ documents

    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """One CAP, EDXL-DE or index document; an index's links are not followed here."""
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
            for entry in self._index.entries(root):
                self._entry_into(parsed, entry, received_at)
        else:
            raise FeedRejected(
                f"root element <{name}> is not a CAP <alert>, an EDXL-DE "
                "<EDXLDistribution>, an ATOM <feed> or an RSS <rss>"
            )
        parsed.events = newest_per_event(parsed.events, ties="last")
        return parsed

    def _alert_into(
        self, parsed: Parsed, alert: CapAlert, received_at: datetime, url: str | None
    ) -> None:
        with parsed.item(alert.label) as dropped:
            dropped += alert.warnings
            parsed.events.append(self._events.alert_event(alert, received_at, url, dropped))

    def _entry_into(
        self, parsed: Parsed, entry: Entry, received_at: datetime, *, note: bool = True
    ) -> None:
        if entry.alert is not None:
            self._alert_into(parsed, entry.alert, received_at, web_url(entry.link))
            return
        if entry.alert_problem and note:
            parsed.warnings.append(
                f"{entry.label}: embedded CAP alert not used "
                f"({entry.alert_problem}); used the entry's own fields"
            )
        with parsed.item(entry.label) as dropped:
            parsed.events.append(self._events.entry_event(entry, received_at, dropped))

    # --------------------------------------------------------------------------- indexes

    async def _poll_index(self, root: Element, received_at: datetime) -> Parsed:
        """The index's entries, with each linked CAP document fetched and used instead.

        Entries with a usable embedded alert are not fetched. At most `max_linked_alerts`
        documents per poll, `max_concurrent_fetches` at a time. A link that fails (unreachable,
        HTTP error, not a valid CAP alert) costs only itself: the entry's own event is used and
        the failure is a warning, as are the entries left unfetched past the limit (the index
        itself is fine). A link answered 304 Not Modified yields nothing: the alert is unchanged
        since the poll that fetched it.
        """
        http = self.context.http
        if http is None:
            raise FeedRejected(f"feed {self.source} has no HTTP client for linked alerts")
        entries = self._index.entries(root)
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
            parsed.warnings.append(
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
                parsed.warnings.append(
                    f"{entry.label}: linked alert {entry.cap_link} failed "
                    f"({exc.message}); used the entry's own fields"
                )
                self._entry_into(parsed, entry, received_at, note=False)
                continue
            parsed.events.extend(sub.events)
            parsed.skipped.extend(f"{entry.label}: {reason}" for reason in sub.skipped)
            parsed.warnings.extend(f"{entry.label}: {warning}" for warning in sub.warnings)
            parsed.filtered.extend(f"{entry.label}: {reason}" for reason in sub.filtered)
        parsed.events = newest_per_event(parsed.events, ties="last")
        return parsed

    def _linked(self, body: bytes, entry: Entry, received_at: datetime) -> Parsed:
        root = parse_xml(body)
        if local(root.tag) in INDEX_ROOTS:
            raise FeedRejected("the linked document is an index, not a CAP alert")
        return self._document(root, received_at, url=web_url(entry.link) or entry.cap_link)
