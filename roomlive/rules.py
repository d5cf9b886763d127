"""What the room's rules share: the refusal type and lookups that refuse clearly."""

from __future__ import annotations

from .model import AssistRequest, Participant, Session


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
