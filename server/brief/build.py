"""Folds log entries (live log, log file or recording, in seq order) into a `Briefing`.

Pure and deterministic: no clock, no I/O. Every entry up to the period's end is folded, so what is
open at the end includes events that arrived before the period, and outages that began before it
are seen; the period's figures count only entries whose commit time `at` lies inside it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any, Protocol

from pydantic import ValidationError

from server.brief.model import (
    Acknowledgement,
    Briefing,
    CallItem,
    Calls,
    EscalationItem,
    Escalations,
    EventCounts,
    MapData,
    OpenEvents,
    OpenItem,
    Outage,
    Outages,
    Situations,
)
from server.brief.period import Period
from server.errors import BriefError
from server.stream import workflow
from server.stream.events import REFERENCE_KINDS, SEVERITY_RANK, Action, Severity, iso_utc

MAX_LISTED = 200  # rows per list (open events, calls, escalations, outages, situations)
MAX_MAP_DOTS = 2_000  # events drawn on the map, severest first
ESCALATION_PREFIX = "escalation_"
RANK = {s.value: r for s, r in SEVERITY_RANK.items()}


class SituationFold(Protocol):
    """What the briefing needs of the situations engine (`server.situations.SituationBook`)."""

    def apply(self, seq: int, type_: str, body: dict[str, Any]) -> set[str]: ...

    def situations(self) -> list[dict[str, Any]]: ...

    def clusters(self) -> list[dict[str, Any]]: ...


@dataclass
class _Event:
    """What the briefing keeps of one event: its arrival and its latest version's few fields."""

    arrived: datetime
    body: dict[str, Any]


@dataclass
class _Feed:
    """A feed's open outage: when its `feed_failed` notice came, and what it said."""

    since: datetime
    message: str


