"""Finds adapters through the `cityboard.feeds` entry-point group, so a separately installed
package adds one without touching this repository."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from feeds.base import FeedAdapter
from server.errors import ConfigError

GROUP = "cityboard.feeds"


def installed() -> dict[str, EntryPoint]:
    """Every adapter entry point, by name."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load(name: str) -> type[FeedAdapter]:
    """The adapter class for `name`, or a ConfigError that names it and says what is wrong."""
    points = installed()
    if name not in points:
        known = ", ".join(sorted(points)) or "none"
        raise ConfigError(f"unknown feed adapter {name!r}; installed: {known}")
    try:
        cls = points[name].load()
    except Exception as exc:  # a broken third-party package must be named, not crash serve
        raise ConfigError(
            f"feed adapter {name!r} failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, FeedAdapter)):
        raise ConfigError(f"feed adapter {name!r} is not a FeedAdapter subclass")
    if not hasattr(cls, "manifest"):
        raise ConfigError(f"feed adapter {name!r} has no manifest.toml beside its module")
    return cls
