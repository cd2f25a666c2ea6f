"""The CAP vocabulary every CAP reader shares: categories, severities, statuses, text, chains.

CAP messages reach cityboard as XML (the `cap` adapter) and as JSON properties (the `nws` adapter);
both map them with these functions, so one alert reads the same whichever way it came. A chain of
messages (an Alert, its Updates, its Cancel) is one event, keyed by its first message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from feeds.kit.text import plain_text
from feeds.kit.times import parse_time
from server.errors import FeedRejected
from server.stream.events import MAX_REFS

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
SEVERITIES = {
    "Extreme": "extreme",
    "Severe": "severe",
    "Moderate": "moderate",
    "Minor": "minor",
    "Unknown": "info",
}
CHAINED = ("Update", "Cancel")  # message types whose `references` name the chain they belong to

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


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
            Reference(
                parts[0], parts[1], parse_time(parts[2], zone=zone, field="<references> sent")
            )
        )
    return found


def read_references(
    value: str, *, zone: ZoneInfo | None = None
) -> tuple[list[Reference], list[str]]:
    """`references` read leniently: the triples that can be read, and a warning for each one that
    cannot (or for an empty element), so an unreadable reference costs only itself."""
    if not value.strip():
        return [], ["<references> is empty; ignored"]
    found: list[Reference] = []
    problems: list[str] = []
    for triple in value.split():
        try:
            found += parse_references(triple, zone=zone)
        except FeedRejected as exc:
            problems.append(f"{exc.message}; ignored")
    return found, problems


def reference_ids(source: str, references: Iterable[Reference]) -> list[str]:
    """The event ids a message's references name (`refs`): each once, in order, at most MAX_REFS."""
    return list(dict.fromkeys(f"{source}:{r.key}" for r in references))[:MAX_REFS]


def chain_key(msg_type: str, sender: str, identifier: str, references: list[Reference]) -> str:
    """The external id of a message's chain: `sender,identifier` of the chain's first message.

    An Update or Cancel belongs to the earliest-sent message it references; anything else (or an
    Update that references nothing) starts its own chain.
    """
    if msg_type in CHAINED and references:
        return min(references, key=lambda r: r.sent).key
    return f"{sender},{identifier}"
