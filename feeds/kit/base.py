"""The adapter contract: an upstream source becomes a stream of normalized events.

Every adapter is an async iterator of the entries its source produces (`async for entry in
adapter`, through `events()`). Push sources implement `events()` directly and the runner follows
it. Most sources are polled: a `PollingFeed` implements only `parse` (pure: bytes in, events out,
no I/O, no clock) and inherits `fetch` and `poll`, one poll step through the runner's HTTP client
(timeouts, body cap, conditional GET); the runner calls that step on its own schedule, and
`events()` comes for free as one step's events. Everything an adapter must not repeat (schedule,
backoff, dedupe, snapshot diff, expiry, health) lives in `feeds/runner.py`.

    FeedError
    ├── FeedUnavailable    upstream unreachable or erroring: retry later, keep the board as it is
    └── FeedRejected       this document is bad: skip it, count it on the feed's health
        └── FeedFiltered   (in one `Parsed.item`) a sound item the feed's policy does not show
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from feeds.kit.http import Fetcher
from server.districts import Districts
from server.errors import FeedRejected, FeedUnavailable
from server.stream.events import SOURCE_PATTERN, Action, Event, utcnow

MIB = 1024 * 1024
UpdateModel = Literal["references", "snapshot", "append"]
T = TypeVar("T")


class FeedOptions(BaseModel):
    """Adapter-specific settings (`[feeds.options]` in the config); adapters subclass this."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_ENV_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


def _expand_env(value: str) -> str:
    """Replace `${NAME}` with the environment variable, so API keys stay out of config files."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"environment variable {name} (used as ${{{name}}}) is not set")
        return os.environ[name]

    return _ENV_REF.sub(lookup, value)


class FeedConfig(BaseModel):
    """One configured feed: which adapter, where from, how often, and its limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=SOURCE_PATTERN)  # the feed name is the `source` of its events
    adapter: str
    url: str | None = None
    interval_seconds: float = Field(default=60.0, ge=1.0)
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_body_bytes: int = Field(default=20 * MIB, ge=1024)
    sla_seconds: float | None = Field(default=None, gt=0)
    timezone: str | None = None  # the zone of naive times in this source; none = reject them
    headers: dict[str, str] = Field(default_factory=dict)
    max_concurrent_fetches: int = Field(default=4, ge=1, le=32)
    update_model: UpdateModel | None = None  # overrides the adapter's (a mapping of a full list)
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url_env_is_set(cls, v: str | None) -> str | None:
        if v is not None:
            _expand_env(v)
        return v

    @field_validator("headers")
    @classmethod
    def _header_env_is_set(cls, v: dict[str, str]) -> dict[str, str]:
        for value in v.values():
            _expand_env(value)
        return v

    @property
    def resolved_url(self) -> str | None:
        """The URL with `${NAME}` references filled from the environment (for requests only)."""
        return None if self.url is None else _expand_env(self.url)

    @property
    def resolved_headers(self) -> dict[str, str]:
        """Headers with `${NAME}` references filled from the environment."""
        return {k: _expand_env(v) for k, v in self.headers.items()}

    def redact(self, text: str) -> str:
        """`text` with every secret this feed reads from the environment put back as `${NAME}`,
        so error messages on the board and in logs never show an API key."""
        for template in [self.url or "", *self.headers.values()]:
            for name in _ENV_REF.findall(template):
                secret = os.environ.get(name)
                if secret:
                    text = text.replace(secret, f"${{{name}}}")
        return text

    @property
    def freshness_sla_seconds(self) -> float:
        """How old the last success may be before the board calls the feed stale."""
        return self.sla_seconds if self.sla_seconds is not None else 3 * self.interval_seconds


@dataclass(frozen=True)
class FeedContext:
    """What an adapter is given: its config, the city's districts, and the runner's HTTP client."""

    config: FeedConfig
    districts: Districts
    http: Fetcher | None = None  # None in `feeds check`: parsing only, no network

    @property
    def zone(self) -> ZoneInfo | None:
        """The zone naive source times are in, when the feed config names one."""
        return ZoneInfo(self.config.timezone) if self.config.timezone else None


class FeedFiltered(FeedRejected):
    """An item that is sound but that the feed's policy does not show (a CAP Test or Exercise
    alert, a quake below `min_magnitude`). Raised inside `Parsed.item`, it is counted as filtered
    with its reason, not as a failure; anywhere else it rejects like its parent."""

    code = "feed_filtered"


