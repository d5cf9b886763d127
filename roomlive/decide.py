"""`decide`: the room's rules. Validates a command against the state and returns its events.

Pure: no I/O, no clock reads; `now` and all ids come in as arguments.
"""

from __future__ import annotations

from . import commands as c
from . import events as e
from .model import (
    CHECK_STATUSES,
    OUTCOMES,
    AssistRequest,
    Level,
    Participant,
    RequestKind,
    RequestState,
    Session,
)

MAX_PARTICIPANTS = 24
MAX_NAME_LENGTH = 40
MAX_NOTE_LENGTH = 200
MAX_LADDER_SECONDS = 3600
BUTTON = "participant"


class DomainError(Exception):
    """A command the room's rules refuse; the message says why, for the person who sent it."""


def decide(state: Session | None, command: c.Command, now: float) -> list[e.Event]:
    if isinstance(command, c.CreateSession):
        return _create(state, command, now)
    if state is None:
        raise DomainError("there is no such session")
    if state.ended:
        if isinstance(command, c.Tick):
            return []
        raise DomainError("this session has ended and is read-only")
    match command:
        case c.StartClock(by=by):
            if state.clock.started_at is not None:
                raise DomainError("the journey clock has already been started")
            return [e.ClockStarted(at=now, by=by)]
        case c.PauseClock(by=by):
            if not state.clock.running:
                raise DomainError("the journey clock is not running")
            return [e.ClockPaused(at=now, by=by)]
        case c.ResumeClock(by=by):
            if state.clock.started_at is None:
                raise DomainError("the journey clock has not been started yet")
            if state.clock.running:
                raise DomainError("the journey clock is already running")
            return [e.ClockResumed(at=now, by=by)]
        case c.AdvancePhase(by=by):
            if state.next_phase is None:
                raise DomainError(f"'{state.phase.name}' is the last phase; there is none after it")
            return [e.PhaseAdvanced(at=now, by=by, index=state.phase_index + 1)]
        case c.CheckParticipant(by=by, pid=pid, status=status):
            _participant(state, pid)
            if status not in CHECK_STATUSES:
                raise DomainError(f"status must be one of {', '.join(CHECK_STATUSES)}")
            return [e.ParticipantChecked(at=now, by=by, pid=pid, status=status)]
        case c.ToggleFlag(by=by, pid=pid, flag=flag):
            participant = _participant(state, pid)
            if flag not in state.flags:
                known = ", ".join(state.flags)
                raise DomainError(f"unknown flag {flag!r}; this session's flags are {known}")
            on = flag not in participant.flags
            return [e.FlagSet(at=now, by=by, pid=pid, flag=flag, on=on)]
        case c.StartButtonTest(by=by):
            if state.test_round:
                raise DomainError("a button test is already running")
            return [e.ButtonTestStarted(at=now, by=by)]
        case c.EndButtonTest(by=by):
            if not state.test_round:
                raise DomainError("no button test is running")
            return [e.ButtonTestEnded(at=now, by=by)]
        case c.ReissueToken(by=by, pid=pid, token=token):
            _participant(state, pid)
            return [e.TokenReissued(at=now, by=by, pid=pid, token=token)]
        case c.EndSession(by=by):
            return [e.SessionEnded(at=now, by=by)]
        case c.SetLadder():
            return [_ladder(command, now)]
        case c.Tick():
            return _ladder_steps(state, now)
    return _decide_request(state, command, now)


