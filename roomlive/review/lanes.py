"""One participant's lane on the timeline: care, flags and requests, each item with its details.

Pure functions of the session's events (and the states right after each of them).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping, Sequence

from roomlive.core import events as e
from roomlive.core.model import Session, Thresholds, Vitals
from roomlive.review.figures import RequestFigures, checkin_times, clock_time, duration
from roomlive.review.shapes import PLOT_RIGHT, Bar, Mark, Span, X, fit

States = Sequence[tuple[e.Event, Session]]


def care(states: States, pid: str, tz: str, x: X, y: float) -> list[Mark]:
    marks = []
    for ev, state in states:
        if getattr(ev, "pid", None) != pid:
            continue
        when = clock_time(ev.at, tz)
        match ev:
            case e.ParticipantChecked(pid=p, by=by, status=status) if p == pid:
                detail = f"{when} checked by {by}: {status}"
                marks.append(Mark("check", f"st-{status}", x(ev.at), y, ev.at, detail))
            case e.DoseRecorded(pid=p, by=by, kind=kind) if p == pid:
                detail = f"{when} {kind} recorded by {by}"
                marks.append(Mark("dose", f"dose {kind}", x(ev.at), y, ev.at, detail, str(kind)))
            case e.VitalsRecorded(pid=p) if p == pid:
                marks.append(vitals(ev, state.thresholds, when, x(ev.at), y))
            case e.NoteSet(pid=p, by=by, text=text) if p == pid:
                detail = f"{when} note by {by}: {text}" if text else f"{when} note cleared by {by}"
                marks.append(Mark("note", "note", x(ev.at), y, ev.at, detail, "note"))
    return marks


def vitals(ev: e.VitalsRecorded, limits: Thresholds, when: str, x: float, y: float) -> Mark:
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


def flags(states: States, pid: str, tz: str, x: X, y: float) -> list[Mark]:
    marks = []
    for ev, _ in states:
        if isinstance(ev, e.FlagSet) and ev.pid == pid:
            sign = "+" if ev.on else "–"
            detail = f"{clock_time(ev.at, tz)} {ev.by}: {ev.flag} {'on' if ev.on else 'off'}"
            cls = f"flag {'on' if ev.on else 'off'}"
            marks.append(Mark("flag", cls, x(ev.at), y, ev.at, detail, f"{sign}{ev.flag}"))
    return marks


def fitted(marks: list[Mark]) -> tuple[Mark, ...]:
    """Labels cut so that none runs into the next labelled item of its row."""
    result = []
    labelled = [m.x for m in marks if m.label]
    for mark in marks:
        label = ""
        if mark.label:
            at = bisect.bisect_right(labelled, mark.x + 2)
            nxt = labelled[at] if at < len(labelled) else PLOT_RIGHT
            label = fit(mark.label, nxt - mark.x - 9)
        result.append(Mark(mark.kind, mark.cls, mark.x, mark.y, mark.at, mark.detail, label))
    return tuple(result)


def request_events(events: Sequence[e.Event]) -> dict[str, list[e.RequestEvent]]:
    """Each request's events, by request id, in log order."""
    found: dict[str, list[e.RequestEvent]] = {}
    for ev in events:
        if isinstance(ev, e.RequestEvent):
            found.setdefault(ev.rid, []).append(ev)
    return found


def bars(
    requests: Sequence[RequestFigures],
    by_rid: Mapping[str, list[e.RequestEvent]],
    tz: str,
    x: X,
    y: float,
    h: float,
    end: float,
) -> tuple[Bar, ...]:
    """One participant's requests (`requests`, in order), each as a bar of its stretches."""
    bars = []
    for index, r in enumerate(requests):
        mine = by_rid[r.rid]
        segments, state, since = [], "open", r.raised_at
        for ev in [*mine[1:], None]:
            at = end if ev is None else ev.at
            nxt = _next_state(state, ev)
            if nxt != state:
                if state in ("open", "claimed"):
                    width = round(max(1.5, x(at) - x(since)), 1)
                    segments.append(Span(x(since), width, state, since, ""))
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


def gaps(
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
