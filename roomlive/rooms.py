"""The rooms: live state per session, kept by executing commands through the one writer.

command -> decide -> append (committed) -> apply -> render once -> publish to every socket.

Ended sessions are not folded at start-up: only what the home page lists about them is read (their
creation, phases and end), and the whole log of one is folded, in a worker thread, when it is
first opened, reviewed, exported or purged (`unfold`).

A session whose log holds a row that cannot be decoded, or an event that does not fold onto the
ones before it, is unreadable: it is folded no further, holds no live state (no commands, no
ticks, no button links), and is listed with the row and the reason. Every other session runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from . import events as e
from .apply import apply
from .clock import SteadyClock
from .commandkeys import CommandKey, server_key
from .commands import Command, Tick
from .decide import decide
from .export import digest, rebrand
from .hub import Hub
from .inputs import new_id, new_token
from .model import Participant, Phase, Session
from .presence import BUTTON_OFFLINE_GRACE_SECONDS, Presence
from .presets import PRESETS
from .render import Region, Views
from .rules import DomainError
from .store import DuplicateCommand, EventStore, NotRecorded, StoredEvent, UnreadableRow
from .timing import likely_phase, overdue, vitals_due

# What an ended session's home-page line needs; folded alone they touch only session-wide state.
SUMMARY_TYPES = tuple(
    t.__name__
    for t in (
        e.SessionCreated,
        e.ClockStarted,
        e.PhaseAdvanced,
        e.PhaseReturned,
        e.PlanChanged,
        e.PresetSaved,
        e.SessionEnded,
    )
)

log = logging.getLogger(__name__)
T = TypeVar("T")

CLOSE_LINK_REVOKED = 4404
TICK_SECONDS = 1.0
HEARTBEAT_TICKS = 5  # a heartbeat every 5 s: pages that hear nothing for longer reconnect


def facilitator_channel(sid: str) -> tuple[str, str]:
    return ("facilitators", sid)


def device_channel(device: str) -> tuple[str, str]:
    """One tablet's own connection, for messages meant for it alone."""
    return ("device", device)


def participant_channel(token: str) -> tuple[str, str]:
    """Keyed by token, so that revoking a link can close exactly the sockets that used it."""
    return ("participant", token)


class KeyReused(DomainError):
    """A sender gave a key it had already used to a different command."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"the idempotency key {key} was already used for a different command: "
            "use a new key for each command"
        )


class SessionUnreadable(DomainError):
    def __init__(self, unreadable: Unreadable) -> None:
        super().__init__(f"this session {unreadable.problem}")


@dataclass(frozen=True)
class Unreadable:
    """A session the log holds but this server cannot fold: the first row that failed."""

    sid: str
    name: str  # from its creation, if that was read; "" otherwise
    row: UnreadableRow

    @property
    def problem(self) -> str:
        return f"cannot be read: {self.row}"


@dataclass(frozen=True)
class Past:
    """An ended session not folded yet: its creation, phases and end folded alone, which is
    all its home-page line needs. Never live state: `unfold` folds the whole log."""

    shell: Session


@dataclass
class Folded:
    """One session's log folded (in a worker thread); `bad`: the row it stopped at."""

    session: Session | None
    keys: dict[tuple[str, str], str]
    tokens: dict[str, tuple[str, str]]
    bad: UnreadableRow | None = None


def fold_records(sid: str, records: Sequence[StoredEvent | UnreadableRow]) -> Folded:
    """Pure: the state, command keys and link tokens of one session's whole log."""
    folded = Folded(None, {}, {})
    for record in records:
        if isinstance(record, UnreadableRow):
            folded.bad = record
            return folded
        event = record.event
        try:
            key = CommandKey.parse(record.command_key)
            session = apply(folded.session, event)
        except Exception as error:  # as in `Rooms._load_one`: only the error's kind is kept
            reason = f"does not fit the events before it ({type(error).__name__})"
            folded.bad = UnreadableRow(record.seq, sid, type(event).__name__, reason)
            return folded
        if isinstance(event, e.TokenReissued) and folded.session is not None:
            folded.tokens.pop(folded.session.participants[event.pid].token, None)
            folded.tokens[event.token] = (sid, event.pid)
        if isinstance(event, e.SessionCreated):
            for spec in event.participants:
                folded.tokens[spec.token] = (sid, spec.pid)
        folded.session = session
        folded.keys[(key.sender, key.key)] = key.asked
    return folded


