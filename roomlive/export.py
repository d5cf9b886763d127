"""Exports for the clinic's records, and the import that brings an export back for review.

Pure. CSV: one human-readable row per event, in the session's own time zone; no cell starts with
a character a spreadsheet would run as a formula. JSON: the full event log with a schema version
(participant link tokens blanked: they are secrets, and an import makes new ones). Import: every
event is decoded, then held to the room's rules (`admissible`: the one the live command would have
recorded) and replayed, before anything is written.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import math
import re
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import events as e
from .admissible import admissible
from .apply import apply
from .model import Session
from .rules import DomainError
from .timing import hmmss, local_or_utc

SCHEMA = "roomlive-events"
VERSION = 1
MAX_IMPORT_EVENTS = 200_000
MAX_SHOWN_VERSION = 20
MAX_NUMBER = 2**53  # larger numbers do not survive SQLite and JSON unchanged
EARLIEST_TIME = 946_684_800.0  # 2000-01-01 UTC
LATEST_TIME = 7_258_118_400.0  # 2200-01-01 UTC
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ("local time", "journey clock", "event", "mat", "participant", "by", "details")
QUIET_FIELDS = {"at", "by", "pid", "rid", "sid", "token", "participants"}


class BadExport(Exception):
    """The file is not a roomlive export this server can read; the message says why."""


@dataclass(frozen=True)
class Row:
    at: float
    local: str
    journey: str
    what: str
    pid: str
    mat: str
    name: str
    by: str
    details: str


def rows(events: Sequence[e.Event]) -> list[Row]:
    """One readable row per event, with the participant it concerns (also for requests)."""
    result = []
    state: Session | None = None
    for ev in events:
        state = apply(state, ev)
        when = local_or_utc(ev.at, state.timezone).strftime("%Y-%m-%d %H:%M:%S")
        started = state.clock.started_at is not None
        journey = hmmss(state.clock.elapsed(ev.at)) if started else ""
        pid = getattr(ev, "pid", "")
        if isinstance(ev, e.RequestEvent) and ev.rid in state.requests:
            pid = state.requests[ev.rid].pid
        person = state.participants.get(pid)
        mat, name = (str(person.mat), person.name) if person else ("", "")
        what, details = describe(ev)
        result.append(
            Row(ev.at, when, journey, what, pid, mat, name, getattr(ev, "by", ""), details)
        )
    return result


def describe(ev: e.Event) -> tuple[str, str]:
    """(what happened, its details) in words."""
    what = _words(type(ev).__name__)
    match ev:
        case e.SessionCreated(name=name, room=room, participants=people):
            return what, f"{name} · {room} · {len(people)} participants · {ev.timezone}"
        case e.PhaseAdvanced() | e.PhaseReturned() | e.PlanChanged() | e.PhaseExtended():
            return what, _fields(ev)
        case e.ParticipantChecked(status=status):
            return "checked", str(status)
        case e.FlagSet(flag=flag, on=on):
            return "flag", f"{flag} {'on' if on else 'off'}"
        case e.DoseRecorded(kind=kind):
            return str(kind), ""
        case e.NoteSet(text=text):
            return "note", text
        case e.VitalsRecorded(systolic=systolic, diastolic=diastolic, hr=hr, spo2=spo2):
            parts = [f"BP {systolic or '–'}/{diastolic or '–'}"] if systolic or diastolic else []
            parts += [f"HR {hr}"] if hr is not None else []
            parts += [f"SpO2 {spo2}"] if spo2 is not None else []
            return "vitals", ", ".join(parts)
        case e.AssistRaised(kind=kind):
            return "request raised", str(kind)
        case e.AssistResolved(outcome=outcome, note=note):
            return "request resolved", " · ".join(part for part in (outcome, note) if part)
        case e.ButtonTested():
            return "button test press", "a test, not a request"
    if isinstance(ev, e.RequestEvent):
        what = what.replace("assist ", "request ")
    return what, _fields(ev)


def _words(type_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type_name).lower()


def _fields(ev: e.Event) -> str:
    values = dataclasses.asdict(ev)
    shown = [f"{k} {_plain(v)}" for k, v in values.items() if k not in QUIET_FIELDS and v != ""]
    return ", ".join(shown)


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(_plain(item) for item in value)
    if isinstance(value, dict):
        return " ".join(_plain(v) for v in value.values() if v not in ("", None))
    return str(value)


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading quote where it would start a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(events: Sequence[e.Event]) -> str:
    found = rows(events)
    tz = events[0].timezone if events and isinstance(events[0], e.SessionCreated) else "UTC"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"{CSV_HEADER[0]} ({tz})", *CSV_HEADER[1:]])
    for r in found:
        cells = (r.local, r.journey, r.what, r.mat, r.name, r.by, r.details)
        writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()


def to_json(session_id: str, logged: Sequence[tuple[int, e.Event]]) -> str:
    """The session's log as (seq, event) pairs, as a versioned JSON document."""
    items = []
    for seq, ev in logged:
        type_name, data = e.encode(ev)
        items.append({"seq": seq, "at": ev.at, "type": type_name, "data": _blank(json.loads(data))})
    document = {"schema": SCHEMA, "version": VERSION, "session": session_id, "events": items}
    return json.dumps(document, ensure_ascii=False, indent=1)


def _blank(data: dict[str, Any]) -> dict[str, Any]:
    if "token" in data:
        data["token"] = ""
    for person in data.get("participants", ()):
        person["token"] = ""
    return data


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
        event = e.decode(str(item.get("type")), json.dumps(item["data"]))
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
        type_name, data = e.encode(event)
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
            case e.TokenReissued():
                result.append(dataclasses.replace(event, token=make_token()))
            case _:
                result.append(event)
    if not any(isinstance(event, e.SessionEnded) for event in result):
        result.append(e.SessionEnded(at=max(event.at for event in result), by=by))
    return result
