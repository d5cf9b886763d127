"""Rendering: pages, and the dashboard regions that are pushed as fragments replaced by id.

A fragment is rendered once per change and the same bytes go to every tablet.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .model import CHECK_STATUSES, OUTCOMES, Level, RequestKind, RequestState, Session
from .presence import Attendance
from .timing import likely_phase, local_time, overdue, overdue_at, vitals_due

MIN_RADIUS_PERCENT = 25.0
MAX_RADIUS_PERCENT = 48.0
MAX_TILE_PERCENT = 24.0
TILE_GAP_PERCENT = 1.5
TILE_TEXT_SCALE = 0.00104  # tile text size per percent of tile side, as a share of the ring
QR_SCALE = 4
QR_BORDER = 2


@dataclass(frozen=True)
class Region:
    kind: Literal["topbar", "requests", "tools", "tile"]
    key: str = ""

    TOPBAR: ClassVar[Region]
    REQUESTS: ClassVar[Region]
    TOOLS: ClassVar[Region]

    @staticmethod
    def tile(pid: str) -> Region:
        return Region("tile", pid)


Region.TOPBAR = Region("topbar")
Region.REQUESTS = Region("requests")
Region.TOOLS = Region("tools")


def mmss(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def hmmss(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def minutes_ago(now: float, then: float | None) -> str:
    if then is None:
        return "not checked"
    return f"{max(0, int((now - then) // 60))} min"


@functools.cache
def ring_layout(count: int) -> tuple[float, float]:
    """(circle radius, tile side), in percent of the square room box, for `count` mats.

    The largest square tiles that neither overlap (corners included) nor leave the box; among
    radii that allow that size, the widest circle.
    """
    best_radius, best_side = MIN_RADIUS_PERCENT, 0.0
    for step in range(int(MIN_RADIUS_PERCENT * 10), int(MAX_RADIUS_PERCENT * 10) + 1, 5):
        radius = step / 10
        points = [_on_circle(index, count, radius) for index in range(count)]
        spacing = min(
            (max(abs(a[0] - b[0]), abs(a[1] - b[1])) for a, b in itertools.combinations(points, 2)),
            default=math.inf,
        )
        side = min(spacing - TILE_GAP_PERCENT, 2 * (50 - radius), MAX_TILE_PERCENT)
        if side >= best_side - 1e-9:
            best_radius, best_side = radius, side
    return best_radius, round(best_side, 2)


def circle_position(index: int, count: int) -> tuple[float, float]:
    """Percent offsets of the index-th mat on the ring, mat order clockwise from the top."""
    x, y = _on_circle(index, count, ring_layout(count)[0])
    return round(x, 2), round(y, 2)


def tile_percent(count: int) -> float:
    return ring_layout(count)[1]


def _on_circle(index: int, count: int, radius: float) -> tuple[float, float]:
    angle = 2 * math.pi * index / max(count, 1)
    return 50 + radius * math.sin(angle), 50 - radius * math.cos(angle)


def qr_svg(url: str) -> Markup:
    """A QR code for `url` as inline SVG, black on white so any phone camera reads it in print."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=QR_SCALE, border=QR_BORDER, omitsize=True))


class Views:
    def __init__(self, templates: Path) -> None:
        self.env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(mmss=mmss, hmmss=hmmss)
        self.env.globals.update(
            minutes_ago=minutes_ago,
            circle_position=circle_position,
            tile_percent=tile_percent,
            TILE_TEXT_SCALE=TILE_TEXT_SCALE,
            CHECK_STATUSES=CHECK_STATUSES,
            OUTCOMES=OUTCOMES,
            Level=Level,
            RequestKind=RequestKind,
            RequestState=RequestState,
            qr_svg=qr_svg,
            vitals_due=vitals_due,
            overdue=overdue,
            overdue_at=overdue_at,
            likely_phase=likely_phase,
            local_time=local_time,
        )
        self._regions: Any = None

    @property
    def regions(self) -> Any:
        if self._regions is None:
            self._regions = self.env.get_template("_regions.html").module
        return self._regions

    def page(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    def fragments(
        self,
        session: Session,
        regions: Sequence[Region],
        now: float,
        presence: Attendance | None,
    ) -> str:
        """The regions as out-of-band fragments, each replacing the element with its id.

        `presence` is None where it is unknown (a replay): tiles then say nothing about buttons.
        """
        return "".join(self._region(session, region, now, presence) for region in regions)

    def snapshot(self, session: Session, now: float, presence: Attendance | None) -> str:
        regions = [Region.TOPBAR, Region.REQUESTS, Region.TOOLS]
        regions += [Region.tile(p.pid) for p in session.by_mat()]
        return self.fragments(session, regions, now, presence)

    def sheet(self, session: Session, pid: str, now: float) -> str:
        """A mat's action sheet: fetched when a tablet opens it, not pushed with every tile."""
        return str(self.regions.sheet(session, session.participants[pid], now))

    def participant_status(self, session: Session, pid: str) -> str:
        return str(self.regions.assist_status(session, session.participants[pid], True))

    def participant_not_sent(self) -> str:
        """The phone's answer when its press could not be recorded."""
        return str(self.regions.assist_not_sent())

    def _region(
        self, session: Session, region: Region, now: float, presence: Attendance | None
    ) -> str:
        macros = self.regions
        if region.kind == "topbar":
            return str(macros.topbar(session, now, True))
        if region.kind == "requests":
            return str(macros.requests(session, now, True))
        if region.kind == "tools":
            return str(macros.tools(session, presence, True))
        ordered = session.by_mat()
        participant = session.participants[region.key]
        index = ordered.index(participant)
        online = presence.buttons if presence is not None else None
        return str(macros.tile(session, participant, index, len(ordered), now, online, True))
