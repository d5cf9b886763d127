"""The event log: an append-only SQLite table, written by one writer.

WAL with synchronous=FULL: an append has returned only once the event is on disk, so anything
broadcast after it survives a crash. Triggers refuse UPDATE and DELETE; a UNIQUE key per command
part makes a retried command impossible to record twice.

An import also records the content hash of the file's events in `imports`, in the same
transaction, so that the same file imported again (a retry after a lost answer) is recognised,
also after a restart.

The one exception is a purge: the lead deletes a whole ended session after exporting it. Inside
one transaction a row in `purge_permits` lets the DELETE trigger through for that session only,
and a row in `audit` (itself append-only) records that the purge happened, never what it held.

A row that cannot be decoded (written by a later roomlive, or damaged) does not stop `load`: it
comes back as an `UnreadableRow` naming it, and the caller decides what that session becomes.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from .events import Event, UnreadableEvent, decode, encode

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    command_key TEXT NOT NULL,
    part INTEGER NOT NULL,
    at REAL NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (session_id, command_key, part)
);
CREATE TRIGGER IF NOT EXISTS events_are_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TABLE IF NOT EXISTS purge_permits (session_id TEXT PRIMARY KEY);
DROP TRIGGER IF EXISTS events_are_append_only_delete;
CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
WHEN NOT EXISTS (SELECT 1 FROM purge_permits WHERE session_id = OLD.session_id)
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    what TEXT NOT NULL,
    session_id TEXT NOT NULL,
    at REAL NOT NULL,
    by TEXT NOT NULL,
    events INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS imports (
    digest TEXT PRIMARY KEY,
    session_id TEXT NOT NULL
);
"""


IMPORT_KEY = "import"
ENDED_TYPE = "SessionEnded"


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    session_id: str
    command_key: str
    event: Event


@dataclass(frozen=True)
class UnreadableRow:
    """A logged row that does not decode; `reason` names fields and versions, never values."""

    seq: int
    session_id: str
    type_name: str
    reason: str

    def __str__(self) -> str:
        return f"event {self.seq} ({self.type_name}): {self.reason}"


def read_row(
    seq: int, session_id: str, key: str, type_name: str, data: str | bytes
) -> StoredEvent | UnreadableRow:
    try:
        return StoredEvent(seq, session_id, key, decode(type_name, data))
    except UnreadableEvent as error:
        return UnreadableRow(seq, session_id, str(type_name), error.reason)


@dataclass(frozen=True)
class AuditRow:
    what: str
    session_id: str
    at: float
    by: str
    events: int


class DuplicateCommand(Exception):
    """The command key was already recorded for this session."""


class NotRecorded(Exception):
    """The log could not be written (disk full, read-only file, I/O error): nothing was kept.

    The message is SQLite's reason, which names no participant: it is shown and logged as is.
    """


