"""`decide`: the room's rules. Validates a command against the state and returns its events.

Pure: no I/O, no clock reads; `now` and all ids come in as arguments.
"""

from __future__ import annotations

from .commands import (
    AdvancePhase,
    CancelAssist,
    CheckParticipant,
    ClaimAssist,
    Command,
    CreateSession,
    PauseClock,
    RaiseAssist,
    ResolveAssist,
    ResumeClock,
    StartClock,
    ToggleFlag,
)
from .events import (
    AssistCancelled,
    AssistClaimed,
    AssistRaised,
    AssistRepeated,
    AssistResolved,
    ClockPaused,
    ClockResumed,
    ClockStarted,
    Event,
    FlagSet,
    ParticipantChecked,
    PhaseAdvanced,
    SessionCreated,
)
from .model import CHECK_STATUSES, AssistRequest, Participant, RequestState, Session

MAX_PARTICIPANTS = 24
MAX_NAME_LENGTH = 40
MAX_OUTCOME_LENGTH = 200


class DomainError(Exception):
    """A command the room's rules refuse; the message says why, for the person who sent it."""


def decide(state: Session | None, command: Command, now: float) -> list[Event]:
    if isinstance(command, CreateSession):
        return _create(state, command, now)
    if state is None:
        raise DomainError("there is no such session")
    match command:
        case StartClock(by=by):
            if state.clock.started_at is not None:
                raise DomainError("the journey clock has already been started")
            return [ClockStarted(at=now, by=by)]
        case PauseClock(by=by):
            if not state.clock.running:
                raise DomainError("the journey clock is not running")
            return [ClockPaused(at=now, by=by)]
        case ResumeClock(by=by):
            if state.clock.started_at is None:
                raise DomainError("the journey clock has not been started yet")
            if state.clock.running:
                raise DomainError("the journey clock is already running")
            return [ClockResumed(at=now, by=by)]
        case AdvancePhase(by=by):
            if state.next_phase is None:
                raise DomainError(f"'{state.phase.name}' is the last phase; there is none after it")
            return [PhaseAdvanced(at=now, by=by, index=state.phase_index + 1)]
        case CheckParticipant(by=by, pid=pid, status=status):
            _participant(state, pid)
            if status not in CHECK_STATUSES:
                raise DomainError(f"status must be one of {', '.join(CHECK_STATUSES)}")
            return [ParticipantChecked(at=now, by=by, pid=pid, status=status)]
        case ToggleFlag(by=by, pid=pid, flag=flag):
            participant = _participant(state, pid)
            if flag not in state.flags:
                raise DomainError(
                    f"unknown flag {flag!r}; this session's flags are {', '.join(state.flags)}"
                )
            on = flag not in participant.flags
            return [FlagSet(at=now, by=by, pid=pid, flag=flag, on=on)]
        case RaiseAssist(by=by, pid=pid, rid=rid):
            _participant(state, pid)
            live = state.live_request_for(pid)
            if live is not None:
                return [AssistRepeated(at=now, rid=live.rid)]
            if rid in state.requests:
                raise DomainError(f"request id {rid!r} is already used")
            return [AssistRaised(at=now, by=by, rid=rid, pid=pid)]
        case CancelAssist(pid=pid):
            _participant(state, pid)
            live = state.live_request_for(pid)
            if live is None:
                raise DomainError("there is no open request to cancel")
            return [AssistCancelled(at=now, rid=live.rid)]
        case ClaimAssist(by=by, rid=rid):
            request = _request(state, rid)
            if request.state is RequestState.CLAIMED:
                who = "you" if request.claimed_by == by else request.claimed_by
                raise DomainError(f"{who} already claimed this request")
            _require_live(request)
            return [AssistClaimed(at=now, by=by, rid=rid)]
        case ResolveAssist(by=by, rid=rid, outcome=outcome):
            request = _request(state, rid)
            _require_live(request)
            if len(outcome) > MAX_OUTCOME_LENGTH:
                raise DomainError(f"the outcome is longer than {MAX_OUTCOME_LENGTH} characters")
            return [AssistResolved(at=now, by=by, rid=rid, outcome=outcome.strip())]
    raise DomainError(f"unknown command {type(command).__name__}")


def _create(state: Session | None, command: CreateSession, now: float) -> list[Event]:
    if state is not None:
        raise DomainError(f"session {command.sid!r} already exists")
    if not command.name.strip():
        raise DomainError("a session needs a name")
    if not 1 <= len(command.participants) <= MAX_PARTICIPANTS:
        raise DomainError(f"a session needs between 1 and {MAX_PARTICIPANTS} participants")
    mats = [p.mat for p in command.participants]
    if len(set(mats)) != len(mats):
        raise DomainError("two participants share a mat number")
    if any(not p.name.strip() or len(p.name) > MAX_NAME_LENGTH for p in command.participants):
        raise DomainError(f"each participant needs a name of at most {MAX_NAME_LENGTH} characters")
    if not command.phases:
        raise DomainError("a session needs at least one phase")
    if command.checkin_minutes < 1:
        raise DomainError("the check-in interval must be at least one minute")
    return [
        SessionCreated(
            at=now,
            sid=command.sid,
            name=command.name.strip(),
            room=command.room.strip(),
            participants=command.participants,
            phases=command.phases,
            flags=command.flags,
            checkin_minutes=command.checkin_minutes,
        )
    ]


def _participant(state: Session, pid: str) -> Participant:
    try:
        return state.participants[pid]
    except KeyError:
        raise DomainError("there is no such participant in this session") from None


def _request(state: Session, rid: str) -> AssistRequest:
    try:
        return state.requests[rid]
    except KeyError:
        raise DomainError("there is no such request in this session") from None


def _require_live(request: AssistRequest) -> None:
    if request.state is RequestState.RESOLVED:
        raise DomainError(f"this request was already resolved by {request.closed_by}")
    if request.state is RequestState.CANCELLED:
        raise DomainError("the participant cancelled this request")
