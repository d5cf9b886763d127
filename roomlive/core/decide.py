"""`decide`: the room's rules. Validates a command against the state and returns its events.

Pure: no I/O, no clock reads; `now` and all ids come in as arguments. The rules themselves live
in journey.py (clock, phases), care.py (participants) and support.py (requests).
"""

from __future__ import annotations

import typing

from roomlive.core import commands as c
from roomlive.core import events as e
from roomlive.core.care import MAX_CHECKIN_MINUTES, CareCommand, check_flags, decide_care
from roomlive.core.journey import JourneyCommand, auto_advance, check_plan, decide_journey
from roomlive.core.model import Session
from roomlive.core.shared import DomainError, require_id, require_range, require_sender
from roomlive.core.support import SupportCommand, decide_support, ladder_steps
from roomlive.core.timing import is_time_zone

__all__ = ["DomainError", "decide"]

MAX_PARTICIPANTS = 24
MAX_NAME_LENGTH = 40
MAX_SESSION_NAME = 200
MAX_ROOM_NAME = 200
MAX_MAT = 99

JOURNEY = typing.get_args(JourneyCommand)
CARE = typing.get_args(CareCommand)
SUPPORT = typing.get_args(SupportCommand)


def decide(state: Session | None, command: c.Command, now: float) -> list[e.Event]:
    if isinstance(command, c.CreateSession):
        return _create(state, command, now)
    if state is None:
        raise DomainError("there is no such session")
    if state.ended:
        if isinstance(command, c.Tick):
            return []
        raise DomainError("this session has ended and is read-only")
    sender = getattr(command, "by", None)
    if sender is not None:
        require_sender(sender)
    if isinstance(command, c.Tick):
        return ladder_steps(state, now) + auto_advance(state, now)
    if isinstance(command, c.EndSession):
        return [e.SessionEnded(at=now, by=command.by)]
    if isinstance(command, JOURNEY):
        return decide_journey(state, command, now)
    if isinstance(command, CARE):
        return decide_care(state, command, now)
    if isinstance(command, SUPPORT):
        return decide_support(state, command, now)
    raise DomainError(f"unknown command {type(command).__name__}")


def _create(state: Session | None, command: c.CreateSession, now: float) -> list[e.Event]:
    if state is not None:
        raise DomainError(f"session {command.sid!r} already exists")
    if not command.name.strip():
        raise DomainError("a session needs a name")
    if len(command.name) > MAX_SESSION_NAME:
        raise DomainError(f"the session's name must be at most {MAX_SESSION_NAME} characters")
    if len(command.room) > MAX_ROOM_NAME:
        raise DomainError(f"the room name must be at most {MAX_ROOM_NAME} characters")
    _check_participants(command)
    if not command.phases:
        raise DomainError("a session needs at least one phase")
    check_plan(command.phases)
    check_flags(command.flags)
    if command.checkin_minutes < 1:
        raise DomainError("the check-in interval must be at least one minute")
    require_range(command.checkin_minutes, 1, MAX_CHECKIN_MINUTES, "the check-in interval")
    if not is_time_zone(command.timezone):
        raise DomainError(f"unknown time zone {command.timezone[:MAX_NAME_LENGTH]!r}")
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


def _check_participants(command: c.CreateSession) -> None:
    people = command.participants
    if not 1 <= len(people) <= MAX_PARTICIPANTS:
        raise DomainError(f"a session needs between 1 and {MAX_PARTICIPANTS} participants")
    for person in people:
        require_id(person.pid, "a participant's id")
    if len({p.pid for p in people}) != len(people):
        raise DomainError("two participants share an id")
    if any(not 1 <= p.mat <= MAX_MAT for p in people):
        raise DomainError(f"mat numbers go from 1 to {MAX_MAT}")
    if len({p.mat for p in people}) != len(people):
        raise DomainError("two participants share a mat number")
    if any(not p.name.strip() or len(p.name) > MAX_NAME_LENGTH for p in people):
        raise DomainError(f"each participant needs a name of at most {MAX_NAME_LENGTH} characters")
