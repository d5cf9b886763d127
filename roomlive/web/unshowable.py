"""A session whose state cannot be shown is contained: it never breaks the home page or another
session. It is listed as "cannot be shown: <reason>", and the reason is logged once per session,
with the participants' names taken out (the log is not the place for them).
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

from roomlive.core.model import Session

log = logging.getLogger(__name__)

NAME_REMOVED = "[name]"


@dataclass(frozen=True)
class Listed:
    """One session as the home page lists it; `problem` says why it cannot be shown, if so."""

    sid: str
    name: str
    room: str
    ended: bool
    started: bool
    participants: int = 0
    phase: str = ""
    open_requests: int = 0
    problem: str = ""


def listed(session: Session) -> Listed:
    """The home page's line for a session (raises if its state cannot be read)."""
    return Listed(
        sid=session.sid,
        name=session.name,
        room=session.room,
        ended=session.ended,
        started=session.clock.started_at is not None,
        participants=len(session.participants),
        phase=session.phase.name,
        open_requests=len(session.live_requests()),
    )


def without_names(text: str, session: Session | None) -> str:
    """`text` with every participant's name of the session replaced."""
    if session is None:
        return text
    names = sorted({p.name for p in session.participants.values() if p.name}, key=len)
    for name in reversed(names):  # longest first: "Ana" must not split "Anabel"
        text = text.replace(name, NAME_REMOVED)
    return text


def reason_of(error: Exception, session: Session | None) -> str:
    """What went wrong, in one line and without names: the error and where it happened."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (in {frames[-1].name}, line {frames[-1].lineno})" if frames else ""
    return without_names(f"{type(error).__name__}: {error}{where}", session)


class Unshowable:
    """Remembers which sessions were already logged, so that each is logged once."""

    def __init__(self) -> None:
        self._logged: set[str] = set()

    def reason(
        self, sid: str, session: Session | None, error: Exception, known: str | None = None
    ) -> str:
        """Why, without names (`known`: already found, where the error happened)."""
        reason = known or reason_of(error, session)
        if sid not in self._logged:
            self._logged.add(sid)
            log.error("session %s cannot be shown: %s", sid, reason)
        return reason

    def listing(self, sessions: list[Session]) -> list[Listed]:
        """Every session's line; one that cannot be read says why, and the rest are unharmed."""
        found = []
        for session in sessions:
            try:
                found.append(listed(session))
            except Exception as error:  # one session's state, whatever is wrong with it
                problem = self.reason(session.sid, session, error)
                started = session.clock.started_at is not None
                ended = session.ended
                found.append(
                    Listed(session.sid, session.name, session.room, ended, started, problem=problem)
                )
        return found
