"""The rooms: live state per session, kept by executing commands through the one writer.

command -> decide -> append, and render once while the disk writes -> (committed) apply ->
publish to every socket; the commands that wait while a commit is in flight are committed
together (batching.py).

Ended sessions are not folded at start-up: only what the home page lists about them is read (their
creation, phases and end), and the whole log of one is folded, in a worker thread, when it is
first opened, reviewed, exported or purged (`unfold`).

A session whose log holds a row that cannot be decoded, or an event that does not fold onto the
ones before it, is unreadable: it is folded no further, holds no live state (no commands, no
ticks, no button links), and is listed with the row and the reason. Every other session runs.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Sequence
from typing import TypeVar

from roomlive.core import events as e
from roomlive.core.commandkeys import CommandKey, server_key
from roomlive.core.commands import Command, Tick
from roomlive.core.model import Session
from roomlive.core.shared import DomainError
from roomlive.live.answers import Imported, Outcome, SessionUnreadable
from roomlive.live.batching import Batch, GroupCommit, Pending, settle
from roomlive.live.buttons import HardwareButtons
from roomlive.live.folding import (
    SUMMARY_TYPES,
    Past,
    fold_records,
    summary_shell,
)
from roomlive.live.hub import Hub
from roomlive.live.ids import new_id
from roomlive.live.prepared import PreparedImport, prepare
from roomlive.live.presence import BUTTON_OFFLINE_GRACE_SECONDS, Presence
from roomlive.live.publisher import Publisher
from roomlive.live.records import DuplicateCommand, NotRecorded, StoredEvent, UnreadableRow
from roomlive.live.regions import Region, Renderer
from roomlive.live.registry import Registry
from roomlive.live.steady_clock import SteadyClock
from roomlive.live.store import EventStore
from roomlive.review.importing import digest

log = logging.getLogger(__name__)
T = TypeVar("T")


class Rooms(Registry):
    """The one writer: commands, ticks, imports and purges, each committed before it is shown."""

    def __init__(
        self,
        store: EventStore,
        hub: Hub,
        views: Renderer,
        clock: SteadyClock,
        offline_grace: float = BUTTON_OFFLINE_GRACE_SECONDS,
        button_checkin_after: float | None = None,
    ) -> None:
        super().__init__(clock)
        self._store = store
        self._hub = hub
        self.buttons = HardwareButtons(self._presence_changed, clock(), button_checkin_after)
        self.presence = Presence(self._presence_changed, offline_grace, self.buttons.silent)
        self._publisher = Publisher(hub, views, self.presence)
        self._imports: dict[str, str] = {}  # content hash of an imported file -> its session
        self._writer = asyncio.Lock()
        self._commits = GroupCommit(self._commit)
        self._importer = asyncio.Lock()
        self.write_problem: str | None = None  # why the last write failed; None once one succeeds

    def _forget(self, sid: str) -> Session | None:
        self._publisher.forget(sid)
        return super()._forget(sid)

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

    async def unfold(self, sid: str) -> None:
        """Fold an ended session's whole log if it is not folded yet: read on the reader
        connection and folded in a worker thread, without the writer lock (an ended session's
        log does not change), so that no room waits for it."""
        if sid not in self._past:
            return
        records = await self._store.reader.session_rows(sid)
        folded = await asyncio.to_thread(fold_records, sid, records)
        if sid in self._past:  # not folded, nor purged, meanwhile
            self._install(sid, folded)

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

    def snapshot(self, session: Session) -> str:
        return self._publisher.snapshot(session, self.clock())

    async def execute(self, sid: str, command: Command, key: CommandKey) -> Outcome:
        """Decide, commit, apply and publish one command, in one transaction with the commands
        that arrived while the writer was busy (group commit). Raises DomainError if refused."""
        return await self._commits.submit(sid, command, key)

    async def _commit(self, waiting: list[Pending]) -> None:
        async with self._writer:
            await self._write(waiting)

    async def _write(self, waiting: list[Pending]) -> None:
        """Decide a batch in order and write it in one transaction, rendering what it will show
        while the disk writes; then fold and publish each command in commit order and answer
        every caller. Raises NotRecorded if not written."""
        batch = Batch(self._rules_state, self._asked_before, self.clock)
        for pending in waiting:
            await batch.add(pending)
        recorded = batch.recorded()
        shows = None
        if recorded:
            commit = asyncio.ensure_future(
                self._recording(self._store.append_commands(batch.writes()))
            )
            await asyncio.sleep(0)  # the commit is handed to SQLite's thread first
            shows = self._publisher.prepare([d.change() for d in recorded])
            try:
                await commit
            except DuplicateCommand:
                if len(waiting) == 1:
                    settle(waiting[0], Outcome((), duplicate=True))
                    return
                # A key the log holds and the rooms did not: one at a time finds whose.
                for pending in waiting:
                    await self._write([pending])
                return
        # Published before the lock is released, so every socket sees commit order.
        revoked = [
            token
            for d in recorded
            for event in d.outcome.events
            for token in self._fold(d.pending.sid, d.pending.key, event)
        ]
        if shows is not None:
            for decided, error in zip(recorded, self._publisher.send(shows), strict=True):
                if error is not None:  # recorded and folded: the commands after it go on
                    settle(decided.pending, decided.outcome, error)
        for token in revoked:
            self._publisher.revoke_link(token)
        batch.answer()

    def _rules_state(self, sid: str) -> Session | None:
        """A session as the rules decide on it; an ended one not folded yet is its shell, which
        is enough to refuse it as ended."""
        if sid in self._unreadable:
            raise SessionUnreadable(self._unreadable[sid])
        past = self._past.get(sid)
        return past.shell if past else self._sessions.get(sid)

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
        self.buttons.sweep(list(self._sessions.values()), self.clock())
        for session in list(self._sessions.values()):
            if session.ended:
                continue
            if session.live_requests() or session.auto_advance:
                await self.execute(session.sid, Tick(), server_key(f"tick-{secrets.token_hex(8)}"))
            self._publisher.timed_tiles(session, self.clock())

    def _presence_changed(self, sid: str, pid: str | None) -> None:
        """A button (pid) or a tablet (None) came or went: redraw what shows it."""
        session = self._sessions.get(sid)
        if session is None:
            return
        regions = [Region.TOOLS]
        if pid is not None and pid in session.participants:
            regions.append(Region.tile(pid))
        self._publisher.regions(session, regions, self.clock())

    # --- after the session: the review reads the log; an import adds one; a purge removes one.

    async def session_log(self, sid: str) -> list[e.Event]:
        """One session's events as logged, oldest first (for review, replay and export)."""
        return [record.event for record in await self._store.reader.session_events(sid)]

    async def session_records(self, sid: str) -> list[tuple[int, e.Event]]:
        """One session's events with their log sequence numbers."""
        return [(r.seq, r.event) for r in await self._store.reader.session_events(sid)]

    async def import_session(self, wanted_sid: str, events: Sequence[e.Event], by: str) -> Imported:
        """`import_prepared` of events checked by `parse_export`, prepared in a worker thread."""
        ready = await asyncio.to_thread(lambda: prepare(events, digest(events), by))
        return await self.import_prepared(wanted_sid, ready)

    async def import_prepared(self, wanted_sid: str, ready: PreparedImport) -> Imported:
        """Add an exported, validated session as an ended one, once per file; say where it is.

        It keeps its id unless that is taken on this server; its button links are new (and dead,
        since the session has ended). The same file again (by its events' hash) adds nothing.
        The rows come encoded (the server's worker process made them) and are written in parts,
        each holding the writer only briefly: a long import does not stall any room.
        """
        async with self._importer:  # one import at a time: a retry waits and finds the first
            earlier = self._imports.get(ready.digest)
            if earlier is not None and (earlier in self._sessions or earlier in self._past):
                return Imported(earlier, already=True)
            taken = self._sessions.keys() | self._unreadable.keys() | self._past.keys()
            sid = wanted_sid if wanted_sid and wanted_sid not in taken else new_id()
            while sid in taken:
                sid = new_id()
            written = 0
            for index in range(len(ready.parts)):
                rows = ready.part(index, sid)
                async with self._writer:
                    part = self._store.append_import_rows
                    written = await self._recording(
                        part(sid, rows, written, ready.count, ready.digest)
                    )
            summary = ready.summary_as(sid)
            for event in summary:
                if isinstance(event, e.PresetSaved):
                    self._custom_presets[event.name] = event.phases
            self._past[sid] = Past(summary_shell(summary))  # folded when first reviewed
            self._imports[ready.digest] = sid
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
            self._publisher.close_session(sid)
        done = False
        while not done:
            async with self._writer:
                done = await self._recording(self._store.purge_part(sid))
        return count
