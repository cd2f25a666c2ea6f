"""Plugins through entry points, the one way cityboard is extended without touching its code:
feed adapters (`cityboard.feeds`), dialers (`cityboard.dialers`) and notifiers
(`cityboard.notifiers`)."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from server.errors import ConfigError


def installed(group: str) -> dict[str, EntryPoint]:
    """Every entry point of a group, by name."""
    return {ep.name: ep for ep in entry_points(group=group)}


def load(group: str, name: str, base: type, what: str) -> type[Any]:
    """The class registered as `name`, or a ConfigError naming it and saying what is wrong."""
    points = installed(group)
    if name not in points:
        known = ", ".join(sorted(points)) or "none"
        raise ConfigError(f"unknown {what} {name!r}; installed: {known}")
    try:
        cls = points[name].load()
    except Exception as exc:  # a broken third-party package must be named, not crash serve
        raise ConfigError(f"{what} {name!r} failed to load: {type(exc).__name__}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ConfigError(f"{what} {name!r} is not a {base.__module__}.{base.__name__} subclass")
    return cls