@dataclass
class Parsed:
    """What one document yielded: its events, one line for each item that had to be skipped
    (refused), for each item the feed's policy filtered out, and for each secondary field that
    was dropped from an event it kept.

    A bad item costs only itself; a document with nothing usable raises FeedRejected instead.
    A filtered item (FeedFiltered) is no failure: a document of only filtered items is healthy.
    A field that cannot be read but that the event can do without (a reference, an onset, an
    extra) is dropped with a warning (`"<item label>: <field> <problem>; ignored"`), never the item.
    """

    events: list[Event] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    filtered: list[str] = field(default_factory=list)

    @property
    def unusable(self) -> bool:
        """Every item failed: treat the document as rejected, so a broken one never reads as
        'the source now lists nothing' (which the snapshot diff would expire). Items that were
        filtered by policy were read fine, so a document with any of them is usable."""
        return bool(self.skipped) and not self.events and not self.filtered

    def checked(self, total: int, what: str) -> Parsed:
        """This result, or FeedRejected when every one of `total` items failed (see unusable)."""
        if self.unusable:
            raise FeedRejected(
                f"none of the {total} {what} could be used; first: {self.skipped[0]}"
            )
        return self

    @contextmanager
    def item(self, label: str) -> Iterator[list[str]]:
        """Build one item inside this block; a FeedRejected skips just that item, with a reason,
        and a FeedFiltered counts it as filtered, with the reason. The block gets a list for the
        secondary fields it drops (`"<field> <problem>; ignored"`); they become warnings, under
        the item's label, only when the item was kept."""
        dropped: list[str] = []
        try:
            yield dropped
        except FeedFiltered as exc:
            self.filtered.append(f"{label}: {exc.message}")
        except FeedRejected as exc:
            self.skipped.append(f"{label}: {exc.message}")
        else:
            self.warnings += [f"{label}: {line}" for line in dropped]


def secondary(read: Callable[[], T], dropped: list[str]) -> T | None:
    """`read()`, or None when it raises FeedRejected: the reason goes to `dropped` (the list
    `Parsed.item` gives), so a secondary field that cannot be read costs only itself."""
    try:
        return read()
    except FeedRejected as exc:
        dropped.append(f"{exc.message}; ignored")
        return None


@dataclass(frozen=True)
class Manifest:
    """What an adapter declares about itself in its `manifest.toml`."""

    name: str
    kinds: tuple[str, ...]
    standard: str
    update_model: UpdateModel
    interval_seconds: float
    licence: str

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read and check a manifest file."""
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(
            name=data["name"],
            kinds=tuple(data["kinds"]),
            standard=data["standard"],
            update_model=data["update_model"],
            interval_seconds=float(data["interval_seconds"]),
            licence=data.get("licence", ""),
        )


class FeedAdapter(ABC):
    """One configured source; `self.source` becomes the `source` of every event it yields.

    An adapter package keeps a `manifest.toml` beside the module that defines its class; it is
    read when the class is defined, so third-party adapters work the same as built-in ones.
    """

    manifest: ClassVar[Manifest]
    demo: ClassVar[bool] = False
    Options: ClassVar[type[FeedOptions]] = FeedOptions

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        module_file = getattr(sys.modules.get(cls.__module__), "__file__", None)
        if module_file is not None:
            path = Path(module_file).with_name("manifest.toml")
            if path.is_file():
                cls.manifest = Manifest.load(path)

    def __init__(self, context: FeedContext) -> None:
        self.context = context
        self.source = context.config.name
        self.options = self.Options.model_validate(context.config.options)

    @property
    def sla_seconds(self) -> float:
        """Freshness SLA shown on the board's feed strip."""
        return self.context.config.freshness_sla_seconds

    def __aiter__(self) -> AsyncIterator[Event | Action]:
        """`async for entry in adapter`: the adapter's `events()`."""
        return self.events()

    @abstractmethod
    def events(self) -> AsyncIterator[Event | Action]:
        """Yield entries as the source produces them (a push source: until cancelled)."""


class PollingFeed(FeedAdapter):
    """A source read by polling a URL; subclasses implement the pure `parse`."""

    async def events(self) -> AsyncIterator[Event | Action]:
        """One poll step's events, received now: iterating a polled source reads it once.

        The runner does not iterate a polled source: it calls `poll` itself, on its schedule and
        with its clock, because it needs the whole `Parsed` (skipped items, snapshot, 304).
        """
        parsed = await self.poll(utcnow())
        for event in parsed.events if parsed is not None else []:
            yield event

    @abstractmethod
    def parse(self, payload: bytes, *, received_at: datetime) -> Parsed:
        """Turn one document into events. Pure: no I/O, no clock; raise FeedRejected if bad."""

    async def fetch(self) -> bytes | None:
        """The document at the configured URL, or None when unchanged since the last poll."""
        url = self.context.config.resolved_url
        if self.context.http is None or url is None:
            raise FeedUnavailable(f"feed {self.source} has no url to fetch")
        return await self.context.http.get(url)

    async def poll(self, received_at: datetime) -> Parsed | None:
        """One poll step: fetch and parse; None when the source reported no change (HTTP 304)."""
        payload = await self.fetch()
        if payload is None:
            return None
        return self.parse(payload, received_at=received_at)
