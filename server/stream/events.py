"""The one event vocabulary: adapters produce it, the log stores it, boards draw it.

Models are frozen and forbid unknown fields so a typo in an adapter fails at the adapter, not on the
wall. Every time is aware and kept in UTC; a naive time is rejected, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

# Limits on what one event may carry; each is a named bound so abuse fails clearly.
MAX_ID_CHARS = 200
MAX_TITLE_CHARS = 300
MAX_DESCRIPTION_CHARS = 10_000
MAX_AREA_DESC_CHARS = 1_000
MAX_URL_CHARS = 2_048
MAX_REFS = 50
MAX_TRANSLATIONS = 10
MAX_EXTRA_BYTES = 8_192
MAX_GEOMETRY_POSITIONS = 10_000
MAX_ACTION_DATA_BYTES = 8_192


class Kind(StrEnum):
    """What family an entry belongs to; the board groups and filters by it."""

    DISASTER = "disaster"
    TRAFFIC = "traffic"
    COMPLAINT = "complaint"
    CALL = "call"
    SYSTEM = "system"
    CAMERA = "camera"


#: kinds that are reference data, not incidents: logged like events (so every node, recording and
#: replay carries them) but kept off boards, KPIs, situations, escalation and briefings
REFERENCE_KINDS = frozenset({Kind.CAMERA.value})


class Severity(StrEnum):
    """CAP's severity ladder, which every adapter maps its source's scale onto."""

    EXTREME = "extreme"
    SEVERE = "severe"
    MODERATE = "moderate"
    MINOR = "minor"
    INFO = "info"


SEVERITY_RANK = {s: i for i, s in enumerate(reversed(list(Severity)))}


class Status(StrEnum):
    """Life state of an event at its source; only `active` events are on the live view."""

    ACTIVE = "active"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    RESOLVED = "resolved"


class TimeBasis(StrEnum):
    """Whose clock dated an event: the source's, or our fetch when the source's own time could
    not be read (the board says so, and the runner keeps such a time from flapping each poll)."""

    SOURCE = "source"
    FETCHED = "fetched"


# The documented category vocabulary: `<kind>.<subtype>`; adapters map anything else to `.other`.
CATEGORIES: dict[Kind, tuple[str, ...]] = {
    Kind.DISASTER: (
        "earthquake",
        "tsunami",
        "flood",
        "heavy_rain",
        "typhoon",
        "heat",
        "cold",
        "snow",
        "storm",
        "fire",
        "wildfire",
        "landslide",
        "air_quality",
        "chemical",
        "infectious_disease",
        "power_outage",
        "building_collapse",
        "explosion",
        "missing_person",
        "civil_defense",
        "other",
    ),
    Kind.TRAFFIC: (
        "accident",
        "closure",
        "roadwork",
        "congestion",
        "transit_disruption",
        "event",
        "weather",
        "hazard",
        "other",
    ),
    Kind.COMPLAINT: (
        "noise",
        "illegal_parking",
        "waste",
        "road_damage",
        "streetlight",
        "water",
        "illegal_dumping",
        "animal",
        "odor",
        "safety",
        "other",
    ),
    Kind.CALL: ("other",),
    Kind.SYSTEM: ("notice", "other"),
    Kind.CAMERA: ("cctv", "other"),
}


KNOWN_CATEGORIES = frozenset(
    f"{kind.value}.{sub}" for kind, subs in CATEGORIES.items() for sub in subs
)


KNOWN_KINDS = frozenset(kind.value for kind in Kind)


def check_kinds(names: Iterable[str]) -> None:
    """Refuse kinds outside the vocabulary: a setting that names a misspelt kind would silently
    switch its rule off ('complaints' scrubs nothing)."""
    unknown = sorted(set(names) - KNOWN_KINDS)
    if unknown:
        raise ValueError(
            f"unknown kinds {', '.join(unknown)}; kinds are {', '.join(sorted(KNOWN_KINDS))}"
        )


def check_categories(names: Iterable[str]) -> None:
    """Refuse names outside the vocabulary, so every setting that names categories refuses a
    typo the same way."""
    unknown = [name for name in names if name not in KNOWN_CATEGORIES]
    if unknown:
        raise ValueError(f"unknown categories {', '.join(unknown)} (see docs/adapters.md)")


SOURCE_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
Source = Annotated[str, StringConstraints(pattern=SOURCE_PATTERN)]
PlainText = Annotated[str, StringConstraints(strip_whitespace=True)]
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _no_control_characters(value: str) -> str:
    """Ids and names are matched, logged and shown: a NUL or another control character in one
    is a bug or an attack, never data."""
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("control characters (such as NUL) are not allowed here")
    return value


Identifier = Annotated[str, AfterValidator(_no_control_characters)]
WebUrl = Annotated[
    Identifier, StringConstraints(max_length=MAX_URL_CHARS, pattern=r"^https?://\S+$")
]


def _to_utc(value: datetime) -> datetime:
    """Keep every stored time in UTC so comparisons and the wire format never depend on zones."""
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


class Frozen(BaseModel):
    """Base for wire and storage models: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    def dump(self) -> bytes:
        """Serialise for the log and the wire; the one place a model becomes JSON (pydantic's own
        JSON encoder straight to bytes: no dict first, and no str made and encoded again)."""
        return self.__pydantic_serializer__.to_json(self, exclude_none=True)


