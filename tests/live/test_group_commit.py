"""Group commit on a real SQLite file: the commands that wait while a commit is in flight are
decided in order, written in one transaction, and answered and shown only after it."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from roomlive.core import events as e
from roomlive.core.commandkeys import CommandKey, participant_sender, server_key, tablet_sender
from roomlive.core.commands import ClaimAssist, Command, CreateSession, PressButton
from roomlive.core.model import ParticipantSpec, Phase
from roomlive.core.shared import DomainError
from roomlive.live.answers import KeyReused, Outcome
from roomlive.live.hub import Channel, Hub
from roomlive.live.records import NotRecorded
from roomlive.live.rooms import Rooms
from roomlive.live.steady_clock import SteadyClock
from roomlive.live.store import EventStore
from roomlive.web import TEMPLATES_DIR
from roomlive.web.render import Views

pytestmark = pytest.mark.anyio

SID = "group"
PIDS = [f"p{n}" for n in range(1, 13)]


class RecordingHub(Hub):
    """A hub that remembers which channel each message went to, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.channels: list[Channel] = []

    def publish(self, channel: Channel, message: str) -> None:
        self.channels.append(channel)
        super().publish(channel, message)

    def phones(self) -> list[str]:
        """The button links that were pushed a status, in order."""
        return [
            channel[1]
            for channel in self.channels
            if isinstance(channel, tuple) and channel[0] == "participant"
        ]


class Commits:
    """Counts the COMMITs the writer's connection runs: one per transaction, one fsync."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, statement: str) -> None:
        self.count += statement.strip().upper() == "COMMIT"


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[tuple[Rooms, EventStore, RecordingHub]]:
    store = await EventStore.open(tmp_path / "roomlive.db")
    hub = RecordingHub()
    rooms = Rooms(store, hub, Views(TEMPLATES_DIR), SteadyClock())
    await rooms.load()
    specs = tuple(ParticipantSpec(pid, pid, n, f"token-{pid}") for n, pid in enumerate(PIDS, 1))
    created = CreateSession(SID, "Group", "Room 1", specs, (Phase("Peak", 35),), ("water",), 15)
    await rooms.execute(SID, created, server_key("create"))
    hub.channels.clear()
    try:
        yield rooms, store, hub
    finally:
        await store.close()


async def commits(store: EventStore) -> Commits:
    counter = Commits()
    await store._db.set_trace_callback(counter)
    return counter


def press(pid: str, key: str) -> tuple[Command, CommandKey]:
    return PressButton(pid, rid=f"r-{pid}-{key}"), CommandKey(participant_sender(pid), key, "press")


async def together(rooms: Rooms, *commands: tuple[Command, CommandKey]) -> list[Any]:
    """Execute the commands concurrently, in this order; each one's outcome or exception."""
    return await asyncio.gather(
        *(rooms.execute(SID, command, key) for command, key in commands), return_exceptions=True
    )


async def test_concurrent_presses_are_committed_in_one_transaction_in_order(
    room: tuple[Rooms, EventStore, RecordingHub],
) -> None:
    rooms, store, hub = room
    counted = await commits(store)

    outcomes = await together(rooms, *(press(pid, "k1") for pid in PIDS))

    assert counted.count == 1
    assert [type(o.events[0]) for o in outcomes] == [e.AssistRaised] * len(PIDS)
    logged = await rooms.session_records(SID)
    raised = [(seq, ev.pid) for seq, ev in logged if isinstance(ev, e.AssistRaised)]
    assert [pid for _, pid in raised] == PIDS  # in the order they were executed
    assert [seq for seq, _ in raised] == list(range(raised[0][0], raised[0][0] + len(PIDS)))
    assert hub.phones() == [f"token-{pid}" for pid in PIDS]  # shown in commit order
    session = rooms.session(SID)
    assert session is not None and len(session.live_requests()) == len(PIDS)


