"""Before serving: is the log whole, and is it at least as long as its newest backup?

A log that fails either stops start-up with one message: what is wrong, the newest backup, and
the command that restores it. Serving a damaged or shortened log would show a room that is not
what was recorded.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from roomlive.live.backup import RESTORE_COMMAND, extent_of, newest
from roomlive.live.integrity import check_file

ACCEPT_SHORTER_FLAG = "--accept-shorter-log"


def why_not_start(db_path: Path, backup_dir: Path | None, accept_shorter: bool) -> str | None:
    """None if the server may start on `db_path`, else what to tell the operator."""
    if not db_path.exists():
        return None  # a new log
    problem = check_file(db_path)
    if problem is not None:
        return f"{problem}.\n{restore_advice(db_path, backup_dir)}"
    latest = newest(backup_dir)
    if latest is None or accept_shorter:
        return None
    try:
        backed_up = extent_of(latest)
    except sqlite3.DatabaseError as error:
        return (
            f"the newest backup {latest} cannot be read ({error}): move it out of the backup "
            "folder, then start again"
        )
    logged = extent_of(db_path)
    if backed_up <= logged:
        return None
    return (
        f"the event log {db_path} ends at event {logged}, but the newest backup {latest} goes to "
        f"event {backed_up}: the log has lost its last {backed_up - logged} events (a cut or "
        f"damaged -wal file?).\n{restore_advice(db_path, backup_dir)}\n"
        f"To start with the shorter log instead, add {ACCEPT_SHORTER_FLAG}."
    )


def restore_advice(db_path: Path, backup_dir: Path | None) -> str:
    latest = newest(backup_dir)
    if latest is None:
        where = f"no backup in {backup_dir}" if backup_dir else "no backup folder (--backup-dir)"
        return (
            f"There is {where}. If you have a copy of the log, restore it (server stopped): "
            f"{RESTORE_COMMAND} --from COPY --db {db_path}"
        )
    return (
        f"The newest backup is {latest}. To restore it (server stopped; the damaged file is kept "
        f"beside it): {RESTORE_COMMAND} --from {latest} --db {db_path}"
    )