# ---------------------------------------------------------------------------------- geometry

Position = tuple[float, float] | tuple[float, float, float]


def _check_position(pos: Position) -> Position:
    lon, lat = pos[0], pos[1]
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside -180..180 (GeoJSON order is [lon, lat])")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside -90..90 (GeoJSON order is [lon, lat])")
    return pos


def _check_ring(ring: list[Position]) -> list[Position]:
    if len(ring) < 4:
        raise ValueError("a linear ring needs at least 4 positions")
    if tuple(ring[0][:2]) != tuple(ring[-1][:2]):
        raise ValueError("a linear ring must end where it starts")
    return ring


LonLat = Annotated[Position, AfterValidator(_check_position)]
Line = Annotated[list[LonLat], Field(min_length=2)]
Ring = Annotated[list[LonLat], AfterValidator(_check_ring)]
Rings = Annotated[list[Ring], Field(min_length=1)]


class Point(Frozen):
    """A GeoJSON Point (RFC 7946), lon/lat."""

    type: Literal["Point"]
    coordinates: LonLat


class MultiPoint(Frozen):
    """A GeoJSON MultiPoint."""

    type: Literal["MultiPoint"]
    coordinates: Annotated[list[LonLat], Field(min_length=1)]


class LineString(Frozen):
    """A GeoJSON LineString, e.g. a closed stretch of road."""

    type: Literal["LineString"]
    coordinates: Line


class MultiLineString(Frozen):
    """A GeoJSON MultiLineString."""

    type: Literal["MultiLineString"]
    coordinates: Annotated[list[Line], Field(min_length=1)]


class Polygon(Frozen):
    """A GeoJSON Polygon (outer ring, then holes), e.g. an alert area."""

    type: Literal["Polygon"]
    coordinates: Rings


class MultiPolygon(Frozen):
    """A GeoJSON MultiPolygon."""

    type: Literal["MultiPolygon"]
    coordinates: Annotated[list[Rings], Field(min_length=1)]


Geometry = Annotated[
    Point | MultiPoint | LineString | MultiLineString | Polygon | MultiPolygon,
    Field(discriminator="type"),
]


# how deeply each geometry type nests its positions (a Point's coordinates are one position)
GEOMETRY_DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def _positions(geometry: Any) -> list[Position]:
    """Flatten any geometry's coordinates into its positions, for counting and centring."""
    coords = geometry.coordinates
    items: list[Any] = [coords]
    for _ in range(GEOMETRY_DEPTH[geometry.type]):
        items = [inner for outer in items for inner in outer]
    return items


