"""Shrinking what a crash can take: checkpoint the WAL and copy the log to the backup folder,
every few minutes and whenever a session ends (the moment whose record matters most).

Off the hot path: a PASSIVE checkpoint waits for no reader and runs on the store's own
connection between appends; the backup reads through its own connection in a worker thread,
which in WAL mode never blocks the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from roomlive.core import events as e
from roomlive.live.backup import make_backup
from roomlive.live.records import StoredEvent
from roomlive.live.store import EventStore

log = logging.getLogger(__name__)

CHECKPOINT_SECONDS = 120.0
BACKUP_SECONDS = 300.0


class Upkeep:
    def __init__(self, store: EventStore, db_path: Path, backup_dir: Path | None) -> None:
        self._store = store
        self._db_path = db_path
        self._backup_dir = backup_dir
        self._ended = asyncio.Event()
        self._last_backup = time.monotonic()
        self._backup_failing = False
        store.on_commit = self._committed

    def _committed(self, stored: Sequence[StoredEvent]) -> None:
        if any(isinstance(record.event, e.SessionEnded) for record in stored):
            self._ended.set()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ended.wait(), CHECKPOINT_SECONDS)
            ended = self._ended.is_set()
            self._ended.clear()
            try:
                await self.once(backup=ended)
            except Exception:  # upkeep must keep running whatever one round hit
                log.exception("checkpoint or backup failed")

    async def once(self, backup: bool = False) -> None:
        """Checkpoint; back up too if asked, or if the last backup is old enough."""
        busy, frames, copied = await self._store.checkpoint()
        if busy or copied < frames:
            log.info("checkpoint partial: %d of %d WAL frames copied", copied, frames)
        due = time.monotonic() - self._last_backup >= BACKUP_SECONDS
        if self._backup_dir is None or not (backup or due):
            return
        self._last_backup = time.monotonic()
        try:
            made = await asyncio.to_thread(
                make_backup, self._db_path, self._backup_dir, time.time()
            )
        except (OSError, sqlite3.Error) as error:
            if not self._backup_failing:  # once, not every round, while the stick is out
                log.error("backup to %s failed: %s; the server runs on", self._backup_dir, error)
            self._backup_failing = True
            return
        if self._backup_failing:
            log.info("backups to %s work again", self._backup_dir)
        self._backup_failing = False
        log.info("backup written: %s", made)
