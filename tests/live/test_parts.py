"""Long imports and purges are written in parts: rooms' commands go between them, and an
interrupted one is never served half done."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from roomlive.core import codec
from roomlive.core import events as e
from roomlive.core.commandkeys import CommandKey, server_key
from roomlive.core.commands import CheckParticipant, EndSession
from roomlive.core.model import Status
from roomlive.core.shared import DomainError
from roomlive.live.answers import Imported, KeyReused
from roomlive.live.integrity import ABANDONED_IMPORT, PURGED, verify_chain
from roomlive.live.store import EventStore
from roomlive.live.writer import PART_ROWS
from roomlive.review.importing import digest
from tests.live.test_lazy import ended_log, write
from tests.live.test_unreadable import created, rooms_on

pytestmark = pytest.mark.anyio

CHECK = CheckParticipant("Sam", "p1", Status.OK)


def long_log(sid: str, checks: int) -> list[e.Event]:
    """A session of `checks` check-ins: longer than one part when `checks` > PART_ROWS."""
    statuses = (Status.OK, Status.WATCH)
    middle: list[e.Event] = [
        e.ParticipantChecked(at=2.0 + n / 1000, by="Sam", pid="p1", status=statuses[n % 2])
        for n in range(checks)
    ]
    return [created(sid, "Long group", "Zoë"), *middle, e.SessionEnded(at=99.0, by="Sam")]


def chain_is_whole(path: Path) -> bool:
    with sqlite3.connect(path) as db:
        return verify_chain(db) is None


def audit(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return [(str(w), str(s)) for w, s in db.execute("SELECT what, session_id FROM audit")]


def rows_of(path: Path, sid: str) -> int:
    with sqlite3.connect(path) as db:
        query = "SELECT COUNT(*) FROM events WHERE session_id = ?"
        return int(db.execute(query, (sid,)).fetchone()[0])


async def test_a_live_command_is_written_between_the_parts_of_a_long_import(
    tmp_path: Path,
) -> None:
    path = tmp_path / "roomlive.db"
    await write(path, "live", [created("live", "Tuesday group", "Ben")])
    rooms, store = await rooms_on(path)
    first_part_in = asyncio.Event()
    write_part = store.append_import_rows

    async def noting_the_first_part(*args: Any) -> int:
        written = await write_part(*args)
        first_part_in.set()
        return written

    store.append_import_rows = noting_the_first_part  # type: ignore[method-assign,assignment]
    try:
        importing = asyncio.create_task(
            rooms.import_session("long", long_log("long", 3 * PART_ROWS), "Sam")
        )
        await first_part_in.wait()
        await rooms.execute("live", CHECK, server_key("tap"))
        imported = await importing
        assert not imported.already and rooms.session("long") is None  # listed, not folded
        assert [p.shell.name for p in rooms.past()] == ["Long group"]
    finally:
        await store.close()

    with sqlite3.connect(path) as db:
        tap = db.execute("SELECT MAX(seq) FROM events WHERE session_id = 'live'").fetchone()[0]
        query = "SELECT MAX(seq) FROM events WHERE session_id = ?"
        last_import = db.execute(query, (imported.sid,)).fetchone()[0]
    assert tap < last_import  # the tap did not wait for the whole import
    assert chain_is_whole(path)


async def test_an_import_interrupted_between_parts_is_removed_at_the_next_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "roomlive.db"
    events = long_log("cut", 2 * PART_ROWS)
    store = await EventStore.open(path)
    try:
        encoded = [codec.encode(event) for event in events]
        written = await store.append_import_part("cut", events, encoded, 0, digest(events))
        assert written == PART_ROWS  # the server stops here: the rest never comes
    finally:
        await store.close()
    assert rows_of(path, "cut") == PART_ROWS

    rooms, store = await rooms_on(path)
    try:
        assert rooms.count() == 0 and rooms.past() == [] and rooms.unreadable("cut") is None
        again = await rooms.import_session("cut", events, "Sam")  # not "already imported"
        assert again == Imported("cut")
    finally:
        await store.close()
    assert audit(path) == [(ABANDONED_IMPORT, "cut")]
    assert rows_of(path, "cut") == len(events)
    assert chain_is_whole(path)


async def test_a_purge_interrupted_between_parts_is_finished_at_the_next_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "roomlive.db"
    await write(path, "keep", ended_log("keep", "Monday group"))
    rooms, store = await rooms_on(path)
    try:
        await rooms.import_session("long", long_log("long", 2 * PART_ROWS), "Sam")
        assert await store.begin_purge("long", 50.0, "Sam") == 2 * PART_ROWS + 2
        assert not await store.purge_part("long")  # the server stops after one part
    finally:
        await store.close()
    assert 0 < rows_of(path, "long") < 2 * PART_ROWS

    rooms, store = await rooms_on(path)
    try:
        assert [p.shell.sid for p in rooms.past()] == ["keep"]
    finally:
        await store.close()
    assert rows_of(path, "long") == 0 and audit(path) == [(PURGED, "long")]
    assert chain_is_whole(path)


async def test_a_purge_in_parts_removes_the_session_at_once_and_every_row(
    tmp_path: Path,
) -> None:
    path = tmp_path / "roomlive.db"
    rooms, store = await rooms_on(path)
    try:
        imported = await rooms.import_session("long", long_log("long", 2 * PART_ROWS), "Sam")
        assert await rooms.purge(imported.sid, "Sam") == 2 * PART_ROWS + 2
        assert rooms.count() == 0
        with pytest.raises(DomainError, match="no such session"):
            await rooms.purge(imported.sid, "Sam")
    finally:
        await store.close()
    assert rows_of(path, "long") == 0 and chain_is_whole(path)


async def test_a_retried_command_to_an_ended_session_not_folded_is_answered_from_the_log(
    tmp_path: Path,
) -> None:
    path = tmp_path / "roomlive.db"
    await write(path, "old", [created("old", "Monday group", "Zoë")])
    rooms, store = await rooms_on(path)
    try:
        sent = server_key("check")
        await rooms.execute("old", CHECK, sent)
        await rooms.execute("old", EndSession("Sam"), server_key("end"))
    finally:
        await store.close()

    rooms, store = await rooms_on(path)
    try:
        assert rooms.session("old") is None  # ended, not folded
        assert (await rooms.execute("old", CHECK, sent)).duplicate
        with pytest.raises(KeyReused):
            await rooms.execute("old", CHECK, CommandKey(sent.sender, sent.key, "other"))
        with pytest.raises(DomainError, match="ended"):
            await rooms.execute("old", CHECK, server_key("new"))
        assert rooms.session("old") is None  # none of that folded its log
    finally:
        await store.close()
