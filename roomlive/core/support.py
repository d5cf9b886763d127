"""Rules for silent support: the button, requests, their ladder, the button test. Pure."""

from __future__ import annotations

from roomlive.core import commands as c
from roomlive.core import events as e
from roomlive.core.model import OUTCOMES, AssistRequest, Level, RequestKind, RequestState, Session
from roomlive.core.shared import (
    MAX_NOTE,
    DomainError,
    find_participant,
    find_request,
    require_id,
    require_range,
)

BUTTON = "participant"
MIN_LADDER_SECONDS = 1
MAX_LADDER_SECONDS = 3600
MAX_LATE_SECONDS = 3600  # a press a hub held for longer than this is refused, not shown as new
MAX_PAIRING_SECONDS = 600

SupportCommand = (
    c.PressButton
    | c.RaiseAssist
    | c.CancelAssist
    | c.ClaimAssist
    | c.ReleaseAssist
    | c.ResolveAssist
    | c.ReopenAssist
    | c.StartButtonTest
    | c.EndButtonTest
    | c.ReissueToken
    | c.PairButton
    | c.RevokeButton
    | c.SetLadder
)


def decide_support(state: Session, command: SupportCommand, now: float) -> list[e.Event]:
    match command:
        case c.PressButton(pid=pid, rid=rid, pressed_at=pressed_at, hardware=hardware):
            participant = find_participant(state, pid)
            _require_pressed_at(pressed_at, now)
            pairing = participant.button_pairing_until
            if hardware and pairing is not None and now <= pairing:
                return [e.ButtonPaired(at=now, pid=pid)]
            if state.test_round and not participant.tested:
                return [e.ButtonTested(at=now, pid=pid)]
            live = state.live_request_for(pid)
            if live is not None:
                return [e.AssistRepeated(at=now, rid=live.rid)]
            _new_request_id(state, rid)
            return [e.AssistRaised(at=now, by=BUTTON, rid=rid, pid=pid, pressed_at=pressed_at)]
        case c.RaiseAssist(by=by, pid=pid, rid=rid, kind=kind):
            participant = find_participant(state, pid)
            if kind is RequestKind.SUPPORT:
                raise DomainError("support requests come from the participant's button")
            if state.live_request_for(pid, kind) is not None:
                raise DomainError(f"mat {participant.mat} already has an open {kind} request")
            _new_request_id(state, rid)
            return [e.AssistRaised(at=now, by=by, rid=rid, pid=pid, kind=kind)]
        case c.CancelAssist(pid=pid):
            find_participant(state, pid)
            live = state.live_request_for(pid)
            if live is None:
                raise DomainError("there is no open request to cancel")
            return [e.AssistCancelled(at=now, rid=live.rid)]
        case c.ClaimAssist(by=by, rid=rid):
            request = find_request(state, rid)
            if request.state is RequestState.CLAIMED:
                who = "you" if request.claimed_by == by else request.claimed_by
                raise DomainError(f"{who} already claimed this request")
            _require_live(request)
            return [e.AssistClaimed(at=now, by=by, rid=rid)]
        case c.ReleaseAssist(by=by, rid=rid):
            request = find_request(state, rid)
            _require_live(request)
            if request.state is not RequestState.CLAIMED:
                raise DomainError("this request is not claimed, so there is nothing to release")
            if request.claimed_by != by:
                raise DomainError(f"only {request.claimed_by}, who claimed it, can release it")
            return [e.AssistReleased(at=now, by=by, rid=rid)]
        case c.ResolveAssist(by=by, rid=rid, outcome=outcome, note=note):
            _require_live(find_request(state, rid))
            if outcome and outcome not in OUTCOMES:
                raise DomainError(f"the outcome must be one of {', '.join(OUTCOMES)}")
            if len(note) > MAX_NOTE:
                raise DomainError(f"the note is longer than {MAX_NOTE} characters")
            return [e.AssistResolved(at=now, by=by, rid=rid, outcome=outcome, note=note.strip())]
        case c.ReopenAssist(by=by, rid=rid):
            request = find_request(state, rid)
            if request.state is not RequestState.RESOLVED:
                raise DomainError("only a resolved request can be reopened")
            if state.live_request_for(request.pid, request.kind) is not None:
                raise DomainError("this participant already has a newer open request")
            return [e.AssistReopened(at=now, by=by, rid=rid)]
        case c.StartButtonTest(by=by):
            if state.test_round:
                raise DomainError("a button test is already running")
            return [e.ButtonTestStarted(at=now, by=by)]
        case c.EndButtonTest(by=by):
            if not state.test_round:
                raise DomainError("no button test is running")
            return [e.ButtonTestEnded(at=now, by=by)]
        case c.ReissueToken(by=by, pid=pid, token=token):
            find_participant(state, pid)
            return [e.TokenReissued(at=now, by=by, pid=pid, token=token)]
        case c.PairButton(by=by, pid=pid, token=token, seconds=seconds):
            find_participant(state, pid)
            require_range(seconds, 1, MAX_PAIRING_SECONDS, "the pairing time in seconds")
            return [e.ButtonPairingStarted(at=now, by=by, pid=pid, token=token, seconds=seconds)]
        case c.RevokeButton(by=by, pid=pid):
            if not find_participant(state, pid).has_button_link:
                raise DomainError("this mat has no button link to revoke")
            return [e.ButtonRevoked(at=now, by=by, pid=pid)]
        case c.SetLadder():
            return [_ladder(command, now)]
    raise DomainError(f"unknown command {type(command).__name__}")


def ladder_steps(state: Session, now: float) -> list[e.Event]:
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
    for seconds in (command.realert_seconds, command.escalate_seconds, command.stale_seconds):
        require_range(
            seconds, MIN_LADDER_SECONDS, MAX_LADDER_SECONDS, "each ladder time in seconds"
        )
    if command.escalate_seconds <= command.realert_seconds:
        raise DomainError("escalation must come after the re-alert")
    return e.LadderChanged(
        at=now,
        by=command.by,
        realert_seconds=command.realert_seconds,
        escalate_seconds=command.escalate_seconds,
        stale_seconds=command.stale_seconds,
    )


def _require_pressed_at(pressed_at: float | None, now: float) -> None:
    if pressed_at is None:
        return
    if pressed_at > now:
        raise DomainError("a press cannot be made later than it arrives")
    if now - pressed_at > MAX_LATE_SECONDS:
        raise DomainError(f"a press delivered more than {MAX_LATE_SECONDS} seconds late is too old")


def _new_request_id(state: Session, rid: str) -> None:
    require_id(rid, "a request id")
    if rid in state.requests:
        raise DomainError(f"request id {rid!r} is already used")


def _require_live(request: AssistRequest) -> None:
    if request.state is RequestState.RESOLVED:
        raise DomainError(f"this request was already resolved by {request.closed_by}")
    if request.state is RequestState.CANCELLED:
        raise DomainError("the participant cancelled this request")
