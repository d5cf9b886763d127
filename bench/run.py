"""The standard benchmark: both sizes against both servers, capacity search, replay.

    .venv/bin/python -m bench                    the full standard run (about 15 minutes)
    .venv/bin/python -m bench --quick            a short look (about 1 minute)
    .venv/bin/python -m bench --help

Each repetition runs roomlive and the baseline back to back (alternating which goes first) on
fresh servers, so the machine's noise hits both alike; figures are medians over repetitions.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import replay
from .loadgen import CLINIC, SIZES, Plan, RunResult, run
from .profile import top
from .report import render_markdown, render_text, summarise_size, update_readme
from .servers import KINDS, PROJECT_DIR, Kind
from .stats import median

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SUSTAIN_P99_MS = 100.0
SUSTAIN_LAG_MS = 100.0
SUSTAIN_RATE_SHARE = 0.98


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default="room,clinic", help="comma-separated: room, clinic (smoke: tiny)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per size (median)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of taps per run")
    parser.add_argument("--readers", type=int, default=4, help="tablet reader processes")
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=5.0,
        help="before each size run, measure the server's CPU with nobody tapping (0: skip)",
    )
    parser.add_argument("--capacity-seconds", type=float, default=10.0)
    parser.add_argument("--capacity-start", type=float, default=150.0, help="taps/s")
    parser.add_argument("--capacity-max", type=float, default=2400.0, help="taps/s")
    parser.add_argument("--no-capacity", action="store_true", help="skip the capacity search")
    parser.add_argument("--replay-events", type=int, default=100_000, help="0 skips the replay")
    parser.add_argument(
        "--roomlive-dir", type=Path, default=PROJECT_DIR, help="the checkout whose roomlive runs"
    )
    parser.add_argument("--quick", action="store_true", help="short runs: a look, not figures")

    parser.add_argument(
        "--profile",
        type=float,
        metavar="TAPS_PER_S",
        help="instead: sample roomlive with py-spy at clinic size at this rate, list top functions",
    )
    parser.add_argument(
        "--json", type=Path, help="write the JSON report here (default: bench/results/)"
    )
    parser.add_argument(
        "--update-readme", action="store_true", help="put the figures into bench/README.md"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.duration, args.capacity_seconds = 1, 5.0, 5.0
        args.replay_events = min(args.replay_events, 20_000)
    return args


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def brief(result: RunResult) -> str:
    lat = result.tap_all_ms
    return (
        f"{result.kind:8} {result.size} {result.rate:g} taps/s: p50 {lat['p50']:.2f} "
        f"p99 {lat['p99']:.2f} max {lat['max']:.2f} ms, lost {result.lost}/{result.expected}, "
        f"server CPU {result.server_cpu_percent:.0f}%, RSS {result.server_peak_rss_mb:.0f} MB, "
        f"rest of the machine {result.other_cpu_percent:.0f}%"
    )


class Runner:
    def __init__(self, args: argparse.Namespace, scratch: Path) -> None:
        self.args = args
        self.scratch = scratch
        self.count = 0

    def run(self, kind: Kind, plan: Plan) -> RunResult:
        for attempt in (1, 2):
            self.count += 1
            workdir = self.scratch / f"run-{self.count:03d}-{kind}"
            try:
                result = run(kind, plan, workdir, self.args.roomlive_dir)
            except RuntimeError as error:
                log(f"{kind} run failed ({error}); server log tail: {server_log(workdir)}")
                if attempt == 2:
                    raise
                continue
            log(brief(result))
            return result
        raise AssertionError("unreachable")

    def sizes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.args.sizes.split(","):
            size = SIZES[name.strip()]
            plan = Plan(
                size,
                size.rate,
                self.args.duration,
                readers=self.args.readers,
                idle_seconds=self.args.idle_seconds,
            )
            runs: dict[Kind, list[RunResult]] = {kind: [] for kind in KINDS}
            for rep in range(self.args.repeat):
                order = KINDS if rep % 2 == 0 else KINDS[::-1]
                for kind in order:
                    runs[kind].append(self.run(kind, plan))
            out[size.name] = summarise_size(size, plan, runs)
        return out

    def sustains(self, kind: Kind, rate: float) -> tuple[bool, RunResult]:
        plan = Plan(CLINIC, rate, self.args.capacity_seconds, readers=self.args.readers)
        result = self.run(kind, plan)
        return sustained(result, rate), result

    def capacity(self, kind: Kind) -> dict[str, Any]:
        """Highest rate sustained at clinic size: grow by 1.5x until a rate fails (each rate
        gets a second try, the machine being shared), then halve the gap twice."""
        steps: list[dict[str, Any]] = []

        def attempt(rate: float) -> bool:
            for _ in range(2):
                ok, result = self.sustains(kind, rate)
                steps.append(step(result, ok))
                if ok:
                    return True
            return False

        passed, failed = 0.0, None
        rate = self.args.capacity_start
        while rate <= self.args.capacity_max:
            if not attempt(rate):
                failed = rate
                break
            passed, rate = rate, round(rate * 1.5)
        for _ in range(2):
            if failed is None or failed - passed <= 0.05 * failed:
                break
            middle = round((passed + failed) / 2)
            if attempt(middle):
                passed = middle
            else:
                failed = middle
        return {
            "taps_per_second": passed,
            "first_failed": failed,
            "capped": failed is None,
            "steps": steps,
        }

    def replay(self) -> dict[str, Any]:
        db = self.scratch / "replay" / "roomlive.db"
        db.parent.mkdir(parents=True)
        events = str(self.args.replay_events)
        made = replay.run_measured(db, self.args.roomlive_dir, "generate", "--events", events)
        log(f"replay: wrote {made['events']} events of {made['sessions']} sessions")
        measured = [
            replay.run_measured(db, self.args.roomlive_dir, "measure")
            for _ in range(max(1, self.args.repeat))
        ]
        for m in measured:
            log(f"replay: {m['events']} events, {m['sessions']} sessions in {m['seconds']:.3f} s")
        return {
            "events": made["events"],
            "sessions": made["sessions"],
            "seconds": median([m["seconds"] for m in measured]),
            "read_decode_seconds": median([m["read_decode_seconds"] for m in measured]),
            "check_seconds": median([m.get("check_seconds", 0.0) for m in measured]),
            "runs": measured,
        }


def server_log(workdir: Path) -> str:
    logs = sorted(workdir.glob("*.log"))
    return logs[-1].read_text(errors="replace")[-1500:] if logs else "(none)"


def sustained(result: RunResult, rate: float) -> bool:
    return (
        result.ok
        and result.tap_all_ms["p99"] < SUSTAIN_P99_MS
        and result.send_lag_ms["p99"] < SUSTAIN_LAG_MS
        and result.achieved_rate >= SUSTAIN_RATE_SHARE * rate
    )


def step(result: RunResult, ok: bool) -> dict[str, Any]:
    return {
        "rate": result.rate,
        "sustained": ok,
        "p99_ms": result.tap_all_ms["p99"],
        "lost": result.lost,
        "taps_failed": result.taps - result.taps_ok,
        "send_lag_p99_ms": result.send_lag_ms["p99"],
        "achieved_rate": result.achieved_rate,
        "server_cpu_percent": result.server_cpu_percent,
        "server_peak_rss_mb": result.server_peak_rss_mb,
        "other_cpu_percent": result.other_cpu_percent,
    }


def environment(roomlive_dir: Path) -> dict[str, Any]:
    def git(*command: str) -> str:
        done = subprocess.run(
            ["git", *command], cwd=roomlive_dir, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain", "--", "roomlive")),
        "load_average_at_start": os.getloadavg(),
    }


def snapshot_roomlive(source: Path, scratch: Path) -> Path:
    """A copy of the roomlive package, templates and static files that every server of this
    run starts from, so that edits to the working tree during a long run change nothing."""
    copy = scratch / "roomlive-under-test"
    for part in ("roomlive", "templates", "static"):
        if (source / part).exists():
            ignored = shutil.ignore_patterns("__pycache__")
            shutil.copytree(source / part, copy / part, ignore=ignored)
    return copy


def main(argv: list[str] | None = None) -> int:
    if threading.current_thread() is not threading.main_thread():
        return bench(sys.argv[1:] if argv is None else argv)
    # SIGTERM unwinds like Ctrl-C, so every server and generator process is stopped.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return bench(sys.argv[1:] if argv is None else argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


def bench(argv: list[str]) -> int:
    args = parse_args(argv)
    started = datetime.datetime.now().astimezone()
    report: dict[str, Any] = {
        "date": started.isoformat(timespec="seconds"),
        "command": shlex.join([".venv/bin/python", "-m", "bench", *argv]),
        "settings": {
            k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "json"
        },
        "environment": environment(args.roomlive_dir),
    }
    if args.profile:
        return profile(args)
    with tempfile.TemporaryDirectory(prefix="roomlive-bench-") as scratch:
        args.roomlive_dir = snapshot_roomlive(args.roomlive_dir, Path(scratch))
        runner = Runner(args, Path(scratch))
        stages: list[tuple[str, Callable[[], Any]]] = [("sizes", runner.sizes)]
        if not args.no_capacity:
            stages.append(("capacity", lambda: {k: runner.capacity(k) for k in KINDS}))
        if args.replay_events:
            stages.append(("replay", runner.replay))
        for name, stage in stages:
            report[name] = stage()
    report["minutes"] = round(
        (datetime.datetime.now().astimezone() - started).total_seconds() / 60, 1
    )
    print(render_text(report))
    write_json(report, args.json)
    if args.update_readme:
        update_readme(render_markdown(report))
        log("bench/README.md updated")
    return 0


def profile(args: argparse.Namespace) -> int:
    """One clinic-size run of roomlive at the given rate with py-spy sampling the server."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stacks = RESULTS_DIR / f"profile-{args.profile:g}-{time.strftime('%Y%m%dT%H%M%S')}.txt"
    plan = Plan(CLINIC, args.profile, args.capacity_seconds, readers=args.readers)
    with tempfile.TemporaryDirectory(prefix="roomlive-bench-") as scratch:
        under_test = snapshot_roomlive(args.roomlive_dir, Path(scratch))
        result = run("roomlive", plan, Path(scratch) / "run", under_test, profile=stacks)
    print(brief(result))
    print(f"server CPU per tap {result.server_cpu_us_per_tap:.0f} µs; collapsed stacks: {stacks}")
    print(top(stacks))
    return 0


def write_json(report: dict[str, Any], chosen: Path | None) -> None:
    """To `chosen`, or else to bench/results/<date>.json and bench/results/latest.json."""
    text = json.dumps(report, indent=2, default=_json_default, allow_nan=True) + "\n"
    paths = [chosen] if chosen is not None else []
    if not paths:
        RESULTS_DIR.mkdir(exist_ok=True)
        stamp = report["date"].replace(":", "").replace("-", "")[:15]
        paths = [RESULTS_DIR / f"{stamp}.json", RESULTS_DIR / "latest.json"]
    for path in paths:
        path.write_text(text)
        log(f"wrote {path}")


def _json_default(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
