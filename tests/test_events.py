"""The log's JSON form of every event type decodes to the same event."""

from __future__ import annotations

import pytest

from roomlive import events as e
from roomlive.model import DoseKind, ParticipantSpec, Phase, RequestKind, Status

SAMPLES: list[e.Event] = [
    e.SessionCreated(
        at=1.5,
        sid="s1",
        name="Grüße «group»",
        room="Room 1",
        participants=(ParticipantSpec("p1", "Ana", 1, "tok"),),
        phases=(Phase("Peak", 35, "Deep"),),
        flags=("water",),
        checkin_minutes=15,
    ),
    e.ClockStarted(at=2, by="Sam"),
    e.ClockPaused(at=3, by="Sam"),
    e.ClockResumed(at=4, by="Sam"),
    e.PhaseAdvanced(at=5, by="Sam", index=1),
    e.ParticipantChecked(at=6, by="Sam", pid="p1", status=Status.WATCH),
    e.FlagSet(at=7, by="Sam", pid="p1", flag="water", on=True),
    e.AssistRaised(at=8, by="participant", rid="r1", pid="p1"),
    e.AssistRepeated(at=9, rid="r1"),
    e.AssistCancelled(at=10, rid="r1"),
    e.AssistClaimed(at=11, by="Sam", rid="r1"),
    e.AssistResolved(at=12, by="Sam", rid="r1", outcome="water", note="sipped"),
    e.AssistRaised(at=13, by="Kim", rid="r2", pid="p1", kind=RequestKind.BACKUP),
    e.AssistReleased(at=14, by="Sam", rid="r2"),
    e.AssistReopened(at=15, by="Sam", rid="r1"),
    e.AssistRealerted(at=16, rid="r1"),
    e.AssistEscalated(at=17, rid="r1"),
    e.AssistClaimStale(at=18, rid="r1"),
    e.LadderChanged(at=19, by="Sam", realert_seconds=1, escalate_seconds=2, stale_seconds=3),
    e.TokenReissued(at=20, by="Sam", pid="p1", token="new"),
    e.ButtonTestStarted(at=21, by="Sam"),
    e.ButtonTested(at=22, pid="p1"),
    e.ButtonTestEnded(at=23, by="Sam"),
    e.SessionEnded(at=24, by="Sam"),
    e.PhaseReturned(at=25, by="Sam", index=0),
    e.PhaseExtended(at=26, by="Sam", minutes=5),
    e.PlanChanged(at=27, by="Sam", phases=(Phase("Peak", 40, "Deep"), Phase("Rest", 20))),
    e.AutoAdvanceSet(at=28, by="Sam", on=True),
    e.PresetSaved(at=28.5, by="Sam", name="Long peak", phases=(Phase("Peak", 50, "Deep"),)),
    e.DoseRecorded(at=29, by="Sam", pid="p1", kind=DoseKind.BOOSTER),
    e.VitalsRecorded(at=30, by="Sam", pid="p1", systolic=150, diastolic=95, hr=None, spo2=97),
    e.NoteSet(at=31, by="Sam", pid="p1", text="nauseous, <b>bucket</b>"),
    e.ThresholdsChanged(
        at=32, by="Sam", systolic_max=150, diastolic_max=95, hr_max=110, hr_min=45, spo2_min=93
    ),
    e.FlagsChanged(at=33, by="Sam", flags=("water", "ride")),
    e.CheckinIntervalChanged(at=34, by="Sam", minutes=10),
]


def test_every_event_type_has_a_sample() -> None:
    assert {type(s).__name__ for s in SAMPLES} == set(e.EVENT_TYPES)
    concrete = {cls for cls in _subclasses(e.Event) if cls is not e.RequestEvent}
    assert concrete == set(e.EVENT_TYPES.values()), "an event class is missing from EVENT_TYPES"


def _subclasses(cls: type[e.Event]) -> set[type[e.Event]]:
    found: set[type[e.Event]] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


@pytest.mark.parametrize("event", SAMPLES, ids=lambda s: type(s).__name__)
def test_encode_then_decode_gives_the_same_event(event: e.Event) -> None:
    assert e.decode(*e.encode(event)) == event


def test_an_unknown_type_in_the_log_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown event type 'Nope'"):
        e.decode("Nope", "{}")