@dataclass(frozen=True)
class Outcome:
    events: tuple[e.Event, ...]
    duplicate: bool = False


@dataclass(frozen=True)
class Imported:
    """Where an imported file's session is; `already`: it was imported before, not now."""

    sid: str
    already: bool = False


class Rooms:
    def __init__(
        self,
        store: EventStore,
        hub: Hub,
        views: Views,
        clock: SteadyClock,
        offline_grace: float = BUTTON_OFFLINE_GRACE_SECONDS,
    ) -> None:
        self._store = store
        self._hub = hub
        self._views = views
        self.clock = clock
        self.presence = Presence(self._presence_changed, offline_grace)
        self._sessions: dict[str, Session] = {}
        self._keys: dict[str, dict[tuple[str, str], str]] = {}  # (sender, key) -> asked
        self._tokens: dict[str, tuple[str, str]] = {}
        self._custom_presets: dict[str, tuple[Phase, ...]] = {}
        self._imports: dict[str, str] = {}  # content hash of an imported file -> its session
        self._time_marks: dict[str, dict[str, tuple[object, ...]]] = {}
        self._unreadable: dict[str, Unreadable] = {}
        self._past: dict[str, Past] = {}  # ended, not folded yet
        self._writer = asyncio.Lock()
        self._importer = asyncio.Lock()
        self.write_problem: str | None = None  # why the last write failed; None once one succeeds

    async def load(self) -> int:
        """Rebuild every session that has not ended by folding its log, and list the ended
        ones from a few of their events; return how many rows were read."""
        for sid in await self._store.finish_interrupted(self.clock()):
            log.warning("session %s: an interrupted import or purge was finished", sid)
        stored, ended = await self._store.load_live(SUMMARY_TYPES)
        shells: dict[str, Session] = {}
        for record in stored:
            if record.session_id in self._unreadable:
                continue  # never folded past its first bad row
            if isinstance(record, UnreadableRow):
                self._cannot_read(record)
                continue
            if record.session_id in ended:
                self._load_summary(shells, record)
            else:
                self._load_one(record)
        self._list_past(shells)
        self._imports = await self._store.imports()
        return len(stored)

    def _list_past(self, shells: dict[str, Session]) -> None:
        for sid, shell in shells.items():
            if sid not in self._unreadable:
                self._past[sid] = Past(shell)

    def _load_summary(self, shells: dict[str, Session], record: StoredEvent) -> None:
        sid, event = record.session_id, record.event
        try:
            shells[sid] = apply(shells.get(sid), event)
        except Exception as error:
            shells.pop(sid, None)
            reason = f"does not fit the events before it ({type(error).__name__})"
            self._cannot_read(UnreadableRow(record.seq, sid, type(event).__name__, reason))
            return
        if isinstance(event, e.PresetSaved):
            self._custom_presets[event.name] = event.phases
        self.clock.not_before(event.at)

    async def unfold(self, sid: str) -> None:
        """Fold an ended session's whole log if it is not folded yet: read on the reader
        connection and folded in a worker thread, without the writer lock (an ended session's
        log does not change), so that no room waits for it."""
        if sid not in self._past:
            return
        records = await self._store.session_rows(sid)
        folded = await asyncio.to_thread(fold_records, sid, records)
        if sid in self._past:  # not folded, nor purged, meanwhile
            self._install(sid, folded)

    def _install(self, sid: str, folded: Folded) -> None:
        """Make a session folded off the loop live state, or unreadable at its bad row."""
        self._past.pop(sid, None)
        if folded.session is not None:
            self._sessions[sid] = folded.session
        self._keys[sid] = folded.keys
        self._tokens.update(folded.tokens)
        if folded.bad is not None:
            self._cannot_read(folded.bad)

    def _load_one(self, record: StoredEvent) -> None:
        sid, event = record.session_id, record.event
        try:
            self._fold(sid, CommandKey.parse(record.command_key), event)
        except Exception as error:  # whatever one session's log holds, the others must start
            # The exception's text can quote what the event held: only its kind is logged.
            reason = f"does not fit the events before it ({type(error).__name__})"
            self._cannot_read(UnreadableRow(record.seq, sid, type(event).__name__, reason))
            return
        self.clock.not_before(event.at)

    def _forget(self, sid: str) -> Session | None:
        """Drop a session's live state: its fold, keys, time marks and link tokens."""
        self._keys.pop(sid, None)
        self._time_marks.pop(sid, None)
        for token in [t for t, (owner, _) in self._tokens.items() if owner == sid]:
            del self._tokens[token]
        return self._sessions.pop(sid, None)

    def _cannot_read(self, row: UnreadableRow) -> None:
        """Mark the row's session unreadable and forget its live state (link tokens included)."""
        sid = row.session_id
        state = self._forget(sid)
        self._unreadable[sid] = Unreadable(sid, state.name if state else "", row)
        log.error("session %s cannot be read: %s; it is not folded further", sid, row)

    def session(self, sid: str) -> Session | None:
        return self._sessions.get(sid)

    def unreadable(self, sid: str) -> Unreadable | None:
        return self._unreadable.get(sid)

    def unreadable_sessions(self) -> list[Unreadable]:
        return sorted(self._unreadable.values(), key=lambda u: u.row.seq)

    def sessions(self) -> list[Session]:
        """The folded sessions, newest first: every one that has not ended, and the ended ones
        opened since start-up (`past` lists the others)."""
        return sorted(self._sessions.values(), key=lambda s: s.created_at, reverse=True)

    def past(self) -> list[Past]:
        """The ended sessions not folded yet, newest first."""
        return sorted(self._past.values(), key=lambda p: p.shell.created_at, reverse=True)

    def count(self) -> int:
        """How many sessions can be read, folded or not."""
        return len(self._sessions) + len(self._past)

    def by_token(self, token: str) -> tuple[Session, Participant] | None:
        found = self._tokens.get(token)
        if found is None:
            return None
        sid, pid = found
        session = self._sessions[sid]
        if session.ended:
            return None
        return session, session.participants[pid]

    def presets(self) -> dict[str, tuple[Phase, ...]]:
        """Built-in plans first, then the ones facilitators saved."""
        return {**PRESETS, **self._custom_presets}

    def snapshot(self, session: Session) -> str:
        return self._views.snapshot(session, self.clock(), self.presence.attendance(session.sid))

    async def execute(self, sid: str, command: Command, key: CommandKey) -> Outcome:
        """Decide, commit, apply and publish one command. Raises DomainError if refused."""
        async with self._writer:
            if sid in self._unreadable:
                raise SessionUnreadable(self._unreadable[sid])
            asked_before = await self._asked_before(sid, key)
            if asked_before is not None:
                if asked_before != key.asked:
                    raise KeyReused(key.key)
                return Outcome((), duplicate=True)
            now = self.clock()
            past = self._past.get(sid)
            # An ended session not folded yet: its shell is enough to refuse it as ended.
            events = decide(past.shell if past else self._sessions.get(sid), command, now)
            if not events:
                return Outcome(())
            try:
                await self._recording(self._store.append(sid, key.stored(), events))
            except DuplicateCommand:
                return Outcome((), duplicate=True)
            revoked = [token for event in events for token in self._fold(sid, key, event)]
            # Published before the lock is released, so every socket sees commit order.
            self._publish(self._sessions[sid], events, now)
            for token in revoked:
                self._hub.close_channel(participant_channel(token), CLOSE_LINK_REVOKED)
        return Outcome(tuple(events))

    async def _asked_before(self, sid: str, key: CommandKey) -> str | None:
        if sid in self._past:  # its keys are not loaded: the log is asked for this one
            return await self._store.command_asked(sid, key.sender, key.key)
        return self._keys.get(sid, {}).get((key.sender, key.key))

    async def _recording(self, write: Awaitable[T]) -> T:
        """Run one write to the log, keeping `write_problem` current for /healthz."""
        try:
            result = await write
        except NotRecorded as failed:
            if self.write_problem is None:
                log.error("the event log cannot be written: %s", failed)
            self.write_problem = str(failed)
            raise
        if self.write_problem is not None:
            log.info("the event log can be written again")
        self.write_problem = None
        return result

    async def tick(self) -> None:
        """Let time act: the escalation ladder, auto-advance, and tiles whose prompts came due."""
        for session in list(self._sessions.values()):
            if session.ended:
                continue
            if session.live_requests() or session.auto_advance:
                await self.execute(session.sid, Tick(), server_key(f"tick-{secrets.token_hex(8)}"))
            self._refresh_timed_tiles(session.sid)

    def _refresh_timed_tiles(self, sid: str) -> None:
        session = self._sessions.get(sid)
        if session is None:
            return
        now = self.clock()
        marks = {pid: time_marks(session, p, now) for pid, p in session.participants.items()}
        before = self._time_marks.get(sid, {})  # nothing yet: redraw once, harmlessly
        self._time_marks[sid] = marks
        changed = [pid for pid in marks if before.get(pid) != marks[pid]]
        if changed:
            regions = [Region.tile(pid) for pid in changed]
            fragment = self._views.fragments(session, regions, now, self.presence.attendance(sid))
            self._hub.publish(facilitator_channel(sid), fragment)

    async def run_ticker(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(TICK_SECONDS)
            ticks += 1
            if ticks % HEARTBEAT_TICKS == 0:
                # Data only (no "content"): htmx swaps nothing; pages learn the link is alive.
                self._hub.publish_everywhere(json.dumps({"heartbeat": self.clock()}))
            try:
                await self.tick()
            except NotRecorded:
                pass  # /healthz says so; a traceback every second would fill the disk
            except Exception:  # the ladder must keep running whatever one tick hit
                log.exception("escalation tick failed")

    def _fold(self, sid: str, key: CommandKey, event: e.Event) -> list[str]:
        """Apply one event; return the participant tokens it revoked."""
        before = self._sessions.get(sid)
        session = apply(before, event)
        self._sessions[sid] = session
        self._keys.setdefault(sid, {})[(key.sender, key.key)] = key.asked
        if isinstance(event, e.SessionCreated):
            for spec in event.participants:
                self._tokens[spec.token] = (sid, spec.pid)
        if isinstance(event, e.TokenReissued) and before is not None:
            old = before.participants[event.pid].token
            self._tokens.pop(old, None)
            self._tokens[event.token] = (sid, event.pid)
            return [old]
        if isinstance(event, e.SessionEnded):
            return [p.token for p in session.participants.values()]
        if isinstance(event, e.PresetSaved):
            self._custom_presets[event.name] = event.phases
        return []

    def _publish(self, session: Session, events: Sequence[e.Event], now: float) -> None:
        regions = list(dict.fromkeys(r for ev in events for r in affected_regions(session, ev)))
        if regions:
            fragment = self._views.fragments(
                session, regions, now, self.presence.attendance(session.sid)
            )
            self._hub.publish(facilitator_channel(session.sid), fragment)
        pids = dict.fromkeys(pid for ev in events for pid in affected_buttons(session, ev))
        for pid in pids:
            participant = session.participants[pid]
            status = self._views.participant_status(session, pid)
            self._hub.publish(participant_channel(participant.token), status)

    def _presence_changed(self, sid: str, pid: str | None) -> None:
        """A button (pid) or a tablet (None) came or went: redraw what shows it."""
        session = self._sessions.get(sid)
        if session is None:
            return
        regions = [Region.TOOLS]
        if pid is not None and pid in session.participants:
            regions.append(Region.tile(pid))
        presence = self.presence.attendance(sid)
        fragment = self._views.fragments(session, regions, self.clock(), presence)
        self._hub.publish(facilitator_channel(sid), fragment)

    # --- after the session: the review reads the log; an import adds one; a purge removes one.

    async def session_log(self, sid: str) -> list[e.Event]:
        """One session's events as logged, oldest first (for review, replay and export)."""
        return [record.event for record in await self._store.session_events(sid)]

    async def session_records(self, sid: str) -> list[tuple[int, e.Event]]:
        """One session's events with their log sequence numbers."""
        return [(r.seq, r.event) for r in await self._store.session_events(sid)]

    async def import_session(self, wanted_sid: str, events: Sequence[e.Event], by: str) -> Imported:
        """Add an exported, validated session as an ended one, once per file; say where it is.

        It keeps its id unless that is taken on this server; its button links are new (and dead,
        since the session has ended). The same file again (by its events' hash) adds nothing.
        Hashing, rebranding and encoding run in worker threads, and the rows are written in
        parts, each holding the writer only briefly: a long import does not stall any room.
        """
        async with self._importer:  # one import at a time: a retry waits and finds the first
            hashed = await asyncio.to_thread(digest, events)
            earlier = self._imports.get(hashed)
            if earlier is not None and (earlier in self._sessions or earlier in self._past):
                return Imported(earlier, already=True)
            taken = self._sessions.keys() | self._unreadable.keys() | self._past.keys()
            sid = wanted_sid if wanted_sid and wanted_sid not in taken else new_id()
            while sid in taken:
                sid = new_id()
            rebranded = await asyncio.to_thread(rebrand, events, sid, new_token, by)
            encoded = await asyncio.to_thread(lambda: [e.encode(ev) for ev in rebranded])
            written = 0
            while written < len(rebranded):
                async with self._writer:
                    written = await self._recording(
                        self._store.append_import_part(sid, rebranded, encoded, written, hashed)
                    )
            shell = await asyncio.to_thread(summary_shell, rebranded)
            for event in rebranded:
                if isinstance(event, e.PresetSaved):
                    self._custom_presets[event.name] = event.phases
            self._past[sid] = Past(shell)  # folded when first reviewed, as after a restart
            self._imports[hashed] = sid
        return Imported(sid)

    async def purge(self, sid: str, by: str) -> int:
        """Delete an ended session's events for good; the audit log records that it happened.
        It is gone from every view at once; its rows are deleted in parts, each holding the
        writer only briefly (an interrupted purge is finished at the next start)."""

        async with self._writer:
            session = self._sessions.get(sid)
            if session is None and sid not in self._past:
                raise DomainError("there is no such session")
            if session is not None and not session.ended:
                raise DomainError("end the session before purging it")
            count = await self._recording(self._store.begin_purge(sid, self.clock(), by))
            self._forget(sid)
            self._past.pop(sid, None)
            self._imports = {k: v for k, v in self._imports.items() if v != sid}
            self._hub.close_channel(facilitator_channel(sid), CLOSE_LINK_REVOKED)
        done = False
        while not done:
            async with self._writer:
                done = await self._recording(self._store.purge_part(sid))
        return count


def summary_shell(events: Sequence[e.Event]) -> Session:
    """An ended session's home-page line: its summary events folded alone, as at start-up."""
    state: Session | None = None
    for event in events:
        if type(event).__name__ in SUMMARY_TYPES:
            state = apply(state, event)
    if state is None:
        raise ValueError("a session's log starts with its creation")
    return state


def affected_regions(session: Session, event: e.Event) -> list[Region]:
    """Which parts of the dashboard an event changes; only those are rendered and pushed."""
    match event:
        case (
            e.ParticipantChecked(pid=pid)
            | e.FlagSet(pid=pid)
            | e.DoseRecorded(pid=pid)
            | e.VitalsRecorded(pid=pid)
            | e.NoteSet(pid=pid)
        ):
            return [Region.tile(pid)]
        case e.PresetSaved():
            return []
        case e.ThresholdsChanged() | e.FlagsChanged() | e.CheckinIntervalChanged():
            return [Region.TOOLS, *map(Region.tile, session.participants)]
        case e.PhaseAdvanced() | e.PhaseReturned() | e.PlanChanged():
            # The discharge prompt and likely phases follow the room's phase.
            return [Region.TOPBAR, Region.TOOLS, *map(Region.tile, session.participants)]
        case e.AutoAdvanceSet():
            return [Region.TOPBAR, Region.TOOLS]
        case e.ClockStarted():
            # A tile never checked becomes due from the start: it carries that instant.
            return [Region.TOPBAR, *map(Region.tile, session.participants)]
        case e.ButtonTested(pid=pid):
            return [Region.tile(pid), Region.TOOLS]
        case e.TokenReissued(pid=pid):
            return [Region.tile(pid), Region.TOOLS]
        case e.RequestEvent(rid=rid):
            return [Region.tile(session.requests[rid].pid), Region.REQUESTS]
        case e.ButtonTestStarted() | e.ButtonTestEnded():
            return [Region.TOOLS, *(Region.tile(pid) for pid in session.participants)]
        case e.LadderChanged():
            return [Region.TOOLS]
        case e.SessionEnded():
            return [
                Region.TOPBAR,
                Region.REQUESTS,
                Region.TOOLS,
                *map(Region.tile, session.participants),
            ]
        case e.SessionCreated():
            return []
    return [Region.TOPBAR]


def affected_buttons(session: Session, event: e.Event) -> list[str]:
    """Which participants' button pages show something this event changed."""
    match event:
        case e.RequestEvent(rid=rid):
            return [session.requests[rid].pid]
        case e.ButtonTested(pid=pid):
            return [pid]
        case e.ButtonTestStarted() | e.ButtonTestEnded():
            return list(session.participants)
    return []


def time_marks(session: Session, participant: Participant, now: float) -> tuple[object, ...]:
    """What on a tile changes with time alone (server-side); its minute counters tick in JS."""
    return (
        overdue(session, participant, now),
        vitals_due(session, participant, now),
        likely_phase(session, participant, now),
    )
