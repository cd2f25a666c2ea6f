"""The log's contract, shared by every store (SQLite, Redis Streams, a replay's memory).

The log is the one source of truth for boards, resumes and recordings: commit, then publish, so a
board never sees an entry that a crash could take back. This module holds what every backend
agrees on and does no I/O: the filter, the committed entry, the outcome of an append, how one
body is placed (`place`), and the group commit that batches appends into one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol

import orjson

from server.errors import LogClosed, LogError
from server.stream import workflow
from server.stream.events import (
    REFERENCE_KINDS,
    Action,
    Body,
    EntryType,
    Event,
    encode_entry,
    entry_type_of,
)

Outcome = Literal["appended", "duplicate", "stale", "conflict"]


class Committed(NamedTuple):
    """A committed entry as the hub needs it: filter keys plus its wire JSON, encoded once.
    (Immutable; a NamedTuple because one is built per entry and a frozen dataclass costs several
    times as much to build.)"""

    seq: int
    type: EntryType
    event_id: str | None
    kind: str | None
    severity: str | None
    district: str | None
    raw: bytes


class AppendResult(NamedTuple):
    """What the log did with one appended body; `seq` is the entry that now stands for it."""

    seq: int
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a reader wants; empty tuples mean all incidents (reference data such as
    cameras only when its kind is named)."""

    kinds: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    sent_after: str | None = None  # ISO UTC; SQL-only, for "new in the last 24 h" figures

    def matches(self, kind: str | None, severity: str | None, district: str | None) -> bool:
        """True if an event entry with these keys passes (statuses/sources are SQL-only)."""
        return (
            (kind in self.kinds if self.kinds else kind not in REFERENCE_KINDS)
            and (not self.severities or severity in self.severities)
            and (not self.districts or district in self.districts)
        )

    def admits(self, event: dict[str, Any]) -> bool:
        """The whole filter on one event body: what `sql()` asks of the database, in Python."""
        return (
            self.matches(event.get("kind"), event.get("severity"), event.get("district"))
            and (not self.statuses or event.get("status") in self.statuses)
            and (not self.sources or event.get("source") in self.sources)
            and (self.sent_after is None or str(event.get("sent_at", "")) >= self.sent_after)
        )

    def sql(self) -> tuple[str, list[Any]]:
        """The filter as a WHERE fragment over `current`, with its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, values in (
            ("kind", self.kinds),
            ("severity", self.severities),
            ("district", self.districts),
            ("status", self.statuses),
            ("source", self.sources),
        ):
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        if not self.kinds:
            clauses.append(f"kind NOT IN ({','.join('?' * len(REFERENCE_KINDS))})")
            params.extend(sorted(REFERENCE_KINDS))
        if self.sent_after is not None:
            clauses.append("json_extract(current.body, '$.sent_at') >= ?")
            params.append(self.sent_after)
        return (" AND ".join(clauses) or "1"), params


class LogStore(Protocol):
    """What the server needs of a log: the SQLite one here, or server.stream.redis.RedisLog."""

    epoch: str
    head: int
    first_seq: int
    pruned: int

    @property
    def commits(self) -> int: ...

    @property
    def location(self) -> str: ...

    @property
    def writing(self) -> bool: ...

    @property
    def problem(self) -> str | None: ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def append(self, bodies: Sequence[Body]) -> list[AppendResult]: ...

    async def append_once(self, key: str, bodies: Sequence[Body]) -> list[AppendResult] | None: ...

    async def append_claimed(
        self, claims: Sequence[tuple[str, Sequence[Body]]]
    ) -> list[list[AppendResult] | None]: ...

    async def entries_after(self, after_seq: int, limit: int) -> list[Committed]: ...

    async def snapshot(self, flt: EventFilter, limit: int) -> Snapshot: ...

    async def history(self, event_id: str, limit: int) -> list[Committed]: ...

    async def events(
        self, flt: EventFilter, *, after_seq: int, limit: int
    ) -> list[tuple[int, bytes]]: ...

    async def current_event(self, event_id: str) -> bytes | None: ...

    async def workflows_of(self, event_ids: Sequence[str]) -> dict[str, Any]: ...

    async def prune(self, *, older_than: datetime | None, keep_entries: int | None) -> int: ...


class Snapshot(NamedTuple):
    """Active events consistent with the log at `seq`, with the workflow of those acted on."""

    seq: int
    events: list[bytes]
    truncated: bool
    workflows: dict[str, dict[str, Any]]


class Current(NamedTuple):
    """What an append needs to know of an event's stored version."""

    seq: int
    version: int
    body: bytes


def _without_received_at(body: bytes) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(body)
    data.pop("received_at", None)
    return data


def place(
    body: Body, known: dict[str, Current], *, seq: int, epoch: str, at_iso: str
) -> tuple[AppendResult, tuple[Any, ...] | None, Committed | None]:
    """Decide what one body becomes: the entry `seq` (a log row and its wire form), or an outcome
    that writes nothing. `known` holds the stored version of each event and is updated."""
    body_json = body.dump()
    if isinstance(body, Event):
        current = known.get(body.event_id)
        if current is not None:
            if current.version > body.version:
                return AppendResult(current.seq, "stale"), None, None
            if current.version == body.version:
                same = _without_received_at(current.body) == _without_received_at(body_json)
                return AppendResult(current.seq, "duplicate" if same else "conflict"), None, None
    type_ = entry_type_of(body)
    event_id = body.event_id if isinstance(body, Event | Action) else None
    kind = severity = district = None
    version = None
    if isinstance(body, Event):
        kind, severity, district = body.kind.value, body.severity.value, body.district
        version = body.version
        known[body.event_id] = Current(seq, body.version, body_json)
    row = (seq, epoch, at_iso, type_, event_id, version, kind, severity, district, body_json)
    raw = encode_entry(seq, epoch, at_iso, type_, body_json)
    return (
        AppendResult(seq, "appended"),
        row,
        Committed(seq, type_, event_id, kind, severity, district, raw),
    )


