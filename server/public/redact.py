"""The redaction projection: one live entry's body in, the body citizens may see (or None) out.

Pure functions, no I/O and no clock, so every rule is testable on its own and the publisher,
the tests and anyone auditing the privacy rules read the same code. It fails closed: actions,
unknown entry types, hidden kinds, categories and sources give None, and a body that does not
validate raises `Unreadable` (the publisher counts it and drops it).

Texts of the scrubbed kinds lose (each replaced by MARKER): e-mail addresses, Korean resident
registration numbers, phone numbers (Korean mobile and landline, +82, other international and
North American forms), vehicle plates (Korean and common Latin forms, and whatever follows the
word "plate" / 번호판), exact addresses (Korean road and lot addresses, building units, English
street numbers) and, in every kind, the strings a source marks as personal: `extra.persons`
(people's names) and `extra.pii` (anything else), both lists of the strings as they appear.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from server.public.settings import PublicSettings
from server.stream.events import Event, Notice

MARKER = "[…]"
PUBLIC_SOURCE = "public"  # sources never leave the server: every public event is "public:<id>"
PUBLIC_ID_CHARS = 20  # hex digits of the keyed hash that stands for a live event id
MARK_KEYS = ("persons", "pii")  # where a source marks personal strings (lists of strings)
MAX_MARKS = 50  # marked strings honoured per event (extra is 8 KiB at most anyway)
METERS_PER_DEGREE = 111_320.0  # of latitude; of longitude times cos(latitude)
TEXT_FIELDS = ("title", "description", "area_desc")  # scrubbed, in an event and its translations
# copied as they are (ids, texts, positions and extra are rebuilt; anything else is left out)
KEPT_FIELDS = (
    "version",
    "kind",
    "category",
    "severity",
    "status",
    "district",
    "sent_at",
    "updated_at",
    "expires_at",
    "received_at",
    "time_basis",
    "url",
)

# Feed-health notices citizens may see, with the server's own words instead of the operator's.
PUBLIC_NOTICES = {
    "feed_failed": "데이터 피드 중단: 일부 정보가 늦을 수 있습니다 / A data feed is down; "
    "some information may be late",
    "feed_recovered": "데이터 피드 복구 / A data feed is back",
}

_NO_DIGIT_BEFORE, _NO_DIGIT_AFTER = r"(?<!\d)", r"(?!\d)"
_NO_ALNUM_BEFORE, _NO_ALNUM_AFTER = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"
_SEP = r"[\s.\-]?"
_REGIONS = "서울|부산|대구|인천|광주|대전|울산|세종|경기|강원|충북|충남|전북|전남|경북|경남|제주"
# a number right after a road name that counts something, not a building: "도로 2차선"
_NOT_A_COUNT = r"(?!\s?(?:차선|차로|개|명|대|시|분|초|번째|km|m\b))"
_STREET_WORDS = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|"
    "Terrace|Parkway|Pkwy|Highway|Hwy"
)

PII_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        # e-mail addresses
        r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+",
        # Korean resident registration numbers, YYMMDD-NNNNNNN (with or without the hyphen)
        rf"{_NO_DIGIT_BEFORE}\d{{6}}\s?[-\u2013]?\s?\d{{7}}{_NO_DIGIT_AFTER}",
        # Korean phones: mobile 010-…, Seoul 02-…, regional 031-…, 070/050x, with or without +82
        rf"\(?{_NO_DIGIT_BEFORE}(?:\+82[\s.\-]?\(?0?\)?[\s.\-]?|0)"
        rf"(?:1[016789]|2|[3-6][1-5]|70|50[2-8]?)\)?{_SEP}\d{{3,4}}{_SEP}\d{{4}}{_NO_DIGIT_AFTER}",
        # Korean nationwide business numbers: 1588-1234
        rf"{_NO_DIGIT_BEFORE}1[5-9]\d{{2}}[\s.\-]\d{{4}}{_NO_DIGIT_AFTER}",
        # other international numbers: +44 20 7946 0958, +1 (212) 555-0142
        r"\+\d[\d\s().\-]{6,}\d",
        # North American numbers: (212) 555-0142, 212-555-0142
        rf"(?:\(\d{{3}}\)\s?|{_NO_DIGIT_BEFORE}\d{{3}}[.\-\s])\d{{3}}[.\-]\d{{4}}{_NO_DIGIT_AFTER}",
        # any other long run of digits (ten or more, joined by - or .): account, card, phone
        rf"{_NO_DIGIT_BEFORE}\d(?:[.\-]?\d){{9,}}{_NO_DIGIT_AFTER}",
        # Korean road addresses: 세종대로 110, 테헤란로 152, 동일로123길 45, 연남로3길 12-1
        rf"[가-힣0-9]*[가-힣](?:대로|로|길)\s?\d+(?:-\d+)?{_NOT_A_COUNT}"
        r"(?:\s?(?:번길|길)\s?\d+(?:-\d+)?)?",
        # Korean lot addresses: 망원동 12번지, 역삼동 123-45, 종로1가 12-3, 산 12-3번지
        rf"(?:[가-힣]+(?:동|리|가)\d?\s?)?(?:산\s?)?{_NO_DIGIT_BEFORE}\d{{1,5}}(?:-\d{{1,5}})?\s?번지",
        rf"[가-힣]+(?:동|리|가)\d?\s?\d{{1,5}}-\d{{1,5}}{_NO_DIGIT_AFTER}",
        # building units: 101동 1203호, 1203호 (not line 3, 3호선)
        rf"{_NO_DIGIT_BEFORE}\d{{1,4}}\s?동\s?\d{{1,4}}\s?호",
        rf"{_NO_DIGIT_BEFORE}\d{{2,4}}\s?호(?!선)",
        # Korean plates: 12가3456, 123가 4567, 서울12가3456
        rf"(?:(?:{_REGIONS})\s?)?{_NO_DIGIT_BEFORE}\d{{2,3}}\s?[가-힣]\s?\d{{4}}{_NO_DIGIT_AFTER}",
        # Latin plates: AB12 CDE (UK), 7ABC123 (US), ABC-1234, B-MW 1234 (DE)
        rf"{_NO_ALNUM_BEFORE}(?:[A-Z]{{2}}\d{{2}}\s?[A-Z]{{3}}|\d[A-Z]{{3}}\d{{3}}"
        rf"|[A-Z]{{3}}[\s\-]?\d{{3,4}}|[A-Z]{{1,3}}-[A-Z]{{1,2}}\s?\d{{1,4}}){_NO_ALNUM_AFTER}",
        # English street addresses: 12 Main Street, 350 Fifth Ave., 152 Teheran-ro, Mangwon-dong 4
        rf"{_NO_ALNUM_BEFORE}\d{{1,5}}[A-Za-z]?\s+(?:[A-Z][A-Za-z.'\-]*\s+){{1,3}}(?:{_STREET_WORDS})"
        r"\b\.?",
        r"(?<![A-Za-z0-9])\d{1,5}\s+[A-Z][a-z]+-(?:ro|daero|gil)\b",
        r"\b[A-Z][a-z]+-(?:ro|daero|gil)\s?\d+(?:-gil\s?\d+)?(?:-\d+)?",
        r"\b[A-Z][a-z]+-(?:dong|ri|ga)\s?\d+(?:-\d+)?",
        # flats and suites: Apt 4B, Unit 12, Suite 300
        r"\b(?:Apt|Apartment|Unit|Suite|Flat)\.?\s*#?[A-Za-z0-9\-]+",
    )
)
# a value after a word that announces a plate, whatever its form: "plate: XYZ 987", "번호판 …"
PLATE_LABEL = re.compile(
    r"((?i:licen[cs]e\s+plate|plate(?:\s+(?:no\.?|number))?)|번호판|차량\s?번호)"
    r"(\s*[:#]?\s*)([^\s,;]+(?:\s\d{2,4}(?![^\s,;]))?)"
)


class Unreadable(ValueError):
    """A live body that does not validate: dropped (fail closed), counted by the publisher."""


def redact(type_: str, body: dict[str, Any], rules: PublicSettings, *, salt: str) -> Any:
    """The public form of one live entry's body (an Event or a Notice), or None when nothing
    of it may be published. `salt` keys the hash that hides event ids (the live epoch)."""
    if type_ == "event":
        return redact_event(body, rules, salt=salt)
    if type_ == "notice":
        return redact_notice(body)
    return None  # actions: who acted, noted, was assigned or called is never public


def redact_notice(body: dict[str, Any]) -> Notice | None:
    """A feed-health notice in the server's own words (no feed name, no error text); others
    are operator business."""
    try:
        notice = Notice.model_validate(body)
    except ValidationError as exc:
        raise Unreadable(f"notice does not validate: {exc.error_count()} problem(s)") from None
    message = PUBLIC_NOTICES.get(notice.code)
    if message is None:
        return None
    return Notice(level=notice.level, code=notice.code, message=message, at=notice.at)


def redact_event(body: dict[str, Any], rules: PublicSettings, *, salt: str) -> Event | None:
    """An event as citizens may see it, or None for a hidden kind, category or source. The
    public fields are built from the live body as it is and validated once, as the result:
    what does not validate, or is not shaped like an event, is Unreadable."""
    if (
        body.get("kind") in rules.hidden_kinds
        or body.get("category") in rules.hidden_categories
        or body.get("source") in rules.hidden_sources
    ):
        return None
    try:
        return Event.model_validate(public_fields(body, rules, salt=salt))
    except ValidationError as exc:
        raise Unreadable(f"event does not validate: {exc.error_count()} problem(s)") from None
    except (LookupError, TypeError, AttributeError) as exc:  # its name: values may be personal
        raise Unreadable(f"event does not validate: {type(exc).__name__}") from None


def public_fields(body: dict[str, Any], rules: PublicSettings, *, salt: str) -> dict[str, Any]:
    """The fields of the public event, from a live event's body (a field left out of the body
    is left out here too, and takes the model's default)."""
    kind = body["kind"]
    personal = kind in rules.scrub_kinds or kind in rules.coarse_kinds
    scrub = kind in rules.scrub_kinds and body["source"] not in rules.trusted_sources
    extra: dict[str, Any] = body.get("extra", {})
    marks = marked_strings(extra)

    def clean(texts: dict[str, Any]) -> dict[str, str]:
        return {k: scrub_text(texts[k], marks, patterns=scrub) for k in TEXT_FIELDS if k in texts}

    fields = {k: body[k] for k in KEPT_FIELDS if k in body}
    fields.update(clean(body))
    fields["event_id"] = public_id(body["event_id"], salt)
    fields["source"] = PUBLIC_SOURCE
    fields["translations"] = {
        lang: clean(texts) for lang, texts in body.get("translations", {}).items()
    }
    fields["refs"] = [public_id(r, salt) for r in body.get("refs", [])]
    fields["extra"] = {k: v for k, v in extra.items() if k in rules.extra_keys}
    if personal and kind not in rules.url_kinds:
        fields.pop("url", None)
    if kind in rules.coarse_kinds:
        point = body.get("point")
        if rules.coarse_position == "grid" and point is not None:
            lon, lat = snap(point[0], point[1], rules.grid_meters)
            fields["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
    else:
        fields.update({k: body[k] for k in ("geometry", "point") if k in body})
    return fields


def public_id(event_id: str, salt: str) -> str:
    """`public:<keyed hash>`: stable for every version of an event, and no complaint number
    or source name shows through (a plain hash of a short number could be reversed)."""
    digest = hmac.new(salt.encode(), event_id.encode(), hashlib.sha256).hexdigest()
    return f"{PUBLIC_SOURCE}:{digest[:PUBLIC_ID_CHARS]}"


def marked_strings(extra: dict[str, Any]) -> list[str]:
    """The strings a source marked as personal (`extra.persons`, `extra.pii`), longest first
    so a full name goes before a part of it."""
    found: list[str] = []
    for key in MARK_KEYS:
        value = extra.get(key)
        if isinstance(value, list):
            found.extend(v.strip() for v in value if isinstance(v, str) and v.strip())
    return sorted(set(found[:MAX_MARKS]), key=len, reverse=True)


def scrub_text(text: str, marks: Sequence[str] = (), *, patterns: bool = True) -> str:
    """`text` without the marked strings and, with `patterns`, without anything PII_PATTERNS
    and PLATE_LABEL find; each removal leaves MARKER."""
    for mark in marks:
        text = re.sub(re.escape(mark), MARKER, text, flags=re.IGNORECASE)
    if patterns:
        text = PLATE_LABEL.sub(lambda m: f"{m.group(1)}{m.group(2)}{MARKER}", text)
        for pattern in PII_PATTERNS:
            text = pattern.sub(MARKER, text)
    return text


def snap(lon: float, lat: float, meters: float) -> tuple[float, float]:
    """The centre of the grid cell (`meters` on a side) that holds the point: every point in
    the cell gives the same answer, so the exact place cannot be read back."""
    step_lat = meters / METERS_PER_DEGREE
    cell_lat = max(-90.0, min(90.0, (math.floor(lat / step_lat) + 0.5) * step_lat))
    step_lon = meters / (METERS_PER_DEGREE * max(math.cos(math.radians(cell_lat)), 1e-6))
    cell_lon = max(-180.0, min(180.0, (math.floor(lon / step_lon) + 0.5) * step_lon))
    return round(cell_lon, 6), round(cell_lat, 6)
