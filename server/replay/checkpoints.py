"""Seek checkpoints: a replay's state packed small (zlib'd JSON) at a point of the file."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from server.replay.stream import ReplayStream

CHECKPOINT_EVERY = 5_000  # entries between seek checkpoints (doubled each time they are thinned)

CHECKPOINT_BUDGET_BYTES = 32 * 1024 * 1024  # a player's checkpoints, at most; then every other goes

CHECKPOINT_OVERHEAD_BYTES = 512  # a checkpoint's own objects, counted besides its packed state

CHECKPOINT_ZLIB_LEVEL = 1  # packing checkpoints: the fastest level still shrinks JSON several times


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The state after reading up to `line`, so a seek restores it instead of refolding the file
    from its start. Times are the recording's own; a seek's time shift is applied on restoring."""

    line: int  # the last line read
    offset: int  # where the next line starts (in decompressed bytes)
    entries: int  # entries read up to here
    latest: datetime  # the latest `at` up to here: a seek to any later time may start here
    head: int  # entries folded into the state (the stream's head)
    position: datetime | None  # `at` of the last one folded
    state: bytes  # zlib'd JSON: [[recorded event body, seq], ...] and the workflows


def pack(stream: ReplayStream, bodies: dict[str, dict[str, Any]]) -> bytes:
    """A checkpoint's state: each active event's recorded body with its seq, and the workflows."""
    events = [[bodies[event_id], seq] for event_id, (_, seq) in stream.current.items()]
    return zlib.compress(orjson.dumps([events, stream.workflows]), CHECKPOINT_ZLIB_LEVEL)
