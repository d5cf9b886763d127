"""The dashboard's regions, and which of them an event changes: only those are rendered and
pushed. Rendering itself is the web layer's (`roomlive.web.render.Views`); the rooms reach it
through `Renderer`, so the running room does not depend on HTML."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol

from roomlive.core import events as e
from roomlive.core.model import Participant, Session
from roomlive.core.timing import likely_phase, overdue, vitals_due
from roomlive.live.presence import Attendance
from roomlive.live.shown import ListChange, Shown, banner, list_change

RegionKind = Literal[
    "topbar",
    "requests",
    "tools",
    "tile",
    "tile-request",
    "changes",
    "items",
    "alerts",
    "head",
    "recent",
]


@dataclass(frozen=True)
class Region:
    """A part of the dashboard, pushed replacing the element with its id. Of the request list,
    `requests` is the whole; `changes` (what a request event names) becomes the parts that changed
    (`request_regions`): the list's `items` and its `alerts` banners (each with its
    `ListChange`), its `head` (the count) and the `recent`ly closed."""

    kind: RegionKind
    key: str = ""
    change: ListChange | None = None

    TOPBAR: ClassVar[Region]
    REQUESTS: ClassVar[Region]
    REQUEST_CHANGES: ClassVar[Region]
    TOOLS: ClassVar[Region]

    @staticmethod
    def tile(pid: str) -> Region:
        return Region("tile", pid)

    @staticmethod
    def tile_request(pid: str) -> Region:
        """A tile's request band alone (the tile holds it): what a request's events change."""
        return Region("tile-request", pid)


Region.TOPBAR = Region("topbar")
Region.REQUESTS = Region("requests")
Region.REQUEST_CHANGES = Region("changes")
Region.TOOLS = Region("tools")


class Renderer(Protocol):
    """What the rooms ask of the views: HTML for a snapshot, for changed regions, for a phone."""

    def snapshot(self, session: Session, now: float, presence: Attendance | None) -> str: ...

    def fragments(
        self,
        session: Session,
        regions: Sequence[Region],
        now: float,
        presence: Attendance | None,
    ) -> str: ...

    def participant_status(self, session: Session, pid: str) -> str: ...


def affected_regions(session: Session, event: e.Event) -> list[Region]:
    """Which parts of the dashboard an event changes; only those are rendered and pushed."""
    match event:
        case (
            e.ParticipantChecked(pid=pid)
            | e.FlagSet(pid=pid)
            | e.DoseRecorded(pid=pid)
            | e.VitalsRecorded(pid=pid)
            | e.NoteSet(pid=pid)
        ):
            return [Region.tile(pid)]
        case e.PresetSaved():
            return []
        case e.ThresholdsChanged() | e.FlagsChanged() | e.CheckinIntervalChanged():
            return [Region.TOOLS, *map(Region.tile, session.participants)]
        case e.PhaseAdvanced() | e.PhaseReturned() | e.PlanChanged():
            # The discharge prompt and likely phases follow the room's phase.
            return [Region.TOPBAR, Region.TOOLS, *map(Region.tile, session.participants)]
        case e.AutoAdvanceSet():
            return [Region.TOPBAR, Region.TOOLS]
        case e.ClockStarted():
            # A tile never checked becomes due from the start: it carries that instant.
            return [Region.TOPBAR, *map(Region.tile, session.participants)]
        case e.ButtonTested(pid=pid):
            return [Region.tile(pid), Region.TOOLS]
        case e.TokenReissued(pid=pid):
            return [Region.tile(pid), Region.TOOLS]
        case e.ButtonPairingStarted(pid=pid) | e.ButtonPaired(pid=pid) | e.ButtonRevoked(pid=pid):
            return [Region.tile(pid)]
        case e.RequestEvent(rid=rid):
            pid = session.requests[rid].pid
            tile = Region.tile if _shows_late_press(session, pid, rid) else Region.tile_request
            return [tile(pid), Region.REQUEST_CHANGES]
        case e.ButtonTestStarted() | e.ButtonTestEnded():
            return [Region.TOOLS, *(Region.tile(pid) for pid in session.participants)]
        case e.LadderChanged():
            return [Region.TOOLS]
        case e.SessionEnded():
            return [
                Region.TOPBAR,
                Region.REQUESTS,
                Region.TOOLS,
                *map(Region.tile, session.participants),
            ]
        case e.SessionCreated():
            return []
    return [Region.TOPBAR]


def _shows_late_press(session: Session, pid: str, rid: str) -> bool:
    """Whether the tile's note of a press delivered late (outside its band) may change: the mat
    has a live request pressed late, or this one was."""
    return any(
        request.pressed_at is not None
        for request in session.requests.values()
        if request.pid == pid and (request.live or request.rid == rid)
    )


def drawn_once(regions: Sequence[Region]) -> list[Region]:
    """Each region once, in order, less a tile's request band where the whole tile is drawn."""
    tiles = {region.key for region in regions if region.kind == "tile"}
    return [
        region
        for region in dict.fromkeys(regions)
        if not (region.kind == "tile-request" and region.key in tiles)
    ]


def request_regions(before: Shown | None, after: Shown) -> list[Region]:
    """The parts of the request list that changed from `before` to `after`, as last pushed
    (None: not known, so the whole list)."""
    if before is None:
        return [Region.REQUESTS]
    regions = []
    alerts = list_change(before.alerts, after.alerts, lambda a, b: banner(a) == banner(b))
    if alerts is not None:
        regions.append(Region("alerts", change=alerts))
    if before.count != after.count:
        regions.append(Region("head"))
    items = list_change(before.live, after.live, lambda a, b: a == b)
    if items is not None:
        regions.append(Region("items", change=items))
    if before.recent != after.recent:
        regions.append(Region("recent"))
    return regions


def affected_buttons(session: Session, event: e.Event) -> list[str]:
    """Which participants' button pages show something this event changed."""
    match event:
        case e.RequestEvent(rid=rid):
            return [session.requests[rid].pid]
        case e.ButtonTested(pid=pid):
            return [pid]
        case e.ButtonTestStarted() | e.ButtonTestEnded():
            return list(session.participants)
    return []


def time_marks(session: Session, participant: Participant, now: float) -> tuple[object, ...]:
    """What on a tile changes with time alone (server-side); its minute counters tick in JS."""
    return (
        overdue(session, participant, now),
        vitals_due(session, participant, now),
        likely_phase(session, participant, now),
        (participant.button_pairing_until or now) < now,  # the pairing wait ran out
    )
