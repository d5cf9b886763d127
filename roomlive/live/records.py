"""What the log hands back, and how a write can fail."""

from __future__ import annotations

from dataclasses import dataclass

from roomlive.core.codec import UnreadableEvent, decode
from roomlive.core.events import Event


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    session_id: str
    command_key: str
    event: Event


@dataclass(frozen=True)
class UnreadableRow:
    """A logged row that does not decode; `reason` names fields and versions, never values."""

    seq: int
    session_id: str
    type_name: str
    reason: str

    def __str__(self) -> str:
        return f"event {self.seq} ({self.type_name}): {self.reason}"


def read_row(
    seq: int, session_id: str, key: str, type_name: str, data: str | bytes
) -> StoredEvent | UnreadableRow:
    try:
        return StoredEvent(seq, session_id, key, decode(type_name, data))
    except UnreadableEvent as error:
        return UnreadableRow(seq, session_id, str(type_name), error.reason)


@dataclass(frozen=True)
class AuditRow:
    what: str
    session_id: str
    at: float
    by: str
    events: int


class DuplicateCommand(Exception):
    """The command key was already recorded for this session."""


class NotRecorded(Exception):
    """The log could not be written (disk full, read-only file, I/O error): nothing was kept.

    The message is SQLite's reason, which names no participant: it is shown and logged as is.
    """
