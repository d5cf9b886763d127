"""A realistic session log: 2 hours, 10 participants, three facilitators (a generated fixture).

Built as events with chosen times and folded through `apply` (so it is a log the server could
have written). Seeded, so every run makes the same session.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from roomlive.core import events as e
from roomlive.core.apply import fold
from roomlive.core.model import DoseKind, ParticipantSpec, Phase, RequestKind, Status
from roomlive.core.presets import DEFAULT_FLAGS

NAMES = ("Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jules")
TEAM = ("Sam", "Kim", "Rae")
PLAN = (
    Phase("Arrival", 10, "Arrival · soft piano"),
    Phase("Opening circle", 15),
    Phase("Dosing", 10, "Dosing · drones"),
    Phase("Onset", 10, "Onset · Stars of the Lid"),
    Phase("Peak", 35, "Peak · Music for Psychedelic Therapy"),
    Phase("Return", 20, "Return · strings"),
    Phase("Rest", 10, "Rest · rain"),
    Phase("Integration circle", 10),
)
TIMEZONE = "Europe/Berlin"
START = datetime(2026, 3, 14, 18, 0, tzinfo=ZoneInfo(TIMEZONE)).timestamp()


def realistic_session(sid: str = "evening-group", start: float = START) -> list[e.Event]:
    rng = random.Random(7)
    out: list[e.Event] = []

    def at(minutes: float) -> float:
        return start + round(minutes * 60)

    people = tuple(
        ParticipantSpec(pid=f"p{i + 1}", name=name, mat=i + 1, token=f"token-{i + 1}")
        for i, name in enumerate(NAMES)
    )
    out.append(
        e.SessionCreated(
            at=at(-40),
            sid=sid,
            name="Thursday evening group",
            room="Room 2",
            participants=people,
            phases=PLAN,
            flags=DEFAULT_FLAGS,
            checkin_minutes=15,
            timezone=TIMEZONE,
        )
    )
    out.append(e.ButtonTestStarted(at=at(-12), by="Sam"))
    out += [e.ButtonTested(at=at(-11 + i * 0.3), pid=p.pid) for i, p in enumerate(people)]
    out.append(e.ButtonTestEnded(at=at(-6), by="Sam"))
    for i, p in enumerate(people):  # baseline vitals
        out.append(_vitals(at(-9 + i * 0.4), p.pid, 128 + i * 2, 80 + i, 72 + i))
    out.append(e.ClockStarted(at=at(0), by="Sam"))
    minute = 0.0
    for index in range(1, len(PLAN)):  # the onset ran a minute long
        minute += PLAN[index - 1].minutes + (1 if index == 4 else 0)
        out.append(e.PhaseAdvanced(at=at(minute), by="Sam", index=index))
    for i, p in enumerate(people):  # doses, one after another in the dosing phase
        dose = 25.5 + i * 0.7
        out.append(e.DoseRecorded(at=at(dose), by="Rae", pid=p.pid, kind=DoseKind.DOSE))
        out.append(_flag(at(dose + 0.1), "Rae", p.pid, "dosed", True))
        systolic = 174 if i == 3 else 138 + i * 2  # one blood pressure too high at +40
        out.append(_vitals(at(dose + 40), p.pid, systolic, 88, 88 + i))
        if i in (1, 6, 8):
            booster = e.DoseRecorded(at=at(dose + 30), by="Rae", pid=p.pid, kind=DoseKind.BOOSTER)
            out.append(booster)
    for i, p in enumerate(people):  # check-ins every 9-15 minutes; Eli is missed once
        minute = rng.uniform(2, 8)
        while minute < 118:
            status = Status.OK
            if 55 < minute < 80 and i in (2, 5):
                status = Status.WATCH
            if 70 < minute < 78 and i == 5:
                status = Status.ATTENTION
            if 100 < minute < 108 and i == 7:
                status = Status.AWAY
            by = TEAM[(i + int(minute)) % 3]
            out.append(e.ParticipantChecked(at=at(minute), by=by, pid=p.pid, status=status))
            minute += rng.uniform(9, 14.5) + (14 if i == 4 and 40 < minute < 60 else 0)
    flags = [
        (2, "nausea", 72, 95),
        (5, "nausea", 74, 90),
        (0, "blanket", 35, 110),
        (8, "water", 96, 0),
        (5, "bathroom", 101, 106),
    ]
    for i, flag, on, off in flags:
        out.append(_flag(at(on), "Kim", people[i].pid, flag, True))
        if off:
            out.append(_flag(at(off), "Kim", people[i].pid, flag, False))
    for i, p in enumerate(people):
        out.append(_flag(at(96 + i * 0.6), "Sam", p.pid, "returned", True))
        out.append(_flag(at(112 + i * 0.5), "Sam", p.pid, "ride", True))
    out.append(e.NoteSet(at=at(76), by="Kim", pid="p6", text="Felt sick at 74', bucket given"))
    out.append(e.NoteSet(at=at(66.5), by="Rae", pid="p4", text="BP high at +40, recheck"))
    out.append(_vitals(at(80), "p4", 152, 92, 84))
    out.append(e.ClockPaused(at=at(84), by="Sam"))
    out.append(e.ClockResumed(at=at(87), by="Sam"))
    _requests(out, at)
    out.append(e.SessionEnded(at=at(122), by="Sam"))
    out.sort(key=lambda ev: ev.at)  # stable: same-time events keep their order
    assert fold(out) is not None  # the log replays cleanly
    return out


def _requests(out: list[e.Event], at: Callable[[float], float]) -> None:
    """Twelve requests: quick and slow claims, an escalation, a release, a cancel, a watch."""
    plan = [  # (pid, raised minute, seconds to claim, claimer, seconds to resolve, outcome)
        ("p3", 38.0, 12, "Kim", 95, "reassured"),
        ("p6", 46.5, 25, "Sam", 240, "water"),
        ("p2", 52.0, 40, "Rae", 130, "repositioned"),
        ("p9", 58.0, 8, "Kim", 60, ""),
        ("p6", 73.0, 18, "Kim", 420, "nausea"),
        ("p3", 79.0, 75, "Sam", 200, "nausea"),  # escalated: nobody free
        ("p10", 90.0, 15, "Rae", 110, "bathroom"),
        ("p1", 99.0, 35, "Kim", 90, "reassured"),
        ("p8", 104.0, 22, "Sam", 150, "other"),
    ]
    for n, (pid, minute, claim, who, resolve, outcome) in enumerate(plan):
        rid, t = f"r{n + 1}", at(minute)
        out.append(e.AssistRaised(at=t, by="participant", rid=rid, pid=pid))
        if claim >= 30:
            out.append(e.AssistRealerted(at=t + 30, rid=rid))
        if claim >= 60:  # asked again once escalated (a repeat before it would escalate it)
            out.append(e.AssistEscalated(at=t + 60, rid=rid))
            out.append(e.AssistRepeated(at=t + 65, rid=rid))
        out.append(e.AssistClaimed(at=t + claim, by=who, rid=rid))
        if resolve - claim >= 180:  # still claimed, unresolved, when the claim went stale
            out.append(e.AssistClaimStale(at=t + claim + 180, rid=rid))
        note = "settled after ginger tea" if outcome == "nausea" else ""
        out.append(e.AssistResolved(at=t + resolve, by=who, rid=rid, outcome=outcome, note=note))
    t = at(64)  # released by one, claimed by another
    out.append(e.AssistRaised(at=t, by="participant", rid="r10", pid="p5"))
    out.append(e.AssistClaimed(at=t + 20, by="Sam", rid="r10"))
    out.append(e.AssistReleased(at=t + 50, by="Sam", rid="r10"))
    out.append(e.AssistClaimed(at=t + 65, by="Rae", rid="r10"))
    out.append(e.AssistResolved(at=t + 190, by="Rae", rid="r10", outcome="reassured"))
    t = at(85)  # the participant said "I'm OK now"
    out.append(e.AssistRaised(at=t, by="participant", rid="r11", pid="p7"))
    out.append(e.AssistCancelled(at=t + 20, rid="r11"))
    t = at(68)  # a facilitator asks colleagues to keep an eye on mat 6
    out.append(e.AssistRaised(at=t, by="Kim", rid="r12", pid="p6", kind=RequestKind.WATCH))
    out.append(e.AssistClaimed(at=t + 30, by="Rae", rid="r12"))
    out.append(e.AssistResolved(at=t + 600, by="Rae", rid="r12"))


def _vitals(t: float, pid: str, systolic: int, diastolic: int, hr: int) -> e.Event:
    return e.VitalsRecorded(
        at=t, by="Rae", pid=pid, systolic=systolic, diastolic=diastolic, hr=hr, spo2=97
    )


def _check(t: float, by: str, pid: str, status: Status) -> e.Event:
    return e.ParticipantChecked(at=t, by=by, pid=pid, status=status)


def _flag(t: float, by: str, pid: str, flag: str, on: bool) -> e.Event:
    return e.FlagSet(at=t, by=by, pid=pid, flag=flag, on=on)
