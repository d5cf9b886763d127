"""Idempotency keys, scoped to the sender that gave them.

Two buttons that number their presses the same way send two commands, not one: a key belongs to
its sender (a participant's button, a facilitator's tablet, the server itself). A sender that
reuses a key for something else is told so, never answered with the result of the other command.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

SERVER = "server"
LEGACY_SENDER = ""  # keys logged before they were scoped: they match no sender of today
SEPARATOR = "/"  # keys are letters, digits, '-' and '_': it never occurs inside one
DIGEST_CHARS = 16


@dataclass(frozen=True)
class CommandKey:
    sender: str
    key: str
    asked: str  # a digest of what the sender asked for with this key

    def stored(self) -> str:
        """The form kept in the log's `command_key` column."""
        return SEPARATOR.join((self.sender, self.key, self.asked))

    @classmethod
    def parse(cls, stored: str) -> CommandKey:
        sender, separator, rest = stored.partition(SEPARATOR)
        key, _, asked = rest.partition(SEPARATOR)
        if not separator:
            return cls(LEGACY_SENDER, stored, "")
        return cls(sender, key, asked)


def participant_sender(pid: str) -> str:
    """A participant's phone page and hardware button are one sender: one person's presses."""
    return f"participant:{pid}"


def tablet_sender(tablet: str) -> str:
    return f"tablet:{tablet}"


def asked_for(action: str, form: Mapping[str, str]) -> str:
    """A short digest of a request's action and fields: what "the same command" means."""
    text = json.dumps([action, sorted(form.items())], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_CHARS]


def server_key(key: str) -> CommandKey:
    """A command the server makes itself (the ticker, the demo session)."""
    return CommandKey(SERVER, key, key)
