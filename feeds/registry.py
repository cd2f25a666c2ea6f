"""Finds adapters by entry point, so a separately installed package adds one untouched.

The group is `cityboard.feeds`; a name that is missing or broken is a ConfigError that says so.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint

from feeds.kit.base import FeedAdapter
from server import plugins
from server.errors import ConfigError

GROUP = "cityboard.feeds"


def installed() -> dict[str, EntryPoint]:
    """Every adapter entry point, by name."""
    return plugins.installed(GROUP)


def load(name: str) -> type[FeedAdapter]:
    """The adapter class for `name`, or a ConfigError that names it and says what is wrong."""
    cls: type[FeedAdapter] = plugins.load(GROUP, name, FeedAdapter, "feed adapter")
    if not hasattr(cls, "manifest"):
        raise ConfigError(f"feed adapter {name!r} has no manifest.toml beside its module")
    return cls
