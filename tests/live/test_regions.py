"""Which parts of the dashboard an event changes (issue 14: a request's change pushes the tile's
request band, not the whole tile), and each part drawn once."""

from __future__ import annotations

from roomlive.core import commands as c
from roomlive.core import events as e
from roomlive.core.apply import fold
from roomlive.core.model import ParticipantSpec, Phase, Session, Status
from roomlive.live.regions import Region, affected_regions, drawn_once, request_regions
from roomlive.live.shown import shown

T0 = 1_800_000_000.0
PEOPLE = (ParticipantSpec("p1", "Ana", 1, "tok-1"), ParticipantSpec("p2", "Ben", 2, "tok-2"))
CREATE = c.CreateSession("s1", "Tuesday group", "Room 1", PEOPLE, (Phase("Peak", 35),), (), 15)
RAISED = e.AssistRaised(at=T0 + 5, by="participant", rid="r1", pid="p1")
LATE = e.AssistRaised(at=T0 + 5, by="participant", rid="r2", pid="p2", pressed_at=T0 - 30)


def after(*history: e.Event) -> Session:
    """The session once its events are applied: what `affected_regions` is asked about."""
    state = fold([e.SessionCreated(at=T0, **vars(CREATE)), *history])
    assert state is not None
    return state


def test_a_press_and_a_claim_change_the_band_alone() -> None:
    claimed = e.AssistClaimed(at=T0 + 9, by="Sam", rid="r1")

    assert affected_regions(after(RAISED), RAISED) == [
        Region.tile_request("p1"),
        Region.REQUEST_CHANGES,
    ]
    assert affected_regions(after(RAISED, claimed), claimed)[0] == Region.tile_request("p1")


def test_a_late_press_redraws_the_whole_tile_while_it_is_shown_and_when_it_closes() -> None:
    repeated = e.AssistRepeated(at=T0 + 8, rid="r2")
    resolved = e.AssistResolved(at=T0 + 9, by="Kim", rid="r2", outcome="")

    assert affected_regions(after(LATE), LATE)[0] == Region.tile("p2")  # "delivered late"
    assert affected_regions(after(LATE, repeated), repeated)[0] == Region.tile("p2")
    assert affected_regions(after(LATE, resolved), resolved)[0] == Region.tile("p2")  # gone


def test_a_check_in_redraws_the_whole_tile() -> None:
    checked = e.ParticipantChecked(at=T0 + 9, by="Sam", pid="p1", status=Status.OK)
    assert affected_regions(after(RAISED, checked), checked) == [Region.tile("p1")]


def test_each_part_is_drawn_once_and_a_band_not_beside_its_whole_tile() -> None:
    regions = [
        Region.tile_request("p1"),
        Region.REQUEST_CHANGES,
        Region.tile("p1"),
        Region.tile_request("p2"),
        Region.REQUEST_CHANGES,
    ]
    assert drawn_once(regions) == [
        Region.REQUEST_CHANGES,
        Region.tile("p1"),
        Region.tile_request("p2"),
    ]


def test_a_claim_leaves_the_head_alone_a_new_request_redraws_it() -> None:
    claimed = after(RAISED, e.AssistClaimed(at=T0 + 9, by="Sam", rid="r1"))
    second = after(RAISED, e.AssistRaised(at=T0 + 9, by="participant", rid="r3", pid="p2"))

    assert Region("head") not in request_regions(shown(after(RAISED)), shown(claimed))
    assert Region("head") in request_regions(shown(after(RAISED)), shown(second))
