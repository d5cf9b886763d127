"""The rooms: live state per session, kept by executing commands through the one writer.

command -> decide -> append (committed) -> apply -> render once -> publish to every socket.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .apply import apply
from .commands import Command
from .decide import decide
from .events import (
    AssistCancelled,
    AssistClaimed,
    AssistRaised,
    AssistRepeated,
    AssistResolved,
    Event,
    FlagSet,
    ParticipantChecked,
    SessionCreated,
)
from .hub import Hub
from .model import Participant, Session
from .render import Region, Views
from .store import DuplicateCommand, EventStore

Clock = Callable[[], float]


def facilitator_channel(sid: str) -> tuple[str, str]:
    return ("facilitators", sid)


def participant_channel(sid: str, pid: str) -> tuple[str, str, str]:
    return ("participant", sid, pid)


@dataclass(frozen=True)
class Outcome:
    events: tuple[Event, ...]
    duplicate: bool = False


class Rooms:
    def __init__(self, store: EventStore, hub: Hub, views: Views, clock: Clock = time.time) -> None:
        self._store = store
        self._hub = hub
        self._views = views
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self._keys: dict[str, set[str]] = {}
        self._tokens: dict[str, tuple[str, str]] = {}
        self._writer = asyncio.Lock()

    async def load(self) -> int:
        """Rebuild every session by folding the log; return how many events were read."""
        stored = await self._store.load()
        for record in stored:
            self._fold(record.session_id, record.command_key, record.event)
        return len(stored)

    def session(self, sid: str) -> Session | None:
        return self._sessions.get(sid)

    def sessions(self) -> list[Session]:
        return sorted(self._sessions.values(), key=lambda s: s.created_at, reverse=True)

    def by_token(self, token: str) -> tuple[Session, Participant] | None:
        found = self._tokens.get(token)
        if found is None:
            return None
        sid, pid = found
        session = self._sessions[sid]
        return session, session.participants[pid]

    async def execute(self, sid: str, command: Command, key: str) -> Outcome:
        """Decide, commit, apply and publish one command. Raises DomainError if refused."""
        async with self._writer:
            if key in self._keys.get(sid, ()):
                return Outcome((), duplicate=True)
            now = self.clock()
            events = decide(self._sessions.get(sid), command, now)
            try:
                await self._store.append(sid, key, events)
            except DuplicateCommand:
                return Outcome((), duplicate=True)
            for event in events:
                self._fold(sid, key, event)
            # Published before the lock is released, so every socket sees commit order.
            self._publish(self._sessions[sid], events, now)
        return Outcome(tuple(events))

    def _fold(self, sid: str, key: str, event: Event) -> None:
        session = apply(self._sessions.get(sid), event)
        self._sessions[sid] = session
        self._keys.setdefault(sid, set()).add(key)
        if isinstance(event, SessionCreated):
            for spec in event.participants:
                self._tokens[spec.token] = (sid, spec.pid)

    def _publish(self, session: Session, events: Iterable[Event], now: float) -> None:
        events = list(events)
        regions = list(dict.fromkeys(r for e in events for r in affected_regions(session, e)))
        if regions:
            fragment = self._views.fragments(session, regions, now)
            self._hub.publish(facilitator_channel(session.sid), fragment)
        request_pids = (
            session.requests[e.rid].pid for e in events if isinstance(e, REQUEST_EVENTS)
        )
        for pid in dict.fromkeys(request_pids):
            status = self._views.participant_status(session, pid, oob=True)
            self._hub.publish(participant_channel(session.sid, pid), status)


REQUEST_EVENTS = (AssistRaised, AssistRepeated, AssistCancelled, AssistClaimed, AssistResolved)


def affected_regions(session: Session, event: Event) -> list[Region]:
    """Which parts of the dashboard an event changes; only those are rendered and pushed."""
    if isinstance(event, ParticipantChecked | FlagSet):
        return [Region.tile(event.pid)]
    if isinstance(event, REQUEST_EVENTS):
        return [Region.tile(session.requests[event.rid].pid), Region.REQUESTS]
    if isinstance(event, SessionCreated):
        return []
    return [Region.TOPBAR]
