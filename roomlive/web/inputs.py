"""What clients send, checked and turned into commands. Bad input raises BadInput with a message
that says what was expected; nothing here touches state."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from roomlive.core import commands as c
from roomlive.core.commandkeys import CommandKey
from roomlive.core.commands import Command, CreateSession
from roomlive.core.decide import MAX_MAT
from roomlive.core.journey import MAX_PRESET_NAME
from roomlive.core.model import (
    CHECK_STATUSES,
    DoseKind,
    ParticipantSpec,
    Phase,
    RequestKind,
    Status,
    Thresholds,
)
from roomlive.core.presets import CHECKIN_MINUTES, DEFAULT_FLAGS, PRESETS
from roomlive.core.shared import ID_PATTERN
from roomlive.core.timing import is_time_zone
from roomlive.live.ids import new_id, new_token

IDEMPOTENCY_HEADER = "idempotency-key"
IDEMPOTENCY_QUERY = "key"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_FIELD_LENGTH = 200
PARTICIPANT_LINE = re.compile(r"^\s*(\d{1,3})\s*[.,:;)\-\u2013]?\s*(.+?)\s*$")

FACILITATOR_KINDS = (RequestKind.WATCH, RequestKind.BACKUP)
NUMBER = re.compile(r"[0-9]{1,5}")  # ASCII digits only: "²".isdigit() is true
MAX_PLAN_ROWS = 16
MAX_FLAGS_TEXT = 400  # the flags, comma-separated, as the settings form sends them
MAX_PARTICIPANTS_TEXT = 4000  # the new-session form's lines, one per participant


class BadInput(Exception):
    """The request is malformed; the message tells the sender what was expected."""


def command_key(
    sender: str,
    asked: str,
    headers: Mapping[str, str],
    query: Mapping[str, str] | None = None,
) -> CommandKey:
    """The sender's idempotency key (header, or `key` in the query), or a fresh one if none."""
    key = headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        key = (query or {}).get(IDEMPOTENCY_QUERY)
    if key is None:
        return CommandKey(sender, "server-" + new_id(), asked)
    if not KEY_PATTERN.fullmatch(key):
        raise BadInput("the idempotency key must be 8 to 64 letters, digits, '-' or '_'")
    return CommandKey(sender, key, asked)


def facilitator_command(
    form: Mapping[str, str], by: str, presets: Mapping[str, tuple[Phase, ...]] = PRESETS
) -> Command:
    """The command a dashboard form asks for; `presets` are the plans a session may load."""
    action = _field(form, "action")
    if action == "preset":
        name = _choice(form, "preset", tuple(presets))
        return c.SetPlan(by=by, phases=presets[name])
    parser = FACILITATOR_PARSERS.get(action)
    if parser is None:
        raise BadInput(f"action must be one of: {', '.join(FACILITATOR_ACTIONS)}")
    return parser(form, by)


Parser = Callable[[Mapping[str, str], str], Command]

