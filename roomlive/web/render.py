"""Rendering: pages, and the dashboard regions that are pushed as fragments replaced by id.

A fragment is rendered once per change and the same bytes go to every tablet.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.routing import BaseRoute

from roomlive.core.model import CHECK_STATUSES, OUTCOMES, Level, RequestKind, RequestState, Session
from roomlive.core.timing import hmmss, likely_phase, local_time, overdue_at, vitals_due
from roomlive.live.presence import Attendance
from roomlive.live.regions import Region
from roomlive.live.shown import ALERTS_SHOWN, ListChange
from roomlive.web.bounds import FORM_LIMITS
from roomlive.web.markup import (
    PhoneStatus,
    command_poster,
    phone_status,
    request_classes,
    request_label,
)
from roomlive.web.partials import Partials
from roomlive.web.urls import RouteUrls, app_routes

MIN_RADIUS_PERCENT = 25.0
MAX_RADIUS_PERCENT = 48.0
MAX_TILE_PERCENT = 24.0
TILE_GAP_PERCENT = 1.5
TILE_TEXT_SCALE = 0.00104  # tile text size per percent of tile side, as a share of the ring
QR_SCALE = 4
QR_BORDER = 2
PHONE_STATUSES_KEPT = 64  # rendered phone statuses kept: five states, a claimer's name in one
# A line's indentation: dropped, but kept as one space after a tag whose newline Jinja drops
# (trim_blocks) where no tag follows, so that whitespace stays wherever there was some.
INDENTATION = re.compile(r"(?<![%#]\})\n[ \t]+|(?<=[%#]\})(\n)[ \t]+(?!\{[%#])")
# How each list's parts are named: (id of a part, less the request's id; id of the list).
LIST_IDS = {"items": ("request-", "requests-list"), "alerts": ("alert-", "alerts")}


def mmss(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


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


class CompactRegions(FileSystemLoader):
    """The region templates without their lines' indentation: they are pushed with every change,
    and a line's leading spaces, between elements or attributes, show nothing."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        if template.startswith("regions/"):
            source = INDENTATION.sub(lambda m: "\n " if m.group(1) else "\n", source)
        return source, filename, uptodate


class Views:
    def __init__(self, templates: Path, routes: Sequence[BaseRoute] | None = None) -> None:
        """`routes` build the templates' URLs: the app's own; by default the same ones, made
        for Views set up outside the app (tests, tools)."""
        self.env = Environment(
            loader=CompactRegions(templates),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(mmss=mmss, hmmss=hmmss)
        url = RouteUrls(app_routes() if routes is None else routes)
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
            overdue_at=overdue_at,
            likely_phase=likely_phase,
            local_time=local_time,
            url=url,
            limits=FORM_LIMITS,
            ALERTS_SHOWN=ALERTS_SHOWN,
            post=command_poster(url),
            request_classes=request_classes,
            request_label=request_label,
            phone_status=phone_status,
        )
        self.partials = Partials(self.env)
        # A press renders its phone's status twice (the push, the answer): the same few statuses.
        self._phone_status = functools.lru_cache(maxsize=PHONE_STATUSES_KEPT)(self._draw_status)

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

    def sheet(self, session: Session, pid: str, now: float, base_url: str = "") -> str:
        """A mat's action sheet: fetched when a tablet opens it, not pushed with every tile."""
        participant = session.participants[pid]
        return self.partials.sheet(
            session=session, participant=participant, now=now, base_url=base_url
        )

    def participant_status(self, session: Session, pid: str) -> str:
        return self._phone_status(phone_status(session, session.participants[pid]))

    def _draw_status(self, status: PhoneStatus) -> str:
        return self.partials.assist_status(status=status, oob=True)

    def participant_not_sent(self) -> str:
        """The phone's answer when its press could not be recorded."""
        return self.partials.assist_not_sent()

    def _region(
        self, session: Session, region: Region, now: float, presence: Attendance | None
    ) -> str:
        partials = self.partials
        if region.kind == "topbar":
            return partials.topbar(session=session, now=now, oob=True)
        if region.kind in ("requests", "changes"):  # changes: what changed is not known here
            return partials.requests(session=session, now=now, oob=True)
        if region.kind == "head":
            return partials.requests_head(session=session, oob=True)
        if region.kind == "recent":
            return partials.recent_requests(session=session, oob=True)
        if region.kind in ("items", "alerts") and region.change is not None:
            return self._list_change(session, region.kind, region.change, now)
        if region.kind == "tools":
            return partials.tools(session=session, presence=presence, oob=True)
        if region.kind == "tile-request":
            request = session.live_request_for(region.key, None)
            participant = session.participants[region.key]
            return partials.tile_request(participant=participant, request=request, oob=True)
        ordered = session.by_mat()
        participant = session.participants[region.key]
        return partials.tile(
            session=session,
            participant=participant,
            index=ordered.index(participant),
            count=len(ordered),
            now=now,
            online=presence.buttons if presence is not None else None,
            silent=presence.silent if presence is not None else frozenset(),
            oob=True,
        )

    def _list_change(self, session: Session, kind: str, change: ListChange, now: float) -> str:
        """Removed by id, redrawn in place by id, and each run placed after the part before it."""
        prefix, list_id = LIST_IDS[kind]
        draw = self.partials.alert_banner if kind == "alerts" else self.partials.request_item

        def part(rid: str, oob: bool) -> str:
            return draw(session=session, request=session.requests[rid], now=now, oob=oob)

        out = [f'<i hx-swap-oob="delete:#{prefix}{rid}"></i>' for rid in change.gone]
        out += [part(rid, True) for rid in change.replaced]
        for anchor, rids in change.runs:
            where = f"afterend:#{prefix}{anchor}" if anchor else f"afterbegin:#{list_id}"
            out.append(f'<div hx-swap-oob="{where}">{"".join(part(r, False) for r in rids)}</div>')
        return "".join(out)
