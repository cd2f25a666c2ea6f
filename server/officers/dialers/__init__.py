"""Finds dialers through the `cityboard.dialers` entry-point group, so a PBX or cloud-telephony
dialer installed as a separate package is chosen with `dialer = "<name>"` and nothing else."""

from __future__ import annotations

from importlib.metadata import EntryPoint

from server import plugins
from server.officers.dialers.base import Dialer

GROUP = "cityboard.dialers"


def installed() -> dict[str, EntryPoint]:
    """Every dialer entry point, by name."""
    return plugins.installed(GROUP)


def load(name: str) -> type[Dialer]:
    """The dialer class for `name`, or a ConfigError that names it and says what is wrong."""
    cls: type[Dialer] = plugins.load(GROUP, name, Dialer, "dialer")
    return cls
