"""The event log: an append-only SQLite table, written by one writer.

WAL with synchronous=FULL: an append has returned only once the event is on disk, so anything
broadcast after it survives a crash. Triggers refuse UPDATE and DELETE; a UNIQUE key per command
part makes a retried command impossible to record twice.

An import also records the content hash of the file's events in `imports`, in the same
transaction, so that the same file imported again (a retry after a lost answer) is recognised,
also after a restart.

The one exception is a purge: the lead deletes a whole ended session after exporting it. A row
in `purge_permits` lets the DELETE trigger through for that session only, and a row in `audit`
(itself append-only) records that the purge happened, never what it held.

Imports and purges of long logs are written in parts, a transaction each, so that the one writer
is free between them for every room's commands. A session being imported is listed in
`unfinished_imports` until its last part commits; a purge keeps its permit until its last part.
`finish_interrupted` (at start) deletes what an interrupted import wrote and finishes an
interrupted purge: neither is ever served half done.

Every row also gets a chain value (`integrity.link`) in the append-only `chain` table, in the
same transaction: a separate table rather than a column, so that adding it to an existing log is
INSERTs only (the triggers refuse UPDATE, and are not lifted even for a migration), and so that a
purge can delete a session's events yet keep their chain rows, which hold a hash and nothing of
what the events said. A log written before checksums gets its chain rows at its first open.

Reads of a whole session (review, export) use a second, read-only connection: a long read does
not hold up the writer (WAL lets readers and the writer go on together).

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

from .commandkeys import SEPARATOR
from .events import Event, UnreadableEvent, decode, encode
from .integrity import ABANDONED_IMPORT, GENESIS, PURGED, Row, chain_values

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
CREATE TABLE IF NOT EXISTS unfinished_imports (session_id TEXT PRIMARY KEY);
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
# Rows per transaction of an import or purge: a live command waits for at most one of them.
PART_ROWS = 1000

# An event encoded for the log, before it has a seq: (type, data).
Encoded = tuple[str, str]


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

    def __init__(
        self, db: aiosqlite.Connection, reader: aiosqlite.Connection, last_seq: int, last_chain: str
    ) -> None:
        self._db = db
        self._reader = reader
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
            reader = await aiosqlite.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except BaseException:
            await db.close()
            raise
        return cls(db, reader, int(row[0]) if row else 0, str(last[0]) if last else GENESIS)

    async def checkpoint(self) -> tuple[int, int, int]:
        """Copy the WAL into the database file, waiting for no one (PASSIVE): (busy, frames in
        the WAL, frames copied). A later cut or damaged WAL then loses only what came after."""
        async with self._db.execute("PRAGMA wal_checkpoint(PASSIVE)") as cursor:
            row = await cursor.fetchone()
        busy, frames, copied = row if row else (0, 0, 0)
        return int(busy), int(frames), int(copied)

    async def close(self) -> None:
        await self._reader.close()
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
        rows, stored = self._rows(session_id, command_key, events, [encode(ev) for ev in events])
        try:
            await self._insert(rows)
        except sqlite3.IntegrityError as error:
            if "UNIQUE" in str(error) and "command_key" in str(error):
                raise DuplicateCommand(command_key) from None
            raise
        self._committed(stored)
        return stored

    def _rows(
        self,
        session_id: str,
        command_key: str,
        events: Sequence[Event],
        encoded: Sequence[Encoded],
        first_part: int = 0,
    ) -> tuple[list[Row], list[StoredEvent]]:
        rows: list[Row] = []
        stored = []
        for offset, (event, (type_name, data)) in enumerate(zip(events, encoded, strict=True)):
            seq = self._last_seq + 1 + offset
            part = first_part + offset
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
        """One session's rows in log order, each decoded or naming why it could not be. Read on
        the reader connection and decoded in a worker thread: a long log holds up neither the
        writer nor the event loop."""
        async with self._reader.execute(
            "SELECT seq, session_id, command_key, type, data FROM events "
            "WHERE session_id = ? ORDER BY seq",
            (session_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return await asyncio.to_thread(lambda: [read_row(*row) for row in rows])

    async def append_import_part(
        self,
        session_id: str,
        events: Sequence[Event],
        encoded: Sequence[Encoded],
        start: int,
        digest: str,
    ) -> int:
        """Write the next part of an import (up to PART_ROWS events from `start`) in one
        transaction; return where the next part starts. The first part lists the session in
        `unfinished_imports`, the last one takes it off and records the file's `digest`."""
        end = min(start + PART_ROWS, len(events))
        rows, stored = await asyncio.to_thread(
            self._rows, session_id, IMPORT_KEY, events[start:end], encoded[start:end], start
        )
        marks: list[tuple[str, tuple[object, ...]]] = []
        if start == 0:
            marks.append(("INSERT INTO unfinished_imports VALUES (?)", (session_id,)))
        if end == len(events):
            marks.append(("DELETE FROM unfinished_imports WHERE session_id = ?", (session_id,)))
            marks.append(("INSERT INTO imports VALUES (?, ?)", (digest, session_id)))
        await self._insert(rows, *marks)
        self._committed(stored)
        return end

    async def append_session(
        self, session_id: str, events: Sequence[Event], digest: str
    ) -> list[StoredEvent]:
        """A whole import, part after part, for a caller that holds the writer throughout."""
        encoded = await asyncio.to_thread(lambda: [encode(event) for event in events])
        written = 0
        while written < len(events):
            written = await self.append_import_part(session_id, events, encoded, written, digest)
        return await self.session_events(session_id)

    async def command_asked(self, session_id: str, sender: str, key: str) -> str | None:
        """What `sender` asked for with `key` in this session, if the log holds that command:
        for a session not folded (an index lookup, not a read of the whole log)."""
        prefix = f"{sender}{SEPARATOR}{key}{SEPARATOR}"
        async with self._db.execute(
            "SELECT command_key FROM events WHERE session_id = ? AND command_key >= ? "
            "AND command_key < ? LIMIT 1",
            (session_id, prefix, prefix + "\U0010ffff"),
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else str(row[0])[len(prefix) :]

    async def imports(self) -> dict[str, str]:
        """The content hash of every imported file still here, and the session it became."""
        async with self._db.execute("SELECT digest, session_id FROM imports") as cursor:
            rows = await cursor.fetchall()
        return {digest: sid for digest, sid in rows}

    async def begin_purge(self, session_id: str, at: float, by: str) -> int:
        """Start deleting one session's events: its permit and the audit row (that, not what, it
        was purged) in one transaction; `purge_part` then deletes the events. Returns how many
        there are. The chain rows stay (a hash each), so the chain still verifies."""
        async with self._transaction():
            return await self._begin_removal(session_id, PURGED, at, by)

    async def purge(self, session_id: str, at: float, by: str) -> int:
        """A whole purge, part after part, for a caller that holds the writer throughout."""
        count = await self.begin_purge(session_id, at, by)
        while not await self.purge_part(session_id):
            pass
        return count

    async def purge_part(self, session_id: str) -> bool:
        """Delete up to PART_ROWS more of a session being purged; True once none is left."""
        async with self._transaction():
            return await self._remove_part(session_id)

    async def finish_interrupted(self, at: float) -> list[str]:
        """Delete what an interrupted import wrote, and the rest of an interrupted purge: the
        sessions touched, for the start-up log."""
        async with self._db.execute("SELECT session_id FROM unfinished_imports") as cursor:
            imports = [str(sid) for (sid,) in await cursor.fetchall()]
        for sid in imports:
            async with self._transaction():
                await self._begin_removal(sid, ABANDONED_IMPORT, at, "roomlive")
                await self._db.execute(
                    "DELETE FROM unfinished_imports WHERE session_id = ?", (sid,)
                )
        async with self._db.execute("SELECT session_id FROM purge_permits") as cursor:
            removals = [str(sid) for (sid,) in await cursor.fetchall()]
        for sid in removals:
            while not await self.purge_part(sid):
                pass
        return removals

    async def _begin_removal(self, sid: str, what: str, at: float, by: str) -> int:
        async with self._db.execute(
            "SELECT COUNT(*) FROM events WHERE session_id = ?", (sid,)
        ) as cursor:
            row = await cursor.fetchone()
        count = int(row[0]) if row else 0
        await self._db.execute("INSERT INTO purge_permits VALUES (?)", (sid,))
        # A purged import may come back: its file's hash goes with it.
        await self._db.execute("DELETE FROM imports WHERE session_id = ?", (sid,))
        await self._db.execute(
            "INSERT INTO audit (what, session_id, at, by, events) VALUES (?,?,?,?,?)",
            (what, sid, at, by, count),
        )
        return count

    async def _remove_part(self, sid: str) -> bool:
        cursor = await self._db.execute(
            "DELETE FROM events WHERE seq IN "
            "(SELECT seq FROM events WHERE session_id = ? ORDER BY seq LIMIT ?)",
            (sid, PART_ROWS),
        )
        if cursor.rowcount == PART_ROWS:
            return False
        await self._db.execute("DELETE FROM purge_permits WHERE session_id = ?", (sid,))
        return True

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
