"""Render once, send the same bytes to every socket that shows it.

After a command commits, the rooms hand its events here: the dashboard regions they changed are
rendered once for all the session's tablets, and each affected participant's status once for
their phone. Channels name who listens: a session's tablets, one tablet, one button link.
"""

from __future__ import annotations

from collections.abc import Sequence

from roomlive.core import events as e
from roomlive.core.model import Session
from roomlive.live.hub import Hub
from roomlive.live.presence import Presence
from roomlive.live.regions import (
    Region,
    Renderer,
    affected_buttons,
    affected_regions,
    request_regions,
    time_marks,
)
from roomlive.live.shown import Shown, shown

CLOSE_LINK_REVOKED = 4404


def facilitator_channel(sid: str) -> tuple[str, str]:
    return ("facilitators", sid)


def device_channel(device: str) -> tuple[str, str]:
    """One tablet's own connection, for messages meant for it alone."""
    return ("device", device)


def participant_channel(token: str) -> tuple[str, str]:
    """Keyed by token, so that revoking a link can close exactly the sockets that used it."""
    return ("participant", token)


class Publisher:
    def __init__(self, hub: Hub, views: Renderer, presence: Presence) -> None:
        self._hub = hub
        self._views = views
        self._presence = presence
        self._time_marks: dict[str, dict[str, tuple[object, ...]]] = {}
        self._shown: dict[str, Shown] = {}  # the requests as last pushed, per session

    def snapshot(self, session: Session, now: float) -> str:
        return self._views.snapshot(session, now, self._presence.attendance(session.sid))

    def events(self, session: Session, events: Sequence[e.Event], now: float) -> None:
        """What `events` changed, to every tablet of the session and every phone it concerns."""
        regions = list(dict.fromkeys(r for ev in events for r in affected_regions(session, ev)))
        if regions:
            self.regions(session, regions, now)
        pids = dict.fromkeys(pid for ev in events for pid in affected_buttons(session, ev))
        for pid in pids:
            participant = session.participants[pid]
            status = self._views.participant_status(session, pid)
            self._hub.publish(participant_channel(participant.token), status)

    def regions(self, session: Session, regions: Sequence[Region], now: float) -> None:
        regions = self._request_parts(session, regions)
        presence = self._presence.attendance(session.sid)
        fragment = self._views.fragments(session, regions, now, presence)
        self._hub.publish(facilitator_channel(session.sid), fragment)

    def timed_tiles(self, session: Session, now: float) -> None:
        """Redraw the tiles whose time-driven marks (overdue, vitals due, likely phase) changed."""
        marks = {pid: time_marks(session, p, now) for pid, p in session.participants.items()}
        before = self._time_marks.get(session.sid, {})  # nothing yet: redraw once, harmlessly
        self._time_marks[session.sid] = marks
        changed = [pid for pid in marks if before.get(pid) != marks[pid]]
        if changed:
            self.regions(session, [Region.tile(pid) for pid in changed], now)

    def _request_parts(self, session: Session, regions: Sequence[Region]) -> list[Region]:
        """The request list's parts that changed since the last push, in place of
        `Region.REQUEST_CHANGES`: every tablet was shown that last push or a snapshot since."""
        if Region.REQUEST_CHANGES not in regions and Region.REQUESTS not in regions:
            return list(regions)
        after = shown(session)
        before = None if Region.REQUESTS in regions else self._shown.get(session.sid)
        self._shown[session.sid] = after
        parts = request_regions(before, after)
        result: list[Region] = []
        for region in regions:
            if region in (Region.REQUEST_CHANGES, Region.REQUESTS):
                result += [part for part in parts if part not in result]
            else:
                result.append(region)
        return result

    def revoke_link(self, token: str) -> None:
        self._hub.close_channel(participant_channel(token), CLOSE_LINK_REVOKED)

    def close_session(self, sid: str) -> None:
        self._hub.close_channel(facilitator_channel(sid), CLOSE_LINK_REVOKED)

    def forget(self, sid: str) -> None:
        self._time_marks.pop(sid, None)
        self._shown.pop(sid, None)