@dataclass
class Placement:
    """What the batches of one transaction become: each body decided by `place`."""

    results: list[list[AppendResult]]  # one outcome per body, batch by batch
    rows: list[tuple[Any, ...]]  # the log rows to write
    entries: list[Committed]  # what boards receive once committed
    latest: dict[str, tuple[Event, int, bytes]]  # each event's newest body: (event, seq, json)
    flows: dict[str, dict[str, Any]]  # the workflows the batches' actions changed
    head: int  # the last seq taken


def place_batches(
    batches: list[list[Body]],
    known: dict[str, Current],
    stored_flows: dict[str, dict[str, Any]],
    *,
    head: int,
    epoch: str,
    at_iso: str,
) -> Placement:
    """Decide every body of a transaction in order, for both logs: seqs from `head + 1`, the
    newest body per event, and each acted-on event's workflow (from `stored_flows` at first)."""
    placed = Placement([], [], [], {}, {}, head)
    for bodies in batches:
        outcomes: list[AppendResult] = []
        for body in bodies:
            result, row, entry = place(body, known, seq=placed.head + 1, epoch=epoch, at_iso=at_iso)
            outcomes.append(result)
            if row is None or entry is None:
                continue
            placed.head = entry.seq
            placed.rows.append(row)
            placed.entries.append(entry)
            if isinstance(body, Event):
                placed.latest[body.event_id] = (body, entry.seq, row[-1])
            elif isinstance(body, Action):
                flow = placed.flows.get(body.event_id) or stored_flows.get(body.event_id)
                placed.flows[body.event_id] = workflow.apply(flow, body)
        placed.results.append(outcomes)
    return placed


# one transaction for the batches of some claims, leaving out those whose key is held: the results
# of the batches written, and their indexes among the batches it was given
ClaimedCommit = Callable[
    [list[list[Body]], list[str]], Awaitable[tuple[list[list[AppendResult]], list[int]]]
]


async def append_claimed(
    claims: Sequence[tuple[str, Sequence[Body]]], commit: ClaimedCommit
) -> list[list[AppendResult] | None]:
    """`LogStore.append_claimed` for every log: each key's first claim goes to `commit` (a key
    repeated in one call is claimed once), and None stands in the place of every other."""
    firsts: dict[str, int] = {}
    for index, (key, _) in enumerate(claims):
        firsts.setdefault(key, index)
    asked = list(firsts.values())
    outcomes: list[list[AppendResult] | None] = [None] * len(claims)
    if asked:
        results, kept = await commit([list(claims[i][1]) for i in asked], list(firsts))
        for n, result in zip(kept, results, strict=True):
            outcomes[asked[n]] = result
    return outcomes


class GroupCommit:
    """Group commit, for both logs: appends queue up while a transaction runs and all go in the
    next one, so throughput rises with load instead of each append paying its own commit."""

    def __init__(
        self,
        commit: Callable[[list[list[Body]]], Awaitable[list[list[AppendResult]]]],
        name: str,
        *,
        max_bodies: int | None = None,
    ) -> None:
        self._commit = commit  # one transaction for every queued batch; raises LogError
        self._name = name
        self._max_bodies = max_bodies  # a transaction takes no more appends once it holds these
        self.commits = 0  # transactions committed, for metrics and the group-commit benchmark
        self._queue: asyncio.Queue[tuple[list[Body], asyncio.Future[list[AppendResult]]]] = (
            asyncio.Queue()
        )
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def submit(self, bodies: Sequence[Body]) -> list[AppendResult]:
        """Queue bodies for the next transaction and wait until it is committed."""
        if self._closed or self._task is None:
            raise LogClosed("the log is closed")
        if not bodies:
            return []
        future: asyncio.Future[list[AppendResult]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((list(bodies), future))  # unbounded: no await, no extra step
        return await future

    async def stop(self) -> None:
        """Commit what is queued, then stop; later submits fail loudly."""
        self._closed = True
        if self._task is not None:
            await self._queue.put(([], asyncio.get_running_loop().create_future()))
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            requests = [await self._queue.get()]
            held = len(requests[0][0])
            while not self._queue.empty() and (self._max_bodies is None or held < self._max_bodies):
                requests.append(self._queue.get_nowait())
                held += len(requests[-1][0])
            stop = any(not bodies for bodies, _ in requests)
            work = [(bodies, fut) for bodies, fut in requests if bodies]
            if work:
                await self._settle(work)
            if stop:
                for _, fut in requests:
                    if not fut.done():
                        fut.set_result([])
                return

    async def _settle(
        self, work: list[tuple[list[Body], asyncio.Future[list[AppendResult]]]]
    ) -> None:
        try:
            results = await self._commit([bodies for bodies, _ in work])
        except LogError as exc:
            for _, fut in work:
                if not fut.done():
                    fut.set_exception(exc)
            return
        self.commits += 1
        for (_, fut), outcomes in zip(work, results, strict=True):
            if not fut.done():
                fut.set_result(outcomes)
