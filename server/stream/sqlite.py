"""The embedded log: SQLite in WAL mode with `synchronous=FULL`, the default for one node.

One writer task group-commits whatever appends are queued into one transaction (no timer),
assigns gap-free `seq`s, keeps the `current` and `workflow` projections in the same transaction,
and only then hands the committed entries to the publisher. A separate connection serves reads.

The writer's connection lives on its own thread and a whole transaction (read the stored
versions, place, insert, commit) runs there as one call: one hop between threads per commit,
where a statement-at-a-time connection (aiosqlite) made six, and at one event per commit those
hops cost more than SQLite itself. Reads go through aiosqlite.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import orjson

from server.errors import LogClosed, LogError
from server.stream.events import (
    Action,
    Body,
    Event,
    encode_entry,
    iso_utc,
    utcnow,
)
from server.stream.lockfile import WriterLock
from server.stream.log import (
    AppendResult,
    Committed,
    Current,
    EventFilter,
    GroupCommit,
    Placement,
    Snapshot,
    append_claimed,
    place_batches,
)

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY,
    epoch TEXT NOT NULL,
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    event_id TEXT,
    version INTEGER,
    kind TEXT,
    severity TEXT,
    district TEXT,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS log_event ON log(event_id);
CREATE TABLE IF NOT EXISTS current (
    event_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    version INTEGER NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    district TEXT,
    updated_at TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS current_status ON current(status, updated_at);
CREATE TABLE IF NOT EXISTS workflow (event_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS current_seq ON current(seq);
CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, seq INTEGER NOT NULL);
"""

ENTRY_COLUMNS = "seq, epoch, at, type, event_id, kind, severity, district, body"
SQLITE_MAX_PARAMS = 900  # stay under SQLite's default bound on host parameters per statement
BUSY_TIMEOUT_SECONDS = 5.0  # how long a statement waits for a lock another process holds


