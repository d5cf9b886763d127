"""What clients send, checked and turned into commands. Bad input raises BadInput with a message
that says what was expected; nothing here touches state."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from . import commands as c
from .commands import Command, CreateSession
from .model import CHECK_STATUSES, ParticipantSpec, RequestKind, Status
from .presets import CHECKIN_MINUTES, DEFAULT_FLAGS, PRESETS

IDEMPOTENCY_HEADER = "idempotency-key"
IDEMPOTENCY_QUERY = "key"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
MAX_FIELD_LENGTH = 200
MAX_MAT = 99
PARTICIPANT_LINE = re.compile(r"^\s*(\d{1,3})\s*[.,:;)\-\u2013]?\s*(.+?)\s*$")

FACILITATOR_ACTIONS = (
    "start", "pause", "resume", "advance", "check", "flag", "raise", "claim", "release",
    "resolve", "reopen", "test-start", "test-end", "reissue", "ladder", "end",
)  # fmt: skip
FACILITATOR_KINDS = (RequestKind.WATCH, RequestKind.BACKUP)
MAX_SECONDS_DIGITS = 5


class BadInput(Exception):
    """The request is malformed; the message tells the sender what was expected."""


def new_id() -> str:
    return secrets.token_hex(6)


def new_token() -> str:
    return secrets.token_urlsafe(18)


def command_key(headers: Mapping[str, str], query: Mapping[str, str] | None = None) -> str:
    """The client's idempotency key (header, or `key` in the query), or a fresh one if none."""
    key = headers.get(IDEMPOTENCY_HEADER) or (query or {}).get(IDEMPOTENCY_QUERY)
    if key is None:
        return "server-" + new_id()
    if not KEY_PATTERN.fullmatch(key):
        raise BadInput("the idempotency key must be 8 to 64 letters, digits, '-' or '_'")
    return key


def facilitator_command(form: Mapping[str, str], by: str) -> Command:
    action = _field(form, "action")
    match action:
        case "start":
            return c.StartClock(by=by)
        case "pause":
            return c.PauseClock(by=by)
        case "resume":
            return c.ResumeClock(by=by)
        case "advance":
            return c.AdvancePhase(by=by)
        case "check":
            status = _choice(form, "status", CHECK_STATUSES)
            return c.CheckParticipant(by=by, pid=_id(form, "pid"), status=Status(status))
        case "flag":
            return c.ToggleFlag(by=by, pid=_id(form, "pid"), flag=_field(form, "flag"))
        case "raise":
            kind = RequestKind(_choice(form, "kind", FACILITATOR_KINDS))
            return c.RaiseAssist(by=by, pid=_id(form, "pid"), rid=new_id(), kind=kind)
        case "claim":
            return c.ClaimAssist(by=by, rid=_id(form, "rid"))
        case "release":
            return c.ReleaseAssist(by=by, rid=_id(form, "rid"))
        case "resolve":
            outcome, note = form.get("outcome", ""), form.get("note", "")
            return c.ResolveAssist(by=by, rid=_id(form, "rid"), outcome=outcome, note=note)
        case "reopen":
            return c.ReopenAssist(by=by, rid=_id(form, "rid"))
        case "test-start":
            return c.StartButtonTest(by=by)
        case "test-end":
            return c.EndButtonTest(by=by)
        case "end":
            return c.EndSession(by=by)
        case "reissue":
            return c.ReissueToken(by=by, pid=_id(form, "pid"), token=new_token())
        case "ladder":
            return c.SetLadder(
                by=by,
                realert_seconds=_seconds(form, "realert"),
                escalate_seconds=_seconds(form, "escalate"),
                stale_seconds=_seconds(form, "stale"),
            )
    raise BadInput(f"action must be one of: {', '.join(FACILITATOR_ACTIONS)}")


def new_session_command(form: Mapping[str, str]) -> CreateSession:
    name = _field(form, "name").strip()
    room = form.get("room", "").strip()
    if len(room) > MAX_FIELD_LENGTH:
        raise BadInput(f"the room name must be at most {MAX_FIELD_LENGTH} characters")
    preset = form.get("preset", "im-group")
    if preset not in PRESETS:
        raise BadInput(f"preset must be one of: {', '.join(PRESETS)}")
    return CreateSession(
        sid=new_id(),
        name=name,
        room=room,
        participants=parse_participants(_field(form, "participants", max_length=4000)),
        phases=PRESETS[preset],
        flags=DEFAULT_FLAGS,
        checkin_minutes=CHECKIN_MINUTES,
    )


def parse_participants(text: str) -> tuple[ParticipantSpec, ...]:
    specs: list[ParticipantSpec] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = PARTICIPANT_LINE.match(line)
        if match is None:
            raise BadInput(f"line {number}: expected a mat number, then a name (e.g. '3 Cleo')")
        mat = int(match.group(1))
        if not 1 <= mat <= MAX_MAT:
            raise BadInput(f"line {number}: mat numbers go from 1 to {MAX_MAT}")
        specs.append(
            ParticipantSpec(
                pid=f"p{len(specs) + 1}", name=match.group(2), mat=mat, token=new_token()
            )
        )
    if not specs:
        raise BadInput("list at least one participant: a mat number, then a name, per line")
    return tuple(specs)


def _field(form: Mapping[str, str], name: str, max_length: int = MAX_FIELD_LENGTH) -> str:
    value = form.get(name)
    if value is None or not value.strip():
        raise BadInput(f"the field '{name}' is required")
    if len(value) > max_length:
        raise BadInput(f"the field '{name}' must be at most {max_length} characters")
    return value


def _choice(form: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = _field(form, name)
    if value not in allowed:
        raise BadInput(f"{name} must be one of: {', '.join(allowed)}")
    return value


def _seconds(form: Mapping[str, str], name: str) -> int:
    value = _field(form, name).strip()
    if not value.isdigit() or len(value) > MAX_SECONDS_DIGITS:
        raise BadInput(f"the field '{name}' must be a whole number of seconds")
    return int(value)


def _id(form: Mapping[str, str], name: str) -> str:
    value = _field(form, name)
    if not ID_PATTERN.fullmatch(value):
        raise BadInput(f"the field '{name}' must be an id of letters, digits, '-' or '_'")
    return value
