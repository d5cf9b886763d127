"""What the room's rules share: the refusal type, lookups that refuse clearly, and the limits on
names and ids that every command's fields must keep."""

from __future__ import annotations

import re

from roomlive.core.model import AssistRequest, Participant, Session

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
MAX_SENDER_NAME = 40
MAX_NOTE = 200  # a note on a participant, or on a resolved request


class DomainError(Exception):
    """A command the room's rules refuse; the message says why, for the person who sent it."""


def find_participant(state: Session, pid: str) -> Participant:
    try:
        return state.participants[pid]
    except KeyError:
        raise DomainError("there is no such participant in this session") from None


def find_request(state: Session, rid: str) -> AssistRequest:
    try:
        return state.requests[rid]
    except KeyError:
        raise DomainError("there is no such request in this session") from None


def require_range(value: int, low: int, high: int, what: str) -> None:
    if not low <= value <= high:
        raise DomainError(f"{what} must be between {low} and {high}")


def require_id(value: str, what: str) -> None:
    if not ID_PATTERN.fullmatch(value):
        raise DomainError(f"{what} must be 1 to 32 letters, digits, '-' or '_'")


def clean_name(name: str) -> str | None:
    """A person's name as colleagues see it (single spaces, printable), or None if unusable."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_SENDER_NAME or not cleaned.isprintable():
        return None
    return cleaned


def require_sender(by: str) -> None:
    """Who a command is from: a facilitator's name as joining cleaned it (or the button's)."""
    if clean_name(by) != by:
        raise DomainError(
            f"the sender's name must be 1 to {MAX_SENDER_NAME} printable characters, single-spaced"
        )
