"""Whether an event is one the room's rules could have recorded: the check an import runs.

Pure. An event is admissible when the command that records it, decided by `decide` on the state
folded so far and at the event's own time, gives exactly that event. So a file is held to the same
rules and limits as the live commands, by the same code: there is no second list of rules here,
only the way back from each kind of event to the command behind it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from roomlive.core import commands as c
from roomlive.core import events as e
from roomlive.core.decide import decide
from roomlive.core.model import RequestKind, Session, Thresholds
from roomlive.core.shared import DomainError, find_request

SHOWN_VALUE_LENGTH = 40  # a refused value is quoted this far, no further: it may be huge


def admissible(state: Session | None, event: e.Event) -> None:
    """None if `decide` could have recorded `event` on `state`; else DomainError says why not."""
    command = origin(state, event)
    decided = decide(state, command, event.at)
    if event in decided:
        return
    if isinstance(command, c.Tick):
        raise DomainError("the escalation ladder or auto-advance was not due for this then")
    raise DomainError(_difference(event, decided))


def origin(state: Session | None, event: e.Event) -> c.Command:
    """The command that records this kind of event (Tick: what time alone records)."""
    maker = ORIGINS.get(type(event))
    if maker is None:
        raise DomainError(f"no command records {type(event).__name__}")
    if state is None and not isinstance(event, e.SessionCreated):
        raise DomainError("there is no session yet: the first event must create it")
    return maker(state, event)


Origin = Callable[[Any, Any], c.Command]


def _fields(command: type[Any], event: e.Event, **extra: Any) -> c.Command:
    """The command whose fields the event carries under the same names."""
    names = {f.name for f in dataclasses.fields(command)} - extra.keys()
    made: c.Command = command(**{name: getattr(event, name) for name in names}, **extra)
    return made


def _same(command: type[Any]) -> Origin:
    return lambda state, event: _fields(command, event)


def _raised(state: Session, event: e.AssistRaised) -> c.Command:
    if event.kind is RequestKind.SUPPORT:
        return c.PressButton(pid=event.pid, rid=event.rid, pressed_at=event.pressed_at)
    return _fields(c.RaiseAssist, event)


def _pressed_again(state: Session, event: e.AssistRepeated) -> c.Command:
    return c.PressButton(pid=find_request(state, event.rid).pid, rid=event.rid)


def _cancelled(state: Session, event: e.AssistCancelled) -> c.Command:
    return c.CancelAssist(pid=find_request(state, event.rid).pid)


def _test_press(state: Session, event: e.ButtonTested) -> c.Command:
    """A press; outside a test round it would raise a request, under an id not yet used."""
    ids = (f"test-{n}" for n in range(len(state.requests) + 1))
    return c.PressButton(pid=event.pid, rid=next(i for i in ids if i not in state.requests))


def _pairing_press(state: Session, event: e.ButtonPaired) -> c.Command:
    return c.PressButton(pid=event.pid, rid="pairing", hardware=True)


def _thresholds(state: Session, event: e.ThresholdsChanged) -> c.Command:
    limits = Thresholds(
        systolic_max=event.systolic_max,
        diastolic_max=event.diastolic_max,
        hr_max=event.hr_max,
        hr_min=event.hr_min,
        spo2_min=event.spo2_min,
    )
    return c.SetThresholds(by=event.by, thresholds=limits)


def _tick(state: Session, event: e.Event) -> c.Command:
    return c.Tick()


ORIGINS: dict[type[e.Event], Origin] = {
    e.SessionCreated: _same(c.CreateSession),
    e.ClockStarted: _same(c.StartClock),
    e.ClockPaused: _same(c.PauseClock),
    e.ClockResumed: _same(c.ResumeClock),
    e.PhaseAdvanced: _same(c.AdvancePhase),  # auto-advance records the same, by "auto"
    e.PhaseReturned: _same(c.ReturnPhase),
    e.PhaseExtended: _same(c.ExtendPhase),
    e.PlanChanged: _same(c.SetPlan),
    e.PresetSaved: _same(c.SavePreset),
    e.AutoAdvanceSet: _same(c.SetAutoAdvance),
    e.DoseRecorded: _same(c.RecordDose),
    e.VitalsRecorded: _same(c.RecordVitals),
    e.NoteSet: _same(c.SetNote),
    e.ThresholdsChanged: _thresholds,
    e.FlagsChanged: _same(c.SetFlags),
    e.CheckinIntervalChanged: _same(c.SetCheckinInterval),
    e.ParticipantChecked: _same(c.CheckParticipant),
    e.FlagSet: _same(c.ToggleFlag),  # a toggle: `on` must be the flag's opposite
    e.AssistRaised: _raised,
    e.AssistRepeated: _pressed_again,
    e.AssistCancelled: _cancelled,
    e.AssistClaimed: _same(c.ClaimAssist),
    e.AssistResolved: _same(c.ResolveAssist),
    e.AssistReleased: _same(c.ReleaseAssist),
    e.AssistReopened: _same(c.ReopenAssist),
    e.AssistRealerted: _tick,
    e.AssistEscalated: _tick,
    e.AssistClaimStale: _tick,
    e.LadderChanged: _same(c.SetLadder),
    e.TokenReissued: _same(c.ReissueToken),
    e.SessionEnded: _same(c.EndSession),
    e.ButtonTestStarted: _same(c.StartButtonTest),
    e.ButtonTested: _test_press,
    e.ButtonTestEnded: _same(c.EndButtonTest),
    e.ButtonPairingStarted: _same(c.PairButton),
    e.ButtonPaired: _pairing_press,
    e.ButtonRevoked: _same(c.RevokeButton),
}


def _difference(event: e.Event, decided: list[e.Event]) -> str:
    """Why the event is not what the rules record here, in words."""
    if not decided:
        return "the rules record nothing here at this time"
    same_kind = [d for d in decided if type(d) is type(event)]
    if not same_kind:
        return f"the rules record {type(decided[0]).__name__} here, not {type(event).__name__}"
    expected = same_kind[0]
    for field in dataclasses.fields(event):
        found, wanted = getattr(event, field.name), getattr(expected, field.name)
        if found != wanted:
            return f"{field.name} is {_shown(found)}, but the rules record {_shown(wanted)} here"
    return "the rules record a different event here"


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) <= SHOWN_VALUE_LENGTH:
        return text
    return text[:SHOWN_VALUE_LENGTH] + "…"
