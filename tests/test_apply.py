"""Folding events into state."""

from __future__ import annotations

import pytest

from roomlive import events as e
from roomlive.apply import apply, fold
from roomlive.model import Clock, RequestState, Status
from tests.test_decide import T0, session_after


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
