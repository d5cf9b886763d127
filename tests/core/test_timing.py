"""Time on a tile, with fixed dates: past midnight, across a daylight-saving change."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from roomlive.core import events as e
from roomlive.core.apply import apply
from roomlive.core.model import DoseKind, Phase, Status
from roomlive.core.timing import (
    likely_phase,
    local_stamp,
    local_time,
    minutes_between,
    overdue,
    vitals_due,
)
from roomlive.live.regions import Region
from roomlive.web.render import Views
from tests.core.test_decide import CREATE, session_after

BERLIN = "Europe/Berlin"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def at(text: str, zone: str = BERLIN) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def test_a_session_past_midnight_shows_local_times_and_true_durations() -> None:
    dosed, checked = at("2026-03-14T23:40"), at("2026-03-15T00:25")
    assert local_time(dosed, BERLIN) == "23:40"
    assert local_time(checked, BERLIN) == "00:25"
    assert minutes_between(dosed, checked) == 45


def test_across_the_autumn_change_the_repeated_hour_is_told_apart() -> None:
    # 2026-10-25: at 03:00 CEST clocks go back to 02:00 CET; 02:30 happens twice.
    first = datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo(BERLIN), fold=0).timestamp()
    second = datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo(BERLIN), fold=1).timestamp()
    assert local_time(first, BERLIN) == local_time(second, BERLIN) == "02:30"
    assert local_stamp(first, BERLIN) == "2026-10-25 02:30 CEST"
    assert local_stamp(second, BERLIN) == "2026-10-25 02:30 CET"
    assert minutes_between(first, second) == 60


def test_across_the_spring_change_a_wall_clock_hour_lasts_no_time() -> None:
    # 2026-03-29: at 02:00 CET clocks jump to 03:00 CEST.
    before, after = at("2026-03-29T01:50"), at("2026-03-29T03:10")
    assert (local_time(before, BERLIN), local_time(after, BERLIN)) == ("01:50", "03:10")
    assert minutes_between(before, after) == 20


def test_a_tile_across_the_change_shows_local_times_and_minutes_since_the_dose() -> None:
    dosed = datetime(2026, 10, 25, 2, 40, tzinfo=ZoneInfo(BERLIN), fold=0).timestamp()
    session = session_after(
        e.DoseRecorded(at=dosed, by="Sam", pid="p1", kind=DoseKind.DOSE),
        e.ParticipantChecked(at=dosed + 30 * 60, by="Kim", pid="p1", status=Status.OK),
    )
    session = replace(session, timezone=BERLIN)
    now = dosed + 50 * 60  # 02:30 CET, the second time the clock reads 02:30
    views = Views(TEMPLATES)
    tile, sheet = (
        views.fragments(session, [Region.tile("p1")], now, None),
        views.sheet(session, "p1", now),
    )
    assert "dosed 02:40" in sheet  # the first 02:40, CEST
    assert "checked 02:10 by Kim" in sheet  # the clocks went back meanwhile
    assert f'data-since="{dosed}">50 min' in tile


def test_likely_phase_counts_from_the_participant_s_own_dose() -> None:
    phases = (Phase("Arrival", 15), Phase("Dosing", 10), Phase("Peak", 35), Phase("Return", 20))
    session = session_after()
    session = replace(session, phases=phases)
    dose = e.DoseRecorded(at=1000.0, by="Sam", pid="p1", kind=DoseKind.DOSE)
    dosed = apply(session, dose)
    ana = dosed.participants["p1"]
    assert likely_phase(dosed, dosed.participants["p2"], 5000) is None
    assert likely_phase(dosed, ana, 1000 + 5 * 60) == phases[1]
    assert likely_phase(dosed, ana, 1000 + 11 * 60) == phases[2]
    assert likely_phase(dosed, ana, 1000 + 50 * 60) == phases[3]
    assert likely_phase(dosed, ana, 1000 + 500 * 60) == phases[3]


def test_vitals_prompts_fall_due_at_baseline_40_minutes_and_discharge() -> None:
    base = session_after()
    assert vitals_due(base, base.participants["p1"], 0) == "baseline"
    t0 = 10_000.0
    dosed = session_after(
        e.VitalsRecorded(at=t0, by="Kim", pid="p1", hr=70),
        e.DoseRecorded(at=t0 + 60, by="Kim", pid="p1", kind=DoseKind.DOSE),
    )
    ana = dosed.participants["p1"]
    assert vitals_due(dosed, ana, t0 + 60 + 39 * 60) is None
    assert vitals_due(dosed, ana, t0 + 60 + 40 * 60) == "40 min"
    taken = session_after(
        e.VitalsRecorded(at=t0, by="Kim", pid="p1", hr=70),
        e.DoseRecorded(at=t0 + 60, by="Kim", pid="p1", kind=DoseKind.DOSE),
        e.VitalsRecorded(at=t0 + 60 + 41 * 60, by="Kim", pid="p1", hr=80),
        e.PhaseAdvanced(at=t0 + 5000, by="Sam", index=1),
        e.PhaseAdvanced(at=t0 + 6000, by="Sam", index=2),
    )
    ana = taken.participants["p1"]
    assert vitals_due(taken, ana, t0 + 6001) == "discharge"
    assert CREATE.phases[-1] == taken.phase


def test_overdue_counts_from_the_last_check_or_the_journey_start() -> None:
    t0 = 50_000.0
    session = session_after(e.ClockStarted(at=t0, by="Sam"))
    ana = session.participants["p1"]
    assert not overdue(session, ana, t0 + 15 * 60)
    assert overdue(session, ana, t0 + 15 * 60 + 1)
    assert not overdue(session_after(), ana, t0 + 10_000)  # the journey has not started
