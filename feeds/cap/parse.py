"""Reading CAP 1.1/1.2 alerts, and the CAP → cityboard mapping the `nws` adapter shares.

Everything here is pure: XML elements or strings in, dataclasses or mapped values out. Elements
are matched on local names (`feeds.kit.xml`), so the 1.1 and 1.2 namespaces, a `cap:` prefix and no
namespace at all read the same; a root in some other namespace is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from feeds.kit import (
    FeedRejected,
    circle_polygon,
    latlon_pairs,
    parse_time,
    plain_text,
    ring_polygon,
)
from feeds.kit.xml import child, children, local, text

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:"  # + "1.1", "1.2" (and the old "1.0")

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
INFO_CATEGORIES = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
SEVERITIES = {
    "Extreme": "extreme",
    "Severe": "severe",
    "Moderate": "moderate",
    "Minor": "minor",
    "Unknown": "info",
}
CHAINED = ("Update", "Cancel")  # message types whose `references` name the chain they belong to
DISTRICT_CODE_NAMES = ("행정구역코드", "법정동코드")  # geocodes that carry a Korean area code
MAX_CIRCLE_KM = 5000.0  # a larger "circle" is a mistake, not an alert area
MAX_PROBLEMS = 6  # problems listed in one rejection message

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


# ---------------------------------------------------------------------------- mapping


# Keyword rows, checked in order against the CAP `event` text, then the `headline`. English
# keywords match whole words with a plain ending ("flood" finds "Flooding" and "floods", "rain"
# does not find "terrain", "wind" not "window"); Korean ones anywhere (호우경보, 대설주의보).
Rows = tuple[tuple[tuple[str, ...], str], ...]
_GEO: Rows = (
    (("tsunami", "지진해일", "해일"), "tsunami"),
    (("earthquake", "quake", "seismic", "지진"), "earthquake"),
    (("landslide", "mudslide", "debris flow", "산사태", "토사"), "landslide"),
)
_MET: Rows = (
    (("tsunami", "지진해일", "해일"), "tsunami"),
    (("typhoon", "hurricane", "tropical storm", "tropical cyclone", "cyclone", "태풍"), "typhoon"),
    (("flood", "홍수", "범람", "침수"), "flood"),
    (
        ("snow", "snowfall", "snowstorm", "blizzard", "winter storm", "ice storm", "대설", "폭설"),
        "snow",
    ),
    (("cold", "freeze", "freezing", "frost", "wind chill", "한파", "동파"), "cold"),
    (("rain", "rainfall", "rainstorm", "호우", "폭우"), "heavy_rain"),
    (("heat", "heatwave", "heat wave", "폭염", "무더위"), "heat"),
    (("air quality", "air pollution", "ozone", "smog", "미세먼지", "황사", "오존"), "air_quality"),
    (
        (
            "thunderstorm",
            "storm",
            "wind",
            "gale",
            "tornado",
            "squall",
            "강풍",
            "풍랑",
            "태풍",
            "뇌우",
            "돌풍",
            "낙뢰",
        ),
        "storm",
    ),
)
_FIRE: Rows = (
    (
        ("wildfire", "bushfire", "bush fire", "forest fire", "grass fire", "grassfire", "산불"),
        "wildfire",
    ),
)
_PEOPLE: Rows = (
    (("amber", "abduction", "abducted", "missing", "실종", "유괴"), "missing_person"),
    (
        (
            "civil defense",
            "civil defence",
            "air raid",
            "missile",
            "homeland security",
            "민방위",
            "공습",
            "미사일",
        ),
        "civil_defense",
    ),
    (("explosion", "bomb", "폭발"), "explosion"),
    (("collapse", "붕괴"), "building_collapse"),
)
# (table of keyword rows, default subtype) per CAP category; kind is disaster except Transport.
_BY_CATEGORY: dict[str, tuple[Rows, str]] = {
    "Geo": (_GEO, "other"),
    "Met": (_MET, "other"),
    "Fire": (_FIRE, "fire"),
    "Health": ((), "infectious_disease"),
    "Env": ((), "air_quality"),
    "Infra": ((), "power_outage"),
    "CBRNE": ((_PEOPLE[2],), "chemical"),
    "Security": (_PEOPLE, "civil_defense"),
    "Rescue": (_PEOPLE, "other"),
    "Safety": (_PEOPLE, "other"),
    "Other": (_PEOPLE, "other"),
}
_ANY: Rows = _GEO + _MET + _FIRE + _PEOPLE  # when the source names no CAP category at all


def _pattern(keyword: str) -> re.Pattern[str]:
    if not keyword.isascii():
        return re.compile(re.escape(keyword))
    return re.compile(rf"\b{re.escape(keyword)}(?:s|es|ed|ing|y)?\b", re.IGNORECASE)


_PATTERNS = {kw: _pattern(kw) for words, _ in _ANY for kw in words}


def _match(rows: Rows, texts: Iterable[str]) -> str | None:
    for value in texts:
        if not value:
            continue
        for words, subtype in rows:
            if any(_PATTERNS[kw].search(value) for kw in words):
                return subtype
    return None


def cap_category(categories: Iterable[str], *texts: str) -> tuple[str, str]:
    """(kind, category) for CAP `info/category` values and the event/headline texts.

    The first CAP category that maps to a specific subtype wins (`Fire` before `Met` in a
    Fire+Met alert); `Transport` is the one traffic kind (`traffic.hazard`). With no CAP category
    (a plain ATOM/RSS entry) every keyword row is tried, else `disaster.other`.
    """
    known = [c.strip() for c in categories if c.strip() in INFO_CATEGORIES]
    if not known:
        return "disaster", f"disaster.{_match(_ANY, texts) or 'other'}"
    for cap in known:
        if cap == "Transport":
            return "traffic", "traffic.hazard"
        rows, default = _BY_CATEGORY[cap]
        subtype = _match(rows, texts) or default
        if subtype != "other":
            return "disaster", f"disaster.{subtype}"
    return "disaster", "disaster.other"


def cap_severity(value: str | None) -> str:
    """CAP severity → cityboard severity; Unknown, empty or unrecognised → info."""
    return SEVERITIES.get((value or "").strip().capitalize(), "info")


def cap_status(msg_type: str) -> str:
    """The event status a CAP message type means: Cancel → cancelled, Alert/Update → active."""
    return "cancelled" if msg_type == "Cancel" else "active"


def cap_text(description: str | None, instruction: str | None) -> str:
    """The event description: CAP description, a blank line, then the instruction."""
    parts = [_BR.sub("\n", p) for p in (description, instruction) if p and p.strip()]
    return plain_text("\n\n".join(parts))


def lang_key(tag: str) -> str:
    """The translations key for a language tag: its primary subtag, lower case ("fr-CA" → "fr")."""
    return tag.strip().split("-")[0].split("_")[0].lower()


def cap_time(value: str, *, zone: ZoneInfo | None, field: str) -> datetime:
    """parse_time, with a year that cannot be moved to UTC refused instead of raising."""
    try:
        return parse_time(value, zone=zone, field=field)
    except OverflowError:
        raise FeedRejected(f"{field} {value.strip()!r} is out of range") from None


@dataclass(frozen=True)
class Reference:
    """One earlier message named in `references` (or NWS `references[]`)."""

    sender: str
    identifier: str
    sent: datetime

    @property
    def key(self) -> str:
        """The message's `sender,identifier`, the external id cityboard gives a chain."""
        return f"{self.sender},{self.identifier}"