FACILITATOR_PARSERS: dict[str, Parser] = {
    "start": lambda form, by: c.StartClock(by=by),
    "pause": lambda form, by: c.PauseClock(by=by),
    "resume": lambda form, by: c.ResumeClock(by=by),
    "advance": lambda form, by: c.AdvancePhase(by=by),
    "back": lambda form, by: c.ReturnPhase(by=by),
    "extend": lambda form, by: c.ExtendPhase(by=by, minutes=_number(form, "minutes")),
    "auto": lambda form, by: c.SetAutoAdvance(by=by, on=_choice(form, "on", ("0", "1")) == "1"),
    "plan": lambda form, by: c.SetPlan(by=by, phases=parse_plan(form)),
    "save-preset": lambda form, by: c.SavePreset(
        by=by, name=_field(form, "name", MAX_PRESET_NAME).strip(), phases=parse_plan(form)
    ),
    "check": lambda form, by: c.CheckParticipant(
        by=by, pid=_id(form, "pid"), status=Status(_choice(form, "status", CHECK_STATUSES))
    ),
    "flag": lambda form, by: c.ToggleFlag(by=by, pid=_id(form, "pid"), flag=_field(form, "flag")),
    "dose": lambda form, by: c.RecordDose(
        by=by, pid=_id(form, "pid"), kind=DoseKind(_choice(form, "kind", tuple(DoseKind)))
    ),
    "vitals": lambda form, by: c.RecordVitals(
        by=by,
        pid=_id(form, "pid"),
        systolic=_optional_number(form, "systolic"),
        diastolic=_optional_number(form, "diastolic"),
        hr=_optional_number(form, "hr"),
        spo2=_optional_number(form, "spo2"),
    ),
    "note": lambda form, by: c.SetNote(by=by, pid=_id(form, "pid"), text=form.get("text", "")),
    "thresholds": lambda form, by: c.SetThresholds(
        by=by,
        thresholds=Thresholds(
            systolic_max=_number(form, "systolic_max"),
            diastolic_max=_number(form, "diastolic_max"),
            hr_max=_number(form, "hr_max"),
            hr_min=_number(form, "hr_min"),
            spo2_min=_number(form, "spo2_min"),
        ),
    ),
    "flags": lambda form, by: c.SetFlags(
        by=by, flags=parse_flags(_field(form, "flags", MAX_FLAGS_TEXT))
    ),
    "interval": lambda form, by: c.SetCheckinInterval(by=by, minutes=_number(form, "minutes")),
    "raise": lambda form, by: c.RaiseAssist(
        by=by,
        pid=_id(form, "pid"),
        rid=new_id(),
        kind=RequestKind(_choice(form, "kind", FACILITATOR_KINDS)),
    ),
    "claim": lambda form, by: c.ClaimAssist(by=by, rid=_id(form, "rid")),
    "release": lambda form, by: c.ReleaseAssist(by=by, rid=_id(form, "rid")),
    "resolve": lambda form, by: c.ResolveAssist(
        by=by, rid=_id(form, "rid"), outcome=form.get("outcome", ""), note=form.get("note", "")
    ),
    "reopen": lambda form, by: c.ReopenAssist(by=by, rid=_id(form, "rid")),
    "test-start": lambda form, by: c.StartButtonTest(by=by),
    "test-end": lambda form, by: c.EndButtonTest(by=by),
    "end": lambda form, by: c.EndSession(by=by),
    "reissue": lambda form, by: c.ReissueToken(by=by, pid=_id(form, "pid"), token=new_token()),
    "pair-button": lambda form, by: c.PairButton(by=by, pid=_id(form, "pid"), token=new_token()),
    "revoke-button": lambda form, by: c.RevokeButton(by=by, pid=_id(form, "pid")),
    "ladder": lambda form, by: c.SetLadder(
        by=by,
        realert_seconds=_number(form, "realert"),
        escalate_seconds=_number(form, "escalate"),
        stale_seconds=_number(form, "stale"),
    ),
}
FACILITATOR_ACTIONS = (*FACILITATOR_PARSERS, "preset")


def parse_plan(form: Mapping[str, str]) -> tuple[Phase, ...]:
    """Rows name_N / minutes_N / music_N; rows left blank are dropped."""
    phases = []
    for row in range(MAX_PLAN_ROWS):
        name = form.get(f"name_{row}", "").strip()
        if not name:
            continue
        minutes = _number(form, f"minutes_{row}")
        music = form.get(f"music_{row}", "").strip()
        phases.append(Phase(name=name, minutes=minutes, music=music))
    if not phases:
        raise BadInput("the plan needs at least one phase with a name")
    return tuple(phases)


def parse_flags(text: str) -> tuple[str, ...]:
    """Flags separated by commas or new lines, in order, without repeats."""
    names = (part.strip() for line in text.splitlines() for part in line.split(","))
    return tuple(dict.fromkeys(name for name in names if name))


def new_session_command(
    form: Mapping[str, str],
    presets: Mapping[str, tuple[Phase, ...]] = PRESETS,
    default_timezone: str = "UTC",
) -> CreateSession:
    name = _field(form, "name").strip()
    room = form.get("room", "").strip()
    if len(room) > MAX_FIELD_LENGTH:
        raise BadInput(f"the room name must be at most {MAX_FIELD_LENGTH} characters")
    preset = form.get("preset") or next(iter(presets))
    if preset not in presets:
        raise BadInput(f"preset must be one of: {', '.join(presets)}")
    timezone = form.get("timezone", "").strip() or default_timezone
    if not is_time_zone(timezone):
        raise BadInput(f"unknown time zone {timezone!r}")
    return CreateSession(
        sid=new_id(),
        name=name,
        room=room,
        participants=parse_participants(
            _field(form, "participants", max_length=MAX_PARTICIPANTS_TEXT)
        ),
        phases=presets[preset],
        flags=DEFAULT_FLAGS,
        checkin_minutes=CHECKIN_MINUTES,
        timezone=timezone,
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


def _number(form: Mapping[str, str], name: str) -> int:
    value = _field(form, name).strip()
    if not NUMBER.fullmatch(value):
        raise BadInput(f"the field '{name}' must be a whole number")
    return int(value)


def _optional_number(form: Mapping[str, str], name: str) -> int | None:
    return _number(form, name) if form.get(name, "").strip() else None


def _id(form: Mapping[str, str], name: str) -> str:
    value = _field(form, name)
    if not ID_PATTERN.fullmatch(value):
        raise BadInput(f"the field '{name}' must be an id of letters, digits, '-' or '_'")
    return value
