"""Finds dialers through the `cityboard.dialers` entry-point group, so a PBX or cloud-telephony
dialer installed as a separate package is chosen with `dialer = "<name>"` and nothing else."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from server.dialers.base import Dialer
from server.errors import ConfigError

GROUP = "cityboard.dialers"


def installed() -> dict[str, EntryPoint]:
    """Every dialer entry point, by name."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load(name: str) -> type[Dialer]:
    """The dialer class for `name`, or a ConfigError that names it and says what is wrong."""
    points = installed()
    if name not in points:
        known = ", ".join(sorted(points)) or "none"
        raise ConfigError(f"unknown dialer {name!r}; installed: {known}")
    try:
        cls = points[name].load()
    except Exception as exc:  # a broken third-party package must be named, not crash serve
        raise ConfigError(f"dialer {name!r} failed to load: {type(exc).__name__}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Dialer)):
        raise ConfigError(f"dialer {name!r} is not a server.dialers.base.Dialer subclass")
    return cls
