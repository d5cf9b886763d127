"""The log's JSON form of every event type decodes to the same event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import pytest

from roomlive.core import codec
from roomlive.core import events as e
from roomlive.core.model import DoseKind, ParticipantSpec, Phase, RequestKind, Status

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
    e.ButtonPairingStarted(at=23.1, by="Sam", pid="p1", token="hw", seconds=120),
    e.ButtonPaired(at=23.2, pid="p1"),
    e.ButtonRevoked(at=23.3, by="Sam", pid="p1"),
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
    assert {type(s).__name__ for s in SAMPLES} == set(codec.EVENT_TYPES)
    concrete = {cls for cls in _subclasses(e.Event) if cls is not e.RequestEvent}
    concrete -= {cls for cls in concrete if cls.__module__ != e.__name__}  # test-local ones
    assert concrete == set(codec.EVENT_TYPES.values()), "an event class is missing from EVENT_TYPES"


def _subclasses(cls: type[e.Event]) -> set[type[e.Event]]:
    found: set[type[e.Event]] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


@pytest.mark.parametrize("event", SAMPLES, ids=lambda s: type(s).__name__)
def test_encode_then_decode_gives_the_same_event(event: e.Event) -> None:
    assert codec.decode(*codec.encode(event)) == event


def test_an_unknown_type_in_the_log_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown event type 'Nope'"):
        codec.decode("Nope", "{}")


# --- versions and upcasters: a test-local event whose fields changed twice since version 1.


@dataclass(frozen=True, kw_only=True)
class MoodNoted(e.Event):
    """v1 {"pid", "state"}; v2 renamed "state" to "mood"; v3 added "by" with no default."""

    class_version: ClassVar[int] = 3

    pid: str
    mood: str
    by: str

    @staticmethod
    def upcast_v1_v2(data: e.Data) -> e.Data:
        data["mood"] = data.pop("state")
        return data

    @staticmethod
    def upcast_v2_v3(data: e.Data) -> e.Data:
        return {**data, "by": "unknown"}


@pytest.fixture
def mood_noted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(codec.EVENT_TYPES, "MoodNoted", MoodNoted)


@pytest.mark.usefixtures("mood_noted")
@pytest.mark.parametrize(
    ("data", "by"),
    [
        ('{"at":1.0,"pid":"p1","state":"calm"}', "unknown"),  # v1: no "_v" at all
        ('{"at":1.0,"pid":"p1","mood":"calm","_v":2}', "unknown"),
        ('{"at":1.0,"pid":"p1","mood":"calm","by":"Sam","_v":3}', "Sam"),
    ],
    ids=["v1", "v2", "v3"],
)
def test_an_older_row_decodes_through_its_upcasters(data: str, by: str) -> None:
    assert codec.decode("MoodNoted", data) == MoodNoted(at=1.0, pid="p1", mood="calm", by=by)


@pytest.mark.usefixtures("mood_noted")
def test_a_changed_event_is_written_with_its_version_and_reads_back() -> None:
    event = MoodNoted(at=2.0, pid="p1", mood="low", by="Kim")
    type_name, data = codec.encode(event)
    assert json.loads(data)[e.VERSION_KEY] == 3
    assert codec.decode(type_name, data) == event


def test_a_version_1_event_is_written_as_it_always_was() -> None:
    _, data = codec.encode(e.ClockStarted(at=1.0, by="Sam"))
    assert data == '{"at":1.0,"by":"Sam"}'


@pytest.mark.parametrize("cls", codec.EVENT_TYPES.values(), ids=lambda cls: cls.__name__)
def test_every_event_type_has_an_upcaster_for_each_version_before_its_own(
    cls: type[e.Event],
) -> None:
    assert len(codec.upcasters(cls)) == cls.class_version - e.FIRST_VERSION


def test_a_missing_upcaster_is_named() -> None:
    @dataclass(frozen=True, kw_only=True)
    class Renamed(e.Event):
        class_version: ClassVar[int] = 2

    with pytest.raises(
        codec.UnreadableEvent, match="Renamed is at version 2 but has no upcast_v1_v2"
    ):
        codec.upcasters(Renamed)


@pytest.mark.usefixtures("mood_noted")
@pytest.mark.parametrize(
    ("type_name", "data", "reason"),
    [
        ("Nope", "{}", "unknown event type 'Nope' in the log"),
        ("AssistRaised", '{"at":1,"by":"participant","pid":"p1"}', "missing field 'rid'"),
        ("ClockStarted", '{"at":1}', "missing field 'by'"),
        ("ClockStarted", '{"at":1,"by":"Sam","state":"x"}', "unknown field 'state'"),
        ("ClockStarted", '{"at":1,"by":"Sam"', "the data is not JSON (Expecting"),
        ("ClockStarted", "[1, 2]", "expected a JSON object, got list"),
        ("ClockStarted", '{"at":1,"by":"Sam","_v":2}', "version 2 is newer than this roomlive"),
        ("ClockStarted", '{"at":1,"by":"Sam","_v":"1"}', "version '1' is not a whole number"),
        ("ClockStarted", '{"at":1,"by":"Sam","_v":0}', "version 0 is not a whole number"),
        (
            "ParticipantChecked",
            '{"at":1,"by":"Sam","pid":"p1","status":"Ana is fine"}',
            "field 'status' is not one of 'unchecked', 'ok', 'watch', 'attention', 'away'",
        ),
        ("FlagsChanged", '{"at":1,"by":"Sam","flags":"water"}', "field 'flags' is not a list"),
        (
            "SessionCreated",
            '{"at":1,"sid":"s","name":"n","room":"r","phases":[],"flags":[],"checkin_minutes":1,'
            '"participants":[{"pid":"p1","name":"Ana","mat":1}]}',
            "field 'participants': missing field 'token'",
        ),
        (
            "MoodNoted",
            '{"at":1.0,"pid":"p1"}',
            "MoodNoted.upcast_v1_v2 cannot upcast it (no field 'state')",
        ),
    ],
)
def test_a_row_that_cannot_be_decoded_says_what_was_expected(
    type_name: str, data: str, reason: str
) -> None:
    with pytest.raises(codec.UnreadableEvent) as raised:
        codec.decode(type_name, data)
    assert raised.value.reason.startswith(reason), raised.value.reason
    assert "Ana" not in raised.value.reason  # a value, possibly a name, is never quoted