@dataclass
class BriefBuilder:
    """Feed it entries with `add`, then take the `briefing()`."""

    period: Period
    city: str
    timezone: str
    source: str
    book: SituationFold | None = None
    city_names: dict[str, str] = field(default_factory=dict)
    entries: int = 0
    _events: dict[str, _Event] = field(default_factory=dict)
    _workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    _new: list[str] = field(default_factory=list)
    _calls: dict[str, CallItem] = field(default_factory=dict)
    _escalations: Escalations = field(default_factory=Escalations)
    _down: dict[str, _Feed] = field(default_factory=dict)
    _outages: list[Outage] = field(default_factory=list)

    def add(self, entry: dict[str, Any]) -> None:
        """Fold one log entry `{seq, at, type, body}`; entries after the period are ignored.
        An entry that is not one (a hand-edited recording) raises BriefError naming its seq."""
        try:
            at = datetime.fromisoformat(str(entry["at"]))
            if at.tzinfo is None:
                raise ValueError(f"its time {entry['at']!r} has no zone")
            if at >= self.period.end:
                return
            inside = at >= self.period.start
            type_, body = entry["type"], entry["body"]
            if type_ == "event" and body.get("kind") in REFERENCE_KINDS:
                return  # cameras are reference data: no incident to brief on
            if self.book is not None:
                self.book.apply(int(entry["seq"]), type_, body)
            if type_ == "event":
                self._event(body, at, inside)
            elif type_ == "action":
                self._action(body, at, inside)
            elif type_ == "notice":
                self._notice(body, at)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise BriefError(
                f"entry {entry.get('seq', '?')} is not a log entry this briefing can read: {exc}"
            ) from None
        self.entries += inside

    def _event(self, body: dict[str, Any], at: datetime, inside: bool) -> None:
        event_id = body["event_id"]
        known = self._events.get(event_id)
        if known is None:
            self._events[event_id] = _Event(at, _kept(body))
            if inside:
                self._new.append(event_id)
        else:
            known.body = _kept(body)
        feed = self._down.get(body.get("source", ""))
        if feed is not None:  # the feed delivers again: over, even without a `feed_recovered`
            self._recovered(body["source"], at)

    def _action(self, body: dict[str, Any], at: datetime, inside: bool) -> None:
        name, target = str(body.get("action", "")), str(body.get("event_id", ""))
        try:
            action = Action.model_validate(body)
        except ValidationError:  # an action this cityboard does not know moves no workflow
            action = None
        if action is not None:
            self._workflows[target] = workflow.apply(self._workflows.get(target), action)
        data = body.get("data") or {}
        if name == "call_started" and inside:
            call_id = str(data.get("call_id", ""))
            self._calls[call_id] = CallItem(
                call_id=call_id,
                event_id=target,
                title="",
                started_at=iso_utc(at),
                actor=str(body.get("actor", "")),
                officer=str(data.get("officer_name", data.get("officer_id", ""))),
                officer_en=str(data.get("officer_name_en", data.get("officer_id", ""))),
                dialer=str(data.get("dialer", "")),
            )
        elif name == "call_ended" and (call := self._calls.get(str(data.get("call_id")))):
            call.outcome = str(data.get("outcome", "failed"))
            call.duration_s = _number(data.get("duration_s"))
            call.reason_code = data.get("reason_code") or None
        elif name.startswith(ESCALATION_PREFIX) and inside:
            self._escalation(name, target, data, at)

    def _escalation(self, name: str, target: str, data: dict[str, Any], at: datetime) -> None:
        found = self._escalations
        if name == "escalation_scheduled":
            found.scheduled += 1
        elif name == "escalation_step":
            found.steps += 1
        elif name == "escalation_result":
            _bump(found.by_outcome, str(data.get("outcome", "")))
        elif name == "escalation_stopped":
            _bump(found.stopped, str(data.get("reason", "")))
        if len(found.items) >= MAX_LISTED:
            found.more += 1
            return
        step = data.get("step")
        found.items.append(
            EscalationItem(
                at=iso_utc(at),
                id=target,
                title="",
                action=name,
                step=step if isinstance(step, int) else None,
                to=_text(data.get("to")),
                target=_text(data.get("target")),
                via=_text(data.get("via")),
                outcome=_text(data.get("outcome")),
                reason=_text(data.get("reason") or data.get("detail")),
            )
        )

    def _notice(self, body: dict[str, Any], at: datetime) -> None:
        feed = body.get("source")
        if not feed:
            return
        if body.get("code") == "feed_failed" and feed not in self._down:
            self._down[feed] = _Feed(at, str(body.get("message", "")))
        elif body.get("code") == "feed_recovered":
            self._recovered(feed, at)

    def _recovered(self, feed: str, at: datetime) -> None:
        down = self._down.pop(feed, None)
        if down is not None and at > self.period.start:
            self._outage(feed, down, at)

    def _outage(self, feed: str, down: _Feed, ended: datetime | None) -> None:
        start = max(down.since, self.period.start)
        stop = min(ended or self.period.end, self.period.end)
        self._outages.append(
            Outage(
                feed=feed,
                started_at=iso_utc(down.since),
                ended_at=iso_utc(ended) if ended else None,
                down_s=round((stop - start).total_seconds(), 1),
                message=down.message,
            )
        )

    # ------------------------------------------------------------------------- the result

    def briefing(self) -> Briefing:
        """The briefing of everything added so far."""
        for feed, down in sorted(self._down.items()):
            self._outage(feed, down, None)
        self._down.clear()
        situations = self._situations()
        titles = {s["id"]: str(s.get("title", "")) for s in situations.items}
        opened = self._open()
        calls = sorted(self._calls.values(), key=lambda c: (c.started_at, c.call_id))
        for call in calls:
            call.title = self._title(call.event_id, titles)
        for item in self._escalations.items:
            item.title = self._title(item.id, titles)
        outages = sorted(self._outages, key=lambda o: (o.started_at, o.feed))
        return Briefing(
            city=self.city,
            city_names=self.city_names,
            timezone=self.timezone,
            source=self.source,
            since=iso_utc(self.period.start),
            until=iso_utc(self.period.end),
            entries=self.entries,
            empty=self.entries == 0 and opened.count == 0 and not outages,
            events=self._counts(),
            open=opened,
            acknowledgement=self._acknowledgement(),
            calls=Calls(
                count=len(calls),
                by_outcome=dict(Counter(c.outcome or "" for c in calls)),
                items=calls[:MAX_LISTED],
                more=max(0, len(calls) - MAX_LISTED),
            ),
            escalations=self._escalations,
            outages=Outages(
                count=len(outages),
                items=outages[:MAX_LISTED],
                more=max(0, len(outages) - MAX_LISTED),
            ),
            situations=situations,
            map=self._map(situations),
        )

    def _title(self, target: str, situation_titles: dict[str, str]) -> str:
        known = self._events.get(target)
        if known is not None:
            return str(known.body["title"])
        return situation_titles.get(target, target)

    def _counts(self) -> EventCounts:
        counts = EventCounts(new=len(self._new))
        for event_id in self._new:
            body = self._events[event_id].body
            kind, severity = body["kind"], body["severity"]
            _bump(counts.by_kind, kind)
            _bump(counts.by_severity, severity)
            _bump(counts.by_kind_severity.setdefault(kind, {}), severity)
            _bump(counts.by_district, body.get("district") or "")
        return counts

    def _is_open(self, event_id: str) -> bool:
        flow = self._workflows.get(event_id) or {}
        body = self._events[event_id].body
        return body["status"] == "active" and flow.get("state") != "resolved"

    def _open(self) -> OpenEvents:
        ids = [i for i in self._events if self._is_open(i)]
        ids.sort(key=lambda i: (-RANK[self._events[i].body["severity"]], self._events[i].arrived))
        items = []
        for event_id in ids[:MAX_LISTED]:
            known, flow = self._events[event_id], self._workflows.get(event_id) or {}
            body = known.body
            items.append(
                OpenItem(
                    event_id=event_id,
                    title=body["title"],
                    titles=body["titles"],
                    kind=body["kind"],
                    category=body["category"],
                    severity=body["severity"],
                    district=body.get("district"),
                    state=flow.get("state", "new"),
                    assigned_to=flow.get("assigned_to") or None,
                    acked_by=flow.get("acked_by"),
                    arrived_at=iso_utc(known.arrived),
                )
            )
        flows = [self._workflows.get(i) or {} for i in ids]
        return OpenEvents(
            count=len(ids),
            unassigned=sum(1 for f in flows if not f.get("assigned_to")),
            unacknowledged=sum(1 for f in flows if not f.get("acked_at")),
            items=items,
            more=max(0, len(ids) - MAX_LISTED),
        )

    def _acknowledgement(self) -> Acknowledgement:
        gaps = []
        for event_id, known in self._events.items():
            acked = (self._workflows.get(event_id) or {}).get("acked_at")
            if acked and self.period.holds(datetime.fromisoformat(acked)):
                gaps.append(
                    max(0.0, (datetime.fromisoformat(acked) - known.arrived).total_seconds())
                )
        unacked = sum(1 for i in self._new if not (self._workflows.get(i) or {}).get("acked_at"))
        if not gaps:
            return Acknowledgement(new_unacknowledged=unacked)
        gaps.sort()
        return Acknowledgement(
            count=len(gaps),
            median_s=round(median(gaps), 1),
            p90_s=round(nearest_rank(gaps, 0.9), 1),
            max_s=round(gaps[-1], 1),
            new_unacknowledged=unacked,
        )

    def _situations(self) -> Situations:
        if self.book is None:
            return Situations()
        start = iso_utc(self.period.start)
        chosen = [
            s
            for s in self.book.situations()
            if s.get("status") == "open" or str(s.get("last_change_at", "")) >= start
        ]
        chosen.sort(key=lambda s: (-RANK.get(s.get("severity", "info"), 0), s["id"]))
        return Situations(
            available=True,
            open=sum(1 for s in chosen if s.get("status") == "open"),
            items=chosen[:MAX_LISTED],
            clusters=len(self.book.clusters()),
            more=max(0, len(chosen) - MAX_LISTED),
        )

    def _map(self, situations: Situations) -> MapData:
        shown = {*self._new, *(i for i in self._events if self._is_open(i))}
        bodies = [self._events[i].body for i in sorted(shown)]
        placed = [b for b in bodies if b.get("point")]
        placed.sort(key=lambda b: -RANK[b["severity"]])
        areas = [
            (str(s.get("severity", Severity.INFO.value)), s["area"])
            for s in situations.items
            if isinstance(s.get("area"), dict)
        ]
        return MapData(
            dots=[(b["point"][0], b["point"][1], b["severity"]) for b in placed[:MAX_MAP_DOTS]],
            areas=areas,
            more=max(0, len(placed) - MAX_MAP_DOTS),
        )


def nearest_rank(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values: the smallest value with at least `share`
    of all values at or below it (no interpolation: a figure that really occurred)."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _kept(body: dict[str, Any]) -> dict[str, Any]:
    """The few fields of an event body the briefing shows (not its description or geometry)."""
    translations = body.get("translations") or {}
    severity = body.get("severity")
    return {
        "title": str(body.get("title", "")),
        "titles": {
            lang: str(t["title"]) for lang, t in translations.items() if isinstance(t, dict)
        },
        "kind": body.get("kind", "system"),
        "category": body.get("category", "system.other"),
        "severity": severity if severity in RANK else Severity.INFO.value,
        "status": body.get("status", "active"),
        "district": body.get("district"),
        "point": body.get("point"),
    }


def _bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:300]
