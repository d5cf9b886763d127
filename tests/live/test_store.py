"""The event log on a real SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from roomlive.core import codec
from roomlive.core import events as e
from roomlive.live.records import DuplicateCommand, StoredEvent, UnreadableRow
from roomlive.live.schema import SCHEMA
from roomlive.live.store import EventStore

pytestmark = pytest.mark.anyio


async def test_appended_events_come_back_in_order_after_reopening(tmp_path: Path) -> None:
    store = await EventStore.open(tmp_path / "log.db")
    first = await store.append("s1", "k1", [e.ClockStarted(at=1, by="Sam")])
    both = await store.append(
        "s2",
        "k2",
        [
            e.AssistRaised(at=2, by="participant", rid="r", pid="p1"),
            e.AssistRepeated(at=3, rid="r"),
        ],
    )
    await store.close()

    reopened = await EventStore.open(tmp_path / "log.db")
    loaded = await reopened.load()
    later = await reopened.append("s1", "k3", [e.ClockPaused(at=4, by="Sam")])
    await reopened.close()

    assert [s.seq for s in first + both] == [1, 2, 3]
    assert loaded == first + both
    assert later[0].seq == 4


async def test_a_command_key_is_recorded_once_per_session(tmp_path: Path) -> None:
    store = await EventStore.open(tmp_path / "log.db")
    await store.append("s1", "same", [e.ClockStarted(at=1, by="Sam")])
    with pytest.raises(DuplicateCommand):
        await store.append("s1", "same", [e.ClockPaused(at=2, by="Sam")])
    await store.append("s2", "same", [e.ClockStarted(at=3, by="Sam")])
    after = await store.append("s1", "other", [e.ClockPaused(at=4, by="Sam")])
    assert after[0].seq == 3  # the refused append did not use up a sequence number
    await store.close()


async def test_reads_beside_appends_never_leave_a_commit_a_statement_in_progress(
    tmp_path: Path,
) -> None:
    """A read left half-done on the writer's connection (a cursor between its hops) made the
    next COMMIT fail with "SQL statements in progress": reads are one call to its thread."""
    store = await EventStore.open(tmp_path / "log.db")
    for n in range(50):
        await asyncio.gather(
            store.checkpoint(),
            store.append("s1", f"k{n}", [e.AssistRepeated(at=n, rid="r")]),
            store.command_asked("s1", "someone", "k"),
            store.audit(),
        )
    assert len(await store.load()) == 50
    await store.close()


async def test_the_log_is_durable_and_append_only(tmp_path: Path) -> None:
    store = await EventStore.open(tmp_path / "log.db")
    await store.append("s1", "k1", [e.ClockStarted(at=1, by="Sam")])
    await store.close()

    with sqlite3.connect(tmp_path / "log.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        for statement in ("UPDATE events SET at = 0", "DELETE FROM events"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1


async def three_sessions(path: Path) -> EventStore:
    store = await EventStore.open(path)
    await store.append("s1", "k1", [e.ClockStarted(at=1, by="Sam")])
    await store.append(
        "gone", "k1", [e.ClockStarted(at=2, by="Sam"), e.ClockPaused(at=3, by="Sam")]
    )
    await store.append("s3", "k1", [e.ClockStarted(at=4, by="Sam")])
    await store.append("gone", "k2", [e.ClockResumed(at=5, by="Sam")])
    return store


async def test_session_events_are_one_sessions_in_log_order(tmp_path: Path) -> None:
    store = await three_sessions(tmp_path / "log.db")
    found = await store.reader.session_events("gone")
    await store.close()
    assert [(s.seq, s.session_id, s.event.at) for s in found] == [
        (2, "gone", 2),
        (3, "gone", 3),
        (5, "gone", 5),
    ]


async def test_a_purge_removes_every_row_of_that_session_and_nothing_else(tmp_path: Path) -> None:
    store = await three_sessions(tmp_path / "log.db")
    before = [s for s in await store.load() if s.session_id != "gone"]

    deleted = await store.purge("gone", at=99.5, by="Sam")
    audit = await store.audit()
    after = await store.load()
    await store.close()

    assert deleted == 3
    assert after == before  # every other row, untouched
    assert [(a.what, a.session_id, a.at, a.by, a.events) for a in audit] == [
        ("purge", "gone", 99.5, "Sam", 3)
    ]
    with sqlite3.connect(tmp_path / "log.db") as db:
        assert db.execute("SELECT COUNT(*) FROM events WHERE session_id = 'gone'").fetchone() == (
            0,
        )
        assert db.execute("SELECT COUNT(*) FROM purge_permits").fetchone() == (0,)
        audit_columns = [row[1] for row in db.execute("PRAGMA table_info(audit)")]
        assert audit_columns == ["id", "what", "session_id", "at", "by", "events"]  # no contents


async def test_outside_a_purge_the_log_and_the_audit_stay_append_only(tmp_path: Path) -> None:
    store = await three_sessions(tmp_path / "log.db")
    await store.purge("gone", at=99.5, by="Sam")
    await store.close()
    reopened = await EventStore.open(tmp_path / "log.db")  # the schema runs again: still guarded
    await reopened.close()

    with sqlite3.connect(tmp_path / "log.db") as db:
        statements = [
            "UPDATE events SET at = 0",
            "DELETE FROM events WHERE session_id = 's1'",
            "DELETE FROM events",
            "UPDATE audit SET events = 0",
            "DELETE FROM audit",
        ]
        for statement in statements:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)
        # a permit lets DELETE through, but never UPDATE
        db.execute("INSERT INTO purge_permits VALUES ('s1')")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE events SET at = 0 WHERE session_id = 's1'")
        db.rollback()
        assert db.execute("SELECT COUNT(*) FROM events").fetchone() == (2,)


async def test_a_log_made_before_purges_existed_can_be_purged(tmp_path: Path) -> None:
    old_schema = SCHEMA.split("CREATE TABLE IF NOT EXISTS purge_permits")[0].replace(
        "DROP TRIGGER IF EXISTS events_are_append_only_delete;", ""
    )
    old_schema += (
        "CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events "
        "BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;"
    )
    with sqlite3.connect(tmp_path / "log.db") as db:
        db.executescript(old_schema)
        db.execute(
            "INSERT INTO events VALUES (1, 'old', 'k', 0, 1.0, 'ClockStarted', ?)",
            ('{"at":1.0,"by":"Sam"}',),
        )
    store = await EventStore.open(tmp_path / "log.db")
    assert await store.purge("old", at=2, by="Kim") == 1
    assert await store.load() == []
    await store.close()


async def test_an_imported_session_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    store = await EventStore.open(tmp_path / "log.db")
    await store.append_session(
        "s1", [e.ClockStarted(at=1, by="Sam"), e.ClockPaused(at=2, by="Sam")], "hash-1"
    )
    with pytest.raises(sqlite3.IntegrityError):  # the same session's import keys again
        await store.append_session("s1", [e.ClockResumed(at=3, by="Sam")] * 3, "hash-2")
    with pytest.raises(sqlite3.IntegrityError):  # the same file's hash again
        await store.append_session("s3", [e.ClockResumed(at=3, by="Sam")], "hash-1")
    later = await store.append("s2", "k", [e.ClockStarted(at=4, by="Sam")])
    loaded = await store.load()
    imports = await store.imports()
    await store.close()
    assert [(s.seq, s.session_id) for s in loaded] == [(1, "s1"), (2, "s1"), (3, "s2")]
    assert imports == {"hash-1": "s1"}
    assert later[0].seq == 3


async def test_a_row_that_cannot_be_decoded_is_named_and_the_others_still_load(
    tmp_path: Path,
) -> None:
    store = await EventStore.open(tmp_path / "log.db")
    await store.append("s1", "k1", [e.ClockStarted(at=1, by="Sam")])
    await store.close()
    with sqlite3.connect(tmp_path / "log.db") as db:  # as a later roomlive, or damage, left it
        db.execute(
            "INSERT INTO events VALUES (2, 's2', 'k', 0, 2.0, 'AssistRaised', ?)",
            ('{"at":2.0,"by":"participant","pid":"p1"}',),
        )
        db.execute("INSERT INTO events VALUES (3, 's1', 'k2', 0, 3.0, 'ClockPaused', 'oops')")
    db.close()
    store = await EventStore.open(tmp_path / "log.db")
    await store.append("s1", "k3", [e.ClockResumed(at=4, by="Sam")])
    loaded = await store.load()
    await store.close()

    assert [type(row) for row in loaded] == [StoredEvent, UnreadableRow, UnreadableRow, StoredEvent]
    assert str(loaded[1]) == "event 2 (AssistRaised): missing field 'rid'"
    assert loaded[1].session_id == "s2"
    assert str(loaded[2]).startswith("event 3 (ClockPaused): the data is not JSON")
    assert isinstance(loaded[3], StoredEvent) and loaded[3].seq == 4


async def test_one_sessions_events_name_a_row_that_cannot_be_decoded(tmp_path: Path) -> None:
    store = await EventStore.open(tmp_path / "log.db")
    await store.append("s1", "k1", [e.ClockStarted(at=1, by="Sam")])
    await store.close()
    with sqlite3.connect(tmp_path / "log.db") as db:
        db.execute("INSERT INTO events VALUES (2, 's1', 'k', 0, 2.0, 'Nope', '{}')")
    db.close()
    store = await EventStore.open(tmp_path / "log.db")
    try:
        with pytest.raises(codec.UnreadableEvent, match=r"event 2 \(Nope\): unknown event type"):
            await store.reader.session_events("s1")
    finally:
        await store.close()
