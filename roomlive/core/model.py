"""The room's state: immutable values that `apply` folds events into.

Mappings in these dataclasses are never mutated; `apply` builds new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, TypeVar

T = TypeVar("T")


def evolve(item: T, **changes: Any) -> T:
    """A copy of a frozen dataclass with some fields changed: `dataclasses.replace` without
    re-running `__init__`, which dominated replaying a long log on start-up."""
    fields = item.__dict__
    if not changes.keys() <= fields.keys():
        raise TypeError(
            f"{type(item).__name__} has no field {sorted(changes.keys() - fields.keys())}"
        )
    copied: T = object.__new__(type(item))
    copied.__dict__.update(fields, **changes)
    return copied


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


class RequestKind(StrEnum):
    SUPPORT = "support"  # the participant pressed their button (phone or hardware)
    WATCH = "watch"  # a facilitator asks colleagues to keep an eye on a participant
    BACKUP = "backup"  # a facilitator asks a colleague to come to a mat


class Level(IntEnum):
    """How loudly an unclaimed request calls: the escalation ladder's rungs."""

    NEW = 0
    REALERTED = 1
    ESCALATED = 2


RECENTLY_CLOSED_SHOWN = 3

OUTCOMES = ("reassured", "water", "nausea", "bathroom", "repositioned", "other")


class DoseKind(StrEnum):
    DOSE = "dose"
    BOOSTER = "booster"


@dataclass(frozen=True)
class Vitals:
    at: float
    by: str
    systolic: int | None = None
    diastolic: int | None = None
    hr: int | None = None
    spo2: int | None = None


@dataclass(frozen=True)
class Thresholds:
    """Vitals outside these limits are highlighted (ketamine raises blood pressure)."""

    systolic_max: int = 160
    diastolic_max: int = 100
    hr_max: int = 120
    hr_min: int = 50
    spo2_min: int = 94

    def out_of_range(self, vitals: Vitals) -> frozenset[str]:
        """Names of the readings outside the limits."""
        high = {
            "systolic": vitals.systolic is not None and vitals.systolic > self.systolic_max,
            "diastolic": vitals.diastolic is not None and vitals.diastolic > self.diastolic_max,
            "hr": vitals.hr is not None and not self.hr_min <= vitals.hr <= self.hr_max,
            "spo2": vitals.spo2 is not None and vitals.spo2 < self.spo2_min,
        }
        return frozenset(name for name, out in high.items() if out)


@dataclass(frozen=True)
class Ladder:
    """Seconds before an unclaimed request re-alerts and escalates, and a claim goes stale."""

    realert_seconds: int = 30
    escalate_seconds: int = 60
    stale_seconds: int = 180


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
    tested: bool = False
    dosed_at: float | None = None
    booster_at: float | None = None
    vitals: tuple[Vitals, ...] = ()
    note: str = ""
    note_at: float | None = None
    note_by: str | None = None
    button_token: str = ""  # the hardware link's token; "" while the mat has none
    button_pairing_until: float | None = None  # waiting for the first press until then
    button_paired_at: float | None = None

    @property
    def has_button_link(self) -> bool:
        """A hardware link was issued and not revoked (an export blanks its token, not this)."""
        pairing = (self.button_pairing_until, self.button_paired_at)
        return bool(self.button_token) or pairing != (None, None)

    @property
    def last_vitals(self) -> Vitals | None:
        return self.vitals[-1] if self.vitals else None


@dataclass(frozen=True)
class AssistRequest:
    rid: str
    pid: str
    raised_at: float
    raised_by: str
    kind: RequestKind = RequestKind.SUPPORT
    state: RequestState = RequestState.OPEN
    open_since: float = 0.0
    asks: int = 1
    level: Level = Level.NEW
    stale: bool = False
    claimed_by: str | None = None
    claimed_at: float | None = None
    closed_at: float | None = None
    closed_by: str | None = None
    outcome: str = ""
    note: str = ""
    pressed_at: float | None = None  # delivered late: when the button was pressed

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
    phase_extra_minutes: int = 0
    phase_started_at: float | None = None
    auto_advance: bool = False
    thresholds: Thresholds = Thresholds()
    timezone: str = "UTC"
    ladder: Ladder = Ladder()
    test_round: bool = False
    ended_at: float | None = None

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    @property
    def phase(self) -> Phase:
        return self.phases[self.phase_index]

    @property
    def next_phase(self) -> Phase | None:
        nxt = self.phase_index + 1
        return self.phases[nxt] if nxt < len(self.phases) else None

    def phase_ends_elapsed(self) -> float:
        """Journey-clock seconds at which the current phase's planned time runs out."""
        return self.phase_started_elapsed + (self.phase.minutes + self.phase_extra_minutes) * 60

    def live_requests(self) -> list[AssistRequest]:
        """Live requests, the most urgent first."""
        return sorted((r for r in self.requests.values() if r.live), key=urgency)

    def live_request_for(
        self, pid: str, kind: RequestKind | None = RequestKind.SUPPORT
    ) -> AssistRequest | None:
        """The participant's live request of that kind (None: of any kind, most urgent first)."""
        live = [r for r in self.requests.values() if r.pid == pid and r.live]
        if kind is not None:
            return next((r for r in live if r.kind is kind), None)
        return min(live, key=urgency, default=None)

    def recently_closed(self, count: int = RECENTLY_CLOSED_SHOWN) -> list[AssistRequest]:
        """The last requests resolved or cancelled, newest first (a resolved one can reopen)."""
        closed = [r for r in self.requests.values() if not r.live and r.closed_at is not None]
        return sorted(closed, key=lambda r: r.closed_at or 0.0, reverse=True)[:count]

    def by_mat(self) -> list[Participant]:
        return sorted(self.participants.values(), key=lambda p: p.mat)


def urgency(request: AssistRequest) -> tuple[int, int, int, float]:
    """Sort key: unclaimed before claimed, higher rung first, support before others, oldest."""
    return (
        request.state is not RequestState.OPEN,
        -request.level,
        request.kind is not RequestKind.SUPPORT,
        request.open_since,
    )
