"""The embedded log: SQLite in WAL mode with `synchronous=FULL`, the default for one node.

One writer task group-commits whatever appends are queued into one transaction (no timer),
assigns gap-free `seq`s, keeps the `current` and `workflow` projections in the same transaction,
and only then hands the committed entries to the publisher. A separate connection serves reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

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
    Snapshot,
    place_batches,
)

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
        self._writer_db: aiosqlite.Connection | None = None
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
            self._writer_db = await aiosqlite.connect(
                self.path, isolation_level=None, timeout=self._busy_timeout
            )
            await self._writer_db.execute("PRAGMA journal_mode=WAL")
            await self._writer_db.execute("PRAGMA synchronous=FULL")
            await self._writer_db.executescript(SCHEMA)
            async with self._writer_db.execute("SELECT value FROM meta WHERE key='epoch'") as cur:
                row = await cur.fetchone()
            if row is None:
                self.epoch = secrets.token_hex(8)
                await self._writer_db.execute(
                    "INSERT INTO meta(key, value) VALUES ('epoch', ?)", (self.epoch,)
                )
            else:
                self.epoch = row[0]
            async with self._writer_db.execute("SELECT COALESCE(MAX(seq), 0) FROM log") as cur:
                row = await cur.fetchone()
            self.head = int(row[0]) if row else 0
            async with self._writer_db.execute("SELECT MIN(seq) FROM log") as cur:
                row = await cur.fetchone()
            self.first_seq = int(row[0]) if row and row[0] is not None else self.head + 1
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
        for db in (self._reader_db, self._writer_db):
            if db is not None:
                await db.close()
        self._reader_db = self._writer_db = None
        self._lock.release()

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

    async def _commit_locked(self, batches: list[list[Body]]) -> list[list[AppendResult]]:
        async with self._write_lock:
            return await self._commit(batches)

    async def _commit(self, batches: list[list[Body]]) -> list[list[AppendResult]]:
        assert self._writer_db is not None
        db = self._writer_db
        head = self.head  # seqs taken in this transaction; `self.head` moves only after COMMIT
        try:
            await db.execute("BEGIN IMMEDIATE")
            ids = {b.event_id for bodies in batches for b in bodies if isinstance(b, Event)}
            acted_on = {b.event_id for bodies in batches for b in bodies if isinstance(b, Action)}
            placed = place_batches(
                batches,
                await self._load_current(ids),
                await self._load_workflows(acted_on),
                head=head,
                epoch=self.epoch,
                at_iso=iso_utc(self._clock()),
            )
            rows, latest, flows = placed.rows, placed.latest, placed.flows
            if rows:
                await db.executemany(
                    "INSERT INTO log(seq, epoch, at, type, event_id, version, kind, severity,"
                    " district, body) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
            if latest:
                await db.executemany(
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
                        for ev, seq, body in latest.values()
                    ],
                )
            if flows:
                await db.executemany(
                    "INSERT INTO workflow(event_id, body) VALUES (?, ?) ON CONFLICT(event_id)"
                    " DO UPDATE SET body=excluded.body",
                    [(event_id, orjson.dumps(flow).decode()) for event_id, flow in flows.items()],
                )
            await db.execute("COMMIT")
        except Exception as exc:
            with contextlib.suppress(Exception):
                await db.execute("ROLLBACK")
            self._append_problem = f"appends to {self.path} fail: {exc}"
            raise LogError(f"append failed and was rolled back: {exc}") from exc
        self.head = placed.head
        self._append_problem = None
        if placed.entries and self.on_commit is not None:
            self.on_commit(placed.entries)  # boards hear of it in the same turn the appenders do
        return placed.results

    async def prune(self, *, older_than: datetime | None, keep_entries: int | None) -> int:
        """Retention: drop entries recorded before `older_than` and all but the newest
        `keep_entries`, and forget ended events last changed in what was dropped. The newest
        entry always stays (it holds the head). Returns how many entries were dropped."""
        if self._writer_db is None:
            raise LogClosed("the log is closed")
        db = self._writer_db
        async with self._write_lock:
            cutoff = self.head - 1
            if keep_entries is not None:
                cutoff = min(cutoff, self.head - keep_entries)
            if older_than is not None:
                async with db.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM log WHERE at < ?", (iso_utc(older_than),)
                ) as cur:
                    row = await cur.fetchone()
                cutoff = min(cutoff, int(row[0]) if row else 0)
            if cutoff < self.first_seq:
                return 0
            try:
                await db.execute("BEGIN IMMEDIATE")
                dropped = await db.execute("DELETE FROM log WHERE seq <= ?", (cutoff,))
                await db.execute(
                    "DELETE FROM workflow WHERE event_id IN (SELECT event_id FROM current"
                    " WHERE seq <= ? AND status != 'active')",
                    (cutoff,),
                )
                await db.execute(
                    "DELETE FROM current WHERE seq <= ? AND status != 'active'", (cutoff,)
                )
                await db.execute("COMMIT")
            except Exception as exc:
                with contextlib.suppress(Exception):
                    await db.execute("ROLLBACK")
                raise LogError(f"retention failed and was rolled back: {exc}") from exc
        self.first_seq = cutoff + 1
        self.pruned += dropped.rowcount
        return dropped.rowcount

    async def _load_workflows(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored workflows of these events (writer connection, inside its transaction)."""
        rows = await self._rows_for_ids("SELECT event_id, body FROM workflow", ids)
        return {event_id: orjson.loads(body) for event_id, body in rows}

    async def _load_current(self, ids: Iterable[str]) -> dict[str, Current]:
        """The stored version of these events (writer connection, inside its transaction)."""
        rows = await self._rows_for_ids("SELECT event_id, seq, version, body FROM current", ids)
        return {event_id: Current(seq, version, body) for event_id, seq, version, body in rows}

    async def _rows_for_ids(self, select: str, ids: Iterable[str]) -> list[Any]:
        """`select … WHERE event_id IN (ids)`, in chunks under SQLite's bound on parameters."""
        assert self._writer_db is not None
        rows: list[Any] = []
        id_list = list(ids)
        for start in range(0, len(id_list), SQLITE_MAX_PARAMS):
            chunk = id_list[start : start + SQLITE_MAX_PARAMS]
            sql = f"{select} WHERE event_id IN ({','.join('?' * len(chunk))})"
            rows += await self._writer_db.execute_fetchall(sql, chunk)
        return rows

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
