"""The benchmark cannot rot silently: a few seconds of its load generator at tiny sizes against
both servers (every delivery must arrive; no timing is asserted), a small replay, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import run as bench_run
from bench import scale
from bench.loadgen import SMOKE, Plan, run
from bench.replay import run_measured
from bench.servers import KINDS, PROJECT_DIR, Kind


@pytest.mark.parametrize("kind", KINDS)
def test_every_tap_reaches_every_tablet_of_its_room(kind: Kind, tmp_path: Path) -> None:
    plan = Plan(SMOKE, rate=SMOKE.rate, duration=2.0, readers=2)

    result = run(kind, plan, tmp_path)

    assert result.taps == plan.taps and result.taps_ok == result.taps
    assert result.expected == result.taps * SMOKE.tablets_per_room
    assert (result.received, result.lost, result.unexpected) == (result.expected, 0, 0)
    assert result.errors == []
    assert result.server_peak_rss_mb > 0


def test_replay_rebuilds_every_event_it_generated(tmp_path: Path) -> None:
    db = tmp_path / "roomlive.db"

    made = run_measured(db, PROJECT_DIR, "generate", "--events", "3000")
    measured = run_measured(db, PROJECT_DIR, "measure")

    assert made["events"] == 3000  # of which start-up reads all but the ended sessions' details
    assert 0 < measured["events"] <= 3000
    assert measured["sessions"] == made["sessions"] > 1
    assert measured["seconds"] > 0


def test_the_command_prints_the_table_with_ratios_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    argv = ["--sizes", "smoke", "--repeat", "1", "--duration", "1", "--readers", "2"]
    argv += ["--idle-seconds", "1"]

    assert (
        bench_run.main([*argv, "--no-capacity", "--replay-events", "0", "--json", str(report)]) == 0
    )

    printed = capsys.readouterr().out
    assert "tap → every tablet p99 (ms)" in printed and "ratio" in printed
    smoke = json.loads(report.read_text())["sizes"]["smoke"]
    assert smoke["totals"]["roomlive"]["lost"] == smoke["totals"]["baseline"]["lost"] == 0
    assert smoke["ratio"]["tap_all_p50"] > 0


def test_the_scale_run_prints_a_row_per_room_count_and_writes_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert scale.main(["--rooms", "1,2", "--seconds", "1", "--readers", "2"]) == 0

    rows = [line for line in capsys.readouterr().out.splitlines() if line[:4] in ("| 1 ", "| 2 ")]
    assert len(rows) == 2  # whether p99 met the bar is not asserted: no timing in tests
    written = max(scale.RESULTS.glob("scale-*.json"), key=lambda path: path.stat().st_mtime)
    results = json.loads(written.read_text())
    assert set(results) == {"1", "2"} and all(r["lost"] == 0 for r in results.values())
