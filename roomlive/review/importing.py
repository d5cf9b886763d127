"""The import that brings an export back for review. Pure.

Every event is decoded, then held to the room's rules (`admissible`: the one the live command
would have recorded) and replayed, before anything is written; `digest` recognises a file
imported before, and `rebrand` makes it a new, ended session with fresh link tokens.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

from roomlive.core import codec
from roomlive.core import events as e
from roomlive.core.admissible import admissible
from roomlive.core.apply import apply
from roomlive.core.model import Session
from roomlive.core.shared import DomainError
from roomlive.review.export import SCHEMA, VERSION

MAX_IMPORT_EVENTS = 200_000
MAX_SHOWN_VERSION = 20
MAX_NUMBER = 2**53  # larger numbers do not survive SQLite and JSON unchanged
EARLIEST_TIME = 946_684_800.0  # 2000-01-01 UTC
LATEST_TIME = 7_258_118_400.0  # 2200-01-01 UTC


class BadExport(Exception):
    """The file is not a roomlive export this server can read; the message says why."""


def parse_export(text: str) -> tuple[str, list[e.Event]]:
    """(the exported session id, its events), checked to replay cleanly; or BadExport."""
    try:
        document = _document(text)
    except (ValueError, RecursionError) as error:
        raise BadExport(f"the file is not JSON roomlive can read ({error})") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise BadExport(f'the file is not a roomlive export (no "schema": "{SCHEMA}")')
    version = document.get("version")
    if type(version) is not int or version != VERSION:  # `true` is not 1, nor is 1.0
        found = json.dumps(version)[:MAX_SHOWN_VERSION]
        raise BadExport(f"export version {found} is not supported; this server reads {VERSION}")
    items = document.get("events")
    if not isinstance(items, list) or not items:
        raise BadExport("the export holds no events")
    if len(items) > MAX_IMPORT_EVENTS:
        raise BadExport(f"the export holds more than {MAX_IMPORT_EVENTS} events")
    events = [_event(number, item) for number, item in enumerate(items, start=1)]
    _check_replays(events)
    return str(document.get("session", "")), events


WHITESPACE = re.compile(r"[ \t\n\r]*")


def _document(text: str) -> Any:
    """`json.loads(text)`, but a top-level object's "events" list is read item by item.

    The result is the same; what differs is that no single call into the C decoder reads the
    whole file (58 MB took it over a second), so a worker thread doing this lets go of the GIL
    between items and the event loop keeps serving the rooms.
    """
    decoder = json.JSONDecoder(parse_constant=_no_constant)

    def skip(at: int) -> int:
        found = WHITESPACE.match(text, at)
        return found.end() if found else at

    def expect(at: int, char: str) -> int:
        if not text.startswith(char, at):
            raise ValueError(f"expected {char!r} at character {at}")
        return skip(at + 1)

    at = skip(0)
    if not text.startswith("{", at):
        return decoder.decode(text)
    document: dict[str, Any] = {}
    at = skip(at + 1)
    while not text.startswith("}", at):
        if document:
            at = expect(at, ",")
        key, at = decoder.raw_decode(text, at)
        if not isinstance(key, str):
            raise ValueError(f"expected a property name at character {at}")
        at = expect(skip(at), ":")
        if key == "events" and text.startswith("[", at):
            items: list[Any] = []
            at = skip(at + 1)
            while not text.startswith("]", at):
                if items:
                    at = expect(at, ",")
                item, at = decoder.raw_decode(text, at)
                items.append(item)
                at = skip(at)
            document[key], at = items, at + 1
        else:
            document[key], at = decoder.raw_decode(text, at)
        at = skip(at)
    if skip(at + 1) != len(text):
        raise ValueError(f"extra data at character {at + 1}")
    return document


def _event(number: int, item: Any) -> e.Event:
    if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
        raise BadExport(f'event {number} is not an object with "type" and "data"')
    try:
        event = codec.decode(str(item.get("type")), json.dumps(item["data"]))
    except (ValueError, TypeError, KeyError) as error:
        raise BadExport(f"event {number} cannot be read: {error}") from None
    wrong = _mistyped(event)
    if wrong:
        raise BadExport(f"event {number} ({type(event).__name__}): {wrong} has the wrong type")
    return event


def _mistyped(value: Any) -> str:
    """The first field (dotted path) whose value does not have its declared type, or ""."""
    hints = typing.get_type_hints(type(value))
    for field in dataclasses.fields(value):
        item, hint = getattr(value, field.name), hints[field.name]
        if not _fits(item, hint):
            return field.name
        for element in item if isinstance(item, tuple) else (item,):
            if dataclasses.is_dataclass(element):
                inner = _mistyped(element)
                if inner:
                    return f"{field.name}.{inner}"
    return ""


def _fits(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, option) for option in typing.get_args(hint))
    if origin is tuple:
        (item_hint, _ellipsis) = typing.get_args(hint)
        return isinstance(value, tuple) and all(_fits(item, item_hint) for item in value)
    if hint is type(None):
        return value is None
    if hint is float:
        plain = isinstance(value, int | float) and not isinstance(value, bool)
        return plain and math.isfinite(value) and abs(value) < MAX_NUMBER
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) < MAX_NUMBER
    return isinstance(value, hint) if isinstance(hint, type) else True


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number roomlive can store")


def _check_replays(events: Sequence[e.Event]) -> None:
    """Each event in turn must be one the room's rules could have recorded on the state so far."""
    if not isinstance(events[0], e.SessionCreated):
        raise BadExport("the first event must be the session's creation")
    state: Session | None = None
    previous = EARLIEST_TIME
    for number, event in enumerate(events, start=1):
        where = f"event {number} ({type(event).__name__})"
        if not EARLIEST_TIME <= event.at <= LATEST_TIME:
            raise BadExport(f"{where}: its time is outside the years 2000 to 2200")
        if event.at < previous:
            raise BadExport(f"{where}: it is earlier than the event before it")
        try:
            admissible(state, event)
        except DomainError as error:
            raise BadExport(f"{where}: {error}") from None
        state = apply(state, event)
        previous = event.at


def digest(events: Sequence[e.Event]) -> str:
    """A content hash of an export's events: the same file imported twice has the same one."""
    hashed = hashlib.sha256()
    for event in events:
        type_name, data = codec.encode(event)
        hashed.update(json.dumps([type_name, data]).encode())
        hashed.update(b"\n")
    return hashed.hexdigest()


def rebrand(
    events: Sequence[e.Event], sid: str, make_token: Callable[[], str], by: str
) -> list[e.Event]:
    """The events as a new session `sid`: fresh link tokens, and ended (read-only) if not yet."""
    result: list[e.Event] = []
    for event in events:
        match event:
            case e.SessionCreated(participants=people):
                fresh = tuple(dataclasses.replace(p, token=make_token()) for p in people)
                result.append(dataclasses.replace(event, sid=sid, participants=fresh))
            case e.TokenReissued() | e.ButtonPairingStarted():
                result.append(dataclasses.replace(event, token=make_token()))
            case _:
                result.append(event)
    if not any(isinstance(event, e.SessionEnded) for event in result):
        result.append(e.SessionEnded(at=max(event.at for event in result), by=by))
    return result
