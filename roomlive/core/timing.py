"""What time means on a tile: minutes since a dose, the likely phase, due vitals, local times.

Pure functions of the state and `now` (UTC epoch seconds). Times are stored in UTC and shown in
the session's own time zone, so a session past midnight or across a daylight-saving change
reads right; durations are differences of UTC instants, never of wall-clock readings.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime

from roomlive.core.model import Participant, Phase, Session

DOSING_WORD = "dos"  # the phase whose start a participant's own journey is counted from
VITALS_AFTER_DOSE_MINUTES = 40
VITALS_WINDOW_BEFORE_MINUTES = 10  # a reading this long before the 40-minute mark counts
ZONES_KEPT = 32


def minutes_between(start: float, end: float) -> int:
    return max(0, int((end - start) // 60))


def hmmss(seconds: float, *, hours_if_any: bool = False) -> str:
    """Whole seconds (cut, never negative) as h:mm:ss, or m:ss under an hour if `hours_if_any`."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    if hours_if_any and not hours:
        return f"{rest // 60}:{rest % 60:02d}"
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def likely_phase(session: Session, participant: Participant, now: float) -> Phase | None:
    """The planned phase a participant is probably in, counted from their own dose."""
    if participant.dosed_at is None:
        return None
    start = next((i for i, p in enumerate(session.phases) if DOSING_WORD in p.name.lower()), 0)
    minutes = (now - participant.dosed_at) / 60
    for phase in session.phases[start:]:
        if minutes < phase.minutes:
            return phase
        minutes -= phase.minutes
    return session.phases[-1]


def overdue_at(session: Session, participant: Participant) -> float | None:
    """The instant after which a participant is overdue: one check-in interval after their last
    check, or after the journey's start if never checked (None before it starts)."""
    since = participant.checked_at or session.clock.started_at
    return None if since is None else since + session.checkin_minutes * 60


def overdue(session: Session, participant: Participant, now: float) -> bool:
    """Not checked for longer than the interval (tablets compare their clock to `overdue_at`)."""
    due = overdue_at(session, participant)
    return due is not None and now > due


def vitals_due(session: Session, participant: Participant, now: float) -> str | None:
    """Which vitals prompt is open: baseline, 40 min after dose, or before discharge."""
    taken = [v.at for v in participant.vitals]
    if not taken:
        return "baseline"
    if participant.dosed_at is not None:
        due_at = participant.dosed_at + VITALS_AFTER_DOSE_MINUTES * 60
        window = due_at - VITALS_WINDOW_BEFORE_MINUTES * 60
        if now >= due_at and not any(at >= window for at in taken):
            return f"{VITALS_AFTER_DOSE_MINUTES} min"
    last_phase = session.phase_index == len(session.phases) - 1 and len(session.phases) > 1
    started = session.phase_started_at
    if last_phase and started is not None and not any(at >= started for at in taken):
        return "discharge"
    return None


# Bounded: names typed into the new-session form are looked up here too, unknown ones included.
@functools.lru_cache(maxsize=ZONES_KEPT)
def zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The named time zone, or None where this machine's zone data lacks it (a log moved here)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def local_datetime(epoch: float, timezone: str) -> datetime:
    """The moment in the session's zone; ZoneInfoNotFoundError if this machine lacks the zone."""
    found = zone(timezone)
    if found is None:
        raise zoneinfo.ZoneInfoNotFoundError(f"No time zone found with key {timezone}")
    return datetime.fromtimestamp(epoch, found)


def local_or_utc(epoch: float, timezone: str) -> datetime:
    """The moment in the session's zone, or in UTC where this machine lacks the zone: a record
    stays readable."""
    found = zone(timezone)
    return datetime.fromtimestamp(epoch, found if found is not None else UTC)


def local_time(epoch: float | None, timezone: str) -> str:
    """ "21:40" in the session's zone ("" for no time)."""
    if epoch is None:
        return ""
    return local_datetime(epoch, timezone).strftime("%H:%M")


def local_stamp(epoch: float, timezone: str) -> str:
    """ "2026-10-25 01:30 CEST": unambiguous even in the hour a clock change repeats."""
    return local_datetime(epoch, timezone).strftime("%Y-%m-%d %H:%M %Z")


def is_time_zone(name: str) -> bool:
    return zone(name) is not None
