"""The demo session created on an empty database, so a new install has a room to open."""

from __future__ import annotations

from roomlive.core.commands import CreateSession
from roomlive.core.model import ParticipantSpec
from roomlive.core.presets import CHECKIN_MINUTES, DEFAULT_FLAGS, DEMO_PARTICIPANTS, PRESETS
from roomlive.live.ids import new_id, new_token

DEMO_KEY = "demo-session"


def demo_session(timezone: str = "UTC") -> CreateSession:
    participants = tuple(
        ParticipantSpec(pid=f"p{mat}", name=name, mat=mat, token=new_token())
        for mat, name in enumerate(DEMO_PARTICIPANTS, start=1)
    )
    return CreateSession(
        sid=new_id(),
        name="Demo group",
        room="Room 1",
        participants=participants,
        phases=PRESETS["im-group"],
        flags=DEFAULT_FLAGS,
        checkin_minutes=CHECKIN_MINUTES,
        timezone=timezone,
    )
