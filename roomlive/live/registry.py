"""What the rooms hold in memory, folded from the log: every session's state, the command keys
it has seen, its button links, and the ended sessions not folded yet. Lookups and folding only;
the writer (`rooms.py`) decides what is added, after it is committed."""

from __future__ import annotations

import logging

from roomlive.core import events as e
from roomlive.core.apply import apply
from roomlive.core.commandkeys import CommandKey
from roomlive.core.model import Participant, Phase, Session
from roomlive.core.presets import PRESETS
from roomlive.live.folding import Folded, Past, Unreadable
from roomlive.live.records import StoredEvent, UnreadableRow
from roomlive.live.steady_clock import SteadyClock

log = logging.getLogger(__name__)


class Registry:
    def __init__(self, clock: SteadyClock) -> None:
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self._keys: dict[str, dict[tuple[str, str], str]] = {}  # (sender, key) -> asked
        self._tokens: dict[str, tuple[str, str]] = {}
        self._custom_presets: dict[str, tuple[Phase, ...]] = {}
        self._unreadable: dict[str, Unreadable] = {}
        self._past: dict[str, Past] = {}  # ended, not folded yet

    def _forget(self, sid: str) -> Session | None:
        """Drop a session's live state: its fold, keys, time marks and link tokens."""
        self._keys.pop(sid, None)
        for token in [t for t, (owner, _) in self._tokens.items() if owner == sid]:
            del self._tokens[token]
        return self._sessions.pop(sid, None)

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

    def _install(self, sid: str, folded: Folded) -> None:
        """Make a session folded off the loop live state, or unreadable at its bad row."""
        self._past.pop(sid, None)
        if folded.session is not None:
            self._sessions[sid] = folded.session
        self._keys[sid] = folded.keys
        self._tokens.update(folded.tokens)
        if folded.bad is not None:
            self._cannot_read(folded.bad)

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

    def by_button_token(self, token: str) -> tuple[Session, Participant] | None:
        """The session and mat a hardware link names, while it is valid."""
        for session in self._sessions.values():
            if not session.ended:
                for participant in session.participants.values():
                    if participant.button_token == token:
                        return session, participant
        return None

    def presets(self) -> dict[str, tuple[Phase, ...]]:
        """Built-in plans first, then the ones facilitators saved."""
        return {**PRESETS, **self._custom_presets}

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

    def known(self, sid: str) -> bool:
        """A session here that is not unreadable: live, or ended (folded or not)."""
        return sid in self._sessions or sid in self._past
