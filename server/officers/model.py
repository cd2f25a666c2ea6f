"""The officer: who covers which districts and kinds, and how to reach them (E.164, SIP)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from server.districts import Districts
from server.officers.shifts import Duty, Override, Schedule, WeeklyShift, normalise_calendar
from server.stream.events import CATEGORIES, REFERENCE_KINDS, Kind, iso_utc

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
RESERVED_IDS = frozenset({"on-duty", "export", "import"})  # sub-paths of /api/officers
CITY_WIDE = "*"
ALL_KINDS = "*"
COVERABLE_KINDS = tuple(
    k.value for k in Kind if k is not Kind.CALL and k.value not in REFERENCE_KINDS
)
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
SIP_URI = re.compile(
    r"^sips?:[A-Za-z0-9._~%!$&'*+=-]+@(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)"
    r"(:\d{1,5})?$"
)
# personal contact details: shown to operators (who call), never to viewers of the board
CONTACT_FIELDS = ("phone", "sip_uri", "tel_uri")


class Level(StrEnum):
    """Escalation order: the primary is called first, then the backup, then the head."""

    PRIMARY = "primary"
    BACKUP = "backup"
    HEAD = "head"


LEVEL_RANK = {level: i for i, level in enumerate(Level)}


def _split(value: Any) -> Any:
    """A CSV cell or TOML string `a;b` (or `a, b`) as a list; lists pass through."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;\n]", value) if part.strip()]
    return value


def _split_items(value: Any) -> Any:
    """`11110;11140`, `11110, 11140` or `disaster traffic` as a list; lists pass through."""
    if isinstance(value, str):
        separators = r"[;,\n]" if re.search(r"[;,\n]", value) else r"\s+"
        return [part.strip() for part in re.split(separators, value) if part.strip()]
    return value


def _parse_shift(value: Any) -> WeeklyShift:
    return WeeklyShift.parse(value)


def _parse_override(value: Any) -> Override:
    return Override.parse(value)


