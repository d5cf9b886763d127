"""The small pieces of markup the region templates repeat, as template globals: a Jinja macro
call costs ~10 µs, and these are called several times in every fragment a press pushes. (The
smallest, a pushed fragment's bare `hx-swap-oob`, is written inline: a call costs more. htmx 4
swaps an empty value as it does "true": outerHTML, by id.)

Each returns Markup, so Jinja does not escape it again; every value in it is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape

from roomlive.core.model import AssistRequest, Participant, RequestKind, RequestState, Session


def request_classes(request: AssistRequest) -> Markup:
    """A request's classes, the same on its tile, its list item and its banner."""
    state, kind, level = escape(request.state), escape(request.kind), int(request.level)
    stale = " stale" if request.stale else ""
    return Markup(f"request-{state} kind-{kind} level-{level}{stale}")


def request_label(request: AssistRequest) -> Markup:
    """What a request is, in words: who is on it, or what it asks."""
    if request.state == RequestState.CLAIMED:
        still = " · still there?" if request.stale else ""
        return Markup(f"{escape(request.claimed_by)} is on it{still}")
    if request.kind == RequestKind.WATCH:
        return Markup(f"watch · asked by {escape(request.raised_by)}")
    if request.kind == RequestKind.BACKUP:
        return Markup(f"backup · {escape(request.raised_by)} asks")
    return Markup("needs support")


def command_poster(url: Callable[..., str]) -> Callable[..., Markup]:
    """`post(sid=..., fields=...)`: the attributes of a control that posts a command, made with
    the templates' `url`."""

    def post(sid: str, fields: Mapping[str, object]) -> Markup:
        action = escape(url("commands", sid=sid))
        values = htmlsafe_json_dumps(fields, sort_keys=True)  # as Jinja's tojson filter
        return Markup(f" hx-post=\"{action}\" hx-vals='{values}'")

    return post


@dataclass(frozen=True)
class PhoneStatus:
    """All that a participant's phone shows under its button (templates/regions/assist_status.html
    is drawn from these alone, so the same values give the same bytes): `state` is test, tested,
    idle, open or claimed."""

    state: str
    asked_again: bool = False
    claimed_by: str | None = None


def phone_status(session: Session, participant: Participant) -> PhoneStatus:
    request = session.live_request_for(participant.pid)
    if session.test_round and not participant.tested:
        return PhoneStatus("test")
    if session.test_round and request is None:
        return PhoneStatus("tested")
    if request is None:
        return PhoneStatus("idle")
    return PhoneStatus(str(request.state), request.asks > 1, request.claimed_by)
