"""Reading CAP 1.1/1.2 `alert` elements into checked dataclasses; one rejection names every problem.

Pure: XML elements in, dataclasses out. Elements are matched on local names (`feeds.kit.xml`), so
the 1.1 and 1.2 namespaces, a `cap:` prefix and no namespace at all read the same; a root in some
other namespace is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from feeds.cap.shapes import circle_shape, polygon_shape
from feeds.kit import FeedRejected, parse_time
from feeds.kit.cap import (
    INFO_CATEGORIES,
    SEVERITIES,
    Reference,
    cap_text,
    chain_key,
    read_references,
)
from feeds.kit.xml import child, children, local, namespace, text

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:"  # + "1.1", "1.2" (and the old "1.0")

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
MAX_PROBLEMS = 6  # problems listed in one rejection message


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
    warnings: tuple[str, ...] = ()  # secondary fields dropped because they cannot be read

    @property
    def label(self) -> str:
        """`sender,identifier`, how skipped-item reasons name the message."""
        return f"{self.sender},{self.identifier}"

    @property
    def key(self) -> str:
        """The chain's external id (see chain_key)."""
        return chain_key(self.msg_type, self.sender, self.identifier, list(self.references))


class _Problems:
    """Collects what is wrong with a document so one rejection names all of it, and the
    secondary fields that were dropped (warnings: the alert is kept without them)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.warnings: list[str] = []

    def add(self, message: str) -> None:
        """Note one problem."""
        self.items.append(message)

    def warn(self, message: str) -> None:
        """Note one secondary field that was dropped."""
        self.warnings.append(message)

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


def _graded(el: Element, name: str, allowed: Iterable[str], problems: _Problems, where: str) -> str:
    """An info block's urgency, severity or certainty: one of CAP's words (any case), else
    `Unknown` (which CAP has for each) with a warning: a misspelt word costs the grade, not the
    alert."""
    value = text(el, name)
    by_case = {word.lower(): word for word in allowed}
    if value.lower() in by_case:
        return by_case[value.lower()]
    said = f"{value[:40]!r} is not one of {', '.join(by_case.values())}" if value else "is missing"
    problems.warn(f"{where}<{name}> {said}; read as Unknown")
    return "Unknown"


def _read_area(el: Element, problems: _Problems, where: str) -> CapArea:
    shapes: list[dict[str, Any]] = []
    for name, read in (("polygon", polygon_shape), ("circle", circle_shape)):
        for found in children(el, name):
            shape = problems.check("", read, found.text or "", where=f"{where}<{name}>")
            if shape is not None:
                shapes.append(shape)
    geocodes = tuple((text(g, "valueName"), text(g, "value")) for g in children(el, "geocode"))
    return CapArea(desc=text(el, "areaDesc"), shapes=tuple(shapes), geocodes=geocodes)


def _read_time(
    el: Element,
    name: str,
    zone: ZoneInfo | None,
    problems: _Problems,
    where: str,
    *,
    secondary: bool = False,
) -> datetime | None:
    """A time field; an unreadable one refuses the alert, or (`secondary`) is dropped with a
    warning."""
    value = text(el, name)
    if not value:
        return None
    try:
        return parse_time(value, zone=zone, field=f"<{name}>")
    except FeedRejected as exc:
        if secondary:
            problems.warn(f"{where}{exc.message}; ignored")
        else:
            problems.add(where + exc.message)
        return None


def _read_info(el: Element, n: int, zone: ZoneInfo | None, problems: _Problems) -> CapInfo:
    where = f"info {n}: "
    categories = tuple(c for c in (text(c) for c in children(el, "category")) if c)
    for category in categories:
        if category not in INFO_CATEGORIES:
            problems.warn(
                f"{where}<category> {category[:40]!r} is not one of {', '.join(INFO_CATEGORIES)};"
                " ignored"
            )
    if not categories:
        problems.warn(f"{where}<category> is missing: the event and headline words decide it")
    event = text(el, "event")
    if not event and not text(el, "headline"):
        problems.add(f"{where}neither <event> nor <headline>: nothing to call the alert")
    return CapInfo(
        language=text(el, "language") or "en-US",  # the CAP default
        categories=categories,
        event=event,
        urgency=_graded(el, "urgency", URGENCIES, problems, where),
        severity=_graded(el, "severity", SEVERITIES, problems, where),
        certainty=_graded(el, "certainty", CERTAINTIES, problems, where),
        headline=text(el, "headline"),
        description=text(el, "description"),
        instruction=text(el, "instruction"),
        web=text(el, "web"),
        effective=_read_time(el, "effective", zone, problems, where, secondary=True),
        onset=_read_time(el, "onset", zone, problems, where, secondary=True),
        expires=_read_time(el, "expires", zone, problems, where),
        areas=tuple(
            _read_area(a, problems, f"{where}area {i}: ")
            for i, a in enumerate(children(el, "area"), 1)
        ),
    )


def read_alert(root: Element, *, zone: ZoneInfo | None = None) -> CapAlert:
    """Check and read one CAP `alert` element; FeedRejected names every problem found.

    Required: identifier, sender, sent, status, msgType, scope (CAP 1.2 §3.2.1), an event or a
    headline in each info, well-formed `sent` and `expires` times, and shapes. An Alert or Update
    needs at least one info block (without one there is nothing to show); a Cancel may omit it.
    Secondary fields that cannot be read are dropped with a warning (`CapAlert.warnings`):
    `references` (an Update whose references cannot be read starts its own chain instead of
    being lost), `effective`, `onset`, a category word CAP does not have, and an urgency,
    severity or certainty outside CAP's words (read as CAP's own `Unknown`).
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
    sent = (
        problems.check("", parse_time, sent_text, zone=zone, field="<sent>") if sent_text else None
    )
    status = _enum(root, "status", STATUSES, problems, "")
    msg_type = _enum(root, "msgType", MSG_TYPES, problems, "")
    scope = _enum(root, "scope", SCOPES, problems, "")
    references: list[Reference] = []
    refs_el = child(root, "references")
    if refs_el is not None:
        references, dropped = read_references(text(refs_el), zone=zone)
        for warning in dropped:
            problems.warn(warning)
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
        warnings=tuple(problems.warnings),
    )
