"""The directory's own SQLite file beside the log (`<log>.officers.db`, or `officers_db_path`).

The log stays the append-only record of what happened; the directory is editable reference data
with personal phone numbers that recordings of the log must not carry. Calls made to an officer are
logged on the event with a copy of the name used, so the record stays true after the directory
changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite
import orjson

from server.errors import CityboardError
from server.officers.model import Officer
from server.stream.events import iso_utc

SCHEMA = """
CREATE TABLE IF NOT EXISTS officers (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS open_calls (call_id TEXT PRIMARY KEY, body TEXT NOT NULL);
"""


@dataclass
class LoadSummary:
    """What an import changed."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "imported": len(self.created) + len(self.updated) + len(self.unchanged),
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
        }


def default_path(db_path: Path) -> Path:
    """Where the directory lives when `officers_db_path` is not set: beside the log."""
    return db_path.with_name(f"{db_path.stem}.officers.db")


class OfficerStore:
    """The directory's SQLite file, with an in-memory copy refreshed when another process (the
    `cityboard officers import` command) commits to it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._cache: dict[str, Officer] = {}
        self._version: int | None = None

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = await aiosqlite.connect(self.path, isolation_level=None)
            await self._db.execute("PRAGMA journal_mode=WAL")
            await self._db.execute("PRAGMA synchronous=FULL")
            await self._db.execute("PRAGMA busy_timeout=5000")
            await self._db.executescript(SCHEMA)
            await self._reload()
        except Exception as exc:
            await self.close()
            raise CityboardError(
                f"cannot open the officer directory at {self.path}: {exc}", code="officers_db"
            ) from exc

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
        self._db = None

    def _conn(self) -> aiosqlite.Connection:
        if self._db is None:
            raise CityboardError("the officer directory is closed", code="officers_closed")
        return self._db

    async def _data_version(self) -> int:
        async with self._conn().execute("PRAGMA data_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _reload(self) -> None:
        db = self._conn()
        rows = await db.execute_fetchall("SELECT body FROM officers ORDER BY id")
        self._cache = {}
        for (body,) in rows:
            officer = Officer.model_validate_json(body)
            self._cache[officer.id] = officer
        self._version = await self._data_version()

    async def _fresh(self) -> dict[str, Officer]:
        if await self._data_version() != self._version:
            await self._reload()
        return self._cache

    async def all(self) -> list[Officer]:
        """Every officer, by id."""
        return sorted((await self._fresh()).values(), key=lambda o: o.id)

    async def get(self, officer_id: str) -> Officer | None:
        return (await self._fresh()).get(officer_id)

    async def count(self) -> int:
        return len(await self._fresh())

    async def put(self, officer: Officer) -> bool:
        """Create or replace one officer; True if it was new."""
        summary = await self.load([officer], replace=False)
        return bool(summary.created)

    async def delete(self, officer_id: str) -> bool:
        db = self._conn()
        cur = await db.execute("DELETE FROM officers WHERE id = ?", (officer_id,))
        await self._reload()
        return cur.rowcount > 0

    async def delete_demo(self) -> list[str]:
        """Remove the demo directory's entries (kept: everything imported by people)."""
        demo = [o.id for o in (await self._fresh()).values() if o.demo]
        if demo:
            await self.load([], replace=False, remove=demo)
        return demo

    async def load(
        self, officers: Sequence[Officer], *, replace: bool, remove: Sequence[str] = ()
    ) -> LoadSummary:
        """Write officers in one transaction: upsert them (and with `replace`, drop every other)."""
        db = self._conn()
        current = await self._fresh()
        summary = LoadSummary()
        incoming = {o.id for o in officers}
        gone = (
            [i for i in current if i not in incoming]
            if replace
            else [i for i in remove if i in current]
        )
        now = iso_utc(datetime.now().astimezone())
        rows = []
        for officer in officers:
            before = current.get(officer.id)
            if before is None:
                summary.created.append(officer.id)
            elif before == officer:
                summary.unchanged.append(officer.id)
                continue
            else:
                summary.updated.append(officer.id)
            rows.append((officer.id, officer.model_dump_json(), now))
        summary.removed = gone
        await db.execute("BEGIN IMMEDIATE")
        try:
            if gone:
                await db.executemany("DELETE FROM officers WHERE id = ?", [(i,) for i in gone])
            if rows:
                await db.executemany(
                    "INSERT INTO officers(id, body, updated_at) VALUES (?, ?, ?) ON CONFLICT(id)"
                    " DO UPDATE SET body=excluded.body, updated_at=excluded.updated_at",
                    rows,
                )
            await db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                await db.execute("ROLLBACK")
            raise
        await self._reload()
        return summary

    # calls in progress, so a restart can close what it left open on the record

    async def remember_call(self, call_id: str, body: Mapping[str, Any]) -> None:
        await self._conn().execute(
            "INSERT OR REPLACE INTO open_calls(call_id, body) VALUES (?, ?)",
            (call_id, orjson.dumps(dict(body)).decode()),
        )

    async def forget_call(self, call_id: str) -> None:
        await self._conn().execute("DELETE FROM open_calls WHERE call_id = ?", (call_id,))

    async def open_calls(self) -> list[dict[str, Any]]:
        rows = await self._conn().execute_fetchall("SELECT body FROM open_calls")
        return [orjson.loads(body) for (body,) in rows]