Shift = Annotated[WeeklyShift, PlainValidator(_parse_shift), PlainSerializer(str, return_type=str)]
DutyOverride = Annotated[
    Override, PlainValidator(_parse_override), PlainSerializer(str, return_type=str)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Words = BeforeValidator(_split_items)


def normalise_phone(raw: str) -> str:
    """`+82 10-1234-5678` → `+821012345678`; ValueError with the fix when it is not E.164."""
    compact = PHONE_SEPARATORS.sub("", raw)
    if E164.match(compact):
        return compact
    if compact.startswith("0") and compact[1:].isdigit():
        raise ValueError(
            f"phone {raw!r} is a domestic number; write it in E.164 with the country code,"
            f" e.g. +82 {raw.lstrip('0')}"
        )
    raise ValueError(
        f"phone {raw!r} is not an E.164 number: '+', the country code, then 8 to 15 digits in all"
        " (e.g. +82 10-1234-5678)"
    )


class Officer(BaseModel):
    """One person the board can call about an event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, StringConstraints(strip_whitespace=True, pattern=ID_PATTERN)]
    name_ko: Name
    name_en: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    role: Name
    department: Name
    level: Level = Level.PRIMARY
    districts: Annotated[tuple[str, ...], Words]
    kinds: Annotated[tuple[str, ...], Words]
    categories: Annotated[tuple[str, ...], Words] = ()
    phone: str
    sip_uri: str | None = None
    shifts: Annotated[tuple[Shift, ...], BeforeValidator(_split)] = ()
    overrides: Annotated[tuple[DutyOverride, ...], BeforeValidator(_split)] = ()
    calendar: str | None = None
    demo: bool = False

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v in RESERVED_IDS:
            raise ValueError(f"id {v!r} is reserved (a path under /api/officers)")
        return v

    @field_validator("districts")
    @classmethod
    def _known_districts(cls, v: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if not v:
            raise ValueError("list at least one district code, or * for the whole city")
        if CITY_WIDE in v:
            if len(v) > 1:
                raise ValueError("* (the whole city) stands alone; drop the other districts")
            return v
        districts = (info.context or {}).get("districts")
        if not isinstance(districts, Districts):
            return v
        codes = []
        for item in v:
            code = item if item in districts.by_code else districts.by_name(item)
            if code is None:
                raise ValueError(
                    f"unknown district {item!r} (use a code from /api/districts such as"
                    f" {districts.items[0].code}, a name such as {districts.items[0].name_ko},"
                    " or * for the whole city)"
                )
            codes.append(code)
        return tuple(dict.fromkeys(codes))

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError(f"list the kinds covered ({', '.join(COVERABLE_KINDS)}) or *")
        for kind in v:
            if kind != ALL_KINDS and kind not in COVERABLE_KINDS:
                raise ValueError(
                    f"unknown kind {kind!r}; use {', '.join(COVERABLE_KINDS)} or * for all"
                )
        return (ALL_KINDS,) if ALL_KINDS in v else tuple(dict.fromkeys(v))

    @field_validator("phone", mode="before")
    @classmethod
    def _e164(cls, v: Any) -> str:
        if not isinstance(v, str):
            raise ValueError('phone is text in E.164 form, e.g. "+82 10-1234-5678"')
        return normalise_phone(v)

    @field_validator("sip_uri", mode="before")
    @classmethod
    def _sip(cls, v: Any) -> str | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if not isinstance(v, str) or not SIP_URI.match(v.strip()):
            raise ValueError(f"sip_uri {v!r} is not like sip:user@host or sip:user@host:5060")
        return v.strip()

    @field_validator("calendar", mode="before")
    @classmethod
    def _ical(cls, v: Any) -> str | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if not isinstance(v, str):
            raise ValueError("calendar is the text of an iCalendar (.ics) file")
        return normalise_calendar(v)

    @model_validator(mode="after")
    def _categories_in_kinds(self) -> Officer:
        for category in self.categories:
            kind, _, sub = category.partition(".")
            if kind not in COVERABLE_KINDS or sub not in CATEGORIES[Kind(kind)]:
                raise ValueError(f"unknown category {category!r} (see docs/adapters.md)")
            if ALL_KINDS not in self.kinds and kind not in self.kinds:
                raise ValueError(f"category {category!r} is outside the kinds covered")
        return self

    # ------------------------------------------------------------------ behaviour

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.shifts, self.overrides, self.calendar)

    @property
    def city_wide(self) -> bool:
        return CITY_WIDE in self.districts

    @property
    def tel_uri(self) -> str:
        return f"tel:{self.phone}"

    def covers(self, district: str | None, kind: str | None, category: str | None = None) -> bool:
        """True if the officer answers for events of this district, kind and category.
        District `*` (an event outside every district) is covered by city-wide officers only."""
        if district == CITY_WIDE and not self.city_wide:
            return False
        if district and not (self.city_wide or district in self.districts):
            return False
        if kind and not (ALL_KINDS in self.kinds or kind in self.kinds):
            return False
        if category and self.categories:
            same_kind = [
                c for c in self.categories if c.partition(".")[0] == category.partition(".")[0]
            ]
            if same_kind and category not in same_kind:
                return False
        return True

    def stored(self) -> dict[str, Any]:
        """Everything, as stored and exported (shifts and overrides in their text form)."""
        return self.model_dump(mode="json", exclude_defaults=False)

    def public(
        self, duty: Duty | None = None, *, with_calendar: bool = False, contact: bool = True
    ) -> dict[str, Any]:
        """The officer as the API shows it, with duty at the moment asked when given; without
        `contact` (for viewers) their phone numbers and SIP address are left out."""
        data = self.model_dump(mode="json", exclude={"calendar"})
        data["tel_uri"] = self.tel_uri
        if not contact:
            for name in CONTACT_FIELDS:
                data.pop(name, None)
            data["contact_hidden"] = True
        data["has_calendar"] = self.calendar is not None
        if with_calendar:
            data["calendar"] = self.calendar
        if duty is not None:
            data["on_duty"] = duty.on_duty
            if duty.until is not None:
                data["on_duty_until"] = iso_utc(duty.until)
            if duty.next_start is not None:
                data["next_shift_at"] = iso_utc(duty.next_start)
        return data


def order_key(officer: Officer) -> tuple[int, bool, str, str]:
    """Escalation order: level, district officers before city-wide ones, then name."""
    return (
        LEVEL_RANK[officer.level],
        officer.city_wide,
        officer.name_en or officer.name_ko,
        officer.id,
    )


# ------------------------------------------------------------------------------ on duty


# ------------------------------------------------------------------------ import/export


# ---------------------------------------------------------------------------- storage
