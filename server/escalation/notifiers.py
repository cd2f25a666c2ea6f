"""The notifier interface: how an escalation step reaches someone other than by phone (a
messenger bot, a pager gateway). Notifiers are plugins in the `cityboard.notifiers` entry-point
group, found as dialers are; the built-in `webhook` posts JSON (server/escalation/webhook.py)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib.metadata import EntryPoint
from typing import Any, ClassVar

from server import plugins

GROUP = "cityboard.notifiers"


@dataclass(frozen=True)
class Notification:
    """What one escalation step tells: which event (or situation), how far the chain is, and
    enough of the event to act on without opening the board."""

    id: str
    policy: str
    step: int
    of: int
    to: str
    at: str
    title: str
    severity: str
    kind: str
    category: str
    district: str | None

    def as_json(self) -> dict[str, Any]:
        return {"type": "escalation", **asdict(self)}


class Notifier(ABC):
    """A way to notify. One instance per configured notifier; `notify` may run concurrently."""

    name: ClassVar[str]

    def __init__(self, options: Mapping[str, Any]) -> None:
        """`options` is the notifier's `options` table; raise ConfigError when it is unusable."""
        self.options = options

    @abstractmethod
    async def notify(self, notification: Notification) -> str:
        """Deliver it; return a short detail for the record (e.g. "HTTP 200"). Raise
        NotifierError when it could not be delivered (the step's result is `failed`)."""

    async def close(self) -> None:  # noqa: B027 (optional: most notifiers hold nothing)
        """Release connections; the server is shutting down."""


def installed() -> dict[str, EntryPoint]:
    """Every notifier entry point, by name."""
    return plugins.installed(GROUP)


def load(name: str) -> type[Notifier]:
    """The notifier class for `name`, or a ConfigError that names it and says what is wrong."""
    cls: type[Notifier] = plugins.load(GROUP, name, Notifier, "notifier")
    return cls
