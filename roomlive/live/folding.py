"""Folding one session's log off the event loop: its state, command keys and button links, or
the row it stopped at. Pure functions over logged records; the rooms install what they return."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from roomlive.core import events as e
from roomlive.core.apply import apply
from roomlive.core.commandkeys import CommandKey
from roomlive.core.model import Session
from roomlive.live.records import StoredEvent, UnreadableRow

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


def summary_shell(events: Sequence[e.Event]) -> Session:
    """An ended session's home-page line: its summary events folded alone, as at start-up."""
    state: Session | None = None
    for event in events:
        if type(event).__name__ in SUMMARY_TYPES:
            state = apply(state, event)
    if state is None:
        raise ValueError("a session's log starts with its creation")
    return state
