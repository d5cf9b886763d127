"""The review's figures and the timeline's layout, checked against hand-computed values."""

from __future__ import annotations

from pathlib import Path

from roomlive.core import events as e
from roomlive.core.model import ParticipantSpec, Phase, RequestKind, Status
from roomlive.review.figures import FacilitatorFigures, Spread, duration, figures, final_state
from roomlive.review.shapes import PLOT_LEFT, PLOT_RIGHT
from roomlive.review.timeline import layout
from roomlive.web.render import Views
from roomlive.web.worker import HELPERS
from tests.support.realistic import realistic_session

T = 1_800_000_000.0  # the journey clock starts here
PEOPLE = (ParticipantSpec("p1", "Ana", 1, "tok-1"), ParticipantSpec("p2", "Ben", 2, "tok-2"))
PHASES = (Phase("Arrival", 15, "soft piano"), Phase("Peak", 35), Phase("Return", 20))
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def created(people: tuple[ParticipantSpec, ...] = PEOPLE) -> e.SessionCreated:
    return e.SessionCreated(
        at=T - 600,
        sid="s1",
        name="Tuesday group",
        room="Room 1",
        participants=people,
        phases=PHASES,
        flags=("water", "nausea"),
        checkin_minutes=15,
    )


def raised(
    at: float, rid: str, pid: str, by: str = "participant", kind: RequestKind | None = None
) -> e.Event:
    if kind is None:
        return e.AssistRaised(at=T + at, by=by, rid=rid, pid=pid)
    return e.AssistRaised(at=T + at, by=by, rid=rid, pid=pid, kind=kind)


def checked(at: float, pid: str, status: Status = Status.OK) -> e.Event:
    return e.ParticipantChecked(at=T + at, by="Kim", pid=pid, status=status)


LOG: list[e.Event] = [
    created(),
    e.ButtonTestStarted(at=T - 100, by="Sam"),
    e.ButtonTested(at=T - 90, pid="p1"),  # a test press: never a request
    e.ButtonTested(at=T - 80, pid="p2"),
    e.ButtonTestEnded(at=T - 70, by="Sam"),
    e.ClockStarted(at=T, by="Sam"),
    # r1: claimed by Sam after 30 s, handed back, claimed by Kim, resolved by Kim at 300 s
    raised(100, "r1", "p1"),
    e.AssistClaimed(at=T + 130, by="Sam", rid="r1"),
    e.AssistReleased(at=T + 150, by="Sam", rid="r1"),
    e.AssistClaimed(at=T + 160, by="Kim", rid="r1"),
    e.AssistResolved(at=T + 400, by="Kim", rid="r1", outcome="water"),
    checked(500, "p2"),
    checked(600, "p1"),
    e.PhaseAdvanced(at=T + 900, by="Sam", index=1),
    checked(1300, "p2"),
    # r2: nobody claims for 90 s, so it re-alerts and escalates
    raised(1000, "r2", "p2"),
    e.AssistRealerted(at=T + 1030, rid="r2"),
    e.AssistEscalated(at=T + 1060, rid="r2"),
    e.AssistClaimed(at=T + 1090, by="Kim", rid="r2"),
    e.AssistResolved(at=T + 1150, by="Kim", rid="r2", outcome="nausea"),
    checked(1800, "p1", Status.WATCH),
    checked(2000, "p1"),
    raised(2000, "r3", "p1"),  # r3: cancelled by the participant, never claimed
    e.AssistCancelled(at=T + 2010, rid="r3"),
    # r4 (a colleague asks to watch): Sam claims at 10 s and resolves; reopened; Kim resolves
    raised(2100, "r4", "p2", by="Kim", kind=RequestKind.WATCH),
    e.AssistClaimed(at=T + 2110, by="Sam", rid="r4"),
    e.AssistResolved(at=T + 2200, by="Sam", rid="r4"),
    e.AssistReopened(at=T + 2300, by="Kim", rid="r4"),
    e.AssistClaimed(at=T + 2310, by="Kim", rid="r4"),
    e.AssistResolved(at=T + 2500, by="Kim", rid="r4"),
    checked(2200, "p2"),
    e.SessionEnded(at=T + 3000, by="Sam"),
]
LOG.sort(key=lambda event: event.at)


def test_figures_match_the_hand_computed_values() -> None:
    found = figures(LOG)

    assert [r.rid for r in found.requests] == ["r1", "r2", "r3", "r4"]  # no test press
    assert [r.time_to_claim for r in found.requests] == [30, 90, None, 10]
    assert [r.time_to_resolve for r in found.requests] == [300, 150, None, 400]
    assert found.to_claim == Spread(count=3, median=30, worst=90)
    assert found.to_resolve == Spread(count=3, median=300, worst=400)
    assert found.never_claimed == 1
    assert found.escalations == 1
    assert found.start == T and found.end == T + 3000
    assert found.facilitators == (
        FacilitatorFigures("Kim", 1, Spread(1, 90, 90), Spread(1, 150, 150), resolved=3),
        FacilitatorFigures("Sam", 2, Spread(2, 20, 30), Spread(2, 350, 400), resolved=0),
    )