class EventStore:
    """Owns the one connection that writes the log. Callers serialise appends (one writer)."""

    def __init__(self, db: aiosqlite.Connection, last_seq: int) -> None:
        self._db = db
        self._last_seq = last_seq

    @classmethod
    async def open(cls, path: Path) -> EventStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA busy_timeout=5000")
            await db.executescript(SCHEMA)
            async with db.execute("SELECT COALESCE(MAX(seq), 0) FROM events") as cursor:
                row = await cursor.fetchone()
        except BaseException:
            await db.close()
            raise
        return cls(db, int(row[0]) if row else 0)

    async def close(self) -> None:
        await self._db.close()

    async def load(self) -> list[StoredEvent | UnreadableRow]:
        """Every row in log order, decoded, or naming why it could not be."""
        async with self._db.execute(
            "SELECT seq, session_id, command_key, type, data FROM events ORDER BY seq"
        ) as cursor:
            rows = await cursor.fetchall()
        return [read_row(*row) for row in rows]

    async def load_live(
        self, summary_types: Sequence[str]
    ) -> tuple[list[StoredEvent | UnreadableRow], set[str]]:
        """The rows of every session that has not ended and, of the ended ones, only the rows
        of `summary_types` (in log order, decoded); and the ended sessions' ids."""
        async with self._db.execute(
            "SELECT DISTINCT session_id FROM events WHERE type = ?", (ENDED_TYPE,)
        ) as cursor:
            ended = {str(sid) for (sid,) in await cursor.fetchall()}
        marks = ",".join("?" * len(summary_types))
        async with self._db.execute(
            "SELECT seq, session_id, command_key, type, data FROM events WHERE session_id NOT IN "
            f"(SELECT session_id FROM events WHERE type = ?) OR type IN ({marks}) ORDER BY seq",
            (ENDED_TYPE, *summary_types),
        ) as cursor:
            rows = await cursor.fetchall()
        return [read_row(*row) for row in rows], ended

    async def append(
        self, session_id: str, command_key: str, events: Sequence[Event]
    ) -> list[StoredEvent]:
        """Write all events of one command in one statement (atomic), then return them."""
        if not events:
            return []
        rows: list[object] = []
        stored = []
        for part, event in enumerate(events):
            seq = self._last_seq + 1 + part
            type_name, data = encode(event)
            rows += [seq, session_id, command_key, part, event.at, type_name, data]
            stored.append(StoredEvent(seq, session_id, command_key, event))
        placeholders = ",".join(["(?,?,?,?,?,?,?)"] * len(events))
        try:
            await self._db.execute(
                "INSERT INTO events (seq, session_id, command_key, part, at, type, data) "
                f"VALUES {placeholders}",
                rows,
            )
        except sqlite3.IntegrityError as error:
            if "UNIQUE" in str(error) and "command_key" in str(error):
                raise DuplicateCommand(command_key) from None
            raise
        except sqlite3.Error as error:
            raise NotRecorded(str(error)) from error
        self._last_seq += len(events)
        return stored

    async def session_events(self, session_id: str) -> list[StoredEvent]:
        """One session's events, in log order; UnreadableEvent naming the first bad row."""
        found = []
        for read in await self.session_rows(session_id):
            if isinstance(read, UnreadableRow):
                raise UnreadableEvent(str(read))
            found.append(read)
        return found

    async def session_rows(self, session_id: str) -> list[StoredEvent | UnreadableRow]:
        """One session's rows in log order, each decoded or naming why it could not be. The
        decoding runs in a worker thread: a long log does not hold up the event loop."""
        async with self._db.execute(
            "SELECT seq, session_id, command_key, type, data FROM events "
            "WHERE session_id = ? ORDER BY seq",
            (session_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return await asyncio.to_thread(lambda: [read_row(*row) for row in rows])

    async def append_session(
        self, session_id: str, events: Sequence[Event], digest: str
    ) -> list[StoredEvent]:
        """Write a whole session's events (an import) and the file's `digest` in one
        transaction: all of it or none."""
        rows, stored = await asyncio.to_thread(self._import_rows, session_id, events)
        async with self._transaction():
            await self._db.executemany(
                "INSERT INTO events (seq, session_id, command_key, part, at, type, data) "
                "VALUES (?,?,?,?,?,?,?)",
                rows,
            )
            await self._db.execute("INSERT INTO imports VALUES (?, ?)", (digest, session_id))
        self._last_seq += len(events)
        return stored

    def _import_rows(
        self, session_id: str, events: Sequence[Event]
    ) -> tuple[list[tuple[object, ...]], list[StoredEvent]]:
        """An import's rows, encoded (in a worker thread: there may be 200 000)."""
        rows: list[tuple[object, ...]] = []
        stored = []
        for part, event in enumerate(events):
            seq = self._last_seq + 1 + part
            type_name, data = encode(event)
            rows.append((seq, session_id, IMPORT_KEY, part, event.at, type_name, data))
            stored.append(StoredEvent(seq, session_id, IMPORT_KEY, event))
        return rows, stored

    async def imports(self) -> dict[str, str]:
        """The content hash of every imported file still here, and the session it became."""
        async with self._db.execute("SELECT digest, session_id FROM imports") as cursor:
            rows = await cursor.fetchall()
        return {digest: sid for digest, sid in rows}

    async def purge(self, session_id: str, at: float, by: str) -> int:
        """Delete every event of one session and record that (not what) in the audit log.

        One transaction: the permit, the deletion and the audit row commit together or not at
        all. Returns how many events were deleted.
        """
        async with self._transaction():
            async with self._db.execute(
                "SELECT COUNT(*) FROM events WHERE session_id = ?", (session_id,)
            ) as cursor:
                row = await cursor.fetchone()
            count = int(row[0]) if row else 0
            await self._db.execute("INSERT INTO purge_permits VALUES (?)", (session_id,))
            await self._db.execute("DELETE FROM events WHERE session_id = ?", (session_id,))
            await self._db.execute("DELETE FROM purge_permits WHERE session_id = ?", (session_id,))
            # A purged import may come back: its file's hash goes with it.
            await self._db.execute("DELETE FROM imports WHERE session_id = ?", (session_id,))
            await self._db.execute(
                "INSERT INTO audit (what, session_id, at, by, events) VALUES (?,?,?,?,?)",
                ("purge", session_id, at, by, count),
            )
        return count

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """One transaction: all of it is written, or none of it and NotRecorded says why."""
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            yield
            await self._db.execute("COMMIT")
        except BaseException as error:
            if self._db.in_transaction:  # a full disk may have rolled it back already
                await self._db.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error) and not isinstance(error, sqlite3.IntegrityError):
                raise NotRecorded(str(error)) from error
            raise

    async def audit(self) -> list[AuditRow]:
        async with self._db.execute(
            "SELECT what, session_id, at, by, events FROM audit ORDER BY id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [AuditRow(what, sid, at, by, count) for what, sid, at, by, count in rows]