def parse_references(value: str, *, zone: ZoneInfo | None = None) -> list[Reference]:
    """`references`: whitespace-separated `sender,identifier,sent` triples.

    Each triple is split on its last two commas, so a comma inside a sender survives.
    """
    found = []
    for triple in value.split():
        parts = triple.rsplit(",", 2)
        if len(parts) != 3 or not all(parts):
            raise FeedRejected(
                f"<references> entry {triple[:120]!r} is not 'sender,identifier,sent'"
            )
        found.append(
            Reference(parts[0], parts[1], cap_time(parts[2], zone=zone, field="<references> sent"))
        )
    return found


def chain_key(msg_type: str, sender: str, identifier: str, references: list[Reference]) -> str:
    """The external id of a message's chain: `sender,identifier` of the chain's first message.

    An Update or Cancel belongs to the earliest-sent message it references; anything else (or an
    Update that references nothing) starts its own chain.
    """
    if msg_type in CHAINED and references:
        return min(references, key=lambda r: r.sent).key
    return f"{sender},{identifier}"


# ---------------------------------------------------------------------------- reading


def namespace(tag: str) -> str:
    """An element's namespace URI, '' when it has none."""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def is_cap(element: Element) -> bool:
    """True for an element in a CAP namespace or in none (some senders omit it)."""
    ns = namespace(element.tag)
    return not ns or ns.startswith(CAP_NAMESPACE)


