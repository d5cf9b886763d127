"""Commands: what a facilitator or participant asks the room to do.

Ids and tokens a command needs are made by the shell and passed in, so the core stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import ParticipantSpec, Phase, Status


@dataclass(frozen=True)
class CreateSession:
    sid: str
    name: str
    room: str
    participants: tuple[ParticipantSpec, ...]
    phases: tuple[Phase, ...]
    flags: tuple[str, ...]
    checkin_minutes: int


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
class RaiseAssist:
    """A participant (by their button) or a facilitator asks for support for `pid`."""

    by: str
    pid: str
    rid: str


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


Command = (
    CreateSession
    | StartClock
    | PauseClock
    | ResumeClock
    | AdvancePhase
    | CheckParticipant
    | ToggleFlag
    | RaiseAssist
    | CancelAssist
    | ClaimAssist
    | ResolveAssist
)
