"""Rules for the journey: the shared clock, the phases and their plan. Pure."""

from __future__ import annotations

from roomlive.core import commands as c
from roomlive.core import events as e
from roomlive.core.model import Phase, Session
from roomlive.core.shared import DomainError, require_range

AUTO = "auto"
MAX_PHASES = 16
MAX_PHASE_MINUTES = 600
MAX_EXTEND_MINUTES = 60
MAX_PHASE_NAME = 40
MAX_MUSIC_LABEL = 60
MAX_PRESET_NAME = 40

JourneyCommand = (
    c.StartClock
    | c.PauseClock
    | c.ResumeClock
    | c.AdvancePhase
    | c.ReturnPhase
    | c.ExtendPhase
    | c.SetPlan
    | c.SavePreset
    | c.SetAutoAdvance
)


def decide_journey(state: Session, command: JourneyCommand, now: float) -> list[e.Event]:
    clock = state.clock
    match command:
        case c.StartClock(by=by):
            if clock.started_at is not None:
                raise DomainError("the journey clock has already been started")
            return [e.ClockStarted(at=now, by=by)]
        case c.PauseClock(by=by):
            if not clock.running:
                raise DomainError("the journey clock is not running")
            return [e.ClockPaused(at=now, by=by)]
        case c.ResumeClock(by=by):
            if clock.started_at is None:
                raise DomainError("the journey clock has not been started yet")
            if clock.running:
                raise DomainError("the journey clock is already running")
            return [e.ClockResumed(at=now, by=by)]
        case c.AdvancePhase(by=by):
            if state.next_phase is None:
                raise DomainError(f"'{state.phase.name}' is the last phase; there is none after it")
            return [e.PhaseAdvanced(at=now, by=by, index=state.phase_index + 1)]
        case c.ReturnPhase(by=by):
            if state.phase_index == 0:
                raise DomainError(
                    f"'{state.phase.name}' is the first phase; there is none before it"
                )
            return [e.PhaseReturned(at=now, by=by, index=state.phase_index - 1)]
        case c.ExtendPhase(by=by, minutes=minutes):
            require_range(minutes, 1, MAX_EXTEND_MINUTES, "an extension in minutes")
            return [e.PhaseExtended(at=now, by=by, minutes=minutes)]
        case c.SetPlan(by=by, phases=phases):
            check_plan(phases)
            if len(phases) <= state.phase_index:
                current = state.phase_index + 1
                raise DomainError(f"the plan must keep the current phase (number {current})")
            return [e.PlanChanged(at=now, by=by, phases=phases)]
        case c.SavePreset(by=by, name=name, phases=phases):
            if not name or len(name) > MAX_PRESET_NAME:
                raise DomainError(f"a preset needs a name of at most {MAX_PRESET_NAME} characters")
            check_plan(phases)
            return [e.PresetSaved(at=now, by=by, name=name, phases=phases)]
        case c.SetAutoAdvance(by=by, on=on):
            return [e.AutoAdvanceSet(at=now, by=by, on=on)]
    raise DomainError(f"unknown command {type(command).__name__}")


def check_plan(phases: tuple[Phase, ...]) -> None:
    if not 1 <= len(phases) <= MAX_PHASES:
        raise DomainError(f"a plan has between 1 and {MAX_PHASES} phases")
    for number, phase in enumerate(phases, start=1):
        if not phase.name.strip() or len(phase.name) > MAX_PHASE_NAME:
            raise DomainError(f"phase {number} needs a name of at most {MAX_PHASE_NAME} characters")
        require_range(phase.minutes, 1, MAX_PHASE_MINUTES, f"phase {number}'s minutes")
        if len(phase.music) > MAX_MUSIC_LABEL:
            raise DomainError(f"phase {number}'s music label is longer than {MAX_MUSIC_LABEL}")


def auto_advance(state: Session, now: float) -> list[e.Event]:
    """With auto-advance on, the next phase starts when the current one's planned time is up."""
    if not (state.auto_advance and state.clock.running and state.next_phase is not None):
        return []
    if state.clock.elapsed(now) < state.phase_ends_elapsed():
        return []
    return [e.PhaseAdvanced(at=now, by=AUTO, index=state.phase_index + 1)]
