"""The briefing as data: what `--format json` prints and what the md and html renderers draw.

Times are UTC ISO text with `Z` (the renderers show them in the city's zone); durations are
seconds. Lists are bounded (`more` says how many were left out) so a bad night's briefing stays
printable.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

FORMAT = "cityboard-briefing"
FORMAT_VERSION = 1


class EventCounts(BaseModel):
    """Events that first arrived in the period, by kind, severity and district (latest version)."""

    new: int = 0
    by_kind: dict[str, int] = Field(default_factory=dict)
    by_severity: dict[str, int] = Field(default_factory=dict)
    by_kind_severity: dict[str, dict[str, int]] = Field(default_factory=dict)
    by_district: dict[str, int] = Field(default_factory=dict)  # "" = outside every district


class OpenItem(BaseModel):
    """An event still active and not resolved at the period's end, and who holds it."""

    event_id: str
    title: str
    titles: dict[str, str] = Field(default_factory=dict)  # the source's translations, by language
    kind: str
    category: str
    severity: str
    district: str | None = None
    state: str
    assigned_to: str | None = None
    acked_by: str | None = None
    arrived_at: str


class OpenEvents(BaseModel):
    """What is still open at the period's end (also events that arrived before it)."""

    count: int = 0
    unassigned: int = 0
    unacknowledged: int = 0
    items: list[OpenItem] = Field(default_factory=list)
    more: int = 0


class CallItem(BaseModel):
    """One call started in the period and how it ended (outcome None: still under way)."""

    call_id: str
    event_id: str
    title: str
    started_at: str
    actor: str
    officer: str
    officer_en: str
    dialer: str
    outcome: str | None = None
    duration_s: float | None = None
    reason_code: str | None = None


class Calls(BaseModel):
    """Calls started in the period."""

    count: int = 0
    by_outcome: dict[str, int] = Field(default_factory=dict)  # "" = not ended by the period's end
    items: list[CallItem] = Field(default_factory=list)
    more: int = 0


class EscalationItem(BaseModel):
    """One escalation entry on an event's or situation's record."""

    at: str
    id: str
    title: str
    action: str  # escalation_scheduled | escalation_step | escalation_result | escalation_stopped
    step: int | None = None
    to: str | None = None
    target: str | None = None
    via: str | None = None
    outcome: str | None = None
    reason: str | None = None


class Escalations(BaseModel):
    """Escalation chains' steps, results and stops in the period."""

    scheduled: int = 0
    steps: int = 0
    by_outcome: dict[str, int] = Field(default_factory=dict)
    stopped: dict[str, int] = Field(default_factory=dict)
    items: list[EscalationItem] = Field(default_factory=list)
    more: int = 0


class Acknowledgement(BaseModel):
    """Time from an event's arrival on the log to its first acknowledgement (ack, assign or
    resolve), over events acknowledged in the period; p90 is the nearest-rank percentile."""

    count: int = 0
    median_s: float | None = None
    p90_s: float | None = None
    max_s: float | None = None
    new_unacknowledged: int = 0  # events new in the period nobody acknowledged by its end


class Outage(BaseModel):
    """A feed down (from its `feed_failed` notice to its `feed_recovered` one) during the period."""

    feed: str
    started_at: str
    ended_at: str | None = None  # None: still down at the period's end
    down_s: float  # the part of the outage inside the period
    message: str


class Outages(BaseModel):
    """Feed outages that overlap the period."""

    count: int = 0
    items: list[Outage] = Field(default_factory=list)
    more: int = 0


class Situations(BaseModel):
    """Situations open at the period's end or changed in it (wire objects, docs/situations.md)."""

    available: bool = False  # False: this log was briefed without the situations engine
    open: int = 0
    items: list[dict[str, Any]] = Field(default_factory=list)
    clusters: int = 0
    more: int = 0


class MapData(BaseModel):
    """What the briefing's map draws: events as dots [lon, lat, severity], situations' areas."""

    dots: list[tuple[float, float, str]] = Field(default_factory=list)
    areas: list[tuple[str, dict[str, Any]]] = Field(default_factory=list)  # (severity, geometry)
    more: int = 0


class Briefing(BaseModel):
    """A shift's briefing: everything the next shift needs from one period of the log."""

    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    city: str
    city_names: dict[str, str] = Field(default_factory=dict)  # the city's name by language
    timezone: str
    source: str  # "log" or the recording's file name
    since: str
    until: str
    entries: int = 0  # log entries committed in the period
    empty: bool = True  # nothing happened in the period and nothing is open: it says so
    events: EventCounts = Field(default_factory=EventCounts)
    open: OpenEvents = Field(default_factory=OpenEvents)
    acknowledgement: Acknowledgement = Field(default_factory=Acknowledgement)
    calls: Calls = Field(default_factory=Calls)
    escalations: Escalations = Field(default_factory=Escalations)
    outages: Outages = Field(default_factory=Outages)
    situations: Situations = Field(default_factory=Situations)
    map: MapData = Field(default_factory=MapData)
