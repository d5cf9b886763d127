"""The log's JSON form of every event type decodes to the same event."""

from __future__ import annotations

import pytest

from roomlive import events as e
from roomlive.model import ParticipantSpec, Phase, Status

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
    e.AssistResolved(at=12, by="Sam", rid="r1", outcome="water"),
]


def test_every_event_type_has_a_sample() -> None:
    assert {type(s).__name__ for s in SAMPLES} == set(e.EVENT_TYPES)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda s: type(s).__name__)
def test_encode_then_decode_gives_the_same_event(event: e.Event) -> None:
    assert e.decode(*e.encode(event)) == event


def test_an_unknown_type_in_the_log_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown event type 'Nope'"):
        e.decode("Nope", "{}")
