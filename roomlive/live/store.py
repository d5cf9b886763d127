"""The event log as the rooms use it: the writer (writer.py) plus imports and purges in parts,
what an interrupted one leaves finished at start, and the record of imports and purges.

Imports and purges of long logs are written in parts, a transaction each, so that the one writer
is free between them for every room's commands. A session being imported is listed in
`unfinished_imports` until its last part commits; a purge keeps its permit until its last part.
`finish_interrupted` (at start) deletes what an interrupted import wrote and finishes an
interrupted purge: neither is ever served half done.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence

from roomlive.core.codec import decode, encode
from roomlive.core.commandkeys import SEPARATOR
from roomlive.core.events import Event
from roomlive.live.integrity import ABANDONED_IMPORT, PURGED
from roomlive.live.records import AuditRow, StoredEvent
from roomlive.live.writer import ENDED_TYPE, IMPORT_KEY, PART_ROWS, Encoded, LogWriter

# One row of an import, before it has a seq: (at, type, data).
ImportRow = tuple[float, str, str]


class EventStore(LogWriter):
    async def append_import_part(
        self,
        session_id: str,
        events: Sequence[Event],
        encoded: Sequence[Encoded],
        start: int,
        digest: str,
    ) -> int:
        """Write the next part of an import (up to PART_ROWS events from `start`) in one
        transaction; return where the next part starts."""
        end = min(start + PART_ROWS, len(events))
        pairs = zip(events[start:end], encoded[start:end], strict=True)
        rows = [(float(ev.at), *row) for ev, row in pairs]
        return await self.append_import_rows(session_id, rows, start, len(events), digest)

    async def append_import_rows(
        self, session_id: str, rows: Sequence[ImportRow], start: int, total: int, digest: str
    ) -> int:
        """Write one part of an import, the rows from `start` of `total`, in one transaction;
        return where the next part starts. The first part lists the session in
        `unfinished_imports`, the last one takes it off and records the file's `digest`."""
        end = start + len(rows)
        first = self._last_seq + 1
        log_rows = [
            (first + i, session_id, IMPORT_KEY, start + i, at, type_name, data)
            for i, (at, type_name, data) in enumerate(rows)
        ]
        marks: list[tuple[str, tuple[object, ...]]] = []
        if start == 0:
            marks.append(("INSERT INTO unfinished_imports VALUES (?)", (session_id,)))
        if end == total:
            marks.append(("DELETE FROM unfinished_imports WHERE session_id = ?", (session_id,)))
            marks.append(("INSERT INTO imports VALUES (?, ?)", (digest, session_id)))
        await self._insert(log_rows, *marks)
        # Only the end is watched for (upkeep backs up at a session's end): only it is decoded.
        self._committed(
            [
                StoredEvent(row[0], session_id, IMPORT_KEY, decode(row[5], row[6]))
                for row in log_rows
                if row[5] == ENDED_TYPE
            ]
        )
        return end

    async def append_session(
        self, session_id: str, events: Sequence[Event], digest: str
    ) -> list[StoredEvent]:
        """A whole import, part after part, for a caller that holds the writer throughout."""
        encoded = await asyncio.to_thread(lambda: [encode(event) for event in events])
        written = 0
        while written < len(events):
            written = await self.append_import_part(session_id, events, encoded, written, digest)
        return await self.reader.session_events(session_id)

    async def command_asked(self, session_id: str, sender: str, key: str) -> str | None:
        """What `sender` asked for with `key` in this session, if the log holds that command:
        for a session not folded (an index lookup, not a read of the whole log)."""
        prefix = f"{sender}{SEPARATOR}{key}{SEPARATOR}"
        rows = await self._select(
            "SELECT command_key FROM events WHERE session_id = ? AND command_key >= ? "
            "AND command_key < ? LIMIT 1",
            (session_id, prefix, prefix + "\U0010ffff"),
        )
        return str(rows[0][0])[len(prefix) :] if rows else None

    async def imports(self) -> dict[str, str]:
        """The content hash of every imported file still here, and the session it became."""
        rows = await self._select("SELECT digest, session_id FROM imports")
        return {digest: sid for digest, sid in rows}

    async def begin_purge(self, session_id: str, at: float, by: str) -> int:
        """Start deleting one session's events: its permit and the audit row (that, not what, it
        was purged) in one transaction; `purge_part` then deletes the events. Returns how many
        there are. The chain rows stay (a hash each), so the chain still verifies."""
        return await self._transaction(lambda db: begin_removal(db, session_id, PURGED, at, by))

    async def purge(self, session_id: str, at: float, by: str) -> int:
        """A whole purge, part after part, for a caller that holds the writer throughout."""
        count = await self.begin_purge(session_id, at, by)
        while not await self.purge_part(session_id):
            pass
        return count

    async def purge_part(self, session_id: str) -> bool:
        """Delete up to PART_ROWS more of a session being purged; True once none is left."""
        return await self._transaction(lambda db: remove_part(db, session_id))

    async def finish_interrupted(self, at: float) -> list[str]:
        """Delete what an interrupted import wrote, and the rest of an interrupted purge: the
        sessions touched, for the start-up log."""
        imports = [
            str(sid) for (sid,) in await self._select("SELECT session_id FROM unfinished_imports")
        ]
        for sid in imports:

            def abandon(db: sqlite3.Connection, sid: str = sid) -> None:
                begin_removal(db, sid, ABANDONED_IMPORT, at, "roomlive")
                db.execute("DELETE FROM unfinished_imports WHERE session_id = ?", (sid,))

            await self._transaction(abandon)
        removals = [
            str(sid) for (sid,) in await self._select("SELECT session_id FROM purge_permits")
        ]
        for sid in removals:
            while not await self.purge_part(sid):
                pass
        return removals

    async def audit(self) -> list[AuditRow]:
        rows = await self._select("SELECT what, session_id, at, by, events FROM audit ORDER BY id")
        return [AuditRow(what, sid, at, by, count) for what, sid, at, by, count in rows]


def begin_removal(db: sqlite3.Connection, sid: str, what: str, at: float, by: str) -> int:
    """In a transaction: let a session's events be deleted and audit that (not what); return
    how many there are."""
    row = db.execute("SELECT COUNT(*) FROM events WHERE session_id = ?", (sid,)).fetchone()
    count = int(row[0]) if row else 0
    db.execute("INSERT INTO purge_permits VALUES (?)", (sid,))
    # A purged import may come back: its file's hash goes with it.
    db.execute("DELETE FROM imports WHERE session_id = ?", (sid,))
    db.execute(
        "INSERT INTO audit (what, session_id, at, by, events) VALUES (?,?,?,?,?)",
        (what, sid, at, by, count),
    )
    return count


def remove_part(db: sqlite3.Connection, sid: str) -> bool:
    """In a transaction: delete up to PART_ROWS more of a session being removed; True once
    none is left (its permit goes with the last part)."""
    cursor = db.execute(
        "DELETE FROM events WHERE seq IN "
        "(SELECT seq FROM events WHERE session_id = ? ORDER BY seq LIMIT ?)",
        (sid, PART_ROWS),
    )
    if cursor.rowcount == PART_ROWS:
        return False
    db.execute("DELETE FROM purge_permits WHERE session_id = ?", (sid,))
    return True
