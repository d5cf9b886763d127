"""Folding events into state."""

from __future__ import annotations

import pytest

from roomlive.core import events as e
from roomlive.core.apply import apply, fold
from roomlive.core.model import Clock, Level, RequestState, Status, evolve
from tests.core.test_decide import T0, session_after


def test_the_clock_banks_time_across_pauses() -> None:
    state = session_after(
        e.ClockStarted(at=T0, by="Sam"),
        e.ClockPaused(at=T0 + 60, by="Sam"),
        e.ClockResumed(at=T0 + 600, by="Sam"),
    )
    assert state.clock.elapsed(T0 + 630) == 90
    paused = apply(state, e.ClockPaused(at=T0 + 700, by="Sam"))
    assert paused.clock.elapsed(T0 + 5000) == 160
    assert Clock().elapsed(T0) == 0


def test_ending_the_session_stops_its_clock() -> None:
    state = session_after(e.ClockStarted(at=T0, by="Sam"), e.SessionEnded(at=T0 + 12, by="Sam"))
    assert not state.clock.running
    assert state.clock.elapsed(T0 + 3600) == 12


def test_a_phase_starts_at_the_journey_time_it_was_advanced() -> None:
    state = session_after(
        e.ClockStarted(at=T0, by="Sam"), e.PhaseAdvanced(at=T0 + 300, by="Kim", index=1)
    )
    assert state.phase.name == "Peak"
    assert state.phase_ends_elapsed() == 300 + 35 * 60
    assert state.next_phase is not None and state.next_phase.name == "Return"


def test_checks_and_flags_record_who_and_when() -> None:
    state = session_after(
        e.ParticipantChecked(at=T0 + 5, by="Kim", pid="p2", status=Status.ATTENTION),
        e.FlagSet(at=T0 + 6, by="Kim", pid="p2", flag="nausea", on=True),
        e.FlagSet(at=T0 + 7, by="Kim", pid="p2", flag="water", on=True),
        e.FlagSet(at=T0 + 8, by="Kim", pid="p2", flag="nausea", on=False),
    )
    ben = state.participants["p2"]
    assert (ben.status, ben.checked_at, ben.checked_by, ben.flags) == (
        Status.ATTENTION, T0 + 5, "Kim", frozenset({"water"}),
    )  # fmt: skip


def test_a_request_goes_from_raised_to_claimed_to_resolved() -> None:
    state = session_after(
        e.AssistRaised(at=T0 + 1, by="participant", rid="r1", pid="p1"),
        e.AssistRepeated(at=T0 + 2, rid="r1"),
        e.AssistClaimed(at=T0 + 3, by="Sam", rid="r1"),
    )
    request = state.requests["r1"]
    assert (request.state, request.asks, request.claimed_by, request.claimed_at) == (
        RequestState.CLAIMED, 2, "Sam", T0 + 3,
    )  # fmt: skip
    assert state.live_request_for("p1") == request
    done = apply(state, e.AssistResolved(at=T0 + 4, by="Sam", rid="r1", outcome="water"))
    assert done.requests["r1"].state is RequestState.RESOLVED
    assert done.live_requests() == [] and done.live_request_for("p1") is None


def test_events_before_the_session_exists_are_rejected() -> None:
    with pytest.raises(ValueError, match="before the session was created"):
        apply(None, e.ClockStarted(at=T0, by="Sam"))
    assert fold([]) is None


def test_a_repeat_press_raises_the_urgency_of_an_unclaimed_request() -> None:
    raised = e.AssistRaised(at=T0, by="participant", rid="r1", pid="p1")
    again = e.AssistRepeated(at=T0 + 3, rid="r1")
    assert session_after(raised, again).requests["r1"].level is Level.REALERTED
    assert session_after(raised, again, again, again).requests["r1"].level is Level.ESCALATED
    claimed = e.AssistClaimed(at=T0 + 1, by="Sam", rid="r1")
    assert session_after(raised, claimed, again).requests["r1"].level is Level.NEW


def test_release_and_reopen_make_a_request_open_again_from_that_moment() -> None:
    raised = e.AssistRaised(at=T0, by="participant", rid="r1", pid="p1")
    escalated = e.AssistEscalated(at=T0 + 60, rid="r1")
    claimed = e.AssistClaimed(at=T0 + 70, by="Sam", rid="r1")
    stale = e.AssistClaimStale(at=T0 + 250, rid="r1")
    released = session_after(
        raised, escalated, claimed, stale, e.AssistReleased(at=T0 + 260, by="Sam", rid="r1")
    ).requests["r1"]
    assert (released.state, released.open_since, released.level, released.stale) == (
        RequestState.OPEN, T0 + 260, Level.NEW, False,
    )  # fmt: skip
    assert released.claimed_by is None and released.raised_at == T0

    resolved = e.AssistResolved(at=T0 + 300, by="Kim", rid="r1", outcome="water", note="ok")
    reopened = session_after(
        raised, resolved, e.AssistReopened(at=T0 + 400, by="Kim", rid="r1")
    ).requests["r1"]
    assert (reopened.state, reopened.open_since, reopened.outcome, reopened.closed_by) == (
        RequestState.OPEN, T0 + 400, "", None,
    )  # fmt: skip


def test_a_test_round_marks_who_has_tested_and_a_new_round_starts_over() -> None:
    state = session_after(
        e.ButtonTestStarted(at=T0, by="Sam"),
        e.ButtonTested(at=T0 + 1, pid="p2"),
        e.ButtonTestEnded(at=T0 + 2, by="Sam"),
    )
    assert not state.test_round and state.participants["p2"].tested
    again = apply(state, e.ButtonTestStarted(at=T0 + 3, by="Sam"))
    assert again.test_round and not any(p.tested for p in again.participants.values())


def test_a_reissued_token_replaces_the_old_one() -> None:
    state = session_after(e.TokenReissued(at=T0, by="Sam", pid="p1", token="fresh"))
    assert state.participants["p1"].token == "fresh"


def test_evolve_copies_with_changes_and_refuses_unknown_fields() -> None:
    clock = Clock(started_at=1.0)
    later = evolve(clock, running=True)
    assert (later.started_at, later.running, clock.running) == (1.0, True, False)
    with pytest.raises(TypeError, match="no field"):
        evolve(clock, runing=True)
