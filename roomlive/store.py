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

Every row also gets a chain value (`integrity.link`) in the append-only `chain` table, in the
same transaction: a separate table rather than a column, so that adding it to an existing log is
INSERTs only (the triggers refuse UPDATE, and are not lifted even for a migration), and so that a
purge can delete a session's events yet keep their chain rows, which hold a hash and nothing of
what the events said. A log written before checksums gets its chain rows at its first open.

A row that cannot be decoded (written by a later roomlive, or damaged) does not stop `load`: it
comes back as an `UnreadableRow` naming it, and the caller decides what that session becomes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from .events import Event, UnreadableEvent, decode, encode
from .integrity import GENESIS, Row, chain_values

log = logging.getLogger(__name__)

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
CREATE TABLE IF NOT EXISTS chain (
    seq INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS chain_is_append_only_update BEFORE UPDATE ON chain
BEGIN SELECT RAISE(ABORT, 'the checksum chain is append-only'); END;
CREATE TRIGGER IF NOT EXISTS chain_is_append_only_delete BEFORE DELETE ON chain
BEGIN SELECT RAISE(ABORT, 'the checksum chain is append-only'); END;
"""

EVENT_COLUMNS = "seq, session_id, command_key, part, at, type, data"
INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?)"
INSERT_CHAIN = "INSERT INTO chain (seq, session_id, value) VALUES (?,?,?)"


IMPORT_KEY = "import"
INLINE_HASH_ROWS = 64  # a command's few rows: hashing them costs less than a thread hop
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

    def __init__(self, db: aiosqlite.Connection, last_seq: int, last_chain: str) -> None:
        self._db = db
        self._last_seq = last_seq
        self._last_chain = last_chain
        # Called with what each append committed (after the commit): upkeep watches for ends.
        self.on_commit: Callable[[Sequence[StoredEvent]], None] | None = None

    @classmethod
    async def open(cls, path: Path) -> EventStore:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA busy_timeout=5000")
            await db.executescript(SCHEMA)
            await _chain_older_rows(db)
            # A purged session's chain rows stay: its seqs are never handed out again.
            async with db.execute(
                "SELECT MAX(COALESCE((SELECT MAX(seq) FROM events), 0), "
                "COALESCE((SELECT MAX(seq) FROM chain), 0))"
            ) as cursor:
                row = await cursor.fetchone()
            async with db.execute("SELECT value FROM chain ORDER BY seq DESC LIMIT 1") as cursor:
                last = await cursor.fetchone()
        except BaseException:
            await db.close()
            raise
        return cls(db, int(row[0]) if row else 0, str(last[0]) if last else GENESIS)

    async def checkpoint(self) -> tuple[int, int, int]:
        """Copy the WAL into the database file, waiting for no one (PASSIVE): (busy, frames in
        the WAL, frames copied). A later cut or damaged WAL then loses only what came after."""
        async with self._db.execute("PRAGMA wal_checkpoint(PASSIVE)") as cursor:
            row = await cursor.fetchone()
        busy, frames, copied = row if row else (0, 0, 0)
        return int(busy), int(frames), int(copied)

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
        """Write all events of one command and their chain values in one transaction (atomic),
        then return them."""
        if not events:
            return []
        rows, stored = self._rows(session_id, command_key, events)
        try:
            await self._insert(rows)
        except sqlite3.IntegrityError as error:
            if "UNIQUE" in str(error) and "command_key" in str(error):
                raise DuplicateCommand(command_key) from None
            raise
        self._committed(stored)
        return stored

    def _rows(
        self, session_id: str, command_key: str, events: Sequence[Event]
    ) -> tuple[list[Row], list[StoredEvent]]:
        rows: list[Row] = []
        stored = []
        for part, event in enumerate(events):
            seq = self._last_seq + 1 + part
            type_name, data = encode(event)
            # `at` as a float: the chain hashes the row as SQLite's REAL column gives it back.
            rows.append((seq, session_id, command_key, part, float(event.at), type_name, data))
            stored.append(StoredEvent(seq, session_id, command_key, event))
        return rows, stored

    async def _insert(self, rows: list[Row], *more: tuple[str, tuple[object, ...]]) -> None:
        """Rows and their chain values, and `more` statements, in one transaction."""
        if len(rows) <= INLINE_HASH_ROWS:
            values = chain_values(self._last_chain, rows)
        else:
            values = await asyncio.to_thread(chain_values, self._last_chain, rows)
        links = [(row[0], row[1], value) for row, value in zip(rows, values, strict=True)]
        async with self._transaction():
            await self._db.executemany(INSERT_EVENT, rows)
            await self._db.executemany(INSERT_CHAIN, links)
            for statement, parameters in more:
                await self._db.execute(statement, parameters)
        self._last_seq += len(rows)
        self._last_chain = values[-1] if values else self._last_chain

    def _committed(self, stored: Sequence[StoredEvent]) -> None:
        if self.on_commit is not None:
            self.on_commit(stored)

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
        # Encoded and hashed in a worker thread: an import may hold 200 000 events.
        rows, stored = await asyncio.to_thread(self._rows, session_id, IMPORT_KEY, events)
        await self._insert(rows, ("INSERT INTO imports VALUES (?, ?)", (digest, session_id)))
        self._committed(stored)
        return stored

    async def imports(self) -> dict[str, str]:
        """The content hash of every imported file still here, and the session it became."""
        async with self._db.execute("SELECT digest, session_id FROM imports") as cursor:
            rows = await cursor.fetchall()
        return {digest: sid for digest, sid in rows}

    async def purge(self, session_id: str, at: float, by: str) -> int:
        """Delete every event of one session and record that (not what) in the audit log.

        One transaction: the permit, the deletion and the audit row commit together or not at
        all. The chain rows stay (a hash each), so the chain still verifies. Returns how many
        events were deleted.
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


async def _chain_older_rows(db: aiosqlite.Connection) -> None:
    """A log from before checksums: chain every row it holds, in seq order, in one transaction."""
    async with db.execute("SELECT 1 FROM chain LIMIT 1") as cursor:
        if await cursor.fetchone() is not None:
            return
    async with db.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY seq") as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    if not rows:
        return
    values = chain_values(GENESIS, rows)
    await db.execute("BEGIN IMMEDIATE")
    try:
        await db.executemany(
            INSERT_CHAIN, [(row[0], row[1], value) for row, value in zip(rows, values, strict=True)]
        )
        await db.execute("COMMIT")
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    log.info("added checksums to the %d events logged before roomlive kept them", len(rows))