def test_check_in_gaps_run_from_the_journey_start_to_the_end() -> None:
    ana, ben = figures(LOG).gaps
    # Ana: checked at 600, 1800, 2000; gaps 600, 1200, 200, 1000 -> 1200 (over 900)
    assert (ana.name, ana.checks, ana.longest, ana.interval, ana.over) == (
        "Ana",
        3,
        1200,
        900,
        True,
    )
    # Ben: checked at 500, 1300, 2200; gaps 500, 800, 900, 800 -> 900, not over the interval
    assert (ben.longest, ben.over) == (900, False)


def test_without_a_journey_clock_there_is_no_gap_and_no_request() -> None:
    found = figures([created()])
    assert found.requests == () and found.to_claim == Spread(0, None, None)
    assert [gap.longest for gap in found.gaps] == [None, None]


def test_durations_read_as_minutes_and_seconds() -> None:
    assert [duration(s) for s in (None, 0, 9.6, 75, 3599, 3600, 3725)] == [
        "–",
        "0:00",
        "0:10",
        "1:15",
        "59:59",
        "1:00:00",
        "1:02:05",
    ]


def test_the_timeline_has_a_lane_per_participant_and_everything_inside_the_plot() -> None:
    timeline = layout(LOG)

    assert [lane.name for lane in timeline.lanes] == ["Ana", "Ben"]
    assert timeline.start == T - 100  # the button test: the first thing that happened
    assert timeline.end == T + 3000
    assert [band.label for band in timeline.bands] == ["Arrival", "Peak"]
    assert timeline.bands[0].x == PLOT_LEFT
    assert timeline.bands[0].x + timeline.bands[0].w == timeline.bands[1].x
    assert round(timeline.bands[-1].x + timeline.bands[-1].w) == PLOT_RIGHT
    xs = [m.x for lane in timeline.lanes for m in (*lane.marks, *lane.flags)]
    xs += [s.x for lane in timeline.lanes for bar in lane.bars for s in bar.segments]
    assert all(PLOT_LEFT <= x <= PLOT_RIGHT for x in xs)
    ana, ben = timeline.lanes
    assert [m.cls for m in ana.marks] == ["st-ok", "st-watch", "st-ok"]
    assert ana.over and not ben.over and ana.sub == "longest gap 20:00"


def test_a_request_bar_shows_waiting_and_covered_stretches_and_its_durations() -> None:
    ana, ben = layout(LOG).lanes
    r1, r3 = ana.bars
    assert [s.cls for s in r1.segments] == ["open", "claimed", "open", "claimed"]
    assert r1.label == "0:30 Sam · 5:00"
    assert "claimed by Sam after 0:30" in r1.detail and "resolved by Kim after 5:00" in r1.detail
    assert r3.label == "cancelled 0:10"
    r2, r4 = ben.bars
    assert len(r2.escalations) == 1 and "escalated" in r2.cls
    assert [s.cls for s in r4.segments] == ["open", "claimed", "open", "claimed"]


def test_overdue_stretches_start_one_interval_after_the_last_check() -> None:
    ana, ben = layout(LOG).lanes
    assert [gap.at for gap in ana.gaps] == [T + 600 + 900, T + 2000 + 900]
    assert ben.gaps == ()


def test_the_realistic_session_fits_one_landscape_page() -> None:
    timeline = layout(realistic_session())
    assert len(timeline.lanes) == 10
    assert timeline.height / timeline.width < 190 / 277  # A4 landscape's printable shape
    assert all(len(t.label) == 5 for t in timeline.ticks) and 6 <= len(timeline.ticks) <= 14


def test_the_review_page_escapes_names_and_notes() -> None:
    people = (ParticipantSpec("p1", "<b>Ana</b>", 1, "tok-1"),)
    log = [
        created(people),
        e.ClockStarted(at=T, by="Sam"),
        e.NoteSet(at=T + 10, by="<i>Kim</i>", pid="p1", text="<script>alert(1)</script>"),
        e.SessionEnded(at=T + 60, by="Sam"),
    ]
    html = Views(TEMPLATES).page(
        "review.html",
        session=final_state(log),
        timeline=layout(log),
        figures=figures(log),
        moments=[T],
        **HELPERS,
    )
    assert "<b>Ana</b>" not in html and "&lt;b&gt;Ana&lt;/b&gt;" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<i>Kim" not in html
