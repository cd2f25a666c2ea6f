"""The `[escalation]` table of the config: which events and situations escalate, through which
steps, to whom.

Each policy names what it applies to (severities and kinds, optionally categories, districts and
departments; the kind `situation` stands for the live stream's situations) and its steps, each
`after_minutes` after the one before (the first after the event's arrival on the log, or the
situation's coming under the policy). The first policy that matches is its policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from server.stream.events import REFERENCE_KINDS, Kind, Severity, check_categories

MAX_POLICIES = 50
MAX_STEPS = 10  # a chain longer than this is a config mistake, and its plan must fit an action
MAX_STEP_MINUTES = 7 * 24 * 60.0
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
#: whom a step goes to: an officer found in the directory by the event's district and kind
#: (docs/escalation.md), or a notifier configured under [escalation.notifiers.<name>]
TARGET_PATTERN = (
    r"^(district_officer|department_manager|duty_director|notifier:[a-z0-9][a-z0-9_-]{0,63})$"
)

#: the kind a policy names to cover situations (docs/situations.md), beside the events' kinds
SITUATION = "situation"

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Strict):
    """One step of a chain: how long after the previous one, and to whom."""

    after_minutes: float = Field(ge=0, le=MAX_STEP_MINUTES)
    to: Annotated[str, StringConstraints(pattern=TARGET_PATTERN)]


class Policy(_Strict):
    """Which events escalate and how; an empty optional list means any."""

    name: Name
    severities: list[Severity] = Field(min_length=1)
    kinds: list[Kind | Literal["situation"]] = Field(min_length=1)
    categories: list[str] = Field(default_factory=list)
    districts: list[str] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)

    @field_validator("kinds")
    @classmethod
    def _incident_kinds(cls, v: list[Kind | str]) -> list[Kind | str]:
        if reference := sorted({str(k) for k in v} & REFERENCE_KINDS):
            raise ValueError(f"{', '.join(reference)} is reference data and never escalates")
        return v

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, v: list[str]) -> list[str]:
        check_categories(v)
        return v

    @model_validator(mode="after")
    def _situations_have_no_category(self) -> Policy:
        """A situation has no category: a policy that names both could never mean it."""
        if SITUATION in self.kinds and self.categories:
            raise ValueError(
                "categories do not apply to situations: put kind 'situation' in its own policy"
            )
        return self

    def covers(self, kind: str, severity: str, category: str, district: str | None) -> bool:
        """True when an event with these keys falls under the policy (departments aside: they
        need the directory, see `Escalator`)."""
        return (
            severity in self.severities
            and kind in self.kinds
            and kind != SITUATION
            and (not self.categories or category in self.categories)
            and (not self.districts or district in self.districts)
        )

    def covers_situation(self, severity: str, districts: Sequence[str]) -> bool:
        """True when a situation of this severity over these districts (any of them) falls under
        the policy (departments aside, as for events)."""
        return (
            SITUATION in self.kinds
            and severity in self.severities
            and (not self.districts or any(d in self.districts for d in districts))
        )


class NotifierConfig(_Strict):
    """A notifier: which plugin (`cityboard.notifiers` entry point) and its options."""

    plugin: Name = "webhook"
    options: dict[str, Any] = Field(default_factory=dict)


class EscalationSettings(_Strict):
    """Escalation policies and notifiers; no policies, no escalation (the default)."""

    policies: list[Policy] = Field(default_factory=list, max_length=MAX_POLICIES)
    notifiers: dict[Name, NotifierConfig] = Field(default_factory=dict)

    @field_validator("policies")
    @classmethod
    def _unique_names(cls, v: list[Policy]) -> list[Policy]:
        names = [p.name for p in v]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"policy names must be unique; repeated: {', '.join(dupes)}")
        return v

    @model_validator(mode="after")
    def _notifiers_exist(self) -> EscalationSettings:
        """Every `notifier:<name>` step must name a configured notifier."""
        missing = sorted(
            {
                s.to.removeprefix("notifier:")
                for p in self.policies
                for s in p.steps
                if s.to.startswith("notifier:")
            }
            - set(self.notifiers)
        )
        if missing:
            raise ValueError(
                f"steps name notifiers that are not configured: {', '.join(missing)}"
                " (add [escalation.notifiers.<name>])"
            )
        return self

    def policies_for(
        self, kind: str, severity: str, category: str, district: str | None
    ) -> list[Policy]:
        """The policies that may apply to an event, in config order."""
        return [p for p in self.policies if p.covers(kind, severity, category, district)]

    def policies_for_situation(self, severity: str, districts: Sequence[str]) -> list[Policy]:
        """The policies that may apply to a situation, in config order."""
        return [p for p in self.policies if p.covers_situation(severity, districts)]
