"""What the tablets show of a session's requests, and how a change moves it: the items and
banners to remove, to replace where they stand and to place after one that stays, so that a
push carries the requests that changed rather than the whole list (issue 14)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from roomlive.core.model import AssistRequest, RequestState, Session, urgency

ALERTS_SHOWN = 3  # banners above the list: the most urgent unclaimed requests


@dataclass(frozen=True)
class ListChange:
    """`gone` are removed; `replaced` are redrawn where they stand; each run of `runs` is placed,
    in order, after the item that stays before it (None: at the start of the list)."""

    gone: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    runs: tuple[tuple[str | None, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Shown:
    live: tuple[AssistRequest, ...]
    alerts: tuple[AssistRequest, ...]
    recent: tuple[AssistRequest, ...]

    @property
    def count(self) -> int:
        """What the list's head shows: how many are live (a claim does not change it)."""
        return len(self.live)


def shown(session: Session) -> Shown:
    live = tuple(session.live_requests())
    unclaimed = tuple(r for r in live if r.state is RequestState.OPEN)
    return Shown(live, unclaimed[:ALERTS_SHOWN], tuple(session.recently_closed()))


def banner(request: AssistRequest) -> tuple[object, ...]:
    """What an unclaimed request's banner shows (not how often it was asked)."""
    return (request.kind, request.level, request.stale, request.open_since, request.raised_by)


def list_change(
    old: Sequence[AssistRequest],
    new: Sequence[AssistRequest],
    same: Callable[[AssistRequest, AssistRequest], bool],
) -> ListChange | None:
    """How the list `old` becomes `new`, both in urgency order; None if it does not change."""
    before = {r.rid: r for r in old}
    added = {r.rid for r in new if r.rid not in before}
    kept = [r.rid for r in new if r.rid in before]
    if kept == [r.rid for r in old if r.rid in set(kept)]:
        moved = added  # the others kept their order: each is redrawn where it stands
    else:
        moved = added | {
            r.rid for r in new if r.rid in before and urgency(r) != urgency(before[r.rid])
        }
        staying = [r.rid for r in new if r.rid not in moved]
        if staying != [r.rid for r in old if r.rid in set(staying)]:
            moved = {r.rid for r in new}  # an order this cannot follow: place everything again
    while True:
        # A fold keeps a request no event touched as the very same object: no comparing it.
        edited = {
            r.rid
            for r in new
            if r.rid not in moved and before[r.rid] is not r and not same(before[r.rid], r)
        }
        runs = _runs(new, moved)
        # A run is placed after an item that stays put: one redrawn meanwhile is placed too.
        anchors = {anchor for anchor, _ in runs if anchor in edited}
        if not anchors:
            break
        moved |= anchors
    now = {r.rid for r in new}
    gone = tuple(rid for rid in before if rid not in now or rid in moved)
    replaced = tuple(r.rid for r in new if r.rid in edited)
    if not (gone or replaced or runs):
        return None
    return ListChange(gone, replaced, runs)


def _runs(
    new: Sequence[AssistRequest], moved: set[str]
) -> tuple[tuple[str | None, tuple[str, ...]], ...]:
    runs: list[tuple[str | None, list[str]]] = []
    anchor: str | None = None
    for request in new:
        if request.rid not in moved:
            anchor = request.rid
        elif runs and runs[-1][0] == anchor:
            runs[-1][1].append(request.rid)
        else:
            runs.append((anchor, [request.rid]))
    return tuple((anchor, tuple(rids)) for anchor, rids in runs)