async def test_a_batch_decides_each_command_on_the_ones_before_it(
    room: tuple[Rooms, EventStore, RecordingHub],
) -> None:
    rooms, store, hub = room
    counted = await commits(store)
    first, key = press("p1", "a")
    claim = ClaimAssist("Sam", "r-p1-a")

    raised, retried, again, claimed, claimed_too, reused, other = await together(
        rooms,
        (first, key),
        (first, key),  # the same press retried: a duplicate of the first
        press("p1", "b"),  # asked again while the first is open
        (claim, CommandKey(tablet_sender("t1"), "c", "claim")),
        (ClaimAssist("Ana", "r-p1-a"), CommandKey(tablet_sender("t2"), "d", "claim")),
        (PressButton("p1", "r-x"), CommandKey(participant_sender("p1"), "a", "other")),
        press("p2", "e"),
    )

    assert counted.count == 1
    assert [type(ev) for ev in raised.events] == [e.AssistRaised]
    assert retried == Outcome((), duplicate=True)
    assert [type(ev) for ev in again.events] == [e.AssistRepeated]
    assert [type(ev) for ev in claimed.events] == [e.AssistClaimed]
    assert isinstance(claimed_too, DomainError) and "already claimed" in str(claimed_too)
    assert isinstance(reused, KeyReused)
    assert [type(ev) for ev in other.events] == [e.AssistRaised]
    logged = [type(ev) for _, ev in await rooms.session_records(SID)][1:]
    assert logged == [e.AssistRaised, e.AssistRepeated, e.AssistClaimed, e.AssistRaised]
    assert hub.phones() == ["token-p1", "token-p1", "token-p1", "token-p2"]

    # Later batches see the batch's keys as every other command's.
    assert await rooms.execute(SID, first, key) == Outcome((), duplicate=True)


class FullDisk:
    """A sqlite3 connection whose COMMIT fails: what a full disk does to a transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


async def test_a_failed_commit_fails_every_command_of_its_batch_and_shows_nothing(
    room: tuple[Rooms, EventStore, RecordingHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    rooms, store, hub = room
    before = rooms.session(SID)
    logged = await rooms.session_records(SID)
    # The writer's own sqlite3 connection fails its COMMIT, as SQLite does on a full disk.
    monkeypatch.setattr(store._db, "_connection", FullDisk(store._db._conn))
    refused = (ClaimAssist("Sam", "no-such-request"), CommandKey(tablet_sender("t1"), "x", "c"))
    outcomes = await together(rooms, *(press(pid, "k1") for pid in PIDS[:5]), refused)

    assert all(isinstance(o, NotRecorded) for o in outcomes)
    assert rooms.write_problem == "database or disk is full"
    assert rooms.session(SID) is before and hub.channels == []
    assert await rooms.session_records(SID) == logged

    monkeypatch.undo()  # the disk has room again: the same presses are recorded, once
    again = await together(rooms, *(press(pid, "k1") for pid in PIDS[:5]))
    assert [type(o.events[0]) for o in again] == [e.AssistRaised] * 5
    assert rooms.write_problem is None
    seqs = [seq for seq, _ in await rooms.session_records(SID)]
    assert seqs == list(range(1, len(logged) + 6))
    assert hub.phones() == [f"token-{pid}" for pid in PIDS[:5]]


async def test_a_cancelled_caller_leaves_the_rest_of_its_batch_alone(
    room: tuple[Rooms, EventStore, RecordingHub],
) -> None:
    rooms, _, hub = room
    waiting = [asyncio.ensure_future(rooms.execute(SID, *press(pid, "k1"))) for pid in PIDS[:3]]
    await asyncio.sleep(0)
    waiting[1].cancel()
    done = await asyncio.gather(*waiting, return_exceptions=True)
    assert isinstance(done[1], asyncio.CancelledError)
    assert [type(o.events[0]) for o in (done[0], done[2]) if isinstance(o, Outcome)] == [
        e.AssistRaised
    ] * 2
    assert hub.phones() == ["token-p1", "token-p3"]


async def test_a_key_the_log_holds_but_the_rooms_do_not_is_a_duplicate_of_its_own(
    room: tuple[Rooms, EventStore, RecordingHub],
) -> None:
    rooms, store, hub = room
    command, key = press("p2", "logged")
    await store.append(
        SID, key.stored(), [e.AssistRaised(at=1.5, by="participant", rid="r-x", pid="p3")]
    )

    outcomes = await together(rooms, press("p1", "k1"), (command, key), press("p4", "k1"))

    assert outcomes[1] == Outcome((), duplicate=True)
    assert [type(outcomes[i].events[0]) for i in (0, 2)] == [e.AssistRaised] * 2
    assert hub.phones() == ["token-p1", "token-p4"]
