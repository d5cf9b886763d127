"""Render once, send the same bytes to every socket that shows it.

After a command commits, the rooms hand its events here: the dashboard regions they changed are
rendered once for all the session's tablets, and each affected participant's status once for
their phone. Channels name who listens: a session's tablets, one tablet, one button link.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from roomlive.core import events as e
from roomlive.core.model import Session
from roomlive.live.hub import Hub
from roomlive.live.presence import Attendance, Presence
from roomlive.live.regions import (
    Region,
    Renderer,
    affected_buttons,
    affected_regions,
    drawn_once,
    request_regions,
    time_marks,
)
from roomlive.live.shown import Shown, shown

CLOSE_LINK_REVOKED = 4404

Message = tuple[Hashable, str]  # (channel, the same bytes for every socket on it)


@dataclass(frozen=True)
class Change:
    """A command's events, and its session as they left it."""

    session: Session
    events: Sequence[e.Event]
    now: float


@dataclass
class Prepared:
    """What a batch of changes will push once committed: per change, its messages (or why they
    could not be rendered); the request lists they leave shown; the presence they were drawn
    with."""

    changes: Sequence[Change]
    messages: list[list[Message] | Exception] = field(default_factory=list)
    shown: dict[str, Shown] = field(default_factory=dict)
    attendance: dict[str, Attendance] = field(default_factory=dict)


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
        if session.sid not in self._shown:
            # Nothing pushed since the session was loaded: this list is what every tablet shows,
            # so the first press pushes its parts, not the whole list.
            self._shown[session.sid] = shown(session)
        return self._views.snapshot(session, now, self._presence.attendance(session.sid))

    def prepare(self, changes: Sequence[Change]) -> Prepared:
        """Render what each change (a session after its events) makes its tablets and phones
        show, in order (each request list's parts against the one before), to `send` once the
        changes are committed: the rendering need not wait for the disk."""
        prepared = Prepared(changes)
        for change in changes:
            sid = change.session.sid
            if sid not in prepared.attendance:
                prepared.attendance[sid] = self._presence.attendance(sid)
                if sid in self._shown:
                    prepared.shown[sid] = self._shown[sid]
            try:
                prepared.messages.append(
                    self._render(change, prepared.shown, prepared.attendance[sid])
                )
            except Exception as error:  # this change's own fault: the others are still shown
                prepared.messages.append(error)
        return prepared

    def send(self, prepared: Prepared) -> list[Exception | None]:
        """Push what `prepare` rendered, in order; say what failed to render, per change."""
        if any(self._presence.attendance(sid) != seen for sid, seen in prepared.attendance.items()):
            prepared = self.prepare(prepared.changes)  # a button or tablet came or went meanwhile
        self._shown.update(prepared.shown)
        failed: list[Exception | None] = []
        for messages in prepared.messages:
            if isinstance(messages, Exception):
                failed.append(messages)
                continue
            for channel, message in messages:
                self._hub.publish(channel, message)
            failed.append(None)
        return failed

    def _render(
        self, change: Change, lists: dict[str, Shown], presence: Attendance
    ) -> list[Message]:
        session, events, now = change.session, change.events, change.now
        messages: list[Message] = []
        regions = drawn_once([r for ev in events for r in affected_regions(session, ev)])
        if regions:
            fragment = self._fragment(session, regions, now, lists, presence)
            messages.append((facilitator_channel(session.sid), fragment))
        pids = dict.fromkeys(pid for ev in events for pid in affected_buttons(session, ev))
        for pid in pids:
            status = self._views.participant_status(session, pid)
            messages.append((participant_channel(session.participants[pid].token), status))
        return messages

    def regions(self, session: Session, regions: Sequence[Region], now: float) -> None:
        presence = self._presence.attendance(session.sid)
        fragment = self._fragment(session, regions, now, self._shown, presence)
        self._hub.publish(facilitator_channel(session.sid), fragment)

    def _fragment(
        self,
        session: Session,
        regions: Sequence[Region],
        now: float,
        lists: dict[str, Shown],
        presence: Attendance,
    ) -> str:
        """The regions rendered once for every tablet, the request list's as its changed parts."""
        parts = self._request_parts(session, regions, lists)
        return self._views.fragments(session, parts, now, presence)

    def timed_tiles(self, session: Session, now: float) -> None:
        """Redraw the tiles whose time-driven marks (overdue, vitals due, likely phase) changed."""
        marks = {pid: time_marks(session, p, now) for pid, p in session.participants.items()}
        before = self._time_marks.get(session.sid, {})  # nothing yet: redraw once, harmlessly
        self._time_marks[session.sid] = marks
        changed = [pid for pid in marks if before.get(pid) != marks[pid]]
        if changed:
            self.regions(session, [Region.tile(pid) for pid in changed], now)

    def _request_parts(
        self, session: Session, regions: Sequence[Region], lists: dict[str, Shown]
    ) -> list[Region]:
        """The request list's parts that changed since the last push (as `lists` holds it; it
        then holds the new one), in place of `Region.REQUEST_CHANGES`: every tablet was shown
        that last push or a snapshot since."""
        if Region.REQUEST_CHANGES not in regions and Region.REQUESTS not in regions:
            return list(regions)
        after = shown(session)
        before = None if Region.REQUESTS in regions else lists.get(session.sid)
        lists[session.sid] = after
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
