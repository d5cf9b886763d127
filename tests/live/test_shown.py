"""The request list's changes (issue 14): applied as a tablet applies them, by id, they turn
the list last pushed into the list now, whatever changed in between."""

from __future__ import annotations

import random
from dataclasses import replace

from roomlive.core.model import AssistRequest, Level, RequestKind, RequestState, urgency
from roomlive.live.shown import ListChange, list_change


def applied(shown: list[str], change: ListChange | None) -> list[str]:
    """What a tablet shows after the change: removed by id, each run placed after its anchor."""
    if change is None:
        return shown
    result = [rid for rid in shown if rid not in change.gone]
    assert not set(change.replaced) - set(result), "redrawn where it stands: it must be there"
    for anchor, rids in change.runs:
        assert anchor is None or anchor in result, "a run is placed after an item that is there"
        assert anchor not in change.replaced
        at = 0 if anchor is None else result.index(anchor) + 1
        result[at:at] = rids
    return result


def some_request(rng: random.Random, rid: str) -> AssistRequest:
    return AssistRequest(
        rid=rid,
        pid=f"p{rid}",
        raised_at=0.0,
        raised_by="button",
        kind=rng.choice(list(RequestKind)),
        state=rng.choice([RequestState.OPEN, RequestState.CLAIMED]),
        open_since=float(rng.randrange(100)),
        asks=rng.randrange(1, 4),
        level=rng.choice(list(Level)),
    )


def test_changes_turn_the_old_list_into_the_new_one() -> None:
    rng = random.Random(14)
    for _ in range(2000):
        old = {str(i): some_request(rng, str(i)) for i in rng.sample(range(12), rng.randrange(8))}
        new = dict(old)
        for rid in rng.sample(sorted(old), min(len(old), rng.randrange(4))):
            if rng.random() < 0.3:
                del new[rid]
            else:
                new[rid] = replace(some_request(rng, rid), raised_at=rng.random())
        for i in range(rng.randrange(3)):
            new[f"n{i}"] = some_request(rng, f"n{i}")
        before = sorted(old.values(), key=urgency)
        after = sorted(new.values(), key=urgency)
        change = list_change(before, after, lambda a, b: a == b)
        assert applied([r.rid for r in before], change) == [r.rid for r in after]
        if change is not None:  # each request changed is sent once
            sent = [*change.replaced, *(rid for _, rids in change.runs for rid in rids)]
            assert len(sent) == len(set(sent))


def test_a_repeat_in_place_is_redrawn_where_it_stands() -> None:
    rng = random.Random(1)
    requests = sorted((some_request(rng, str(i)) for i in range(5)), key=urgency)
    again = [replace(r, asks=r.asks + 1) if r.rid == requests[2].rid else r for r in requests]
    assert list_change(requests, again, lambda a, b: a == b) == ListChange(
        replaced=(requests[2].rid,)
    )
    assert list_change(requests, requests, lambda a, b: a == b) is None
