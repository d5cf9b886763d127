"""Backups of the event log to another disk, and putting one back.

A backup is a consistent copy made through SQLite's online backup API (the server keeps writing
meanwhile), written under a temporary name, flushed, then renamed: a file named like a backup is
always a whole one. It is converted to a single self-contained file (no -wal beside it), so it
can be carried on a USB stick. The newest `KEEP_BACKUPS` are kept.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from roomlive.live.integrity import check_file, log_extent, open_existing

BACKUP_PREFIX = "roomlive-"
BACKUP_SUFFIX = ".db"
BACKUP_STAMP = "%Y%m%d-%H%M%S"  # sorts by name in time order
PARTIAL_SUFFIX = ".partial"
KEEP_BACKUPS = 12  # an hour of five-minute backups, or a week of sessions
SIDE_FILES = ("-wal", "-shm")  # SQLite's companions of a WAL-mode database file
RESTORE_COMMAND = "python3 run.py restore"


class RestoreRefused(Exception):
    """The backup is not fit to restore; the message says why and what to do."""


@dataclass(frozen=True)
class Restored:
    backup: Path
    moved_aside: tuple[Path, ...]
    extent: int


def backup_name(now: float) -> str:
    return f"{BACKUP_PREFIX}{time.strftime(BACKUP_STAMP, time.localtime(now))}{BACKUP_SUFFIX}"


def backups(directory: Path) -> list[Path]:
    """Whole backups in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}"))


def newest(directory: Path | None) -> Path | None:
    found = backups(directory) if directory is not None else []
    return found[-1] if found else None


def extent_of(path: Path) -> int:
    db = open_existing(path)
    try:
        return log_extent(db)
    finally:
        db.close()


def make_backup(db_path: Path, directory: Path, now: float) -> Path:
    """Copy the log into `directory` as a new newest backup; drop the oldest beyond KEEP_BACKUPS.

    Blocking: run it in a worker thread. Its own read connection sees one committed state.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / backup_name(now)
    partial = directory / f".{target.name}{PARTIAL_SUFFIX}"
    partial.unlink(missing_ok=True)
    source = open_existing(db_path)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, never restarted
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal: fit for a stick
    finally:
        copy.close()
        source.close()
    _flush(partial)
    partial.replace(target)  # a same-second backup is superseded by the newer copy
    _flush(directory)
    for old in backups(directory)[:-KEEP_BACKUPS]:
        old.unlink(missing_ok=True)
    return target


def _flush(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def restore(backup: Path, db_path: Path, now: float) -> Restored:
    """Check `backup`, move the current log (and its -wal, -shm) aside, copy the backup in.

    Only with the server stopped: a running server would keep writing to the moved file.
    """
    if not backup.is_file():
        raise RestoreRefused(f"there is no file {backup}: name a backup file (roomlive-….db)")
    problem = check_file(backup)
    if problem is not None:
        raise RestoreRefused(f"{backup} is not fit to restore: {problem}; try an older backup")
    stamp = time.strftime(BACKUP_STAMP, time.localtime(now))
    moved = []
    for suffix in ("", *SIDE_FILES):
        current = Path(f"{db_path}{suffix}")
        if current.exists():
            aside = Path(f"{db_path}.damaged-{stamp}{suffix}")
            current.replace(aside)
            moved.append(aside)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    partial = db_path.with_name(f".{db_path.name}{PARTIAL_SUFFIX}")
    shutil.copyfile(backup, partial)
    _flush(partial)
    partial.replace(db_path)
    _flush(db_path.parent)
    return Restored(backup, tuple(moved), extent_of(db_path))
