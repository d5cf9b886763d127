"""The event log on a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from roomlive import events as e
from roomlive.store import DuplicateCommand, EventStore

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
    assert [(s.seq, s.session_id, s.command_key, s.event) for s in loaded] == [
        (s.seq, s.session_id, s.command_key, s.event) for s in first + both
    ]
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
