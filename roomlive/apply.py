"""`apply`: folds one event into the session state. Pure; the log replays through it on startup."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

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
from .model import AssistRequest, Clock, Participant, RequestState, Session


def apply(state: Session | None, event: Event) -> Session:
    if isinstance(event, SessionCreated):
        return _created(event)
    if state is None:
        raise ValueError(f"{type(event).__name__} before the session was created")
    at = event.at
    match event:
        case ClockStarted():
            return replace(state, clock=Clock(started_at=at, running=True, resumed_at=at))
        case ClockPaused():
            clock = state.clock
            return replace(state, clock=replace(clock, running=False, banked=clock.elapsed(at)))
        case ClockResumed():
            return replace(state, clock=replace(state.clock, running=True, resumed_at=at))
        case PhaseAdvanced(index=index):
            return replace(state, phase_index=index, phase_started_elapsed=state.clock.elapsed(at))
        case ParticipantChecked(by=by, pid=pid, status=status):
            return _with_participant(
                state, replace(state.participants[pid], status=status, checked_at=at, checked_by=by)
            )
        case FlagSet(pid=pid, flag=flag, on=on):
            participant = state.participants[pid]
            flags = participant.flags | {flag} if on else participant.flags - {flag}
            return _with_participant(state, replace(participant, flags=flags))
        case AssistRaised(by=by, rid=rid, pid=pid):
            request = AssistRequest(rid=rid, pid=pid, raised_at=at, raised_by=by)
            return _with_request(state, request)
        case AssistRepeated(rid=rid):
            request = state.requests[rid]
            return _with_request(state, replace(request, asks=request.asks + 1))
        case AssistCancelled(rid=rid):
            request = replace(state.requests[rid], state=RequestState.CANCELLED, closed_at=at)
            return _with_request(state, request)
        case AssistClaimed(by=by, rid=rid):
            request = replace(
                state.requests[rid], state=RequestState.CLAIMED, claimed_by=by, claimed_at=at
            )
            return _with_request(state, request)
        case AssistResolved(by=by, rid=rid, outcome=outcome):
            request = replace(
                state.requests[rid],
                state=RequestState.RESOLVED,
                closed_at=at,
                closed_by=by,
                outcome=outcome,
            )
            return _with_request(state, request)
    raise ValueError(f"apply does not know {type(event).__name__}")


def fold(events: Iterable[Event], state: Session | None = None) -> Session | None:
    for event in events:
        state = apply(state, event)
    return state


def _created(event: SessionCreated) -> Session:
    participants = {
        spec.pid: Participant(pid=spec.pid, name=spec.name, mat=spec.mat, token=spec.token)
        for spec in event.participants
    }
    return Session(
        sid=event.sid,
        name=event.name,
        room=event.room,
        created_at=event.at,
        phases=event.phases,
        flags=event.flags,
        checkin_minutes=event.checkin_minutes,
        participants=participants,
    )


def _with_participant(state: Session, participant: Participant) -> Session:
    return replace(state, participants={**state.participants, participant.pid: participant})


def _with_request(state: Session, request: AssistRequest) -> Session:
    return replace(state, requests={**state.requests, request.rid: request})
