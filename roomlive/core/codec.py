"""Events to and from the JSON kept in the log: `encode`, and `decode` with its upcasters (see
`events.py` on versions). A row that cannot be decoded raises UnreadableEvent, naming fields and
versions, never values."""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any

from roomlive.core import events as e
from roomlive.core.events import FIRST_VERSION, VERSION_KEY, Data, Event

Upcaster = Callable[[Data], Data]


class UnreadableEvent(ValueError):
    """A logged row that cannot be decoded; `reason` says what was expected, naming no values."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        e.SessionCreated,
        e.ClockStarted,
        e.ClockPaused,
        e.ClockResumed,
        e.PhaseAdvanced,
        e.PhaseReturned,
        e.PhaseExtended,
        e.PlanChanged,
        e.PresetSaved,
        e.AutoAdvanceSet,
        e.DoseRecorded,
        e.VitalsRecorded,
        e.NoteSet,
        e.ThresholdsChanged,
        e.FlagsChanged,
        e.CheckinIntervalChanged,
        e.ParticipantChecked,
        e.FlagSet,
        e.AssistRaised,
        e.AssistRepeated,
        e.AssistCancelled,
        e.AssistClaimed,
        e.AssistResolved,
        e.AssistReleased,
        e.AssistReopened,
        e.AssistRealerted,
        e.AssistEscalated,
        e.AssistClaimStale,
        e.LadderChanged,
        e.TokenReissued,
        e.SessionEnded,
        e.ButtonTestStarted,
        e.ButtonTested,
        e.ButtonTestEnded,
        e.ButtonPairingStarted,
        e.ButtonPaired,
        e.ButtonRevoked,
    )
}


def encode(event: Event) -> tuple[str, str]:
    """Return (type name, JSON data) for the log."""
    data = dataclasses.asdict(event)
    version = type(event).class_version
    if version != FIRST_VERSION:
        data[VERSION_KEY] = version
    return type(event).__name__, json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode(type_name: str, data: str | bytes) -> Event:
    """The event a logged row holds, upcast to its class's current version; or UnreadableEvent."""
    cls = EVENT_TYPES.get(type_name)
    if cls is None:
        raise UnreadableEvent(f"unknown event type {type_name!r} in the log")
    try:
        raw = json.loads(data)
    except (ValueError, TypeError, RecursionError) as error:
        raise UnreadableEvent(f"the data is not JSON ({error})") from None
    if type(raw) is not dict:
        raise UnreadableEvent(f"expected a JSON object, got {type(raw).__name__}")
    version = raw.pop(VERSION_KEY, FIRST_VERSION)
    if version != cls.class_version:
        raw = upcast(cls, raw, version)
    return typing.cast(Event, _build(cls, raw))


def upcast(cls: type[Event], data: Data, version: object) -> Data:
    """`data` written by `version` of `cls`, brought up to its current version step by step."""
    current = cls.class_version
    if type(version) is not int or version < FIRST_VERSION:
        raise UnreadableEvent(f"version {version!r} is not a whole number from {FIRST_VERSION}")
    if version > current:
        raise UnreadableEvent(
            f"version {version} is newer than this roomlive knows ({current}): "
            "run the roomlive that wrote it, or a later one"
        )
    for name, step in upcasters(cls)[version - FIRST_VERSION :]:
        try:
            data = step(data)
        except (KeyError, TypeError, ValueError) as error:
            # A KeyError names the field it lacked; other messages may quote the row's values.
            detail = f"no field {error}" if isinstance(error, KeyError) else type(error).__name__
            raise UnreadableEvent(f"{cls.__name__}.{name} cannot upcast it ({detail})") from None
        if type(data) is not dict:
            raise UnreadableEvent(f"{cls.__name__}.{name} returned no object")
    return data


def upcasters(cls: type[Event]) -> list[tuple[str, Upcaster]]:
    """(name, upcaster) from version 1 to the current one, in order; a missing one is an error."""
    found = []
    for version in range(FIRST_VERSION, cls.class_version):
        name = f"upcast_v{version}_v{version + 1}"
        step = getattr(cls, name, None)
        if not callable(step):
            at = cls.class_version
            raise UnreadableEvent(f"{cls.__name__} is at version {at} but has no {name}")
        found.append((name, typing.cast(Upcaster, step)))
    return found


def _build(cls: type[Any], raw: Any) -> Any:
    if type(raw) is not dict:
        raise UnreadableEvent(f"expected an object for {cls.__name__}, got {type(raw).__name__}")
    converters = _converters(cls)
    try:
        fields = {}
        for name, value in raw.items():
            convert = converters[name]  # KeyError: a field this event does not have
            fields[name] = value if convert is None else convert(value)
        return cls(**fields)
    except (KeyError, TypeError, ValueError):
        # Off the hot path: only a row that failed is looked at again, to say what was wrong.
        raise UnreadableEvent(_what_is_wrong(cls, raw)) from None


def _what_is_wrong(cls: type[Any], raw: Data) -> str:
    converters = _converters(cls)
    unknown = [name for name in raw if name not in converters]
    if unknown:
        return f"unknown {_plural('field', unknown)}"
    missing = [
        field.name
        for field in dataclasses.fields(cls)
        if field.name not in raw
        and field.default is dataclasses.MISSING
        and field.default_factory is dataclasses.MISSING
    ]
    if missing:
        return f"missing {_plural('field', missing)}"
    hints = typing.get_type_hints(cls)
    for name, value in raw.items():
        convert = converters[name]
        if convert is None:
            continue
        try:
            convert(value)
        except UnreadableEvent as inner:
            return f"field {name!r}: {inner.reason}"
        except (KeyError, TypeError, ValueError):
            return f"field {name!r} is not {_expected(hints[name])}"
    return f"its fields do not make a {cls.__name__}"


def _plural(noun: str, names: list[str]) -> str:
    quoted = ", ".join(repr(name) for name in names)
    return f"{noun} {quoted}" if len(names) == 1 else f"{noun}s {quoted}"


def _expected(hint: Any) -> str:
    if isinstance(hint, type) and issubclass(hint, Enum):
        return "one of " + ", ".join(repr(member.value) for member in hint)
    if typing.get_origin(hint) is tuple:
        return f"a list of {_expected(typing.get_args(hint)[0])}"
    return f"a {getattr(hint, '__name__', hint)}"


Converter = Callable[[Any], Any]
_CONVERTERS: dict[type[Any], dict[str, Converter | None]] = {}


def _converters(cls: type[Any]) -> dict[str, Converter | None]:
    """Per field, how to turn its JSON value back into its type (None: it already is). Cached:
    replaying a long log on start-up decodes every event."""
    if cls not in _CONVERTERS:
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)  # not ClassVars such as class_version
        _CONVERTERS[cls] = {field.name: _converter(hints[field.name]) for field in fields}
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
