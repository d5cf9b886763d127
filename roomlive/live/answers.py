"""What the rooms answer: a command's outcome, an import's place, and their own refusals."""

from __future__ import annotations

from dataclasses import dataclass

from roomlive.core import events as e
from roomlive.core.shared import DomainError
from roomlive.live.folding import Unreadable


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
class Outcome:
    events: tuple[e.Event, ...]
    duplicate: bool = False


@dataclass(frozen=True)
class Imported:
    """Where an imported file's session is; `already`: it was imported before, not now."""

    sid: str
    already: bool = False
