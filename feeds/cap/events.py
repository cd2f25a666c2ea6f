"""CAP alerts and index entries as board events: what is shown, in which language, where and when.

One alert is one event, whatever its number of `info` blocks (they are languages). Its event_id is
`sender,identifier` of the first message of its chain: an Update or Cancel takes the earliest
message it references, so the whole chain replaces one event on the board. An index entry without
a usable alert becomes an event from its own data (inline `cap:` fields, else
title/summary/link/updated).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from feeds.cap.alert import CapAlert, CapInfo, is_cap
from feeds.cap.index import Entry
from feeds.cap.options import CapOptions
from feeds.cap.shapes import circle_shape, combine_shapes, polygon_shape
from feeds.kit import (
    LANG_PATTERN,
    MAX_AREA_DESC_CHARS,
    MAX_TRANSLATIONS,
    Event,
    FeedContext,
    FeedFiltered,
    FeedRejected,
    georss_point,
    iso_utc,
    make_event,
    optional_url,
    parse_rfc822,
    parse_time,
    plain_text,
    title_text,
    version_of,
    web_url,
)
from feeds.kit.cap import (
    cap_category,
    cap_severity,
    cap_status,
    cap_text,
    chain_key,
    read_references,
    reference_ids,
)
from feeds.kit.xml import local, namespace, text

GEORSS_NAMESPACE = "http://www.georss.org/georss"
DISTRICT_CODE_NAMES = ("행정구역코드", "법정동코드")  # geocodes that carry a Korean area code
MAX_EXTRA_TEXT = 200


def lang_key(tag: str) -> str:
    """The translations key for a language tag: its primary subtag, lower case ("fr-CA" → "fr")."""
    return tag.strip().split("-")[0].split("_")[0].lower()


def _short(value: str) -> str:
    return value[:MAX_EXTRA_TEXT]


def _area_desc(info: CapInfo) -> str:
    """Where an info block says it applies, in its own language."""
    return plain_text(", ".join(a.desc for a in info.areas if a.desc), limit=MAX_AREA_DESC_CHARS)


class CapEvents:
    """Maps one feed's alerts and entries to events, under the feed's options."""

    def __init__(self, context: FeedContext, options: CapOptions) -> None:
        self.context = context
        self.options = options
        self.source = context.config.name

    def _policy(self, status: str, scope: str, msg_type: str) -> None:
        """Filter out (FeedFiltered for the item) what the board should not show: sound
        messages, so they are counted as filtered, not as failures."""
        if status and status != "Actual" and not self.options.include_non_actual:
            raise FeedFiltered(
                f"status {status}: only Actual alerts are shown (option include_non_actual)"
            )
        if scope and scope != "Public" and not self.options.include_restricted:
            raise FeedFiltered(f"scope {scope}: not a public alert (option include_restricted)")
        if msg_type in ("Ack", "Error"):
            raise FeedFiltered(f"msgType {msg_type} answers another message; nothing to show")

    # ---------------------------------------------------------------------------- alerts

    def _pick(self, infos: tuple[CapInfo, ...]) -> CapInfo | None:
        want = self.options.language.lower()
        return next((i for i in infos if lang_key(i.language) == want), infos[0] if infos else None)

    def alert_event(
        self, alert: CapAlert, received_at: datetime, url: str | None, dropped: list[str]
    ) -> Event:
        """The event for one alert, in the feed's language; FeedRejected skips it, and the
        secondary fields it cannot read are noted in `dropped`."""
        self._policy(alert.status, alert.scope, alert.msg_type)
        info = self._pick(alert.infos)
        prefix = "" if alert.status == "Actual" else f"[{alert.status}] "
        extra: dict[str, Any] = {
            "msg_type": alert.msg_type,
            "identifier": _short(alert.identifier),
            "sender": _short(alert.sender),
        }
        common: dict[str, Any] = {
            "status": cap_status(alert.msg_type),
            "sent_at": alert.sent,
            "updated_at": alert.sent,
            "received_at": received_at,
            "version": version_of(alert.sent),
            "refs": reference_ids(self.source, alert.references),
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
        # the chosen language's words first, then the other blocks' (often English) ones
        others = [t for i in alert.infos if i is not info for t in (i.event, i.headline)]
        kind, category = cap_category(info.categories, info.event, info.headline, *others)
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
            translations=self._translations(info, alert.infos, dropped),
            geometry=combine_shapes(s for a in info.areas for s in a.shapes),
            district=self._district(info),
            area_desc=_area_desc(info),
            expires_at=expires,
            url=optional_url(info.web, "<web>", dropped) or url,
            **common,
        )

    def _translations(
        self, chosen: CapInfo, infos: tuple[CapInfo, ...], dropped: list[str]
    ) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for info in infos:
            key = lang_key(info.language)
            if info is chosen or key == lang_key(chosen.language) or key in found:
                continue
            if not LANG_PATTERN.match(key):
                dropped.append(
                    f"<language> {info.language[:20]!r} is not a language tag, so that info "
                    "block is no translation; ignored"
                )
                continue
            if len(found) >= MAX_TRANSLATIONS:
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

    # --------------------------------------------------------------------------- entries

    def entry_event(self, entry: Entry, received_at: datetime, warnings: list[str]) -> Event:
        """An event from the entry's own data: inline cap: fields, else title/summary/updated.

        Secondary fields that cannot be read (cap:references) are dropped, noted in `warnings`.
        """
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
            updated = parse_time(updated_raw, zone=zone, field="<updated>") if updated_raw else None
            published = (
                parse_time(published_raw, zone=zone, field="<published>") if published_raw else None
            )
        else:
            raw = text(el, "pubDate")
            updated = published = parse_rfc822(raw, zone=zone, field="<pubDate>") if raw else None
        sent = parse_time(cap("sent"), zone=zone, field="cap:sent") if cap("sent") else published
        updated = updated or sent
        if sent is None or updated is None:
            raise FeedRejected("entry has no <updated>, <published>, <pubDate> or cap:sent time")
        expires_raw = cap("expires")
        expires = parse_time(expires_raw, zone=zone, field="cap:expires") if expires_raw else None
        categories = [
            e.text.strip() for e in el.iter() if local(e.tag) == "category" and is_cap(e) and e.text
        ]
        kind, category = cap_category(categories, cap("event"), title)
        summary = text(el, "summary") or text(el, "content") or text(el, "description")
        refs, dropped = (
            read_references(cap("references"), zone=zone) if cap("references") else ([], [])
        )
        warnings += dropped
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
            geometry=combine_shapes(_entry_shapes(el)),
            area_desc=plain_text(cap("areaDesc"), limit=MAX_AREA_DESC_CHARS),
            sent_at=sent,
            updated_at=updated,
            received_at=received_at,
            expires_at=expires if expires and expires >= sent else None,
            version=version_of(updated),
            url=web_url(entry.link),
            refs=reference_ids(self.source, refs),
            extra=extra,
        )


def _entry_shapes(el: Element) -> list[dict[str, Any]]:
    """Inline shapes of an entry: cap:polygon, cap:circle, georss:point, georss:polygon."""
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
            pairs = " ".join(f"{a},{b}" for a, b in zip(numbers[::2], numbers[1::2], strict=True))
            shapes.append(polygon_shape(pairs, where="georss:polygon"))
    return shapes
