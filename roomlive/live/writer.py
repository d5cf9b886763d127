"""The event log's writer: an append-only SQLite table, written by one writer.

WAL with synchronous=FULL: an append has returned only once the event is on disk, so anything
broadcast after it survives a crash. Triggers refuse UPDATE and DELETE; a UNIQUE key per command
part makes a retried command impossible to record twice.

An import also records the content hash of the file's events in `imports`, in the same
transaction, so that the same file imported again (a retry after a lost answer) is recognised,
also after a restart.

The one exception is a purge: the lead deletes a whole ended session after exporting it. A row
in `purge_permits` lets the DELETE trigger through for that session only, and a row in `audit`
(itself append-only) records that the purge happened, never what it held.

Imports and purges of long logs are written in parts (store.py).

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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar, cast

import aiosqlite

from roomlive.core.codec import encode
from roomlive.core.events import Event
from roomlive.live.integrity import GENESIS, Row, chain_values
from roomlive.live.reader import LogReader
from roomlive.live.records import (
    DuplicateCommand,
    NotRecorded,
    StoredEvent,
    UnreadableRow,
    read_row,
)
from roomlive.live.schema import INSERT_CHAIN, INSERT_EVENT, SCHEMA, chain_older_rows

log = logging.getLogger(__name__)
T = TypeVar("T")

IMPORT_KEY = "import"
INLINE_HASH_ROWS = 64  # a command's few rows: hashing them costs less than a thread hop
ENDED_TYPE = "SessionEnded"
# Rows per transaction of an import or purge: a live command waits for at most one of them.
PART_ROWS = 1000

# An event encoded for the log, before it has a seq: (type, data).
Encoded = tuple[str, str]
# What one command writes: (session id, stored command key, its events).
CommandEvents = tuple[str, str, Sequence[Event]]


class LogWriter:
    """Owns the one connection that writes the log. Callers serialise appends (one writer)."""

    def __init__(
        self, db: aiosqlite.Connection, reader: aiosqlite.Connection, last_seq: int, last_chain: str
    ) -> None:
        self._db = db
        self.reader = LogReader(reader)
        self._last_seq = last_seq
        self._last_chain = last_chain
        # Called with what each append committed (after the commit): upkeep watches for ends.
        self.on_commit: Callable[[Sequence[StoredEvent]], None] | None = None

    @classmethod
    async def open(cls, path: Path) -> Self:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA busy_timeout=5000")
            await db.executescript(SCHEMA)
            await chain_older_rows(db)
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
        rows = await self._select("PRAGMA wal_checkpoint(PASSIVE)")
        busy, frames, copied = rows[0] if rows else (0, 0, 0)
        return int(busy), int(frames), int(copied)

    async def close(self) -> None:
        await self.reader.close()
        await self._db.close()

    async def load(self) -> list[StoredEvent | UnreadableRow]:
        """Every row in log order, decoded, or naming why it could not be."""
        rows = await self._select(
            "SELECT seq, session_id, command_key, type, data FROM events ORDER BY seq"
        )
        return [read_row(*row) for row in rows]

    async def load_live(
        self, summary_types: Sequence[str]
    ) -> tuple[list[StoredEvent | UnreadableRow], set[str]]:
        """The rows of every session that has not ended and, of the ended ones, only the rows
        of `summary_types` (in log order, decoded); and the ended sessions' ids."""
        found = await self._select(
            "SELECT DISTINCT session_id FROM events WHERE type = ?", (ENDED_TYPE,)
        )
        ended = {str(sid) for (sid,) in found}
        marks = ",".join("?" * len(summary_types))
        rows = await self._select(
            "SELECT seq, session_id, command_key, type, data FROM events WHERE session_id NOT IN "
            f"(SELECT session_id FROM events WHERE type = ?) OR type IN ({marks}) ORDER BY seq",
            (ENDED_TYPE, *summary_types),
        )
        return [read_row(*row) for row in rows], ended

    async def append(
        self, session_id: str, command_key: str, events: Sequence[Event]
    ) -> list[StoredEvent]:
        """Write all events of one command and their chain values in one transaction (atomic),
        then return them."""
        return await self.append_commands([(session_id, command_key, events)])

    async def append_commands(self, commands: Sequence[CommandEvents]) -> list[StoredEvent]:
        """Write the events of several commands, in order, and their chain values in one
        transaction (group commit: one fsync for all of them; all or none), then return them."""
        rows: list[Row] = []
        stored: list[StoredEvent] = []
        for session_id, command_key, events in commands:
            encoded = [encode(ev) for ev in events]
            more_rows, more_stored = self._rows(
                session_id, command_key, events, encoded, after=len(rows)
            )
            rows += more_rows
            stored += more_stored
        if not rows:
            return []
        try:
            await self._insert(rows)
        except sqlite3.IntegrityError as error:
            if "UNIQUE" in str(error) and "command_key" in str(error):
                raise DuplicateCommand(*(key for _, key, _ in commands)) from None
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
        after: int = 0,
    ) -> tuple[list[Row], list[StoredEvent]]:
        """The rows of one command's events; `after`: rows before them in the same transaction."""
        rows: list[Row] = []
        stored = []
        for offset, (event, (type_name, data)) in enumerate(zip(events, encoded, strict=True)):
            seq = self._last_seq + 1 + after + offset
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

        def write(db: sqlite3.Connection) -> None:
            db.executemany(INSERT_EVENT, rows)
            db.executemany(INSERT_CHAIN, links)
            for statement, parameters in more:
                db.execute(statement, parameters)

        await self._transaction(write)
        self._last_seq += len(rows)
        self._last_chain = values[-1] if values else self._last_chain

    async def _select(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """A read on the writer's connection in one call to its thread, run to its end: a
        statement left in progress there would make the next COMMIT fail."""
        return [tuple(row) for row in await self._db.execute_fetchall(sql, parameters)]

    def _committed(self, stored: Sequence[StoredEvent]) -> None:
        if self.on_commit is not None:
            self.on_commit(stored)

    async def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` in one transaction on the connection's thread: all of it is written, or none
        of it and NotRecorded says why (an IntegrityError is raised as it is).

        The whole transaction is one call to that thread, so a commit costs one hop to it rather
        than one per statement (a press's latency, and the thread switches at a busy moment).
        aiosqlite has no public way to run a function on its thread: `_execute` is what its
        own methods call (0.22; every write comes here: any test that writes fails if it goes)."""

        def run() -> T:
            db = self._db._conn
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # a full disk may have rolled it back already
                    with contextlib.suppress(sqlite3.Error):  # the first error is the one told
                        db.execute("ROLLBACK")
                raise
            return result

        try:
            return cast(T, await self._db._execute(run))  # type: ignore[no-untyped-call]
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as error:
            raise NotRecorded(str(error)) from error