@dataclass(frozen=True)
class CapArea:
    """One `area`: its description, shapes (GeoJSON, lon/lat) and geocodes."""

    desc: str
    shapes: tuple[dict[str, Any], ...]
    geocodes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class CapInfo:
    """One `info` block (one language of the alert)."""

    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    headline: str
    description: str
    instruction: str
    web: str
    effective: datetime | None
    onset: datetime | None
    expires: datetime | None
    areas: tuple[CapArea, ...]

    @property
    def title(self) -> str:
        """What the board shows: the headline, else the event name."""
        return self.headline or self.event

    @property
    def text(self) -> str:
        """Description and instruction as plain text."""
        return cap_text(self.description, self.instruction)


@dataclass(frozen=True)
class CapAlert:
    """A CAP alert that passed the checks in `read_alert`."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    note: str
    references: tuple[Reference, ...]
    infos: tuple[CapInfo, ...] = field(default=())

    @property
    def label(self) -> str:
        """`sender,identifier`, how skipped-item reasons name the message."""
        return f"{self.sender},{self.identifier}"

    @property
    def key(self) -> str:
        """The chain's external id (see chain_key)."""
        return chain_key(self.msg_type, self.sender, self.identifier, list(self.references))


class _Problems:
    """Collects what is wrong with a document so one rejection names all of it."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def check(self, prefix: str, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call fn; on FeedRejected record `prefix` + the reason and return None."""
        try:
            return fn(*args, **kwargs)
        except FeedRejected as exc:
            self.add(prefix + exc.message)
            return None


def _enum(
    el: Element,
    name: str,
    allowed: Iterable[str],
    problems: _Problems,
    where: str,
    *,
    required: bool = True,
) -> str:
    value = text(el, name)
    allowed = tuple(allowed)
    if not value:
        if required:
            problems.add(f"{where}<{name}> is missing or empty")
    elif value not in allowed:
        problems.add(f"{where}<{name}> {value[:40]!r} is not one of {', '.join(allowed)}")
    return value


def polygon_shape(raw: str, *, where: str = "<polygon>") -> dict[str, Any]:
    """A CAP polygon ('lat,lon lat,lon …', a closed ring) as a GeoJSON Polygon."""
    if not raw.strip():
        raise FeedRejected(f"{where} is empty")
    polygon = ring_polygon(latlon_pairs(raw, field=where))
    if len(polygon["coordinates"][0]) < 4:
        raise FeedRejected(f"{where} has fewer than 3 distinct points")
    return polygon


def circle_shape(raw: str, *, where: str = "<circle>") -> dict[str, Any]:
    """A CAP circle ('lat,lon radius_km') as a polygon; radius 0 gives the centre Point."""
    parts = raw.split()
    if len(parts) != 2:
        raise FeedRejected(f"{where} {raw.strip()[:60]!r} is not 'lat,lon radius_km'")
    [[lon, lat]] = latlon_pairs(parts[0], field=where)
    try:
        radius = float(parts[1])
    except ValueError:
        raise FeedRejected(f"{where} radius {parts[1][:20]!r} is not a number") from None
    if not 0 <= radius <= MAX_CIRCLE_KM:
        raise FeedRejected(
            f"{where} radius {parts[1][:20]!r} is not between 0 and {MAX_CIRCLE_KM:g} km"
        )
    return circle_polygon(lat, lon, radius)


