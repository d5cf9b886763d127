"""Events: the facts of a session, appended to the log and folded into state.

Every event is a frozen dataclass whose `at` is the server's UTC time (epoch seconds) when the
command that produced it was decided. `codec.py` turns events into the JSON kept in the log.

Each event class has a `class_version` (1 unless it was changed after events of it were logged).
The log keeps rows written by every earlier version, so a class at version N also has static
methods `upcast_v1_v2` … `upcast_vN-1_vN`, each turning the data of one version into the next;
`codec.decode` runs those a row needs. A row's version is its data's "_v" key, absent for version 1:
every row written before versions existed, and every row of a class never changed, is version 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from roomlive.core.model import DoseKind, ParticipantSpec, Phase, RequestKind, Status

FIRST_VERSION = 1
VERSION_KEY = "_v"  # in a row's data: the class version it was written by, absent for version 1

Data = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Event:
    # Bump when a field is renamed, removed, added without a default or changes meaning, and add
    # `upcast_vN_vN+1(data: Data) -> Data` as a staticmethod (see the module docstring).
    class_version: ClassVar[int] = FIRST_VERSION

    at: float


@dataclass(frozen=True, kw_only=True)
class RequestEvent(Event):
    """An event in the life of one assist request."""

    rid: str


@dataclass(frozen=True, kw_only=True)
class SessionCreated(Event):
    sid: str
    name: str
    room: str
    participants: tuple[ParticipantSpec, ...]
    phases: tuple[Phase, ...]
    flags: tuple[str, ...]
    checkin_minutes: int
    timezone: str = "UTC"


@dataclass(frozen=True, kw_only=True)
class ClockStarted(Event):
    by: str


@dataclass(frozen=True, kw_only=True)
class ClockPaused(Event):
    by: str


@dataclass(frozen=True, kw_only=True)
class ClockResumed(Event):
    by: str


@dataclass(frozen=True, kw_only=True)
class PhaseAdvanced(Event):
    by: str
    index: int


@dataclass(frozen=True, kw_only=True)
class PhaseReturned(Event):
    """Back to an earlier phase (advanced too early); it starts again now."""

    by: str
    index: int


@dataclass(frozen=True, kw_only=True)
class PhaseExtended(Event):
    by: str
    minutes: int


@dataclass(frozen=True, kw_only=True)
class PlanChanged(Event):
    by: str
    phases: tuple[Phase, ...]


@dataclass(frozen=True, kw_only=True)
class PresetSaved(Event):
    """A plan kept under a name for later sessions (changes nothing in this session)."""

    by: str
    name: str
    phases: tuple[Phase, ...]


@dataclass(frozen=True, kw_only=True)
class AutoAdvanceSet(Event):
    by: str
    on: bool


@dataclass(frozen=True, kw_only=True)
class DoseRecorded(Event):
    by: str
    pid: str
    kind: DoseKind


@dataclass(frozen=True, kw_only=True)
class VitalsRecorded(Event):
    by: str
    pid: str
    systolic: int | None = None
    diastolic: int | None = None
    hr: int | None = None
    spo2: int | None = None


@dataclass(frozen=True, kw_only=True)
class NoteSet(Event):
    by: str
    pid: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ThresholdsChanged(Event):
    by: str
    systolic_max: int
    diastolic_max: int
    hr_max: int
    hr_min: int
    spo2_min: int


@dataclass(frozen=True, kw_only=True)
class FlagsChanged(Event):
    by: str
    flags: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CheckinIntervalChanged(Event):
    by: str
    minutes: int


@dataclass(frozen=True, kw_only=True)
class ParticipantChecked(Event):
    by: str
    pid: str
    status: Status


@dataclass(frozen=True, kw_only=True)
class FlagSet(Event):
    by: str
    pid: str
    flag: str
    on: bool


@dataclass(frozen=True, kw_only=True)
class AssistRaised(RequestEvent):
    by: str
    pid: str
    kind: RequestKind = RequestKind.SUPPORT
    pressed_at: float | None = None  # a press delivered late: when it was made


@dataclass(frozen=True, kw_only=True)
class AssistRepeated(RequestEvent):
    """The participant pressed again while their request was open: "asked again"."""


@dataclass(frozen=True, kw_only=True)
class AssistCancelled(RequestEvent):
    """The participant said "I'm OK now"."""


@dataclass(frozen=True, kw_only=True)
class AssistClaimed(RequestEvent):
    by: str


@dataclass(frozen=True, kw_only=True)
class AssistResolved(RequestEvent):
    by: str
    outcome: str = ""
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class AssistReleased(RequestEvent):
    """The claimer hands the request back: "someone else please"."""

    by: str


@dataclass(frozen=True, kw_only=True)
class AssistReopened(RequestEvent):
    by: str


@dataclass(frozen=True, kw_only=True)
class AssistRealerted(RequestEvent):
    """Unclaimed past the ladder's first rung: every tablet alerts again."""


@dataclass(frozen=True, kw_only=True)
class AssistEscalated(RequestEvent):
    """Unclaimed past the ladder's second rung: a stronger alert on every tablet."""


@dataclass(frozen=True, kw_only=True)
class AssistClaimStale(RequestEvent):
    """Claimed but not resolved for too long: the claimer is asked again, in view of all."""


@dataclass(frozen=True, kw_only=True)
class LadderChanged(Event):
    by: str
    realert_seconds: int
    escalate_seconds: int
    stale_seconds: int


@dataclass(frozen=True, kw_only=True)
class TokenReissued(Event):
    """The participant's button link is replaced; the old one stops working."""

    by: str
    pid: str
    token: str


@dataclass(frozen=True, kw_only=True)
class SessionEnded(Event):
    by: str


@dataclass(frozen=True, kw_only=True)
class ButtonTestStarted(Event):
    by: str


@dataclass(frozen=True, kw_only=True)
class ButtonTested(Event):
    """A press during the test round: proves the button works, never a request."""

    pid: str


@dataclass(frozen=True, kw_only=True)
class ButtonTestEnded(Event):
    by: str


@dataclass(frozen=True, kw_only=True)
class ButtonPairingStarted(Event):
    """The mat has a new hardware link (the old one stops working); its first press within
    `seconds` pairs the button."""

    by: str
    pid: str
    token: str
    seconds: int


@dataclass(frozen=True, kw_only=True)
class ButtonPaired(Event):
    """The first press on the hardware link while pairing: the button is bound to the mat."""

    pid: str


@dataclass(frozen=True, kw_only=True)
class ButtonRevoked(Event):
    """The mat's hardware link stops working."""

    by: str
    pid: str
