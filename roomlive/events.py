"""Events: the facts of a session, appended to the log and folded into state.

Every event is a frozen dataclass whose `at` is the server's UTC time (epoch seconds) when the
command that produced it was decided. `encode`/`decode` turn events into the JSON kept in the log.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .model import DoseKind, ParticipantSpec, Phase, RequestKind, Status


@dataclass(frozen=True, kw_only=True)
class Event:
    at: float


@dataclass(frozen=True, kw_only=True)
class RequestEvent(Event):
    """An event in the life of one assist request."""

    rid: str


@dataclass(frozen=True, kw_only=True)
class SessionCreated(Event):
    sid: str
    name: str
    room: str
    participants: tuple[ParticipantSpec, ...]
    phases: tuple[Phase, ...]
    flags: tuple[str, ...]
    checkin_minutes: int
    timezone: str = "UTC"


@dataclass(frozen=True, kw_only=True)
class ClockStarted(Event):
    by: str


@dataclass(frozen=True, kw_only=True)
class ClockPaused(Event):
    by: str


@dataclass(frozen=True, kw_only=True)
class ClockResumed(Event):
    by: str


@dataclass(frozen=True, kw_only=True)
class PhaseAdvanced(Event):
    by: str
    index: int


@dataclass(frozen=True, kw_only=True)
class PhaseReturned(Event):
    """Back to an earlier phase (advanced too early); it starts again now."""

    by: str
    index: int


@dataclass(frozen=True, kw_only=True)
class PhaseExtended(Event):
    by: str
    minutes: int


@dataclass(frozen=True, kw_only=True)
class PlanChanged(Event):
    by: str
    phases: tuple[Phase, ...]


@dataclass(frozen=True, kw_only=True)
class PresetSaved(Event):
    """A plan kept under a name for later sessions (changes nothing in this session)."""

    by: str
    name: str
    phases: tuple[Phase, ...]


@dataclass(frozen=True, kw_only=True)
class AutoAdvanceSet(Event):
    by: str
    on: bool


@dataclass(frozen=True, kw_only=True)
class DoseRecorded(Event):
    by: str
    pid: str
    kind: DoseKind


@dataclass(frozen=True, kw_only=True)
class VitalsRecorded(Event):
    by: str
    pid: str
    systolic: int | None = None
    diastolic: int | None = None
    hr: int | None = None
    spo2: int | None = None


@dataclass(frozen=True, kw_only=True)
class NoteSet(Event):
    by: str
    pid: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ThresholdsChanged(Event):
    by: str
    systolic_max: int
    diastolic_max: int
    hr_max: int
    hr_min: int
    spo2_min: int


@dataclass(frozen=True, kw_only=True)
class FlagsChanged(Event):
    by: str
    flags: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CheckinIntervalChanged(Event):
    by: str
    minutes: int


@dataclass(frozen=True, kw_only=True)
class ParticipantChecked(Event):
    by: str
    pid: str
    status: Status


@dataclass(frozen=True, kw_only=True)
class FlagSet(Event):
    by: str
    pid: str
    flag: str
    on: bool


@dataclass(frozen=True, kw_only=True)
class AssistRaised(RequestEvent):
    by: str
    pid: str
    kind: RequestKind = RequestKind.SUPPORT


@dataclass(frozen=True, kw_only=True)
class AssistRepeated(RequestEvent):
    """The participant pressed again while their request was open: "asked again"."""


@dataclass(frozen=True, kw_only=True)
class AssistCancelled(RequestEvent):
    """The participant said "I'm OK now"."""


@dataclass(frozen=True, kw_only=True)
class AssistClaimed(RequestEvent):
    by: str


@dataclass(frozen=True, kw_only=True)
class AssistResolved(RequestEvent):
    by: str
    outcome: str = ""
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class AssistReleased(RequestEvent):
    """The claimer hands the request back: "someone else please"."""

    by: str


@dataclass(frozen=True, kw_only=True)
class AssistReopened(RequestEvent):
    by: str


@dataclass(frozen=True, kw_only=True)
class AssistRealerted(RequestEvent):
    """Unclaimed past the ladder's first rung: every tablet alerts again."""


