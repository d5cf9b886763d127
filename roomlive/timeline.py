"""The timeline's layout: where every band, marker and bar goes, as data for templates/review.html.

Pure: `layout(events)` reads only the session's events and returns coordinates in SVG units
(a fixed-width drawing, scaled by the browser and the printer). Phases are background bands; each
participant has a lane with three rows: care (check-ins by status, doses, vitals, notes), flags,
and requests (a bar from raised to claimed to resolved). Stretches without a check-in longer than
the interval are underlined. Every item carries a detail text, shown on hover or tap.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from . import events as e
from .apply import apply
from .model import Session, Thresholds, Vitals
from .review import (
    RequestFigures,
    checkin_times,
    clock_time,
    duration,
    figures,
    local,
    request_figures,
)

X = Callable[[float], float]  # time (epoch seconds) to x

WIDTH = 1200.0
LABEL_W = 150.0
PLOT_LEFT = LABEL_W + 10
PLOT_RIGHT = WIDTH - 16
BAND_TOP = 22.0  # above: the time axis labels
BAND_HEAD = 34.0  # the phase names and music labels
ROOM_ROW = 20.0  # clock, button tests, session end
LANES_TOP = BAND_TOP + BAND_HEAD + ROOM_ROW
LANES_BUDGET = 620.0  # so the drawing fits one landscape page
LANE_MIN, LANE_MAX = 34.0, 64.0
CHAR_W = 6.3  # an average character at the label size, for fitting text
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
)


@dataclass(frozen=True)
class Mark:
    """A point item: `kind` picks its shape, `cls` its colour."""

    kind: str
    cls: str
    x: float
    y: float
    at: float
    detail: str
    label: str = ""


@dataclass(frozen=True)
class Span:
    """A stretch of time: a phase band, a pause, a button test or an overdue gap."""

    x: float
    w: float
    cls: str
    at: float
    detail: str
    label: str = ""
    sub: str = ""


@dataclass(frozen=True)
class Bar:
    """One request: segments waiting (open) and covered (claimed), then its label."""

    y: float
    h: float
    cls: str
    segments: tuple[Span, ...]
    escalations: tuple[float, ...]
    label: str
    label_x: float
    at: float
    detail: str


@dataclass(frozen=True)
class Lane:
    pid: str
    mat: int
    name: str
    y: float
    h: float
    sub: str
    over: bool
    marks: tuple[Mark, ...]
    flags: tuple[Mark, ...]
    bars: tuple[Bar, ...]
    gaps: tuple[Span, ...]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    start: float
    end: float
    timezone: str
    height: float
    lanes_bottom: float
    ticks: tuple[Tick, ...]
    bands: tuple[Span, ...]
    pauses: tuple[Span, ...]
    room: tuple[Mark | Span, ...]
    lanes: tuple[Lane, ...]
    width: float = WIDTH
    plot_left: float = PLOT_LEFT
    plot_right: float = PLOT_RIGHT
    lanes_top: float = LANES_TOP


def window(events: Sequence[e.Event]) -> tuple[float, float]:
    """From the first thing that happened in the room to the end (never an empty stretch)."""
    active = [ev.at for ev in events if not isinstance(ev, SETUP_EVENTS)]
    start = min(active, default=events[0].at if events else 0.0)
    ended = next((ev.at for ev in events if isinstance(ev, e.SessionEnded)), None)
    end = ended if ended is not None else max((ev.at for ev in events), default=start)
    return start, max(end, start + 60)


def fit(text: str, width: float, char_w: float = CHAR_W) -> str:
    """The text, cut with an ellipsis to fit the width; empty if not even two characters fit."""
    room = int(width // char_w)
    if len(text) <= room:
        return text
    return text[: room - 1].rstrip() + "…" if room >= 2 else ""


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
    gaps = {g.pid: g for g in figures(events).gaps}
    lanes = []
    for index, p in enumerate(final.by_mat()):
        y = round(LANES_TOP + index * lane_h, 1)
        gap = gaps[p.pid]
        sub = f"longest gap {duration(gap.longest)}" if gap.longest is not None else ""
        lanes.append(
            Lane(
                pid=p.pid,
                mat=p.mat,
                name=fit(p.name, LABEL_W - 34, 7.4),
                y=y,
                h=lane_h,
                sub=sub,
                over=gap.over,
                marks=_fitted(_care(states, p.pid, tz, x, y + lane_h * 0.3)),
                flags=_fitted(_flags(states, p.pid, tz, x, y + lane_h * 0.56)),
                bars=_bars(events, p.pid, tz, x, y + lane_h * 0.66, lane_h * 0.22, end),
                gaps=_gaps(events, p.pid, final, tz, x, end),
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
        lanes=tuple(lanes),
    )


def _states(events: Iterable[e.Event]) -> Iterable[tuple[e.Event, Session]]:
    """Each event with the state right after it."""
    state: Session | None = None
    for ev in events:
        state = apply(state, ev)
        yield ev, state


def _ticks(start: float, end: float, tz: str, x: X) -> tuple[Tick, ...]:
    minutes = (end - start) / 60
    step = next((s for s in TICK_STEPS if minutes / s <= MAX_TICKS), TICK_STEPS[-1]) * 60
    offset = local(start, tz).utcoffset()
    shift = offset.total_seconds() if offset is not None else 0.0
    first = math.ceil((start + shift) / step) * step - shift
    count = int((end - first) // step) + 1
    ats = [first + i * step for i in range(count)]
    return tuple(Tick(x(at), local(at, tz).strftime("%H:%M")) for at in ats)


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
                items.append(Mark("room", f"clock {word}", x(ev.at), y, ev.at, text))
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
                Mark("room", "ended", x(ev.at), y, ev.at, f"{when} {ev.by} ended it", "end")
            )
    return tuple(items)


def _care(
    states: Sequence[tuple[e.Event, Session]], pid: str, tz: str, x: X, y: float
) -> list[Mark]:
    marks = []
    for ev, state in states:
        when = clock_time(ev.at, tz)
        match ev:
            case e.ParticipantChecked(pid=p, by=by, status=status) if p == pid:
                detail = f"{when} checked by {by}: {status}"
                marks.append(Mark("check", f"check st-{status}", x(ev.at), y, ev.at, detail))
            case e.DoseRecorded(pid=p, by=by, kind=kind) if p == pid:
                detail = f"{when} {kind} recorded by {by}"
                marks.append(Mark("dose", f"dose {kind}", x(ev.at), y, ev.at, detail, str(kind)))
            case e.VitalsRecorded(pid=p) if p == pid:
                marks.append(_vitals(ev, state.thresholds, when, x(ev.at), y))
            case e.NoteSet(pid=p, by=by, text=text) if p == pid:
                detail = f"{when} note by {by}: {text}" if text else f"{when} note cleared by {by}"
                marks.append(Mark("note", "note", x(ev.at), y, ev.at, detail, "note"))
    return marks


def _vitals(ev: e.VitalsRecorded, limits: Thresholds, when: str, x: float, y: float) -> Mark:
    reading = Vitals(ev.at, ev.by, ev.systolic, ev.diastolic, ev.hr, ev.spo2)
    out = limits.out_of_range(reading)
    parts = []
    if ev.systolic is not None or ev.diastolic is not None:
        flag = "!" if out & {"systolic", "diastolic"} else ""
        parts.append(f"BP {ev.systolic or '–'}/{ev.diastolic or '–'}{flag}")
    if ev.hr is not None:
        parts.append(f"HR {ev.hr}{'!' if 'hr' in out else ''}")
    if ev.spo2 is not None:
        parts.append(f"SpO2 {ev.spo2}{'!' if 'spo2' in out else ''}")
    detail = f"{when} vitals by {ev.by}: {', '.join(parts) or 'none'}"
    if out:
        detail += " (! outside the limits)"
    label = " ".join(part for part in parts if part.endswith("!")) if out else ""
    return Mark("vitals", "vitals out" if out else "vitals", x, y, ev.at, detail, label)


def _flags(
    states: Sequence[tuple[e.Event, Session]], pid: str, tz: str, x: X, y: float
) -> list[Mark]:
    marks = []
    for ev, _ in states:
        if isinstance(ev, e.FlagSet) and ev.pid == pid:
            sign = "+" if ev.on else "−"
            detail = f"{clock_time(ev.at, tz)} {ev.by}: {ev.flag} {'on' if ev.on else 'off'}"
            cls = f"flag {'on' if ev.on else 'off'}"
            marks.append(Mark("flag", cls, x(ev.at), y, ev.at, detail, f"{sign}{ev.flag}"))
    return marks


def _fitted(marks: list[Mark]) -> tuple[Mark, ...]:
    """Labels cut so that none runs into the next labelled item of its row."""
    result = []
    for index, mark in enumerate(marks):
        nxt = next((m.x for m in marks[index + 1 :] if m.label and m.x > mark.x + 2), PLOT_RIGHT)
        label = fit(mark.label, nxt - mark.x - 9) if mark.label else ""
        result.append(Mark(mark.kind, mark.cls, mark.x, mark.y, mark.at, mark.detail, label))
    return tuple(result)


def _bars(
    events: Sequence[e.Event], pid: str, tz: str, x: X, y: float, h: float, end: float
) -> tuple[Bar, ...]:
    requests = [r for r in request_figures(events) if r.pid == pid]
    bars = []
    for index, r in enumerate(requests):
        mine = [ev for ev in events if isinstance(ev, e.RequestEvent) and ev.rid == r.rid]
        segments, state, since = [], "open", r.raised_at
        for ev in [*mine[1:], None]:
            at = end if ev is None else ev.at
            nxt = _next_state(state, ev)
            if nxt != state:
                if state in ("open", "claimed"):
                    segments.append(Span(x(since), max(1.5, x(at) - x(since)), state, since, ""))
                state, since = nxt, at
        last = segments[-1].x + segments[-1].w if segments else x(r.raised_at)
        following = requests[index + 1].raised_at if index + 1 < len(requests) else None
        room = (x(following) if following is not None else PLOT_RIGHT) - last - 4
        if r.cancelled_at is not None and r.resolved_at is None:
            label = f"cancelled {duration(r.cancelled_at - r.raised_at)}"
        elif r.claimed_by is None:
            label = "never claimed"
        else:
            label = f"{duration(r.time_to_claim)} {r.claimed_by} · {duration(r.time_to_resolve)}"
        escalated = tuple(x(ev.at) for ev in mine if isinstance(ev, e.AssistEscalated))
        cls = f"bar kind-{r.kind}{' escalated' if escalated else ''}"
        label = fit(label, room)
        detail = _request_detail(r, tz)
        bars.append(
            Bar(
                y,
                round(h, 1),
                cls,
                tuple(segments),
                escalated,
                label,
                last + 4,
                r.raised_at,
                detail,
            )
        )
    return tuple(bars)


def _next_state(state: str, ev: e.Event | None) -> str:
    match ev:
        case None | e.AssistResolved() | e.AssistCancelled():
            return "closed"
        case e.AssistClaimed():
            return "claimed"
        case e.AssistReleased() | e.AssistReopened():
            return "open"
    return state


def _request_detail(r: RequestFigures, tz: str) -> str:
    who = "the participant's button" if r.raised_by == "participant" else r.raised_by
    lines = [f"{clock_time(r.raised_at, tz)} {r.kind} request from {who}"]
    if r.asks > 1:
        lines.append(f"asked {r.asks}×")
    if r.claimed_at is not None:
        lines.append(f"claimed by {r.claimed_by} after {duration(r.time_to_claim)}")
    if r.escalations:
        lines.append(f"escalated {r.escalations}× (no one had claimed it)")
    if r.releases:
        lines.append(f"handed back {r.releases}×")
    if r.resolved_at is not None:
        outcome = f": {r.outcome}" if r.outcome else ""
        lines.append(f"resolved by {r.resolved_by} after {duration(r.time_to_resolve)}{outcome}")
        if r.note:
            lines.append(f"note: {r.note}")
    elif r.cancelled_at is not None:
        lines.append(f"cancelled by the participant after {duration(r.cancelled_at - r.raised_at)}")
    return "\n".join(lines)


def _gaps(
    events: Sequence[e.Event], pid: str, final: Session, tz: str, x: X, end: float
) -> tuple[Span, ...]:
    """Stretches in which the participant was overdue for a check-in."""
    start = next((ev.at for ev in events if isinstance(ev, e.ClockStarted)), None)
    if start is None:
        return ()
    marks = [start, *checkin_times(events, pid, start, end), end]
    interval = final.checkin_minutes * 60
    spans = []
    for a, b in itertools.pairwise(marks):
        if b - a > interval:
            due = a + interval
            detail = f"{clock_time(a, tz)}–{clock_time(b, tz)} no check-in for {duration(b - a)}"
            detail += f" (interval {final.checkin_minutes} min; overdue from {clock_time(due, tz)})"
            spans.append(Span(x(due), round(x(b) - x(due), 1), "overdue", due, detail))
    return tuple(spans)
