"""Reads of one whole session (review, export, folding an ended one), on a read-only connection
of their own: a long read holds up neither the writer (WAL lets readers and the writer go on
together) nor the event loop (rows are decoded in a worker thread)."""

from __future__ import annotations

import asyncio

import aiosqlite

from roomlive.core.codec import UnreadableEvent
from roomlive.live.records import StoredEvent, UnreadableRow, read_row


class LogReader:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def close(self) -> None:
        await self._db.close()

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
        async with self._db.execute(
            "SELECT seq, session_id, command_key, type, data FROM events "
            "WHERE session_id = ? ORDER BY seq",
            (session_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return await asyncio.to_thread(lambda: [read_row(*row) for row in rows])
