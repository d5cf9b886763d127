"""The timeline's layout: where every band, marker and bar goes, as data for templates/review.html.

Pure: `layout(events)` reads only the session's events and returns coordinates in SVG units
(a fixed-width drawing, scaled by the browser and the printer). Phases are background bands; each
participant has a lane with three rows: care (check-ins by status, doses, vitals, notes), flags,
and requests (a bar from raised to claimed to resolved). Stretches without a check-in longer than
the interval are underlined. Every item carries a detail text, shown on hover or tap.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from roomlive.core import events as e
from roomlive.core.apply import apply
from roomlive.core.model import Session
from roomlive.core.timing import local_or_utc
from roomlive.review import lanes
from roomlive.review.figures import clock_time, duration, figures
from roomlive.review.shapes import (
    LABEL_W,
    PLOT_LEFT,
    PLOT_RIGHT,
    WIDTH,
    AxisTick,
    Lane,
    Mark,
    Span,
    X,
    fit,
)

BAND_TOP = 22.0  # above: the time axis labels
BAND_HEAD = 34.0  # the phase names and music labels
ROOM_ROW = 20.0  # clock, button tests, session end
LANES_TOP = BAND_TOP + BAND_HEAD + ROOM_ROW
LANES_BUDGET = 560.0  # so the drawing fits one landscape page
LANE_MIN, LANE_MAX = 32.0, 58.0
TICK_STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 240, 480, 720, 1440)
MAX_TICKS = 14
SETUP_EVENTS = (
    e.SessionCreated,
    e.PlanChanged,
    e.FlagsChanged,
    e.ThresholdsChanged,
    e.CheckinIntervalChanged,
    e.LadderChanged,
    e.AutoAdvanceSet,
    e.TokenReissued,
    e.PresetSaved,
)


@dataclass(frozen=True)
class Timeline:
    start: float
    end: float
    timezone: str
    height: float
    lanes_bottom: float
    ticks: tuple[AxisTick, ...]
    bands: tuple[Span, ...]
    pauses: tuple[Span, ...]
    room: tuple[Mark | Span, ...]
    lanes: tuple[Lane, ...]
    width: float = WIDTH
    plot_left: float = PLOT_LEFT
    plot_right: float = PLOT_RIGHT
    lanes_top: float = LANES_TOP
    band_top: float = BAND_TOP
    band_head: float = BAND_HEAD
    room_y: float = BAND_TOP + BAND_HEAD + ROOM_ROW / 2


def window(events: Sequence[e.Event]) -> tuple[float, float]:
    """From the first thing that happened in the room to the end (never an empty stretch)."""
    active = [ev.at for ev in events if not isinstance(ev, SETUP_EVENTS)]
    start = min(active, default=events[0].at if events else 0.0)
    ended = next((ev.at for ev in events if isinstance(ev, e.SessionEnded)), None)
    end = ended if ended is not None else max((ev.at for ev in events), default=start)
    return start, max(end, start + 60)


def layout(events: Sequence[e.Event]) -> Timeline:
    start, end = window(events)
    scale = (PLOT_RIGHT - PLOT_LEFT) / (end - start)

    def x(at: float) -> float:
        return round(PLOT_LEFT + (min(max(at, start), end) - start) * scale, 1)

    states = list(_states(events))
    final = states[-1][1]
    tz = final.timezone
    count = max(1, len(final.participants))
    lane_h = round(min(LANE_MAX, max(LANE_MIN, LANES_BUDGET / count)), 1)
    found = figures(events)
    gaps = {g.pid: g for g in found.gaps}
    requests, by_rid = found.requests, lanes.request_events(events)
    rows = []
    for index, p in enumerate(final.by_mat()):
        y = round(LANES_TOP + index * lane_h, 1)
        gap = gaps[p.pid]
        sub = f"longest gap {duration(gap.longest)}" if gap.longest is not None else ""
        rows.append(
            Lane(
                pid=p.pid,
                mat=p.mat,
                name=fit(p.name, LABEL_W - 34, 7.4),
                y=y,
                h=lane_h,
                sub=sub,
                over=gap.over,
                marks=lanes.fitted(lanes.care(states, p.pid, tz, x, y + lane_h * 0.3)),
                flags=lanes.fitted(lanes.flags(states, p.pid, tz, x, y + lane_h * 0.56)),
                bars=lanes.bars(
                    [r for r in requests if r.pid == p.pid],
                    by_rid,
                    tz,
                    x,
                    y + lane_h * 0.66,
                    lane_h * 0.22,
                    end,
                ),
                gaps=lanes.gaps(events, p.pid, final, tz, x, end),
            )
        )
    lanes_bottom = round(LANES_TOP + count * lane_h, 1)
    return Timeline(
        start=start,
        end=end,
        timezone=tz,
        height=lanes_bottom + 6,
        lanes_bottom=lanes_bottom,
        ticks=_ticks(start, end, tz, x),
        bands=_bands(states, start, end, tz, x),
        pauses=_pauses(events, end, tz, x),
        room=_room(events, end, tz, x),
        lanes=tuple(rows),
    )


def _states(events: Iterable[e.Event]) -> Iterable[tuple[e.Event, Session]]:
    """Each event with the state right after it."""
    state: Session | None = None
    for ev in events:
        state = apply(state, ev)
        yield ev, state


def _ticks(start: float, end: float, tz: str, x: X) -> tuple[AxisTick, ...]:
    minutes = (end - start) / 60
    step = next((s for s in TICK_STEPS if minutes / s <= MAX_TICKS), TICK_STEPS[-1]) * 60
    offset = local_or_utc(start, tz).utcoffset()
    shift = offset.total_seconds() if offset is not None else 0.0
    first = math.ceil((start + shift) / step) * step - shift
    count = int((end - first) // step) + 1
    ats = [first + i * step for i in range(count)]
    return tuple(AxisTick(x(at), local_or_utc(at, tz).strftime("%H:%M")) for at in ats)


def _bands(
    states: Sequence[tuple[e.Event, Session]], start: float, end: float, tz: str, x: X
) -> tuple[Span, ...]:
    initial = states[0][1]
    for ev, state in states:
        if ev.at <= start and isinstance(ev, SETUP_EVENTS):
            initial = state  # a plan changed before anything happened names the first band
    changes = [(start, initial)]
    changes += [(ev.at, s) for ev, s in states if isinstance(ev, e.PhaseAdvanced | e.PhaseReturned)]
    bands = []
    for (at, state), (until, _) in zip(changes, [*changes[1:], (end, None)], strict=True):
        phase, left = state.phase, x(at)
        width = round(x(until) - left, 1)
        detail = f"{clock_time(at, tz)}–{clock_time(until, tz)} · {phase.name}"
        detail += f" ({duration(until - at)}, planned {phase.minutes} min)"
        detail += f"\n♪ {phase.music}" if phase.music else ""
        label, music = fit(phase.name, width - 6), fit(f"♪ {phase.music}", width - 6, 5.6)
        cls = f"band band-{state.phase_index % 2}"
        bands.append(Span(left, width, cls, at, detail, label, music if phase.music else ""))
    return tuple(bands)


def _pauses(events: Sequence[e.Event], end: float, tz: str, x: X) -> tuple[Span, ...]:
    spans, since = [], None
    for ev in [*events, e.ClockResumed(at=end, by="")]:
        if isinstance(ev, e.ClockPaused):
            since = ev.at
        elif isinstance(ev, e.ClockResumed) and since is not None:
            detail = f"{clock_time(since, tz)} journey clock paused for {duration(ev.at - since)}"
            spans.append(Span(x(since), round(x(ev.at) - x(since), 1), "pause", since, detail))
            since = None
    return tuple(spans)


def _room(events: Sequence[e.Event], end: float, tz: str, x: X) -> tuple[Mark | Span, ...]:
    y = BAND_TOP + BAND_HEAD + ROOM_ROW / 2
    items: list[Mark | Span] = []
    test_since: float | None = None
    words = {e.ClockStarted: "start", e.ClockPaused: "pause", e.ClockResumed: "resume"}
    for ev in events:
        when = clock_time(ev.at, tz)
        match ev:
            case e.ClockStarted(by=by) | e.ClockPaused(by=by) | e.ClockResumed(by=by):
                word = words[type(ev)]
                text = f"{when} {by}: {word} the journey clock"
                items.append(Mark("room", f"clock-{word}", x(ev.at), y, ev.at, text))
            case e.PhaseExtended(by=by, minutes=minutes):
                text = f"{when} {by} extended the phase by {minutes} min"
                items.append(Mark("room", "extend", x(ev.at), y, ev.at, text, f"+{minutes}"))
            case e.ButtonTestStarted():
                test_since = ev.at
            case e.ButtonTestEnded() | e.SessionEnded() if test_since is not None:
                left = x(test_since)
                text = f"{clock_time(test_since, tz)}–{when} button test (presses are not requests)"
                items.append(
                    Span(left, round(x(ev.at) - left, 1), "test", test_since, text, "test")
                )
                test_since = None
        if isinstance(ev, e.SessionEnded):
            items.append(
                Mark("room", "ended", x(ev.at), y, ev.at, f"{when} {ev.by} ended the session")
            )
    return tuple(items)
