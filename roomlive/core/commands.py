"""Commands: what a facilitator or participant asks the room to do.

Ids and tokens a command needs are made by the shell and passed in, so the core stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from roomlive.core.model import DoseKind, ParticipantSpec, Phase, RequestKind, Status, Thresholds


@dataclass(frozen=True)
class CreateSession:
    sid: str
    name: str
    room: str
    participants: tuple[ParticipantSpec, ...]
    phases: tuple[Phase, ...]
    flags: tuple[str, ...]
    checkin_minutes: int
    timezone: str = "UTC"


@dataclass(frozen=True)
class StartClock:
    by: str


@dataclass(frozen=True)
class PauseClock:
    by: str


@dataclass(frozen=True)
class ResumeClock:
    by: str


@dataclass(frozen=True)
class AdvancePhase:
    by: str


@dataclass(frozen=True)
class ReturnPhase:
    by: str


@dataclass(frozen=True)
class ExtendPhase:
    by: str
    minutes: int


@dataclass(frozen=True)
class SetPlan:
    by: str
    phases: tuple[Phase, ...]


@dataclass(frozen=True)
class SavePreset:
    """Keep a plan under a name, to pick for later sessions."""

    by: str
    name: str
    phases: tuple[Phase, ...]


@dataclass(frozen=True)
class SetAutoAdvance:
    by: str
    on: bool


@dataclass(frozen=True)
class RecordDose:
    by: str
    pid: str
    kind: DoseKind


@dataclass(frozen=True)
class RecordVitals:
    by: str
    pid: str
    systolic: int | None = None
    diastolic: int | None = None
    hr: int | None = None
    spo2: int | None = None


@dataclass(frozen=True)
class SetNote:
    by: str
    pid: str
    text: str


@dataclass(frozen=True)
class SetThresholds:
    by: str
    thresholds: Thresholds


@dataclass(frozen=True)
class SetFlags:
    by: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class SetCheckinInterval:
    by: str
    minutes: int


@dataclass(frozen=True)
class CheckParticipant:
    by: str
    pid: str
    status: Status


@dataclass(frozen=True)
class ToggleFlag:
    by: str
    pid: str
    flag: str


@dataclass(frozen=True)
class PressButton:
    """The participant's button (phone or hardware) was pressed and held.

    `pressed_at`: when a hub that queued the press says it was made (None: just now);
    `hardware`: it came over the mat's hardware link (the first such press pairs a button)."""

    pid: str
    rid: str
    pressed_at: float | None = None
    hardware: bool = False


@dataclass(frozen=True)
class RaiseAssist:
    """A facilitator raises a request: "watch mat 4" or "backup to mat 3"."""

    by: str
    pid: str
    rid: str
    kind: RequestKind


@dataclass(frozen=True)
class CancelAssist:
    """The participant says "I'm OK now"."""

    pid: str


@dataclass(frozen=True)
class ClaimAssist:
    by: str
    rid: str


@dataclass(frozen=True)
class ResolveAssist:
    by: str
    rid: str
    outcome: str = ""
    note: str = ""


@dataclass(frozen=True)
class ReleaseAssist:
    by: str
    rid: str


@dataclass(frozen=True)
class ReopenAssist:
    by: str
    rid: str


@dataclass(frozen=True)
class Tick:
    """Time passed: the escalation ladder's due steps, if any."""


@dataclass(frozen=True)
class SetLadder:
    by: str
    realert_seconds: int
    escalate_seconds: int
    stale_seconds: int


@dataclass(frozen=True)
class ReissueToken:
    by: str
    pid: str
    token: str


@dataclass(frozen=True)
class PairButton:
    """A new hardware link for the mat (the old one stops working); its first press within
    `seconds` pairs the button."""

    by: str
    pid: str
    token: str
    seconds: int = 120


@dataclass(frozen=True)
class RevokeButton:
    by: str
    pid: str


@dataclass(frozen=True)
class EndSession:
    """The session is over: it becomes read-only and its button links stop working."""

    by: str


@dataclass(frozen=True)
class StartButtonTest:
    by: str


@dataclass(frozen=True)
class EndButtonTest:
    by: str


Command = (
    CreateSession
    | StartClock
    | PauseClock
    | ResumeClock
    | AdvancePhase
    | ReturnPhase
    | ExtendPhase
    | SetPlan
    | SavePreset
    | SetAutoAdvance
    | RecordDose
    | RecordVitals
    | SetNote
    | SetThresholds
    | SetFlags
    | SetCheckinInterval
    | CheckParticipant
    | ToggleFlag
    | PressButton
    | RaiseAssist
    | CancelAssist
    | ClaimAssist
    | ResolveAssist
    | ReleaseAssist
    | ReopenAssist
    | Tick
    | SetLadder
    | ReissueToken
    | PairButton
    | RevokeButton
    | EndSession
    | StartButtonTest
    | EndButtonTest
)
