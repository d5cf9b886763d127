"""Write a golden log: two sessions that hold every event type, made by real commands.

    python -m tests.live.golden.make_golden tests/live/golden/<new name>.db

Every command goes through `Rooms.execute` (decide, append, fold) on a real `EventStore`, with a
clock moved by hand, so the file holds rows exactly as this roomlive writes them. A golden log is
written once and kept as it is for good: tests/live/test_golden.py checks that every roomlive
after it still loads, folds and renders it. Changing an event never means regenerating one (write
the upcaster instead); adding an event type means extending `evening` below and writing a new file
next to the old ones, which stay.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from roomlive.core import commands as c
from roomlive.core.commandkeys import CommandKey, asked_for, participant_sender, server_key
from roomlive.core.model import DoseKind, ParticipantSpec, Phase, RequestKind, Status, Thresholds
from roomlive.core.presets import DEFAULT_FLAGS, PRESETS
from roomlive.live.hub import Hub
from roomlive.live.rooms import Rooms
from roomlive.live.steady_clock import SteadyClock
from roomlive.live.store import EventStore
from roomlive.web import TEMPLATES_DIR
from roomlive.web.render import Views

TIMEZONE = "Europe/Berlin"
EVENING_START = datetime(2026, 3, 12, 18, 0, tzinfo=ZoneInfo(TIMEZONE)).timestamp()
MORNING_START = datetime(2026, 3, 13, 9, 30, tzinfo=ZoneInfo(TIMEZONE)).timestamp()
PLAN = (
    Phase("Arrival", 10, "Arrival · soft piano"),
    Phase("Opening circle", 15),
    Phase("Dosing", 10, "Dosing · drones"),
    Phase("Onset", 10),
    Phase("Peak", 35, "Peak · Music for Psychedelic Therapy"),
    Phase("Return", 20),
    Phase("Integration circle", 20),
)


def people(*names: str) -> tuple[ParticipantSpec, ...]:
    return tuple(
        ParticipantSpec(pid=f"p{mat}", name=name, mat=mat, token=f"golden-token-{mat}")
        for mat, name in enumerate(names, start=1)
    )


class Script:
    """Commands for one session at chosen minutes after its start, keyed as their senders do."""

    def __init__(self, rooms: Rooms, time: list[float], sid: str, start: float) -> None:
        self.rooms, self.time, self.sid, self.start = rooms, time, sid, start
        self.count = 0

    async def at(self, minutes: float, command: c.Command, sender: str = "tablet:golden") -> None:
        self.time[0] = self.start + minutes * 60
        self.count += 1
        key = f"golden-{self.count}"
        if isinstance(command, c.Tick):
            stored = server_key(key)
        else:
            stored = CommandKey(sender, key, asked_for(type(command).__name__, {"n": key}))
        outcome = await self.rooms.execute(self.sid, command, stored)
        if not outcome.events:
            raise AssertionError(f"{command} at minute {minutes} changed nothing")

    async def press(self, minutes: float, pid: str, rid: str) -> None:
        await self.at(minutes, c.PressButton(pid=pid, rid=rid), participant_sender(pid))


async def evening(script: Script) -> None:
    """An ended session with every event type, in the order a real evening would have them."""
    at = script.at
    await at(0, c.CreateSession(
        sid=script.sid, name="Thursday evening group", room="Room 2 – Garden",
        participants=people("Ana", "Ben", "Cleo", "Zoë"), phases=PRESETS["im-group"],
        flags=DEFAULT_FLAGS, checkin_minutes=15, timezone=TIMEZONE,
    ))  # fmt: skip
    await at(1, c.SetPlan(by="Sam", phases=PLAN))
    await at(2, c.SavePreset(by="Sam", name="Thursday plan", phases=PLAN))
    await at(3, c.SetLadder(by="Sam", realert_seconds=30, escalate_seconds=60, stale_seconds=120))
    limits = Thresholds(systolic_max=150, diastolic_max=95, hr_max=110, hr_min=45, spo2_min=93)
    await at(4, c.SetThresholds(by="Sam", thresholds=limits))
    await at(5, c.SetFlags(by="Sam", flags=(*DEFAULT_FLAGS, "eye mask")))
    await at(6, c.SetCheckinInterval(by="Kim", minutes=10))
    await at(7, c.StartButtonTest(by="Kim"))
    for number, pid in enumerate(("p1", "p2", "p3"), start=1):
        await script.press(7 + number / 4, pid, f"test-{pid}")
    await at(8, c.EndButtonTest(by="Kim"))
    await at(9, c.PairButton(by="Kim", pid="p1", token="golden-button-1", seconds=120))
    hardware = c.PressButton(pid="p1", rid="pairing", hardware=True)
    await at(9.5, hardware, participant_sender("p1"))
    await at(10, c.StartClock(by="Sam"))
    await at(11, c.AdvancePhase(by="Sam"))
    await at(12, c.AdvancePhase(by="Sam"))
    await at(13, c.ReturnPhase(by="Sam"))
    await at(25, c.AdvancePhase(by="Sam"))
    for minute, pid in ((26, "p1"), (26.5, "p2"), (27, "p3"), (27.5, "p4")):
        await at(minute, c.RecordDose(by="Kim", pid=pid, kind=DoseKind.DOSE))
    await at(30, c.ExtendPhase(by="Sam", minutes=5))
    await at(31, c.CheckParticipant(by="Kim", pid="p1", status=Status.OK))
    await at(31.5, c.CheckParticipant(by="Kim", pid="p2", status=Status.WATCH))
    await at(32, c.CheckParticipant(by="Rae", pid="p3", status=Status.ATTENTION))
    await at(32.5, c.CheckParticipant(by="Rae", pid="p4", status=Status.AWAY))
    await at(33, c.ToggleFlag(by="Kim", pid="p2", flag="nausea"))
    await at(34, c.SetNote(by="Kim", pid="p2", text="nauseous, <b>bucket</b> ready"))
    await at(35, c.RecordVitals(by="Rae", pid="p3", systolic=152, diastolic=96, hr=88, spo2=97))
    await at(36, c.RecordVitals(by="Rae", pid="p4", hr=64))
    # p1 presses, waits past both ladder rungs, presses again, is claimed; the claim goes stale.
    await script.press(40, "p1", "r1")
    await at(40.6, c.Tick())
    await at(41.1, c.Tick())
    await script.press(41.3, "p1", "r1-again")
    await at(41.5, c.ClaimAssist(by="Kim", rid="r1"))
    await at(43.6, c.Tick())
    await at(45, c.ResolveAssist(by="Kim", rid="r1", outcome="water", note="sipped, settled"))
    await at(46, c.ReopenAssist(by="Kim", rid="r1"))
    await at(46.5, c.ClaimAssist(by="Sam", rid="r1"))
    await at(47, c.ReleaseAssist(by="Sam", rid="r1"))
    await at(47.5, c.ClaimAssist(by="Kim", rid="r1"))
    await at(49, c.ResolveAssist(by="Kim", rid="r1", outcome="reassured"))
    late = c.PressButton(pid="p4", rid="r2", pressed_at=script.start + 48 * 60, hardware=True)
    await at(50, late, participant_sender("p4"))
    await at(50.5, c.CancelAssist(pid="p4"), participant_sender("p4"))
    await at(52, c.RaiseAssist(by="Sam", pid="p3", rid="r3", kind=RequestKind.BACKUP))
    await at(52.5, c.ClaimAssist(by="Rae", rid="r3"))
    await at(55, c.ResolveAssist(by="Rae", rid="r3", outcome="repositioned"))
    await at(56, c.ToggleFlag(by="Kim", pid="p2", flag="nausea"))
    await at(58, c.RecordDose(by="Kim", pid="p2", kind=DoseKind.BOOSTER))
    await at(60, c.PauseClock(by="Sam"))
    await at(64, c.ResumeClock(by="Sam"))
    await at(65, c.SetAutoAdvance(by="Sam", on=True))
    await at(100, c.Tick())  # the planned time is up: the next phase starts by itself
    await at(101, c.SetAutoAdvance(by="Sam", on=False))
    await at(110, c.ReissueToken(by="Sam", pid="p2", token="golden-token-2b"))
    await at(111, c.RevokeButton(by="Sam", pid="p1"))
    await at(150, c.EndSession(by="Sam"))


async def morning(script: Script) -> None:
    """A session still under way: the dashboard's live state, an open request among it."""
    at = script.at
    await at(0, c.CreateSession(
        sid=script.sid, name="Friday morning group", room="Room 1",
        participants=people("Dev", "Eli", "Fay"), phases=PRESETS["lozenge-group"],
        flags=DEFAULT_FLAGS, checkin_minutes=15, timezone=TIMEZONE,
    ))  # fmt: skip
    await at(5, c.StartClock(by="Noor"))
    await at(20, c.AdvancePhase(by="Noor"))
    await at(21, c.RecordDose(by="Noor", pid="p1", kind=DoseKind.DOSE))
    await at(22, c.CheckParticipant(by="Noor", pid="p2", status=Status.OK))
    await script.press(23, "p3", "m1")


async def write(path: Path) -> None:
    if path.exists():
        raise SystemExit(f"{path} exists: golden logs are never rewritten, write a new one")
    time = [EVENING_START]
    store = await EventStore.open(path)
    try:
        clock = SteadyClock(wall=lambda: time[0], monotonic=lambda: time[0])  # moved by hand
        rooms = Rooms(store, Hub(), Views(TEMPLATES_DIR), clock)
        await evening(Script(rooms, time, "golden-evening", EVENING_START))
        await morning(Script(rooms, time, "golden-morning", MORNING_START))
    finally:
        await store.close()
    with sqlite3.connect(path) as db:  # one self-contained file: no -wal beside it
        db.execute("PRAGMA journal_mode=DELETE")
    db.close()


if __name__ == "__main__":
    asyncio.run(write(Path(sys.argv[1])))
