"""The room's state: immutable values that `apply` folds events into.

Mappings in these dataclasses are never mutated; `apply` builds new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    UNCHECKED = "unchecked"
    OK = "ok"
    WATCH = "watch"
    ATTENTION = "attention"
    AWAY = "away"


CHECK_STATUSES = (Status.OK, Status.WATCH, Status.ATTENTION, Status.AWAY)


class RequestState(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


LIVE_REQUEST_STATES = (RequestState.OPEN, RequestState.CLAIMED)


@dataclass(frozen=True)
class Phase:
    name: str
    minutes: int
    music: str = ""


@dataclass(frozen=True)
class ParticipantSpec:
    """A participant as set up before the session: who lies on which mat."""

    pid: str
    name: str
    mat: int
    token: str


@dataclass(frozen=True)
class Participant:
    pid: str
    name: str
    mat: int
    token: str
    status: Status = Status.UNCHECKED
    flags: frozenset[str] = frozenset()
    checked_at: float | None = None
    checked_by: str | None = None


@dataclass(frozen=True)
class AssistRequest:
    rid: str
    pid: str
    raised_at: float
    raised_by: str
    state: RequestState = RequestState.OPEN
    asks: int = 1
    claimed_by: str | None = None
    claimed_at: float | None = None
    closed_at: float | None = None
    closed_by: str | None = None
    outcome: str = ""

    @property
    def live(self) -> bool:
        return self.state in LIVE_REQUEST_STATES


@dataclass(frozen=True)
class Clock:
    """The journey clock: seconds banked while running, plus the current run if any."""

    started_at: float | None = None
    running: bool = False
    banked: float = 0.0
    resumed_at: float | None = None

    def elapsed(self, now: float) -> float:
        if self.running and self.resumed_at is not None:
            return self.banked + max(0.0, now - self.resumed_at)
        return self.banked


@dataclass(frozen=True)
class Session:
    sid: str
    name: str
    room: str
    created_at: float
    phases: tuple[Phase, ...]
    flags: tuple[str, ...]
    checkin_minutes: int
    participants: Mapping[str, Participant]
    requests: Mapping[str, AssistRequest] = field(default_factory=dict)
    clock: Clock = Clock()
    phase_index: int = 0
    phase_started_elapsed: float = 0.0

    @property
    def phase(self) -> Phase:
        return self.phases[self.phase_index]

    @property
    def next_phase(self) -> Phase | None:
        nxt = self.phase_index + 1
        return self.phases[nxt] if nxt < len(self.phases) else None

    def phase_ends_elapsed(self) -> float:
        """Journey-clock seconds at which the current phase's planned time runs out."""
        return self.phase_started_elapsed + self.phase.minutes * 60

    def live_requests(self) -> list[AssistRequest]:
        return [r for r in self.requests.values() if r.live]

    def live_request_for(self, pid: str) -> AssistRequest | None:
        return next((r for r in self.requests.values() if r.pid == pid and r.live), None)

    def participant_by_token(self, token: str) -> Participant | None:
        return next((p for p in self.participants.values() if p.token == token), None)

    def by_mat(self) -> list[Participant]:
        return sorted(self.participants.values(), key=lambda p: p.mat)
