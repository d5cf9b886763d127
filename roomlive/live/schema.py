"""The log's tables and triggers, and what opening an older log adds (see store.py on both)."""

from __future__ import annotations

import logging

import aiosqlite

from roomlive.live.integrity import GENESIS, chain_values

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


async def chain_older_rows(db: aiosqlite.Connection) -> None:
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