class EventLog:
    """The SQLite log with a group-committing writer task and a separate read connection."""

    def __init__(
        self,
        path: Path | str,
        *,
        on_commit: Callable[[list[Committed]], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
        busy_timeout_seconds: float = BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self.path = Path(path)
        self.on_commit = on_commit
        self._clock = clock
        self._busy_timeout = busy_timeout_seconds
        self._lock = WriterLock(self.path)
        self._append_problem: str | None = None  # why the last append failed, until one succeeds
        self._writer: sqlite3.Connection | None = None  # used on `_writer_thread` only
        self._writer_thread: ThreadPoolExecutor | None = None
        self._reader_db: aiosqlite.Connection | None = None
        self._writes = GroupCommit(self._commit_locked, "log-writer")
        # one read at a time on the read connection: a read inside another's snapshot transaction
        # would see an older state and could leave a gap at the seam of a resume
        self._read_lock = asyncio.Lock()
        # the writer connection's transactions: appends and retention never interleave
        self._write_lock = asyncio.Lock()
        self.epoch = ""
        self.head = 0
        self.first_seq = 1  # the oldest entry still held; retention raises it
        self.pruned = 0  # entries dropped by retention since start, for metrics

    # ---------------------------------------------------------------------- lifecycle

    async def open(self) -> None:
        """Open (or create) the database, read epoch and head, and start the writer task."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()
        try:
            self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="log-writer")
            self.epoch, self.head, self.first_seq = await self._on_writer(self._open_writer)
            self._reader_db = await aiosqlite.connect(
                self.path, isolation_level=None, timeout=self._busy_timeout
            )
            await self._reader_db.execute("PRAGMA query_only=1")
        except Exception as exc:  # sqlite3.Error and OS errors alike: say which file
            await self.close()
            raise LogError(f"cannot open the log at {self.path}: {exc}") from exc
        self._writes.start()

    async def close(self) -> None:
        """Finish queued appends, stop the writer and close both connections."""
        await self._writes.stop()
        if self._reader_db is not None:
            await self._reader_db.close()
        if self._writer_thread is not None:
            if self._writer is not None:
                await self._on_writer(self._writer.close)
            self._writer_thread.shutdown()
        self._reader_db = self._writer = self._writer_thread = None
        self._lock.release()

    async def _on_writer(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on the writer's own thread, the only one that touches its connection."""
        if self._writer_thread is None:
            raise LogClosed("the log is closed")
        return await asyncio.get_running_loop().run_in_executor(self._writer_thread, fn, *args)

    def _open_writer(self) -> tuple[str, int, int]:
        """(On the writer thread.) Connect, set WAL and full sync, create the schema; the log's
        epoch (made on first open), head and oldest seq."""
        conn = self._writer = sqlite3.connect(
            self.path, isolation_level=None, timeout=self._busy_timeout
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(SCHEMA)
        row = conn.execute("SELECT value FROM meta WHERE key='epoch'").fetchone()
        epoch = secrets.token_hex(8) if row is None else str(row[0])
        if row is None:
            conn.execute("INSERT INTO meta(key, value) VALUES ('epoch', ?)", (epoch,))
        head = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM log").fetchone()[0])
        oldest = conn.execute("SELECT MIN(seq) FROM log").fetchone()[0]
        return epoch, head, head + 1 if oldest is None else int(oldest)

    @property
    def location(self) -> str:
        """Where the log lives, for log lines."""
        return str(self.path)

    @property
    def commits(self) -> int:
        """Transactions committed (metrics, and the group-commit benchmark)."""
        return self._writes.commits

    @property
    def writing(self) -> bool:
        """True while the writer task runs, i.e. appends will be committed."""
        return self._writes.running

    @property
    def problem(self) -> str | None:
        """Why the log cannot take or show entries now, for the boards; None when it can."""
        if not self.writing:
            return "the log writer is not running"
        return self._append_problem

    # ------------------------------------------------------------------------- writes

    async def append(self, bodies: Sequence[Body]) -> list[AppendResult]:
        """Durably append bodies; returns one result per body once they are committed.

        Concurrent callers share a transaction (group commit). An event whose version is older
        than the stored one is `stale`, an identical re-send is a `duplicate` (no new seq), and a
        different body under an existing version is a `conflict`; none of those is written.
        """
        return await self._writes.submit(bodies)

    async def append_once(self, key: str, bodies: Sequence[Body]) -> list[AppendResult] | None:
        """Append bodies only if nobody has claimed `key` before, claiming it in the same
        transaction; None when it was claimed (by an earlier run: the escalation's steps)."""
        return (await self.append_claimed([(key, bodies)]))[0]

    async def append_claimed(
        self, claims: Sequence[tuple[str, Sequence[Body]]]
    ) -> list[list[AppendResult] | None]:
        """`append_once` for several keys in one transaction (the public publisher's due
        entries): None in the place of a key claimed before, or earlier in `claims`."""
        return await append_claimed(claims, self._commit_claimed)

    async def _commit_claimed(
        self, batches: list[list[Body]], keys: list[str]
    ) -> tuple[list[list[AppendResult]], list[int]]:
        async with self._write_lock:
            return await self._commit(batches, keys)

    async def _commit_locked(self, batches: list[list[Body]]) -> list[list[AppendResult]]:
        async with self._write_lock:
            results, _ = await self._commit(batches)
        return results

    async def _commit(
        self, batches: list[list[Body]], keys: Sequence[str] = ()
    ) -> tuple[list[list[AppendResult]], list[int]]:
        """One transaction; the results of the batches written and their indexes in `batches`
        (with `keys`, one per batch, only those whose key nobody had claimed)."""
        try:
            placed, kept = await self._on_writer(
                self._transaction, batches, self.head, iso_utc(self._clock()), keys
            )
        except Exception as exc:
            self._append_problem = f"appends to {self.path} fail: {exc}"
            raise LogError(f"append failed and was rolled back: {exc}") from exc
        self.head = placed.head
        self._append_problem = None
        if placed.entries and self.on_commit is not None:
            self.on_commit(placed.entries)  # boards hear of it in the same turn the appenders do
        return placed.results, kept

    def _transaction(
        self, batches: list[list[Body]], head: int, at_iso: str, keys: Sequence[str]
    ) -> tuple[Placement, list[int]]:
        """(On the writer thread.) One append transaction, whole: with `keys`, drop the batches
        whose key was claimed and claim the others; read what the batches touch, decide every
        body (seqs from `head + 1`), write, commit; rolled back on any error."""
        conn = self._writer
        assert conn is not None
        with _gc_paused(), _immediate(conn):
            kept = list(range(len(batches)))
            if keys:
                kept = _unclaimed(conn, keys)
                batches = [batches[index] for index in kept]
            ids = {b.event_id for bodies in batches for b in bodies if isinstance(b, Event)}
            acted_on = {b.event_id for bodies in batches for b in bodies if isinstance(b, Action)}
            placed = place_batches(
                batches,
                _current_of(conn, ids),
                _workflows_of(conn, acted_on),
                head=head,
                epoch=self.epoch,
                at_iso=at_iso,
            )
            if placed.rows:
                conn.executemany(
                    "INSERT INTO log(seq, epoch, at, type, event_id, version, kind, severity,"
                    " district, body) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    placed.rows,
                )
            if placed.latest:
                conn.executemany(
                    "INSERT INTO current(event_id, seq, version, source, kind, severity, status,"
                    " district, updated_at, body) VALUES (?,?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT(event_id) DO UPDATE SET seq=excluded.seq,"
                    " version=excluded.version, source=excluded.source, kind=excluded.kind,"
                    " severity=excluded.severity, status=excluded.status,"
                    " district=excluded.district, updated_at=excluded.updated_at,"
                    " body=excluded.body WHERE excluded.version > current.version",
                    [
                        (
                            ev.event_id,
                            seq,
                            ev.version,
                            ev.source,
                            ev.kind.value,
                            ev.severity.value,
                            ev.status.value,
                            ev.district,
                            iso_utc(ev.updated_at or ev.sent_at),
                            body,
                        )
                        for ev, seq, body in placed.latest.values()
                    ],
                )
            if placed.flows:
                conn.executemany(
                    "INSERT INTO workflow(event_id, body) VALUES (?, ?) ON CONFLICT(event_id)"
                    " DO UPDATE SET body=excluded.body",
                    [
                        (event_id, orjson.dumps(flow).decode())
                        for event_id, flow in placed.flows.items()
                    ],
                )
            if keys:
                conn.executemany(
                    "INSERT INTO claims(key, seq) VALUES (?, ?)",
                    _claim_rows([keys[index] for index in kept], placed.results, head),
                )
        return placed, kept

    async def prune(self, *, older_than: datetime | None, keep_entries: int | None) -> int:
        """Retention: drop entries recorded before `older_than` and all but the newest
        `keep_entries`, and forget ended events last changed in what was dropped. The newest
        entry always stays (it holds the head). Returns how many entries were dropped."""
        before = None if older_than is None else iso_utc(older_than)
        async with self._write_lock:
            cutoff = self.head - 1
            if keep_entries is not None:
                cutoff = min(cutoff, self.head - keep_entries)
            try:
                done = await self._on_writer(self._prune, cutoff, before, self.first_seq)
            except LogClosed:
                raise
            except Exception as exc:
                raise LogError(f"retention failed and was rolled back: {exc}") from exc
        if done is None:
            return 0
        cutoff, dropped = done
        self.first_seq = cutoff + 1
        self.pruned += dropped
        return dropped

    def _prune(self, cutoff: int, before: str | None, first_seq: int) -> tuple[int, int] | None:
        """(On the writer thread.) (cutoff, entries dropped) for entries up to `cutoff` and
        before `before`; None when that reaches no entry still held."""
        conn = self._writer
        assert conn is not None
        if before is not None:
            row = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM log WHERE at < ?", (before,))
            cutoff = min(cutoff, int(row.fetchone()[0]))
        if cutoff < first_seq:
            return None
        with _immediate(conn):
            dropped = conn.execute("DELETE FROM log WHERE seq <= ?", (cutoff,)).rowcount
            conn.execute(
                "DELETE FROM workflow WHERE event_id IN (SELECT event_id FROM current"
                " WHERE seq <= ? AND status != 'active')",
                (cutoff,),
            )
            conn.execute("DELETE FROM current WHERE seq <= ? AND status != 'active'", (cutoff,))
        return cutoff, dropped

    # -------------------------------------------------------------------------- reads

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._read_lock:
            if self._reader_db is None:
                raise LogClosed("the log is closed")
            yield self._reader_db

    async def entries_after(self, after_seq: int, limit: int) -> list[Committed]:
        """Committed entries with seq > after_seq, in order, at most `limit` of them."""
        async with self._reading() as db:
            rows = await db.execute_fetchall(
                f"SELECT {ENTRY_COLUMNS} FROM log WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            )
        return [_committed(row) for row in rows]

    async def snapshot(self, flt: EventFilter, limit: int) -> Snapshot:
        """Active events matching `flt`, newest change first, with their workflows, read
        consistently with the head."""
        where, params = flt.sql()
        async with self._reading() as db:
            await db.execute("BEGIN")
            try:
                head_rows = await db.execute_fetchall("SELECT COALESCE(MAX(seq), 0) FROM log")
                rows = list(
                    await db.execute_fetchall(
                        f"SELECT current.event_id, current.body, workflow.body FROM current"
                        f" LEFT JOIN workflow USING (event_id) WHERE status='active' AND {where}"
                        " ORDER BY updated_at DESC, seq DESC LIMIT ?",
                        [*params, limit + 1],
                    )
                )
            finally:
                await db.execute("COMMIT")
        head = int(next(iter(head_rows))[0])
        kept = rows[:limit]
        workflows = {eid: orjson.loads(flow) for eid, _, flow in kept if flow is not None}
        return Snapshot(head, [body for _, body, _ in kept], len(rows) > limit, workflows)

    async def history(self, event_id: str, limit: int) -> list[Committed]:
        """Every entry about one event (its versions and the actions on it), oldest first."""
        async with self._reading() as db:
            rows = await db.execute_fetchall(
                f"SELECT {ENTRY_COLUMNS} FROM log WHERE event_id = ? ORDER BY seq LIMIT ?",
                (event_id, limit),
            )
        return [_committed(row) for row in rows]

    async def events(
        self, flt: EventFilter, *, after_seq: int, limit: int
    ) -> list[tuple[int, bytes]]:
        """Latest versions of events changed after `after_seq`, in seq order, for paging the API."""
        where, params = flt.sql()
        async with self._reading() as db:
            rows = await db.execute_fetchall(
                f"SELECT seq, body FROM current WHERE seq > ? AND {where} ORDER BY seq LIMIT ?",
                [after_seq, *params, limit],
            )
        return [(int(seq), body) for seq, body in rows]

    async def workflows_of(self, event_ids: Sequence[str]) -> dict[str, Any]:
        """The handling state of those of these events someone has acted on."""
        found: dict[str, Any] = {}
        async with self._reading() as db:
            for start in range(0, len(event_ids), SQLITE_MAX_PARAMS):
                chunk = list(event_ids[start : start + SQLITE_MAX_PARAMS])
                rows = await db.execute_fetchall(
                    "SELECT event_id, body FROM workflow"
                    f" WHERE event_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                found.update((event_id, orjson.loads(body)) for event_id, body in rows)
        return found

    async def current_event(self, event_id: str) -> bytes | None:
        """The latest version of one event, or None if the log has never seen it."""
        async with self._reading() as db:
            rows = await db.execute_fetchall(
                "SELECT body FROM current WHERE event_id = ?", (event_id,)
            )
        return next((r[0] for r in rows), None)

    async def integrity_check(self) -> str:
        """SQLite's own verdict on the file; 'ok' when healthy."""
        async with self._reading() as db:
            rows = await db.execute_fetchall("PRAGMA integrity_check")
        return str(next(iter(rows))[0])


def _committed(row: Any) -> Committed:
    """A log row (ENTRY_COLUMNS) as the committed entry boards receive."""
    seq, epoch, at, type_, event_id, kind, severity, district, body = row
    return Committed(
        seq, type_, event_id, kind, severity, district, encode_entry(seq, epoch, at, type_, body)
    )


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """A write transaction holding the lock from its start (BEGIN IMMEDIATE): committed when the
    block ends, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No automatic collection while a transaction places its bodies: each entry's objects
    outlive it, so a large group commit set off full collections of the whole heap (a quarter
    of the writer's CPU in docs/performance.md); they run, fewer, once it ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _workflows_of(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored workflows of these events (the writer's connection, inside its transaction)."""
    rows = _rows_for_ids(conn, "SELECT event_id, body FROM workflow", ids)
    return {event_id: orjson.loads(body) for event_id, body in rows}


def _current_of(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, Current]:
    """The stored version of these events (the writer's connection, inside its transaction)."""
    rows = _rows_for_ids(conn, "SELECT event_id, seq, version, body FROM current", ids)
    return {event_id: Current(seq, version, body) for event_id, seq, version, body in rows}


def _unclaimed(conn: sqlite3.Connection, keys: Sequence[str]) -> list[int]:
    """The indexes of the keys nobody has claimed (writer, in its transaction)."""
    taken = {key for (key,) in _rows_for_ids(conn, "SELECT key FROM claims", keys, "key")}
    return [index for index, key in enumerate(keys) if key not in taken]


def _claim_rows(
    keys: list[str], results: list[list[AppendResult]], head: int
) -> list[tuple[str, int]]:
    """(key, the seq its bodies were placed from) of each claimed key, in placing order."""
    rows, first = [], head + 1
    for key, outcomes in zip(keys, results, strict=True):
        rows.append((key, first))
        first += sum(result.outcome == "appended" for result in outcomes)
    return rows


def _rows_for_ids(
    conn: sqlite3.Connection, select: str, ids: Iterable[str], column: str = "event_id"
) -> list[Any]:
    """`select … WHERE column IN (ids)`, in chunks under SQLite's bound on parameters."""
    rows: list[Any] = []
    id_list = list(ids)
    for start in range(0, len(id_list), SQLITE_MAX_PARAMS):
        chunk = id_list[start : start + SQLITE_MAX_PARAMS]
        sql = f"{select} WHERE {column} IN ({','.join('?' * len(chunk))})"
        rows += conn.execute(sql, chunk).fetchall()
    return rows


class LogFile:
    """A log file opened read-only by another process (`record --db`, `brief --db`), while a
    server may still be writing it: its epoch, and its entries in seq order as raw rows."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise LogError(f"{path} does not exist")
        self.path = path
        self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = self._conn.execute("SELECT value FROM meta WHERE key='epoch'").fetchone()
            (self.epoch,) = row
        except (sqlite3.DatabaseError, TypeError) as exc:
            self._conn.close()
            raise LogError(f"{path} is not a cityboard log: {exc}") from None

    def __enter__(self) -> LogFile:
        return self

    def __exit__(self, *_: object) -> None:
        self._conn.close()

    @staticmethod
    def _where(since: datetime | None, until: datetime | None) -> tuple[str, list[str]]:
        clauses, params = ["1"], []
        if since is not None:
            clauses.append("at >= ?")
            params.append(iso_utc(since))
        if until is not None:
            clauses.append("at < ?")
            params.append(iso_utc(until))
        return " AND ".join(clauses), params

    def count(self, since: datetime | None = None, until: datetime | None = None) -> int:
        """How many entries lie in the time range."""
        where, params = self._where(since, until)
        (total,) = self._conn.execute(f"SELECT COUNT(*) FROM log WHERE {where}", params).fetchone()
        return int(total)

    def rows(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[tuple[int, str, str, str, bytes]]:
        """(seq, epoch, at, type, body JSON) of each entry in the range, streamed in seq order."""
        where, params = self._where(since, until)
        query = f"SELECT seq, epoch, at, type, body FROM log WHERE {where} ORDER BY seq"
        for seq, epoch, at, type_, body in self._conn.execute(query, params):
            yield seq, epoch, at, type_, bytes(body)
