"""Rooms per process: N rooms at a realistic load on one roomlive server, for growing N.

    python -m bench.scale --rooms 25,50,75,100 --seconds 20

Each room has 4 tablets and 12 button pages, and taps once a second (N taps/s in all); each N
runs on a fresh server whose connection limits are lifted (`--max-connections`, the bench's
clients all come from 127.0.0.1). Prints per N the tap -> every tablet p50/p99/max, the server's
CPU and memory, and whether p99 stayed under --bar-ms; writes bench/results/scale-<date>.json.
Bounded: each N stops by itself after --seconds of taps.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from .loadgen import Plan, RunResult, Size, run

RESULTS = Path(__file__).resolve().parent / "results"
TABLETS_PER_ROOM = 4
BUTTONS_PER_ROOM = 12
TAPS_PER_ROOM_PER_SECOND = 1.0
P99_BAR_MS = 50.0


def rooms_size(rooms: int) -> Size:
    return Size(
        f"{rooms} rooms",
        rooms=rooms,
        tablets=TABLETS_PER_ROOM * rooms,
        participants=BUTTONS_PER_ROOM * rooms,
        rate=TAPS_PER_ROOM_PER_SECOND * rooms,
    )


def line(rooms: int, result: RunResult, bar_ms: float) -> str:
    tap = result.tap_all_ms
    met = "yes" if result.lost == 0 and result.ok and tap["p99"] < bar_ms else "NO"
    return (
        f"| {rooms} | {tap['p50']:.1f} ms | {tap['p99']:.1f} ms | {tap['max']:.1f} ms "
        f"| {result.server_cpu_percent:.1f} % | {result.server_cpu_us_per_tap / 1000:.2f} ms "
        f"| {result.server_peak_rss_mb:.0f} MB | {result.lost} | {met} |"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rooms", default="25,50,75,100", help="comma-separated room counts")
    parser.add_argument("--seconds", type=float, default=20.0, help="of taps per room count")
    parser.add_argument("--readers", type=int, default=4, help="tablet reader processes")
    parser.add_argument("--bar-ms", type=float, default=P99_BAR_MS, help="p99 to stay under")
    args = parser.parse_args(argv)

    print("| rooms | p50 | p99 | max | server CPU (% of a core) | CPU per tap | RSS | lost | "
          f"p99 < {args.bar_ms:g} ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    results = {}
    for rooms in (int(n) for n in args.rooms.split(",")):
        plan = Plan(rooms_size(rooms), rooms * TAPS_PER_ROOM_PER_SECOND, args.seconds,
                    readers=args.readers)  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="roomlive-scale-") as scratch:
            result = run("roomlive", plan, Path(scratch))
        results[rooms] = asdict(result)
        print(line(rooms, result, args.bar_ms), flush=True)
    RESULTS.mkdir(exist_ok=True)
    report = RESULTS / f"scale-{time.strftime('%Y%m%dT%H%M%S')}.json"
    report.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