def representative_point(geometry: Any) -> tuple[float, float]:
    """A point that stands for the geometry in lists and distance sorting.

    Lines use their middle vertex so the point lies on the road; areas use the mean of the
    outer ring's vertices (close to the centroid for the compact areas alerts use).
    """
    if geometry.type == "Point":
        return (geometry.coordinates[0], geometry.coordinates[1])
    if geometry.type == "LineString":
        mid = geometry.coordinates[len(geometry.coordinates) // 2]
        return (mid[0], mid[1])
    if geometry.type == "Polygon":
        ring = geometry.coordinates[0][:-1]
    elif geometry.type == "MultiPolygon":
        ring = geometry.coordinates[0][0][:-1]
    else:
        ring = _positions(geometry)
    lon = sum(p[0] for p in ring) / len(ring)
    lat = sum(p[1] for p in ring) / len(ring)
    return (round(lon, 6), round(lat, 6))


# ------------------------------------------------------------------------------------ events


class Translation(Frozen):
    """A source-provided translation of the event's text."""

    title: Annotated[PlainText, StringConstraints(min_length=1, max_length=MAX_TITLE_CHARS)]
    description: Annotated[PlainText, StringConstraints(max_length=MAX_DESCRIPTION_CHARS)] = ""
    area_desc: Annotated[PlainText, StringConstraints(max_length=MAX_AREA_DESC_CHARS)] = ""


LANG_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class Event(Frozen):
    """One incident as the board knows it; a newer `version` of the same `event_id` replaces it."""

    event_id: Annotated[Identifier, StringConstraints(min_length=3, max_length=MAX_ID_CHARS)]
    version: int = Field(default=1, ge=1, le=2**62)
    source: Source
    kind: Kind
    category: str
    severity: Severity
    status: Status = Status.ACTIVE
    title: Annotated[PlainText, StringConstraints(min_length=1, max_length=MAX_TITLE_CHARS)]
    description: Annotated[PlainText, StringConstraints(max_length=MAX_DESCRIPTION_CHARS)] = ""
    translations: dict[str, Translation] = Field(default_factory=dict, max_length=MAX_TRANSLATIONS)
    geometry: Geometry | None = None
    point: Annotated[tuple[float, float], AfterValidator(_check_position)] | None = None
    district: Annotated[Identifier, StringConstraints(max_length=32)] | None = None
    area_desc: Annotated[PlainText, StringConstraints(max_length=MAX_AREA_DESC_CHARS)] = ""
    sent_at: UtcDatetime
    updated_at: UtcDatetime | None = None
    expires_at: UtcDatetime | None = None
    received_at: UtcDatetime
    time_basis: TimeBasis = TimeBasis.SOURCE
    url: WebUrl | None = None
    refs: list[Annotated[Identifier, StringConstraints(max_length=MAX_ID_CHARS)]] = Field(
        default_factory=list, max_length=MAX_REFS
    )
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("translations")
    @classmethod
    def _lang_tags(cls, v: dict[str, Translation]) -> dict[str, Translation]:
        for lang in v:
            if not LANG_PATTERN.match(lang):
                raise ValueError(f"{lang!r} is not a BCP 47 language tag such as 'en' or 'ko'")
        return v

    @field_validator("extra")
    @classmethod
    def _extra_small(cls, v: dict[str, Any]) -> dict[str, Any]:
        try:
            size = len(orjson.dumps(v))
        except TypeError as exc:
            raise ValueError(f"extra must be plain JSON: {exc}") from None
        if size > MAX_EXTRA_BYTES:
            raise ValueError(f"extra is {size} bytes encoded; the limit is {MAX_EXTRA_BYTES}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Event:
        if not self.event_id.startswith(f"{self.source}:") or self.event_id == f"{self.source}:":
            raise ValueError(
                f"event_id must be '{self.source}:<external id>', got {self.event_id!r}"
            )
        if self.updated_at is None:  # every event has a last-change time
            object.__setattr__(self, "updated_at", self.sent_at)
        prefix, _, sub = self.category.partition(".")
        if prefix != self.kind.value or sub not in CATEGORIES[self.kind]:
            allowed = ", ".join(f"{self.kind.value}.{c}" for c in CATEGORIES[self.kind])
            raise ValueError(f"category {self.category!r} is not one of: {allowed}")
        if self.geometry is not None:
            count = len(_positions(self.geometry))
            if count > MAX_GEOMETRY_POSITIONS:
                raise ValueError(
                    f"geometry has {count} positions; the limit is {MAX_GEOMETRY_POSITIONS}"
                )
            if self.point is None:
                object.__setattr__(self, "point", representative_point(self.geometry))
        if self.expires_at is not None and self.expires_at < self.sent_at:
            raise ValueError("expires_at is before sent_at")
        if self.kind is Kind.CAMERA:
            if self.point is None:
                raise ValueError("a camera needs a position")
            CameraMedia.model_validate(self.extra.get("camera"))
        return self

    def same_content(self, other: Event) -> bool:
        """True when two events differ at most in when we received them (a re-send)."""
        return self.model_dump(exclude={"received_at"}) == other.model_dump(exclude={"received_at"})

    def same_substance(self, other: Event) -> bool:
        """True when nothing a person would see differs: sources that restamp every document
        (GTFS-rt headers) change only version and times of last change, and the times of an
        event dated by our fetch (sent, and expiry derived from it) move with every poll."""
        volatile = {"received_at", "updated_at", "version"}
        if self.time_basis is TimeBasis.FETCHED and other.time_basis is TimeBasis.FETCHED:
            volatile |= {"sent_at", "expires_at"}
        return self.model_dump(exclude=volatile) == other.model_dump(exclude=volatile)


# ------------------------------------------------------------------------------------ cameras

MIN_CAMERA_REFRESH_SECONDS = 1.0  # a snapshot more often than this is a video: use MJPEG or HLS
MAX_CAMERA_REFRESH_SECONDS = 3600.0


class CameraMedia(Frozen):
    """Where a camera's picture comes from (a camera event's `extra["camera"]`); `public`
    cameras show their URLs to viewers too, the others only to operators."""

    public: bool = False
    snapshot_url: WebUrl | None = None
    mjpeg_url: WebUrl | None = None
    hls_url: WebUrl | None = None
    refresh_seconds: float | None = Field(
        default=None, ge=MIN_CAMERA_REFRESH_SECONDS, le=MAX_CAMERA_REFRESH_SECONDS
    )

    @model_validator(mode="after")
    def _playable(self) -> CameraMedia:
        if self.snapshot_url is None and self.mjpeg_url is None and self.hls_url is None:
            raise ValueError("a camera needs a snapshot_url, an mjpeg_url or an hls_url")
        return self


# ------------------------------------------------------------------------- actions and notices


class ActionName(StrEnum):
    """What an operator (or a dialer or the escalator on their behalf) did about an event."""

    ACK = "ack"
    ASSIGN = "assign"
    NOTE = "note"
    RESOLVE = "resolve"
    CALL_STARTED = "call_started"
    CALL_RINGING = "call_ringing"
    CALL_ANSWERED = "call_answered"
    CALL_ENDED = "call_ended"
    # escalation (docs/escalation.md): written by the server's escalator, actor "cityboard"
    ESCALATION_SCHEDULED = "escalation_scheduled"
    ESCALATION_STEP = "escalation_step"
    ESCALATION_RESULT = "escalation_result"
    ESCALATION_STOPPED = "escalation_stopped"
    # operators shaping situations (server/situations; `event_id` is the situation's id)
    SITUATION_LINK = "situation_link"
    SITUATION_UNLINK = "situation_unlink"
    SITUATION_MERGE = "situation_merge"
    SITUATION_SPLIT = "situation_split"
    SITUATION_RENAME = "situation_rename"
    SITUATION_CLOSE = "situation_close"


class Action(Frozen):
    """An operator action on an event, logged like any entry so replays tell the whole story."""

    action: ActionName
    event_id: Annotated[Identifier, StringConstraints(min_length=3, max_length=MAX_ID_CHARS)]
    actor: Annotated[Identifier, StringConstraints(min_length=1, max_length=100)]
    at: UtcDatetime
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("data")
    @classmethod
    def _data_small(cls, v: dict[str, Any]) -> dict[str, Any]:
        if len(orjson.dumps(v)) > MAX_ACTION_DATA_BYTES:
            raise ValueError(f"data is larger than {MAX_ACTION_DATA_BYTES} bytes encoded")
        return v


class Notice(Frozen):
    """A system message on the stream (feed down, demo restarted), visible in recordings too."""

    level: Literal["info", "warning", "error"]
    code: Annotated[Identifier, StringConstraints(min_length=1, max_length=64)]
    message: Annotated[str, StringConstraints(min_length=1, max_length=1_000)]
    at: UtcDatetime
    source: Source | None = None


EntryType = Literal["event", "action", "notice"]
Body = Event | Action | Notice


def entry_type_of(body: Body) -> EntryType:
    """The envelope `type` for a body, so callers never spell it by hand."""
    if isinstance(body, Event):
        return "event"
    if isinstance(body, Action):
        return "action"
    return "notice"


def encode_entry(seq: int, epoch: str, at_iso: str, type_: EntryType, body_json: bytes) -> bytes:
    """The wire form of one entry, built by joining already-encoded parts (no re-serialisation)."""
    return b"".join(
        (
            b'{"seq":%d,"epoch":"' % seq,
            epoch.encode(),
            b'","at":"',
            at_iso.encode(),
            b'","type":"',
            type_.encode(),
            b'","body":',
            body_json,
            b"}",
        )
    )


def iso_utc(at: datetime) -> str:
    """ISO 8601 with a `Z`, the one textual form of a time in the log and on the wire."""
    if at.tzinfo is not UTC:  # the model's times are UTC already: no conversion to pay for
        at = at.astimezone(UTC)
    return at.isoformat()[:-6] + "Z"  # without "+00:00"


def utcnow() -> datetime:
    """The current aware UTC time; the one clock call the server makes outside injected clocks."""
    return datetime.now(UTC)
