"""Giving freed memory back to the operating system, and the server's garbage-collector policy.

A dropped slow board frees megabytes of send buffer at once, but glibc keeps freed memory in its
arenas for reuse, so the process's resident size would stay at its peak for ever. After such a
drop the server asks glibc to trim (`malloc_trim(0)`), which returns free pages from every arena.
Elsewhere (another C library, another OS) this does nothing and says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
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


# CPython collects its young generation every 700 new container objects. A server's objects of
# the moment (waiting appends, their events, tasks and futures: tens of thousands under load)
# then survive collection after collection and are walked again each time: a quarter to a third
# of the log's CPU in docs/performance.md. At 50,000 the young generation is collected ~70 times
# less often, and unreachable cycles still wait at most that many allocations (a few MB).
YOUNG_COLLECTION_ALLOCATIONS = 50_000


def settle_collector() -> None:
    """Once the server has started: collect, then freeze what start-up built (modules, settings,
    districts: never garbage) out of every later collection, and collect the young generation
    less often (`YOUNG_COLLECTION_ALLOCATIONS`)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_ALLOCATIONS, older, oldest)
