"""`apply`: folds one event into the session state. Pure; the log replays through it on startup."""

from __future__ import annotations

from collections.abc import Iterable

from roomlive.core import events as e
from roomlive.core.model import (
    AssistRequest,
    Clock,
    DoseKind,
    Ladder,
    Level,
    Participant,
    RequestState,
    Session,
    Thresholds,
    Vitals,
    evolve,
)


def apply(state: Session | None, event: e.Event) -> Session:
    if isinstance(event, e.SessionCreated):
        return _created(event)
    if state is None:
        raise ValueError(f"{type(event).__name__} before the session was created")
    at = event.at
    match event:
        case e.ClockStarted():
            return evolve(state, clock=Clock(started_at=at, running=True, resumed_at=at))
        case e.ClockPaused():
            clock = state.clock
            return evolve(state, clock=evolve(clock, running=False, banked=clock.elapsed(at)))
        case e.ClockResumed():
            return evolve(state, clock=evolve(state.clock, running=True, resumed_at=at))
        case e.PhaseAdvanced(index=index) | e.PhaseReturned(index=index):
            elapsed = state.clock.elapsed(at)
            return evolve(
                state,
                phase_index=index,
                phase_started_elapsed=elapsed,
                phase_started_at=at,
                phase_extra_minutes=0,
            )
        case e.PhaseExtended(minutes=minutes):
            return evolve(state, phase_extra_minutes=state.phase_extra_minutes + minutes)
        case e.PlanChanged(phases=phases):
            return evolve(state, phases=phases, phase_index=min(state.phase_index, len(phases) - 1))
        case e.PresetSaved():
            return state
        case e.AutoAdvanceSet(on=on):
            return evolve(state, auto_advance=on)
        case e.DoseRecorded(pid=pid, kind=kind):
            participant = state.participants[pid]
            if kind is DoseKind.BOOSTER:
                return _with(state, evolve(participant, booster_at=at))
            return _with(state, evolve(participant, dosed_at=at))
        case e.VitalsRecorded(by=by, pid=pid):
            participant = state.participants[pid]
            reading = Vitals(at, by, event.systolic, event.diastolic, event.hr, event.spo2)
            return _with(state, evolve(participant, vitals=(*participant.vitals, reading)))
        case e.NoteSet(by=by, pid=pid, text=text):
            noted = evolve(state.participants[pid], note=text, note_at=at, note_by=by)
            return _with(state, noted)
        case e.ThresholdsChanged():
            limits = Thresholds(
                event.systolic_max, event.diastolic_max, event.hr_max, event.hr_min, event.spo2_min
            )
            return evolve(state, thresholds=limits)
        case e.FlagsChanged():
            known = set(event.flags)
            kept = {pid: evolve(p, flags=p.flags & known) for pid, p in state.participants.items()}
            return evolve(state, flags=event.flags, participants=kept)
        case e.CheckinIntervalChanged(minutes=minutes):
            return evolve(state, checkin_minutes=minutes)
        case e.ParticipantChecked(by=by, pid=pid, status=status):
            participant = state.participants[pid]
            return _with(state, evolve(participant, status=status, checked_at=at, checked_by=by))
        case e.FlagSet(pid=pid, flag=flag, on=on):
            participant = state.participants[pid]
            flags = participant.flags | {flag} if on else participant.flags - {flag}
            return _with(state, evolve(participant, flags=flags))
        case e.TokenReissued(pid=pid, token=token):
            return _with(state, evolve(state.participants[pid], token=token))
        case e.SessionEnded():
            stopped = evolve(state.clock, running=False, banked=state.clock.elapsed(at))
            return evolve(state, ended_at=at, test_round=False, clock=stopped)
        case e.ButtonTestStarted():
            untested = {pid: evolve(p, tested=False) for pid, p in state.participants.items()}
            return evolve(state, test_round=True, participants=untested)
        case e.ButtonTested(pid=pid):
            return _with(state, evolve(state.participants[pid], tested=True))
        case e.ButtonTestEnded():
            return evolve(state, test_round=False)
        case e.ButtonPairingStarted(pid=pid, token=token, seconds=seconds):
            until = at + seconds
            pairing = dict(button_token=token, button_pairing_until=until, button_paired_at=None)
            return _with(state, evolve(state.participants[pid], **pairing))
        case e.ButtonPaired(pid=pid):
            paired = dict(button_pairing_until=None, button_paired_at=at)
            return _with(state, evolve(state.participants[pid], **paired))
        case e.ButtonRevoked(pid=pid):
            gone = dict(button_token="", button_pairing_until=None, button_paired_at=None)
            return _with(state, evolve(state.participants[pid], **gone))
        case e.LadderChanged(
            realert_seconds=realert, escalate_seconds=escalate, stale_seconds=stale
        ):
            return evolve(state, ladder=Ladder(realert, escalate, stale))
        case e.AssistRaised(by=by, rid=rid, pid=pid, kind=kind, pressed_at=pressed_at):
            request = AssistRequest(
                rid=rid, pid=pid, raised_at=at, raised_by=by, kind=kind, pressed_at=pressed_at
            )
            return _with(state, evolve(request, open_since=at))
    if isinstance(event, e.RequestEvent):
        return _apply_request(state, event, state.requests[event.rid])
    raise ValueError(f"apply does not know {type(event).__name__}")


def _apply_request(state: Session, event: e.RequestEvent, request: AssistRequest) -> Session:
    at = event.at
    match event:
        case e.AssistRepeated():
            louder = request.level + 1 if request.state is RequestState.OPEN else request.level
            level = Level(min(louder, Level.ESCALATED))
            return _with(state, evolve(request, asks=request.asks + 1, level=level))
        case e.AssistCancelled():
            return _with(state, evolve(request, state=RequestState.CANCELLED, closed_at=at))
        case e.AssistClaimed(by=by):
            claimed = evolve(request, state=RequestState.CLAIMED, claimed_by=by, claimed_at=at)
            return _with(state, claimed)
        case e.AssistResolved(by=by, outcome=outcome, note=note):
            resolved = evolve(
                request,
                state=RequestState.RESOLVED,
                closed_at=at,
                closed_by=by,
                outcome=outcome,
                note=note,
            )
            return _with(state, resolved)
        case e.AssistReleased() | e.AssistReopened():
            return _with(state, _reopened(request, at))
        case e.AssistRealerted():
            return _with(state, evolve(request, level=Level.REALERTED))
        case e.AssistEscalated():
            return _with(state, evolve(request, level=Level.ESCALATED))
        case e.AssistClaimStale():
            return _with(state, evolve(request, stale=True))
    raise ValueError(f"apply does not know {type(event).__name__}")


def fold(events: Iterable[e.Event], state: Session | None = None) -> Session | None:
    for event in events:
        state = apply(state, event)
    return state


def _reopened(request: AssistRequest, at: float) -> AssistRequest:
    return evolve(
        request,
        state=RequestState.OPEN,
        open_since=at,
        level=Level.NEW,
        stale=False,
        claimed_by=None,
        claimed_at=None,
        closed_at=None,
        closed_by=None,
        outcome="",
        note="",
    )


def _created(event: e.SessionCreated) -> Session:
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
        timezone=event.timezone,
    )


def _with(state: Session, item: Participant | AssistRequest) -> Session:
    if isinstance(item, Participant):
        return evolve(state, participants={**state.participants, item.pid: item})
    return evolve(state, requests={**state.requests, item.rid: item})