def combine_shapes(shapes: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """One geometry for several shapes: one polygon → Polygon, several → MultiPolygon.

    Points (zero-radius circles) are used only when there is no polygon: Point or MultiPoint.
    """
    shapes = list(shapes)
    polygons = [s["coordinates"] for s in shapes if s["type"] == "Polygon"]
    if polygons:
        if len(polygons) == 1:
            return {"type": "Polygon", "coordinates": polygons[0]}
        return {"type": "MultiPolygon", "coordinates": polygons}
    points = [s["coordinates"] for s in shapes if s["type"] == "Point"]
    if len(points) == 1:
        return {"type": "Point", "coordinates": points[0]}
    if points:
        return {"type": "MultiPoint", "coordinates": points}
    return None


def _read_area(el: Element, problems: _Problems, where: str) -> CapArea:
    shapes: list[dict[str, Any]] = []
    for poly in children(el, "polygon"):
        shape = problems.check("", polygon_shape, poly.text or "", where=f"{where}<polygon>")
        if shape is not None:
            shapes.append(shape)
    for circle in children(el, "circle"):
        shape = problems.check("", circle_shape, circle.text or "", where=f"{where}<circle>")
        if shape is not None:
            shapes.append(shape)
    geocodes = tuple((text(g, "valueName"), text(g, "value")) for g in children(el, "geocode"))
    return CapArea(desc=text(el, "areaDesc"), shapes=tuple(shapes), geocodes=geocodes)


def _read_time(
    el: Element, name: str, zone: ZoneInfo | None, problems: _Problems, where: str
) -> datetime | None:
    value = text(el, name)
    if not value:
        return None
    result: datetime | None = problems.check(where, cap_time, value, zone=zone, field=f"<{name}>")
    return result


def _read_info(el: Element, n: int, zone: ZoneInfo | None, problems: _Problems) -> CapInfo:
    where = f"info {n}: "
    categories = tuple(text(c) for c in children(el, "category"))
    if not categories:
        problems.add(f"{where}<category> is missing")
    for category in categories:
        if category not in INFO_CATEGORIES:
            problems.add(
                f"{where}<category> {category[:40]!r} is not one of {', '.join(INFO_CATEGORIES)}"
            )
    event = text(el, "event")
    if not event:
        problems.add(f"{where}<event> is missing or empty")
    return CapInfo(
        language=text(el, "language") or "en-US",  # the CAP default
        categories=categories,
        event=event,
        urgency=_enum(el, "urgency", URGENCIES, problems, where),
        severity=_enum(el, "severity", SEVERITIES, problems, where),
        certainty=_enum(el, "certainty", CERTAINTIES, problems, where),
        headline=text(el, "headline"),
        description=text(el, "description"),
        instruction=text(el, "instruction"),
        web=text(el, "web"),
        effective=_read_time(el, "effective", zone, problems, where),
        onset=_read_time(el, "onset", zone, problems, where),
        expires=_read_time(el, "expires", zone, problems, where),
        areas=tuple(
            _read_area(a, problems, f"{where}area {i}: ")
            for i, a in enumerate(children(el, "area"), 1)
        ),
    )


def read_alert(root: Element, *, zone: ZoneInfo | None = None) -> CapAlert:
    """Check and read one CAP `alert` element; FeedRejected names every problem found.

    Required: identifier, sender, sent, status, msgType, scope (CAP 1.2 §3.2.1), each info's
    category, event, urgency, severity and certainty with their enumerated values, well-formed
    times, references and shapes. An Alert or Update needs at least one info block (without one
    there is nothing to show); a Cancel may omit it.
    """
    if local(root.tag) != "alert":
        raise FeedRejected(f"root element <{local(root.tag)}> is not a CAP <alert>")
    if not is_cap(root):
        raise FeedRejected(
            f"<alert> is in namespace {namespace(root.tag)!r}, not CAP ({CAP_NAMESPACE}1.1 or 1.2)"
        )
    problems = _Problems()
    identifier = text(root, "identifier")
    sender = text(root, "sender")
    sent_text = text(root, "sent")
    for name, value in (("identifier", identifier), ("sender", sender), ("sent", sent_text)):
        if not value:
            problems.add(f"<{name}> is missing or empty")
    sent = problems.check("", cap_time, sent_text, zone=zone, field="<sent>") if sent_text else None
    status = _enum(root, "status", STATUSES, problems, "")
    msg_type = _enum(root, "msgType", MSG_TYPES, problems, "")
    scope = _enum(root, "scope", SCOPES, problems, "")
    references: list[Reference] = []
    refs_el = child(root, "references")
    if refs_el is not None:
        if not text(refs_el):
            problems.add(
                "<references> is present but empty (it must list 'sender,identifier,sent' triples)"
            )
        else:
            references = problems.check("", parse_references, text(refs_el), zone=zone) or []
    infos = tuple(
        _read_info(el, n, zone, problems) for n, el in enumerate(children(root, "info"), 1)
    )
    if not infos and msg_type in ("Alert", "Update"):
        problems.add(
            f"msgType {msg_type} without any <info> block: nothing to show (no event, "
            "severity or area); only a Cancel may omit <info>"
        )
    if problems.items or sent is None:
        who = f"{sender},{identifier}" if sender and identifier else identifier or "(no identifier)"
        shown = problems.items[:MAX_PROBLEMS]
        more = len(problems.items) - len(shown)
        raise FeedRejected(
            f"invalid CAP alert {who[:120]}: "
            + "; ".join(shown)
            + (f"; and {more} more" if more > 0 else "")
        )
    return CapAlert(
        identifier=identifier,
        sender=sender,
        sent=sent,
        status=status,
        msg_type=msg_type,
        scope=scope,
        note=text(root, "note"),
        references=tuple(references),
        infos=infos,
    )
