"""The publisher renders a batch while the disk writes it, and pushes it only once committed: on
a real SQLite file whose COMMIT the test holds back, as a slow disk would."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from roomlive.core.commandkeys import CommandKey, participant_sender, server_key
from roomlive.core.commands import CheckParticipant, CreateSession, PressButton
from roomlive.core.model import ParticipantSpec, Phase, Session, Status
from roomlive.live.hub import Channel, Hub
from roomlive.live.presence import Attendance
from roomlive.live.regions import Region
from roomlive.live.rooms import Rooms
from roomlive.live.steady_clock import SteadyClock
from roomlive.live.store import EventStore
from roomlive.web import TEMPLATES_DIR
from roomlive.web.render import Views

pytestmark = pytest.mark.anyio

SID = "ahead"
PIDS = ["p1", "p2", "p3"]
WAIT_SECONDS = 5.0


class SlowDisk:
    """The writer's sqlite3 connection, with its COMMIT held until the test lets it go."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.committing = threading.Event()
        self.go = threading.Event()

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT":
            self.committing.set()
            self.go.wait(WAIT_SECONDS)
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


class Messages(Hub):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[Channel, str]] = []

    def publish(self, channel: Channel, message: str) -> None:
        self.sent.append((channel, message))

    def tiles(self, pid: str) -> list[str]:
        return [m for _, m in self.sent for m in re.findall(rf'<article id="mat-{pid}"[^>]*>', m)]

    def bands(self, pid: str) -> list[str]:
        """The mat's request band as pushed alone (a press's) or inside its tile."""
        pattern = rf'<span id="mat-{pid}-request"[^>]*>'
        return [m for _, m in self.sent for m in re.findall(pattern, m)]


class CountingViews(Views):
    """The real views, counting the fragments they render (and failing for one mat if told)."""

    def __init__(self) -> None:
        super().__init__(TEMPLATES_DIR)
        self.rendered = 0
        self.broken_pid: str | None = None

    def fragments(
        self,
        session: Session,
        regions: Sequence[Region],
        now: float,
        presence: Attendance | None,
    ) -> str:
        mats = {region.key for region in regions if region.kind in ("tile", "tile-request")}
        if self.broken_pid in mats:
            raise RuntimeError("this tile cannot be drawn")
        self.rendered += 1
        return super().fragments(session, regions, now, presence)


Room = tuple[Rooms, Messages, CountingViews, SlowDisk]


@pytest.fixture
async def room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Room]:
    store = await EventStore.open(tmp_path / "roomlive.db")
    hub, views = Messages(), CountingViews()
    rooms = Rooms(store, hub, views, SteadyClock())
    await rooms.load()
    specs = tuple(ParticipantSpec(pid, pid, n, f"token-{pid}") for n, pid in enumerate(PIDS, 1))
    created = CreateSession(SID, "Group", "Room 1", specs, (Phase("Peak", 35),), ("water",), 15)
    await rooms.execute(SID, created, server_key("create"))
    disk = SlowDisk(store._db._conn)
    monkeypatch.setattr(store._db, "_connection", disk)
    hub.sent.clear()
    views.rendered = 0
    try:
        yield rooms, hub, views, disk
    finally:
        disk.go.set()
        monkeypatch.undo()
        await store.close()


def press(rooms: Rooms, pid: str) -> asyncio.Future[Any]:
    key = CommandKey(participant_sender(pid), f"k-{pid}", "press")
    return asyncio.ensure_future(rooms.execute(SID, PressButton(pid, rid=f"r-{pid}"), key))


async def committing(disk: SlowDisk) -> None:
    assert await asyncio.to_thread(disk.committing.wait, WAIT_SECONDS)


async def test_a_press_is_rendered_while_the_disk_writes_and_shown_only_once_committed(
    room: Room,
) -> None:
    rooms, hub, views, disk = room
    pressed = press(rooms, "p1")
    await committing(disk)
    await asyncio.sleep(0.05)

    assert views.rendered == 1  # drawn while the COMMIT is still on the disk
    assert hub.sent == [] and not pressed.done()  # nothing shown, nobody answered
    disk.go.set()
    assert (await pressed).events
    assert len(hub.bands("p1")) == 1 and 'data-asks="1"' in hub.bands("p1")[0]
    assert hub.tiles("p1") == []  # the press changed the band alone
    assert views.rendered == 1  # drawn once


async def test_a_button_that_comes_online_during_the_commit_is_drawn_online(room: Room) -> None:
    rooms, hub, _, disk = room
    check = CheckParticipant("Kim", "p1", Status.OK)
    checked = asyncio.ensure_future(rooms.execute(SID, check, server_key("check-p1")))
    await committing(disk)
    rooms.presence.connected(SID, "p1")  # its phone's socket opens meanwhile
    disk.go.set()
    await checked

    last = hub.tiles("p1")[-1]  # a check-in redraws the whole tile
    assert "status-ok" in last and "button-offline" not in last


async def test_a_tile_that_cannot_be_drawn_fails_its_own_press_not_the_batch(room: Room) -> None:
    rooms, hub, views, disk = room
    views.broken_pid = "p2"
    first = press(rooms, "p1")
    await committing(disk)  # the next two wait for this commit, then go in one batch
    disk.committing.clear()
    batch = [press(rooms, pid) for pid in ("p2", "p3")]
    await asyncio.sleep(0)
    disk.go.set()
    await first
    done = await asyncio.gather(*batch, return_exceptions=True)

    assert isinstance(done[0], RuntimeError)  # recorded, yet its caller hears it was not shown
    assert not isinstance(done[1], BaseException) and done[1].events
    assert hub.bands("p2") == [] and len(hub.bands("p3")) == 1
    session = rooms.session(SID)
    assert session is not None and {r.pid for r in session.live_requests()} == set(PIDS)


@pytest.mark.parametrize("snapshot_first", [True, False])
async def test_a_first_press_after_a_snapshot_pushes_the_list_parts_not_the_whole_list(
    room: Room, snapshot_first: bool
) -> None:
    rooms, hub, _, disk = room
    session = rooms.session(SID)
    assert session is not None
    if snapshot_first:
        rooms.snapshot(session)  # a tablet connects: this list is what it shows
    disk.go.set()
    await press(rooms, "p1")

    [(_, pushed)] = hub.sent[:1]
    assert ('id="requests"' in pushed) is not snapshot_first  # unknown: the whole list
    assert '<li id="request-r-p1"' in pushed
