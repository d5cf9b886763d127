"""Is the event log whole? SQLite's own check, then the checksum chain over every row.

Each logged row has a chain value in the append-only `chain` table, written in the same
transaction as the row: sha256 of the previous row's chain value and this row's fields. Walking
the log in seq order and recomputing finds a row that was altered, or deleted other than by a
purge, and names the first one. A purge deletes a session's events but keeps their chain rows
(seq, session, hash: nothing of what they held), so the chain stays whole across it and a missing
event of a purged session is expected, not damage.

The chain is no signature: whoever can write the file can recompute it. It catches damage (a
torn page, a bad sector, a hand edit), not a determined forger.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

GENESIS = "0" * 64  # the "previous chain value" of the first row ever logged
QUICK_CHECK_OK = "ok"
# Audit entries whose session's events were deleted on purpose (their chain rows stay).
PURGED = "purge"
ABANDONED_IMPORT = "abandoned import"  # an import interrupted before its last part
REMOVALS = (PURGED, ABANDONED_IMPORT)
QUICK_CHECK_LINES = 3  # enough of SQLite's complaint to tell a page from an index

# A row as the chain sees it: seq, session_id, command_key, part, at, type, data. Read back
# from a damaged file a field can be of another kind: then it mismatches, or `matches` says no.
Row = tuple[int, str, str, int, float, str, str]


@dataclass(frozen=True)
class Damage:
    """The first row where the log is not what was written."""

    seq: int
    session_id: str
    problem: str

    def __str__(self) -> str:
        return f"event log damaged at event {self.seq} (session {self.session_id}): {self.problem}"


def link(previous: str, row: Row) -> str:
    """This row's chain value: sha256 of the previous value and the row's fields.

    Numbers as their repr (1 is not 1.0; a float's repr is its shortest exact form), each text
    prefixed with its length, so no two rows read alike whatever they hold. The writer passes
    `at` as a float, as SQLite's REAL column gives it back. Written out by hand: JSON took
    three times as long, and start-up walks every row.
    """
    seq, session_id, key, part, at, type_name, data = row
    text = (
        f"{previous}\n{seq!r}\n{part!r}\n{at!r}\n{len(session_id)}:{session_id}\n"
        f"{len(key)}:{key}\n{len(type_name)}:{type_name}\n{len(data)}:{data}"
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def matches(previous: str, row: Row, value: str) -> bool:
    try:
        return link(previous, row) == value
    except TypeError:  # a NULL where the schema forbids one: damage below SQLite's checks
        return False


def chain_values(previous: str, rows: Iterable[Row]) -> list[str]:
    """The chain values of rows appended in order after a row whose value is `previous`."""
    values = []
    for row in rows:
        previous = link(previous, row)
        values.append(previous)
    return values


def first_damage(
    chained: Iterable[tuple[int, str, str, Row | None]],
    unchained: tuple[int, str] | None,
    purged: set[str],
) -> Damage | None:
    """Walk (seq, session, chain value, the row or None if gone) in seq order.

    `unchained` is the first logged row without a chain value, if any; `purged` the sessions the
    audit log says were purged.
    """
    found: Damage | None = None
    previous = GENESIS
    for seq, session_id, value, row in chained:
        if row is None:
            if session_id not in purged:
                found = Damage(seq, session_id, "it is missing, and its session was never purged")
                break
        elif not matches(previous, row, value):
            found = Damage(seq, str(row[1]), "its checksum does not match")
            break
        previous = value
    if unchained is not None and (found is None or unchained[0] < found.seq):
        return Damage(unchained[0], unchained[1], "it has no checksum")
    return found


def quick_check(db: sqlite3.Connection) -> str | None:
    """SQLite's `quick_check` (pages, records, free list; no index-vs-table compare): None if
    it found nothing, else the start of what it says."""
    try:
        lines = [str(line) for (line,) in db.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as error:  # too damaged to even look at
        return str(error)
    if lines == [QUICK_CHECK_OK]:
        return None
    return "; ".join(lines[:QUICK_CHECK_LINES])


def verify_chain(db: sqlite3.Connection) -> Damage | None:
    """Recompute the chain over the whole log. A log from before checksums (no chain rows yet)
    passes: `EventStore.open` adds them."""
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "chain" not in tables or db.execute("SELECT 1 FROM chain LIMIT 1").fetchone() is None:
        return None
    marks = ",".join("?" * len(REMOVALS))
    audit = db.execute(f"SELECT session_id FROM audit WHERE what IN ({marks})", REMOVALS)
    purged = {sid for (sid,) in audit}
    unchained = db.execute(
        "SELECT seq, session_id FROM events WHERE seq NOT IN (SELECT seq FROM chain) "
        "ORDER BY seq LIMIT 1"
    ).fetchone()
    walk = db.execute(
        "SELECT c.seq, c.session_id, c.value, e.seq, e.session_id, e.command_key, e.part, e.at, "
        "e.type, e.data FROM chain c LEFT JOIN events e ON e.seq = c.seq ORDER BY c.seq"
    )
    rows = (
        (seq, sid, value, None if row[0] is None else tuple(row)) for seq, sid, value, *row in walk
    )
    return first_damage(rows, unchained, purged)


def log_extent(db: sqlite3.Connection) -> int:
    """The highest seq the log ever reached: purged rows keep their chain row, so count those."""
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    extent = 0
    for table in ("events", "chain") if "chain" in tables else ("events",):
        (top,) = db.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {table}").fetchone()
        extent = max(extent, int(top))
    return extent


def open_existing(path: Path) -> sqlite3.Connection:
    """Never creates a file. Not `mode=ro`: a WAL file left by a killed server needs recovery,
    which a read-only connection may not run; these connections read and write nothing else."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)


def check_file(path: Path) -> str | None:
    """What is wrong with the log file at `path` (SQLite's check, then the chain), or None."""
    db = open_existing(path)
    try:
        problem = quick_check(db)
        if problem is not None:
            return f"the event log {path} is damaged: SQLite's check says: {problem}"
        try:
            damage = verify_chain(db)
        except sqlite3.DatabaseError as error:
            return f"the event log {path} is damaged: reading it failed: {error}"
        return None if damage is None else str(damage)
    finally:
        db.close()
