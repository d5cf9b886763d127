"""Ended sessions are not folded at start-up: listed from a few events, folded when opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomlive.core import events as e
from roomlive.core.apply import fold
from roomlive.core.commandkeys import server_key
from roomlive.core.commands import CheckParticipant
from roomlive.core.model import Phase, Status
from roomlive.core.shared import DomainError
from roomlive.live.store import EventStore
from roomlive.review.export import to_json
from tests.live.test_unreadable import MISSING_RID, created, insert, rooms_on

pytestmark = pytest.mark.anyio


async def write(path: Path, sid: str, events: list[e.Event]) -> None:
    store = await EventStore.open(path)
    try:
        for number, event in enumerate(events):
            await store.append(sid, server_key(f"{sid}-{number}").stored(), [event])
    finally:
        await store.close()


def ended_log(sid: str, name: str) -> list[e.Event]:
    return [
        created(sid, name, "Zoë"),
        e.ClockStarted(at=2.0, by="Sam"),
        e.ParticipantChecked(at=3.0, by="Sam", pid="p1", status=Status.WATCH),
        e.PresetSaved(at=4.0, by="Sam", name="short", phases=(Phase("Peak", 20),)),
        e.SessionEnded(at=5.0, by="Sam"),
    ]


async def test_an_ended_session_is_listed_at_start_up_and_folded_when_opened(
    tmp_path: Path,
) -> None:
    path = tmp_path / "roomlive.db"
    past = ended_log("old", "Monday group")
    await write(path, "old", past)
    await write(path, "live", [created("live", "Tuesday group", "Ben")])

    rooms, store = await rooms_on(path)
    try:
        assert [s.sid for s in rooms.sessions()] == ["live"]  # the ended one is not folded
        (listed,) = rooms.past()
        assert (listed.shell.name, listed.shell.ended, rooms.count()) == ("Monday group", True, 2)
        assert "short" in rooms.presets()  # a plan saved in an ended session is still offered
        assert rooms.session("old") is None

        await rooms.unfold("old")
        assert rooms.past() == [] and rooms.session("old") == fold(past)
        with pytest.raises(DomainError, match="ended"):
            await rooms.execute("old", CheckParticipant("Sam", "p1", Status.OK), server_key("k"))
    finally:
        await store.close()


async def test_a_command_purge_or_import_reaches_an_ended_session_not_opened_yet(
    tmp_path: Path,
) -> None:
    path = tmp_path / "roomlive.db"
    await write(path, "old", ended_log("old", "Monday group"))
    await write(path, "gone", ended_log("gone", "Sunday group"))

    rooms, store = await rooms_on(path)
    try:
        with pytest.raises(DomainError, match="ended"):  # not "no such session"
            await rooms.execute("old", CheckParticipant("Sam", "p1", Status.OK), server_key("k"))
        assert await rooms.purge("gone", "Sam") == 5
        assert rooms.count() == 1 and rooms.session("gone") is None
        assert [p.shell.sid for p in rooms.past()] == ["old"]  # a refused command folds nothing

        logged = await rooms.session_records("old")
        imported = await rooms.import_session("old", [ev for _, ev in logged], "Sam")
        assert imported.sid != "old" and not imported.already  # the id is taken
        again = await rooms.import_session("old", [ev for _, ev in logged], "Sam")
        assert again.sid == imported.sid and again.already
        assert to_json("x", logged)  # what an export of it gives is unchanged by the import
    finally:
        await store.close()

    rooms, store = await rooms_on(path)  # after a restart the import is an ended one too
    try:
        assert {p.shell.sid for p in rooms.past()} == {"old", imported.sid}
        again = await rooms.import_session("old", [ev for _, ev in logged], "Sam")
        assert again.sid == imported.sid and again.already
    finally:
        await store.close()


async def test_an_unreadable_row_of_an_ended_session_is_found_when_it_is_opened(
    tmp_path: Path,
) -> None:
    path = tmp_path / "roomlive.db"
    await write(path, "old", ended_log("old", "Monday group"))
    insert(path, 99, "old", "AssistRaised", MISSING_RID)

    rooms, store = await rooms_on(path)
    try:
        assert rooms.unreadable("old") is None and len(rooms.past()) == 1
        await rooms.unfold("old")
        unreadable = rooms.unreadable("old")
        assert unreadable is not None and unreadable.name == "Monday group"
        assert "event 99 (AssistRaised)" in unreadable.problem
        assert rooms.past() == [] and rooms.session("old") is None and rooms.count() == 0
    finally:
        await store.close()