@dataclass(frozen=True, kw_only=True)
class AssistEscalated(RequestEvent):
    """Unclaimed past the ladder's second rung: a stronger alert on every tablet."""


@dataclass(frozen=True, kw_only=True)
class AssistClaimStale(RequestEvent):
    """Claimed but not resolved for too long: the claimer is asked again, in view of all."""


@dataclass(frozen=True, kw_only=True)
class LadderChanged(Event):
    by: str
    realert_seconds: int
    escalate_seconds: int
    stale_seconds: int


@dataclass(frozen=True, kw_only=True)
class TokenReissued(Event):
    """The participant's button link is replaced; the old one stops working."""

    by: str
    pid: str
    token: str


@dataclass(frozen=True, kw_only=True)
class SessionEnded(Event):
    by: str


@dataclass(frozen=True, kw_only=True)
class ButtonTestStarted(Event):
    by: str


@dataclass(frozen=True, kw_only=True)
class ButtonTested(Event):
    """A press during the test round: proves the button works, never a request."""

    pid: str


@dataclass(frozen=True, kw_only=True)
class ButtonTestEnded(Event):
    by: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        SessionCreated,
        ClockStarted,
        ClockPaused,
        ClockResumed,
        PhaseAdvanced,
        PhaseReturned,
        PhaseExtended,
        PlanChanged,
        PresetSaved,
        AutoAdvanceSet,
        DoseRecorded,
        VitalsRecorded,
        NoteSet,
        ThresholdsChanged,
        FlagsChanged,
        CheckinIntervalChanged,
        ParticipantChecked,
        FlagSet,
        AssistRaised,
        AssistRepeated,
        AssistCancelled,
        AssistClaimed,
        AssistResolved,
        AssistReleased,
        AssistReopened,
        AssistRealerted,
        AssistEscalated,
        AssistClaimStale,
        LadderChanged,
        TokenReissued,
        SessionEnded,
        ButtonTestStarted,
        ButtonTested,
        ButtonTestEnded,
    )
}


def encode(event: Event) -> tuple[str, str]:
    """Return (type name, JSON data) for the log."""
    data = dataclasses.asdict(event)
    return type(event).__name__, json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode(type_name: str, data: str) -> Event:
    try:
        cls = EVENT_TYPES[type_name]
    except KeyError:
        raise ValueError(f"unknown event type {type_name!r} in the log") from None
    return typing.cast(Event, _build(cls, json.loads(data)))


def _build(cls: type[Any], raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ValueError(f"expected an object for {cls.__name__}, got {type(raw).__name__}")
    converters = _converters(cls)
    fields = {}
    for name, value in raw.items():
        convert = converters[name]  # KeyError: a field this event does not have
        fields[name] = value if convert is None else convert(value)
    return cls(**fields)


Converter = Callable[[Any], Any]
_CONVERTERS: dict[type[Any], dict[str, Converter | None]] = {}


def _converters(cls: type[Any]) -> dict[str, Converter | None]:
    """Per field, how to turn its JSON value back into its type (None: it already is). Cached:
    replaying a long log on start-up decodes every event."""
    if cls not in _CONVERTERS:
        hints = typing.get_type_hints(cls)
        _CONVERTERS[cls] = {name: _converter(hint) for name, hint in hints.items()}
    return _CONVERTERS[cls]


def _converter(hint: Any) -> Converter | None:
    if typing.get_origin(hint) is tuple:
        (item_hint, _ellipsis) = typing.get_args(hint)
        item = _converter(item_hint)

        def to_tuple(value: Any) -> tuple[Any, ...]:
            if not isinstance(value, list | tuple):
                raise ValueError(f"expected a list, got {type(value).__name__}")
            return tuple(value) if item is None else tuple(item(v) for v in value)

        return to_tuple
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        dataclass_type = hint
        return lambda value: _build(dataclass_type, value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    return None
