"""The room's rules, table-driven: every command, accepted and refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from roomlive.core import commands as c
from roomlive.core import events as e
from roomlive.core.apply import fold
from roomlive.core.decide import DomainError, decide
from roomlive.core.model import (
    DoseKind,
    ParticipantSpec,
    Phase,
    RequestKind,
    Session,
    Status,
    Thresholds,
)

T0 = 1_800_000_000.0
PHASES = (Phase("Arrival", 15), Phase("Peak", 35, "Deep"), Phase("Return", 20))
PEOPLE = (ParticipantSpec("p1", "Ana", 1, "tok-1"), ParticipantSpec("p2", "Ben", 2, "tok-2"))
CREATE = c.CreateSession("s1", "Tuesday group", "Room 1", PEOPLE, PHASES, ("water", "nausea"), 15)


def session_after(*history: e.Event) -> Session:
    state = fold([e.SessionCreated(at=T0, **vars(CREATE)), *history])
    assert state is not None
    return state


FRESH = session_after()
RUNNING = session_after(e.ClockStarted(at=T0 + 10, by="Sam"))
PAUSED = session_after(e.ClockStarted(at=T0 + 10, by="Sam"), e.ClockPaused(at=T0 + 70, by="Sam"))
LAST_PHASE = session_after(
    e.PhaseAdvanced(at=T0 + 1, by="Sam", index=1), e.PhaseAdvanced(at=T0 + 2, by="Sam", index=2)
)
OPEN = session_after(e.AssistRaised(at=T0 + 5, by="participant", rid="r1", pid="p1"))
CLAIMED = session_after(
    e.AssistRaised(at=T0 + 5, by="participant", rid="r1", pid="p1"),
    e.AssistClaimed(at=T0 + 9, by="Sam", rid="r1"),
)
RESOLVED = session_after(
    e.AssistRaised(at=T0 + 5, by="participant", rid="r1", pid="p1"),
    e.AssistResolved(at=T0 + 9, by="Kim", rid="r1", outcome=""),
)
CANCELLED = session_after(
    e.AssistRaised(at=T0 + 5, by="participant", rid="r1", pid="p1"),
    e.AssistCancelled(at=T0 + 6, rid="r1"),
)
WATCH, BACKUP = RequestKind.WATCH, RequestKind.BACKUP
TESTING = session_after(e.ButtonTestStarted(at=T0 + 1, by="Sam"))
TESTED = session_after(
    e.ButtonTestStarted(at=T0 + 1, by="Sam"), e.ButtonTested(at=T0 + 2, pid="p1")
)
WATCHED = session_after(e.AssistRaised(at=T0 + 5, by="Kim", rid="r1", pid="p1", kind=WATCH))
DOSE, BOOSTER = DoseKind.DOSE, DoseKind.BOOSTER
DOSED = session_after(e.DoseRecorded(at=T0 + 1, by="Sam", pid="p1", kind=DOSE))
ENDED = session_after(e.SessionEnded(at=T0 + 1, by="Sam"))
AUTO_DUE = session_after(
    e.AutoAdvanceSet(at=T0, by="Sam", on=True), e.ClockStarted(at=T0 + 10, by="Sam")
)
NOW = T0 + 100
BUTTON = "participant"

ACCEPTED = [
    (None, CREATE, [e.SessionCreated(at=NOW, **vars(CREATE))]),
    (FRESH, c.StartClock("Sam"), [e.ClockStarted(at=NOW, by="Sam")]),
    (RUNNING, c.PauseClock("Sam"), [e.ClockPaused(at=NOW, by="Sam")]),
    (PAUSED, c.ResumeClock("Kim"), [e.ClockResumed(at=NOW, by="Kim")]),
    (FRESH, c.AdvancePhase("Sam"), [e.PhaseAdvanced(at=NOW, by="Sam", index=1)]),
    (
        FRESH,
        c.CheckParticipant("Sam", "p2", Status.WATCH),
        [e.ParticipantChecked(at=NOW, by="Sam", pid="p2", status=Status.WATCH)],
    ),
    (
        FRESH,
        c.ToggleFlag("Sam", "p1", "water"),
        [e.FlagSet(at=NOW, by="Sam", pid="p1", flag="water", on=True)],
    ),
    (
        session_after(e.FlagSet(at=T0, by="Sam", pid="p1", flag="water", on=True)),
        c.ToggleFlag("Kim", "p1", "water"),
        [e.FlagSet(at=NOW, by="Kim", pid="p1", flag="water", on=False)],
    ),
    (FRESH, c.PressButton("p1", "r9"), [e.AssistRaised(at=NOW, by=BUTTON, rid="r9", pid="p1")]),
    (OPEN, c.PressButton("p1", "r9"), [e.AssistRepeated(at=NOW, rid="r1")]),
    (CLAIMED, c.PressButton("p1", "r9"), [e.AssistRepeated(at=NOW, rid="r1")]),
    (RESOLVED, c.PressButton("p1", "r9"), [e.AssistRaised(at=NOW, by=BUTTON, rid="r9", pid="p1")]),
    (WATCHED, c.PressButton("p1", "r9"), [e.AssistRaised(at=NOW, by=BUTTON, rid="r9", pid="p1")]),
    (TESTING, c.PressButton("p1", "r9"), [e.ButtonTested(at=NOW, pid="p1")]),
    (TESTED, c.PressButton("p1", "r9"), [e.AssistRaised(at=NOW, by=BUTTON, rid="r9", pid="p1")]),
    (
        FRESH,
        c.RaiseAssist("Kim", "p2", "r9", WATCH),
        [e.AssistRaised(at=NOW, by="Kim", rid="r9", pid="p2", kind=WATCH)],
    ),
    (
        CLAIMED,
        c.RaiseAssist("Sam", "p1", "r9", BACKUP),
        [e.AssistRaised(at=NOW, by="Sam", rid="r9", pid="p1", kind=BACKUP)],
    ),
    (OPEN, c.CancelAssist("p1"), [e.AssistCancelled(at=NOW, rid="r1")]),
    (CLAIMED, c.CancelAssist("p1"), [e.AssistCancelled(at=NOW, rid="r1")]),
    (OPEN, c.ClaimAssist("Sam", "r1"), [e.AssistClaimed(at=NOW, by="Sam", rid="r1")]),
    (CLAIMED, c.ReleaseAssist("Sam", "r1"), [e.AssistReleased(at=NOW, by="Sam", rid="r1")]),
    (
        OPEN,
        c.ResolveAssist("Sam", "r1", "water", " sipped "),
        [e.AssistResolved(at=NOW, by="Sam", rid="r1", outcome="water", note="sipped")],
    ),
    (CLAIMED, c.ResolveAssist("Kim", "r1"), [e.AssistResolved(at=NOW, by="Kim", rid="r1")]),
    (RESOLVED, c.ReopenAssist("Sam", "r1"), [e.AssistReopened(at=NOW, by="Sam", rid="r1")]),
    (FRESH, c.StartButtonTest("Sam"), [e.ButtonTestStarted(at=NOW, by="Sam")]),
    (TESTING, c.EndButtonTest("Sam"), [e.ButtonTestEnded(at=NOW, by="Sam")]),
    (
        FRESH,
        c.ReissueToken("Sam", "p2", "new"),
        [e.TokenReissued(at=NOW, by="Sam", pid="p2", token="new")],
    ),
    (
        FRESH,
        c.SetLadder("Sam", 20, 40, 120),
        [
            e.LadderChanged(
                at=NOW, by="Sam", realert_seconds=20, escalate_seconds=40, stale_seconds=120
            )
        ],
    ),
    (FRESH, c.Tick(), []),
    (LAST_PHASE, c.ReturnPhase("Kim"), [e.PhaseReturned(at=NOW, by="Kim", index=1)]),
    (FRESH, c.ExtendPhase("Sam", 5), [e.PhaseExtended(at=NOW, by="Sam", minutes=5)]),
    (FRESH, c.SetPlan("Sam", PHASES[:2]), [e.PlanChanged(at=NOW, by="Sam", phases=PHASES[:2])]),
    (
        FRESH,
        c.SavePreset("Sam", "Short", PHASES[:1]),
        [e.PresetSaved(at=NOW, by="Sam", name="Short", phases=PHASES[:1])],
    ),
    (FRESH, c.SetAutoAdvance("Sam", True), [e.AutoAdvanceSet(at=NOW, by="Sam", on=True)]),
    (
        FRESH,
        c.RecordDose("Sam", "p1", DOSE),
        [e.DoseRecorded(at=NOW, by="Sam", pid="p1", kind=DOSE)],
    ),
    (
        DOSED,
        c.RecordDose("Sam", "p1", BOOSTER),
        [e.DoseRecorded(at=NOW, by="Sam", pid="p1", kind=BOOSTER)],
    ),
    (
        FRESH,
        c.RecordVitals("Kim", "p2", 150, 95, 88, 97),
        [e.VitalsRecorded(at=NOW, by="Kim", pid="p2", systolic=150, diastolic=95, hr=88, spo2=97)],
    ),
    (
        FRESH,
        c.RecordVitals("Kim", "p2", hr=70),
        [e.VitalsRecorded(at=NOW, by="Kim", pid="p2", hr=70)],
    ),
    (
        FRESH,
        c.SetNote("Kim", "p2", " bucket "),
        [e.NoteSet(at=NOW, by="Kim", pid="p2", text="bucket")],
    ),
    (
        FRESH,
        c.SetThresholds("Sam", Thresholds(150, 95, 110, 45, 92)),
        [
            e.ThresholdsChanged(
                at=NOW,
                by="Sam",
                systolic_max=150,
                diastolic_max=95,
                hr_max=110,
                hr_min=45,
                spo2_min=92,
            )
        ],
    ),
    (
        FRESH,
        c.SetFlags("Sam", ("water", "ride")),
        [e.FlagsChanged(at=NOW, by="Sam", flags=("water", "ride"))],
    ),
    (
        FRESH,
        c.SetCheckinInterval("Sam", 10),
        [e.CheckinIntervalChanged(at=NOW, by="Sam", minutes=10)],
    ),
    (FRESH, c.EndSession("Sam"), [e.SessionEnded(at=NOW, by="Sam")]),
    (AUTO_DUE, c.Tick(), [e.PhaseAdvanced(at=T0 + 10 + 15 * 60, by="auto", index=1)]),
]

REFUSED = [
    (FRESH, CREATE, "already exists"),
    (None, replace(CREATE, name="  "), "needs a name"),
    (None, replace(CREATE, participants=()), "between 1 and"),
    (None, replace(CREATE, participants=(PEOPLE[0], replace(PEOPLE[1], mat=1))), "share a mat"),
    (None, replace(CREATE, participants=(replace(PEOPLE[0], name="x" * 41),)), "at most 40"),
    (None, replace(CREATE, phases=()), "at least one phase"),
    (None, replace(CREATE, checkin_minutes=0), "at least one minute"),
    (None, replace(CREATE, checkin_minutes=121), "check-in interval must be between 1 and 120"),
    (None, replace(CREATE, participants=(PEOPLE[0], replace(PEOPLE[1], pid="p1"))), "share an id"),
    (None, replace(CREATE, participants=(replace(PEOPLE[0], pid="p 1"),)), "participant's id"),
    (None, replace(CREATE, participants=(replace(PEOPLE[0], mat=100),)), "go from 1 to 99"),
    (None, replace(CREATE, name="x" * 201), "at most 200"),
    (None, replace(CREATE, room="x" * 201), "at most 200"),
    (None, replace(CREATE, timezone="Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
    (FRESH, c.StartClock(" Sam"), "the sender's name"),
    (FRESH, c.StartClock("x" * 41), "the sender's name"),
    (FRESH, c.PressButton("p1", "r 1"), "a request id must be"),
    (None, c.StartClock("Sam"), "no such session"),
    (RUNNING, c.StartClock("Sam"), "already been started"),
    (FRESH, c.PauseClock("Sam"), "not running"),
    (PAUSED, c.PauseClock("Sam"), "not running"),
    (FRESH, c.ResumeClock("Sam"), "not been started"),
    (RUNNING, c.ResumeClock("Sam"), "already running"),
    (LAST_PHASE, c.AdvancePhase("Sam"), "last phase"),
    (FRESH, c.CheckParticipant("Sam", "p9", Status.OK), "no such participant"),
    (FRESH, c.CheckParticipant("Sam", "p1", Status.UNCHECKED), "status must be one of"),
    (FRESH, c.ToggleFlag("Sam", "p1", "glitter"), "unknown flag"),
    (FRESH, c.ToggleFlag("Sam", "p9", "water"), "no such participant"),
    (FRESH, c.PressButton("p9", "r9"), "no such participant"),
    (RESOLVED, c.PressButton("p2", "r1"), "already used"),
    (FRESH, c.RaiseAssist("Kim", "p1", "r9", RequestKind.SUPPORT), "come from the participant"),
    (WATCHED, c.RaiseAssist("Sam", "p1", "r9", WATCH), "mat 1 already has an open watch"),
    (FRESH, c.RaiseAssist("Kim", "p9", "r9", WATCH), "no such participant"),
    (FRESH, c.CancelAssist("p1"), "no open request"),
    (RESOLVED, c.CancelAssist("p1"), "no open request"),
    (FRESH, c.ClaimAssist("Sam", "r1"), "no such request"),
    (CLAIMED, c.ClaimAssist("Kim", "r1"), "Sam already claimed"),
    (CLAIMED, c.ClaimAssist("Sam", "r1"), "you already claimed"),
    (RESOLVED, c.ClaimAssist("Sam", "r1"), "already resolved by Kim"),
    (CANCELLED, c.ClaimAssist("Sam", "r1"), "participant cancelled"),
    (OPEN, c.ReleaseAssist("Sam", "r1"), "not claimed"),
    (CLAIMED, c.ReleaseAssist("Kim", "r1"), "only Sam, who claimed it"),
    (RESOLVED, c.ReleaseAssist("Sam", "r1"), "already resolved"),
    (RESOLVED, c.ResolveAssist("Sam", "r1"), "already resolved by Kim"),
    (CANCELLED, c.ResolveAssist("Sam", "r1"), "participant cancelled"),
    (OPEN, c.ResolveAssist("Sam", "r1", "glitter"), "outcome must be one of"),
    (OPEN, c.ResolveAssist("Sam", "r1", "", "x" * 201), "longer than 200"),
    (OPEN, c.ReopenAssist("Sam", "r1"), "only a resolved request"),
    (CANCELLED, c.ReopenAssist("Sam", "r1"), "only a resolved request"),
    (
        session_after(
            e.AssistRaised(at=T0 + 5, by=BUTTON, rid="r1", pid="p1"),
            e.AssistResolved(at=T0 + 9, by="Kim", rid="r1"),
            e.AssistRaised(at=T0 + 10, by=BUTTON, rid="r2", pid="p1"),
        ),
        c.ReopenAssist("Sam", "r1"),
        "already has a newer open request",
    ),
    (TESTING, c.StartButtonTest("Sam"), "already running"),
    (FRESH, c.EndButtonTest("Sam"), "no button test"),
    (FRESH, c.ReissueToken("Sam", "p9", "new"), "no such participant"),
    (FRESH, c.SetLadder("Sam", 0, 60, 180), "between 1 and 3600"),
    (FRESH, c.SetLadder("Sam", 60, 30, 180), "after the re-alert"),
    (FRESH, c.ReturnPhase("Sam"), "first phase"),
    (FRESH, c.ExtendPhase("Sam", 0), "between 1 and 60"),
    (LAST_PHASE, c.SetPlan("Sam", PHASES[:2]), "must keep the current phase"),
    (FRESH, c.SetPlan("Sam", ()), "between 1 and 16"),
    (FRESH, c.SetPlan("Sam", (Phase(" ", 5),)), "needs a name"),
    (FRESH, c.SetPlan("Sam", (Phase("Peak", 0),)), "minutes must be between 1 and 600"),
    (FRESH, c.SavePreset("Sam", "", PHASES), "needs a name"),
    (FRESH, c.RecordDose("Sam", "p1", BOOSTER), "dose before a booster"),
    (FRESH, c.RecordDose("Sam", "p9", DOSE), "no such participant"),
    (FRESH, c.RecordVitals("Kim", "p2"), "at least one reading"),
    (FRESH, c.RecordVitals("Kim", "p2", systolic=150), "needs both systolic and diastolic"),
    (FRESH, c.RecordVitals("Kim", "p2", hr=400), "hr must be between 20 and 250"),
    (FRESH, c.RecordVitals("Kim", "p2", spo2=101), "spo2 must be between 50 and 100"),
    (FRESH, c.SetNote("Kim", "p2", "x" * 201), "longer than 200"),
    (
        FRESH,
        c.SetThresholds("Sam", Thresholds(hr_min=130, hr_max=120)),
        "lower limit must be below",
    ),
    (FRESH, c.SetThresholds("Sam", Thresholds(spo2_min=40)), "SpO2 limit must be between"),
    (FRESH, c.SetFlags("Sam", ()), "between 1 and 16 flags"),
    (FRESH, c.SetFlags("Sam", ("water", "water")), "once"),
    (FRESH, c.SetFlags("Sam", ("x" * 21,)), "1 to 20 characters"),
    (FRESH, c.SetCheckinInterval("Sam", 0), "between 1 and 120"),
    (ENDED, c.StartClock("Sam"), "ended and is read-only"),
    (ENDED, c.PressButton("p1", "r9"), "ended and is read-only"),
]


@pytest.mark.parametrize(("state", "command", "expected"), ACCEPTED)
def test_accepted_commands_return_their_events(
    state: Session | None, command: c.Command, expected: list[e.Event]
) -> None:
    now = expected[0].at if expected else NOW
    assert decide(state, command, now) == expected


def test_auto_advance_waits_for_the_planned_time_and_a_running_clock() -> None:
    assert decide(AUTO_DUE, c.Tick(), T0 + 10 + 15 * 60 - 1) == []
    paused = session_after(
        e.AutoAdvanceSet(at=T0, by="Sam", on=True),
        e.ClockStarted(at=T0 + 10, by="Sam"),
        e.ClockPaused(at=T0 + 20, by="Sam"),
    )
    assert decide(paused, c.Tick(), T0 + 5000) == []
    extended = session_after(
        e.AutoAdvanceSet(at=T0, by="Sam", on=True),
        e.ClockStarted(at=T0, by="Sam"),
        e.PhaseExtended(at=T0 + 1, by="Sam", minutes=5),
    )
    assert decide(extended, c.Tick(), T0 + 19 * 60) == []
    assert len(decide(extended, c.Tick(), T0 + 20 * 60)) == 1


@pytest.mark.parametrize(("state", "command", "message"), REFUSED)
def test_refused_commands_say_why(state: Session | None, command: c.Command, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        decide(state, command, NOW)


LADDER_SCENARIOS = [
    # (what happened, seconds after the raise, expected ladder step)
    ((), 29, []),
    ((), 30, [e.AssistRealerted]),
    ((), 60, [e.AssistEscalated]),
    ((e.AssistRealerted(at=T0 + 30, rid="r1"),), 45, []),
    ((e.AssistRealerted(at=T0 + 30, rid="r1"),), 61, [e.AssistEscalated]),
    ((e.AssistEscalated(at=T0 + 60, rid="r1"),), 600, []),
    ((e.AssistClaimed(at=T0 + 10, by="Sam", rid="r1"),), 10 + 179, []),
    ((e.AssistClaimed(at=T0 + 10, by="Sam", rid="r1"),), 10 + 180, [e.AssistClaimStale]),
    (
        (
            e.AssistClaimed(at=T0 + 10, by="Sam", rid="r1"),
            e.AssistClaimStale(at=T0 + 190, rid="r1"),
        ),
        900,
        [],
    ),
    (
        (
            e.AssistClaimed(at=T0 + 10, by="Sam", rid="r1"),
            e.AssistReleased(at=T0 + 50, by="Sam", rid="r1"),
        ),
        50 + 30,
        [e.AssistRealerted],
    ),
    ((e.AssistResolved(at=T0 + 10, by="Sam", rid="r1"),), 900, []),
]


@pytest.mark.parametrize(("history", "after", "expected"), LADDER_SCENARIOS)
def test_the_escalation_ladder_steps_once_per_rung(
    history: tuple[e.Event, ...], after: int, expected: list[type[e.Event]]
) -> None:
    state = session_after(e.AssistRaised(at=T0, by=BUTTON, rid="r1", pid="p1"), *history)
    steps = decide(state, c.Tick(), T0 + after)
    assert [type(step) for step in steps] == expected
    assert all(step.rid == "r1" for step in steps if isinstance(step, e.RequestEvent))


def test_the_ladder_uses_the_session_s_own_times() -> None:
    state = session_after(
        e.LadderChanged(at=T0, by="Sam", realert_seconds=5, escalate_seconds=10, stale_seconds=20),
        e.AssistRaised(at=T0, by=BUTTON, rid="r1", pid="p1"),
    )
    assert [type(s) for s in decide(state, c.Tick(), T0 + 5)] == [e.AssistRealerted]
