"""Exports for the clinic's records (the import that brings one back is `importing.py`).

Pure. CSV: one human-readable row per event, in the session's own time zone; no cell starts with
a character a spreadsheet would run as a formula. JSON: the full event log with a schema version
(participant link tokens blanked: they are secrets, and an import makes new ones).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from roomlive.core import codec
from roomlive.core import events as e
from roomlive.core.apply import apply
from roomlive.core.model import Session
from roomlive.core.timing import hmmss, local_or_utc

SCHEMA = "roomlive-events"
VERSION = 1
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ("local time", "journey clock", "event", "mat", "participant", "by", "details")
QUIET_FIELDS = {"at", "by", "pid", "rid", "sid", "token", "participants"}


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
        type_name, data = codec.encode(ev)
        items.append({"seq": seq, "at": ev.at, "type": type_name, "data": _blank(json.loads(data))})
    document = {"schema": SCHEMA, "version": VERSION, "session": session_id, "events": items}
    return json.dumps(document, ensure_ascii=False, indent=1)


def _blank(data: dict[str, Any]) -> dict[str, Any]:
    if "token" in data:
        data["token"] = ""
    for person in data.get("participants", ()):
        person["token"] = ""
    return data
