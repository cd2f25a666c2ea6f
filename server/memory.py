"""Giving freed memory back to the operating system.

A dropped slow board frees megabytes of send buffer at once, but glibc keeps freed memory in its
arenas for reuse, so the process's resident size would stay at its peak for ever. After such a
drop the server asks glibc to trim (`malloc_trim(0)`), which returns free pages from every arena.
Elsewhere (another C library, another OS) this does nothing and says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)


def _malloc_trim() -> ctypes._NamedFuncPointer | None:
    """glibc's malloc_trim, when this process runs on glibc."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # musl and others have no malloc_trim
        return None


MALLOC_TRIM = _malloc_trim()


def give_back() -> bool:
    """Return free heap pages to the OS; False where the C library cannot."""
    if MALLOC_TRIM is None:
        return False
    MALLOC_TRIM(0)
    return True