def _decide_request(state: Session, command: c.Command, now: float) -> list[e.Event]:
    match command:
        case c.PressButton(pid=pid, rid=rid):
            participant = _participant(state, pid)
            if state.test_round and not participant.tested:
                return [e.ButtonTested(at=now, pid=pid)]
            live = state.live_request_for(pid)
            if live is not None:
                return [e.AssistRepeated(at=now, rid=live.rid)]
            _new_request_id(state, rid)
            return [e.AssistRaised(at=now, by=BUTTON, rid=rid, pid=pid)]
        case c.RaiseAssist(by=by, pid=pid, rid=rid, kind=kind):
            participant = _participant(state, pid)
            if kind is RequestKind.SUPPORT:
                raise DomainError("support requests come from the participant's button")
            if state.live_request_for(pid, kind) is not None:
                raise DomainError(f"mat {participant.mat} already has an open {kind} request")
            _new_request_id(state, rid)
            return [e.AssistRaised(at=now, by=by, rid=rid, pid=pid, kind=kind)]
        case c.CancelAssist(pid=pid):
            _participant(state, pid)
            live = state.live_request_for(pid)
            if live is None:
                raise DomainError("there is no open request to cancel")
            return [e.AssistCancelled(at=now, rid=live.rid)]
        case c.ClaimAssist(by=by, rid=rid):
            request = _request(state, rid)
            if request.state is RequestState.CLAIMED:
                who = "you" if request.claimed_by == by else request.claimed_by
                raise DomainError(f"{who} already claimed this request")
            _require_live(request)
            return [e.AssistClaimed(at=now, by=by, rid=rid)]
        case c.ReleaseAssist(by=by, rid=rid):
            request = _request(state, rid)
            _require_live(request)
            if request.state is not RequestState.CLAIMED:
                raise DomainError("this request is not claimed, so there is nothing to release")
            if request.claimed_by != by:
                raise DomainError(f"only {request.claimed_by}, who claimed it, can release it")
            return [e.AssistReleased(at=now, by=by, rid=rid)]
        case c.ResolveAssist(by=by, rid=rid, outcome=outcome, note=note):
            _require_live(_request(state, rid))
            if outcome and outcome not in OUTCOMES:
                raise DomainError(f"the outcome must be one of {', '.join(OUTCOMES)}")
            if len(note) > MAX_NOTE_LENGTH:
                raise DomainError(f"the note is longer than {MAX_NOTE_LENGTH} characters")
            return [e.AssistResolved(at=now, by=by, rid=rid, outcome=outcome, note=note.strip())]
        case c.ReopenAssist(by=by, rid=rid):
            request = _request(state, rid)
            if request.state is not RequestState.RESOLVED:
                raise DomainError("only a resolved request can be reopened")
            if state.live_request_for(request.pid, request.kind) is not None:
                raise DomainError("this participant already has a newer open request")
            return [e.AssistReopened(at=now, by=by, rid=rid)]
    raise DomainError(f"unknown command {type(command).__name__}")


def _ladder_steps(state: Session, now: float) -> list[e.Event]:
    """The escalation ladder's steps that have come due by `now`, at most one per request."""
    ladder, steps = state.ladder, list[e.Event]()
    for request in state.live_requests():
        if request.state is RequestState.OPEN:
            waited = now - request.open_since
            if request.level < Level.ESCALATED and waited >= ladder.escalate_seconds:
                steps.append(e.AssistEscalated(at=now, rid=request.rid))
            elif request.level < Level.REALERTED and waited >= ladder.realert_seconds:
                steps.append(e.AssistRealerted(at=now, rid=request.rid))
        elif not request.stale and now - (request.claimed_at or now) >= ladder.stale_seconds:
            steps.append(e.AssistClaimStale(at=now, rid=request.rid))
    return steps


def _ladder(command: c.SetLadder, now: float) -> e.LadderChanged:
    rungs = (command.realert_seconds, command.escalate_seconds, command.stale_seconds)
    if not all(1 <= seconds <= MAX_LADDER_SECONDS for seconds in rungs):
        raise DomainError(f"each ladder time must be between 1 and {MAX_LADDER_SECONDS} seconds")
    if command.escalate_seconds <= command.realert_seconds:
        raise DomainError("escalation must come after the re-alert")
    return e.LadderChanged(
        at=now,
        by=command.by,
        realert_seconds=command.realert_seconds,
        escalate_seconds=command.escalate_seconds,
        stale_seconds=command.stale_seconds,
    )


def _create(state: Session | None, command: c.CreateSession, now: float) -> list[e.Event]:
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
        e.SessionCreated(
            at=now,
            sid=command.sid,
            name=command.name.strip(),
            room=command.room.strip(),
            participants=command.participants,
            phases=command.phases,
            flags=command.flags,
            checkin_minutes=command.checkin_minutes,
            timezone=command.timezone,
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


def _new_request_id(state: Session, rid: str) -> None:
    if rid in state.requests:
        raise DomainError(f"request id {rid!r} is already used")


def _require_live(request: AssistRequest) -> None:
    if request.state is RequestState.RESOLVED:
        raise DomainError(f"this request was already resolved by {request.closed_by}")
    if request.state is RequestState.CANCELLED:
        raise DomainError("the participant cancelled this request")
