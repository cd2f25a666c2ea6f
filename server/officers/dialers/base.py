"""The dialer interface: how the call service asks a phone system to call an officer.

A dialer places one call per `dial()` and reports the call's life through the `CallEvents` it is
given — `ringing()`, `answered()`, then exactly one `ended(outcome, reason)`; the call service turns
each into an action on the event's record. See docs/officers.md for writing one as a package.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from server.officers.model import Officer
from server.settings import Settings

Outcome = Literal["answered", "no_answer", "busy", "failed", "cancelled", "handed_off"]
OUTCOMES: tuple[Outcome, ...] = (
    "answered",
    "no_answer",
    "busy",
    "failed",
    "cancelled",
    "handed_off",
)


#: Why a call ended, as a code boards say in their own language (`call_ended.reason_code`); a
#: dialer may report others, or none, and boards then show the words of `reason`.
REASON_CODES = (
    "operator_marked",  # a handed-off call the operator marked over
    "operator_hangup",  # the operator hung up
    "not_marked",  # a handed-off call nobody marked over in time
    "no_answer_timeout",  # nobody answered in time
    "max_length",  # hung up at the longest call allowed
    "other_side",  # the officer's side hung up
    "not_connected",  # the network could not connect the call
    "dialer_lost",  # the dialer lost its phone mid-call
    "dialer_failed",  # the dialer failed (and DialerError codes such as dial_refused)
    "server_shutdown",  # the server shut down during the call
    "server_stopped",  # the server stopped (crashed) during the call; found at the next start
    "simulated",  # a drill's call: logged, no phone rang
)


@dataclass(frozen=True)
class CallTarget:
    """What the dialer will dial for an officer, and fields to log and return with the call
    (e.g. `{"tel_uri": "tel:+8220000101"}`)."""

    number: str
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallRequest:
    """One call to place."""

    call_id: str
    event_id: str
    officer: Officer
    target: CallTarget
    no_answer_seconds: float
    max_seconds: float


class CallEvents(Protocol):
    """Where a dialer reports a call's progress; each method may be awaited from any task.
    Repeats are ignored, and nothing after `ended` is recorded."""

    async def ringing(self) -> None: ...

    async def answered(self) -> None: ...

    async def ended(self, outcome: Outcome, reason: str = "", code: str = "") -> None: ...


class Dialer(ABC):
    """A way to call officers. One instance serves the whole server; the call service places
    one call at a time per dialer (`dial` is never run concurrently with another `dial`)."""

    name: ClassVar[str]
    #: the status a call has once `dial` returns: "dialing" (the dialer follows it) or
    #: "handed_off" (another device places it; the operator says when it ended)
    initial_status: ClassVar[str] = "dialing"

    def __init__(self, settings: Settings, options: Mapping[str, Any]) -> None:
        """`options` is the `[dialer_options]` table of the settings, for third-party dialers."""
        self.settings = settings
        self.options = options

    @abstractmethod
    def target(self, officer: Officer) -> CallTarget:
        """What to dial for `officer`; DialerError if this dialer cannot call them now
        (no SIP URI, the line is busy). Nothing is logged when this fails."""

    @abstractmethod
    async def dial(self, call: CallRequest, events: CallEvents) -> None:
        """Place the call and return once it is under way; report its life to `events`.
        Raise DialerError when it cannot be placed at all (the service logs `failed`)."""

    @abstractmethod
    async def hangup(self, call_id: str, outcome: Outcome | None = None) -> None:
        """End the call (the operator asked). `outcome` is what the operator reports for calls the
        dialer cannot follow (handed-off calls); dialers that follow the call ignore it.
        `events.ended` must follow, from here or from the dialer's own task."""

    async def close(self) -> None:  # noqa: B027 (optional: most dialers have nothing to end)
        """End whatever is still running; the server is shutting down."""
