"""The event log: an append-only SQLite table, written by one writer.

WAL with synchronous=FULL: an append has returned only once the event is on disk, so anything
broadcast after it survives a crash. Triggers refuse UPDATE and DELETE; a UNIQUE key per command
part makes a retried command impossible to record twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from .events import Event, decode, encode

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
CREATE TRIGGER IF NOT EXISTS events_are_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
"""


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    session_id: str
    command_key: str
    event: Event


class DuplicateCommand(Exception):
    """The command key was already recorded for this session."""


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

    async def load(self) -> list[StoredEvent]:
        async with self._db.execute(
            "SELECT seq, session_id, command_key, type, data FROM events ORDER BY seq"
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            StoredEvent(seq, session_id, key, decode(type_name, data))
            for seq, session_id, key, type_name, data in rows
        ]

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
        self._last_seq += len(events)
        return stored
