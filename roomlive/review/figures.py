"""The review's figures: how long anyone waited, computed from a session's event log alone.

Pure: `figures(events)` reads only the events. Test presses (`ButtonTested`) are never requests,
so they never count. Per request, the time to claim runs from raising to the FIRST claim, and
the time to resolve from raising to the LAST resolution (a reopened request was not done).
Per facilitator means by the first claimer. Check-in gaps are measured over the journey, from
the clock's start to the session's end, against the check-in interval in force at the end.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from roomlive.core import events as e
from roomlive.core.apply import fold
from roomlive.core.model import RequestKind, Session
from roomlive.core.timing import hmmss, local_or_utc


@dataclass(frozen=True)
class Spread:
    """How many durations, their median and the worst (longest), in seconds."""

    count: int
    median: float | None
    worst: float | None

    @staticmethod
    def of(durations: Sequence[float]) -> Spread:
        if not durations:
            return Spread(0, None, None)
        return Spread(len(durations), statistics.median(durations), max(durations))


@dataclass(frozen=True)
class RequestFigures:
    rid: str
    pid: str
    kind: RequestKind
    raised_at: float
    raised_by: str
    claimed_at: float | None = None  # the first claim
    claimed_by: str | None = None
    resolved_at: float | None = None  # the last resolution
    resolved_by: str | None = None
    outcome: str = ""
    note: str = ""
    cancelled_at: float | None = None
    asks: int = 1
    escalations: int = 0
    releases: int = 0
    reopens: int = 0

    @property
    def time_to_claim(self) -> float | None:
        return None if self.claimed_at is None else self.claimed_at - self.raised_at

    @property
    def time_to_resolve(self) -> float | None:
        return None if self.resolved_at is None else self.resolved_at - self.raised_at


@dataclass(frozen=True)
class FacilitatorFigures:
    name: str
    claimed: int  # requests this facilitator claimed first
    to_claim: Spread
    to_resolve: Spread  # of the requests they claimed first, once resolved
    resolved: int  # resolutions recorded by this facilitator


@dataclass(frozen=True)
class CheckinGap:
    pid: str
    mat: int
    name: str
    checks: int
    longest: float | None  # seconds; None when the journey clock never started
    interval: float  # seconds

    @property
    def over(self) -> bool:
        return self.longest is not None and self.longest > self.interval


@dataclass(frozen=True)
class Figures:
    start: float | None  # the journey clock's start
    end: float  # the session's end, or its last event
    requests: tuple[RequestFigures, ...]
    to_claim: Spread
    to_resolve: Spread
    never_claimed: int  # requests closed or still open without anyone claiming them
    escalations: int  # AssistEscalated events: the ladder's top rung was reached
    facilitators: tuple[FacilitatorFigures, ...]
    gaps: tuple[CheckinGap, ...]


def final_state(events: Sequence[e.Event]) -> Session:
    state = fold(events)
    if state is None:
        raise ValueError("the log holds no session")
    return state


def journey_window(events: Sequence[e.Event]) -> tuple[float | None, float]:
    """(journey clock start or None, session end or last event)."""
    start = next((ev.at for ev in events if isinstance(ev, e.ClockStarted)), None)
    ended = next((ev.at for ev in events if isinstance(ev, e.SessionEnded)), None)
    return start, ended if ended is not None else max((ev.at for ev in events), default=0.0)


def request_figures(events: Sequence[e.Event]) -> tuple[RequestFigures, ...]:
    found: dict[str, RequestFigures] = {}
    for ev in events:
        if isinstance(ev, e.AssistRaised):
            found[ev.rid] = RequestFigures(ev.rid, ev.pid, ev.kind, ev.at, ev.by)
        elif isinstance(ev, e.RequestEvent) and ev.rid in found:
            found[ev.rid] = _step(found[ev.rid], ev)
    return tuple(found.values())


def _step(r: RequestFigures, ev: e.RequestEvent) -> RequestFigures:
    match ev:
        case e.AssistClaimed(by=by) if r.claimed_at is None:
            return replace(r, claimed_at=ev.at, claimed_by=by)
        case e.AssistResolved(by=by, outcome=outcome, note=note):
            return replace(r, resolved_at=ev.at, resolved_by=by, outcome=outcome, note=note)
        case e.AssistCancelled():
            return replace(r, cancelled_at=ev.at)
        case e.AssistRepeated():
            return replace(r, asks=r.asks + 1)
        case e.AssistEscalated():
            return replace(r, escalations=r.escalations + 1)
        case e.AssistReleased():
            return replace(r, releases=r.releases + 1)
        case e.AssistReopened():
            return replace(r, reopens=r.reopens + 1, resolved_at=None, resolved_by=None)
    return r


def figures(events: Sequence[e.Event]) -> Figures:
    state = final_state(events)
    start, end = journey_window(events)
    requests = request_figures(events)
    claims = [r.time_to_claim for r in requests if r.time_to_claim is not None]
    resolves = [r.time_to_resolve for r in requests if r.time_to_resolve is not None]
    return Figures(
        start=start,
        end=end,
        requests=requests,
        to_claim=Spread.of(claims),
        to_resolve=Spread.of(resolves),
        never_claimed=sum(1 for r in requests if r.claimed_at is None),
        escalations=sum(1 for ev in events if isinstance(ev, e.AssistEscalated)),
        facilitators=_per_facilitator(requests),
        gaps=checkin_gaps(events, state, start, end),
    )


def _per_facilitator(requests: Sequence[RequestFigures]) -> tuple[FacilitatorFigures, ...]:
    names = {r.claimed_by for r in requests if r.claimed_by} | {
        r.resolved_by for r in requests if r.resolved_by
    }
    result = []
    for name in sorted(names):
        mine = [r for r in requests if r.claimed_by == name]
        result.append(
            FacilitatorFigures(
                name=name,
                claimed=len(mine),
                to_claim=Spread.of([r.time_to_claim for r in mine if r.time_to_claim is not None]),
                to_resolve=Spread.of(
                    [r.time_to_resolve for r in mine if r.time_to_resolve is not None]
                ),
                resolved=sum(1 for r in requests if r.resolved_by == name),
            )
        )
    return tuple(result)


def checkin_gaps(
    events: Sequence[e.Event], state: Session, start: float | None, end: float
) -> tuple[CheckinGap, ...]:
    """Per participant, the longest time without a check-in between journey start and end."""
    interval = state.checkin_minutes * 60.0
    result = []
    for p in state.by_mat():
        checks = checkin_times(events, p.pid, None, None)
        longest = None
        if start is not None:
            marks = [start, *checkin_times(events, p.pid, start, end), end]
            longest = max(b - a for a, b in itertools.pairwise(marks))
        result.append(CheckinGap(p.pid, p.mat, p.name, len(checks), longest, interval))
    return tuple(result)


def checkin_times(
    events: Sequence[e.Event], pid: str, start: float | None, end: float | None
) -> list[float]:
    """When the participant was checked, within [start, end] where given."""
    return [
        ev.at
        for ev in events
        if isinstance(ev, e.ParticipantChecked) and ev.pid == pid
        if (start is None or start <= ev.at) and (end is None or ev.at <= end)
    ]


def duration(seconds: float | None) -> str:
    """m:ss, or h:mm:ss from an hour, to the nearest second; an en dash for none."""
    if seconds is None:
        return "–"
    return hmmss(round(seconds), hours_if_any=True)


def clock_time(at: float, timezone: str) -> str:
    return local_or_utc(at, timezone).strftime("%H:%M:%S")
