"""The limits the forms show (`maxlength="{{ limits.note }}"`), each taken from the rule or the
parser that enforces it: a limit is written once, and a form stops typing where it would be
refused."""

from __future__ import annotations

from dataclasses import dataclass

from roomlive.core.care import MAX_CHECKIN_MINUTES, VITALS_RANGES
from roomlive.core.journey import (
    MAX_MUSIC_LABEL,
    MAX_PHASE_MINUTES,
    MAX_PHASE_NAME,
    MAX_PRESET_NAME,
)
from roomlive.core.shared import MAX_NOTE, MAX_SENDER_NAME
from roomlive.core.support import MAX_LADDER_SECONDS, MIN_LADDER_SECONDS
from roomlive.web.inputs import MAX_FLAGS_TEXT

# The new-session form's own limit for its name and room; the rules take up to 200 (imports too).
NEW_SESSION_FIELD_CHARS = 60


def digits(largest: int) -> int:
    """How many digits a whole number up to `largest` needs."""
    return len(str(largest))


@dataclass(frozen=True)
class FormLimits:
    note: int = MAX_NOTE
    facilitator_name: int = MAX_SENDER_NAME
    session_name: int = NEW_SESSION_FIELD_CHARS
    room_name: int = NEW_SESSION_FIELD_CHARS
    phase_name: int = MAX_PHASE_NAME
    phase_minutes_digits: int = digits(MAX_PHASE_MINUTES)
    music_label: int = MAX_MUSIC_LABEL
    preset_name: int = MAX_PRESET_NAME
    checkin_minutes_digits: int = digits(MAX_CHECKIN_MINUTES)
    flags_text: int = MAX_FLAGS_TEXT
    vitals_digits: int = digits(max(high for _, high in VITALS_RANGES.values()))
    ladder_min_seconds: int = MIN_LADDER_SECONDS
    ladder_max_seconds: int = MAX_LADDER_SECONDS


FORM_LIMITS = FormLimits()
