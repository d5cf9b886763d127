"""Soak: clinic size for minutes on one server; memory must stay flat and nothing may be lost.

    python -m bench.soak --minutes 5

Prints the server's resident memory over the run (sampled every --every seconds) and the
deliveries expected and received, writes the report to bench/results/soak-<date>.json, and
exits non-zero if a delivery was lost or memory grew past --max-growth-mb between the first and
the last quarter of the run. Bounded: it stops by itself after --minutes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from .loadgen import CLINIC, Plan, run

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=CLINIC.rate, help="taps/s in total")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between RSS samples")
    parser.add_argument("--max-growth-mb", type=float, default=10.0)
    args = parser.parse_args(argv)

    plan = Plan(CLINIC, args.rate, args.minutes * 60, rss_every_seconds=args.every)
    with tempfile.TemporaryDirectory(prefix="roomlive-soak-") as scratch:
        result = run("roomlive", plan, Path(scratch))
    samples = result.rss_samples
    quarter = max(1, len(samples) // 4)
    first = statistics.median(mb for _, mb in samples[:quarter]) if samples else 0.0
    last = statistics.median(mb for _, mb in samples[-quarter:]) if samples else 0.0
    growth = last - first
    for seconds, megabytes in samples:
        print(f"{seconds:8.1f} s  {megabytes:7.1f} MB")
    print(
        f"soak: {args.minutes:g} min at {args.rate:g} taps/s, clinic size: "
        f"{result.received}/{result.expected} deliveries (lost {result.lost}), "
        f"RSS first quarter {first:.1f} MB, last quarter {last:.1f} MB (growth {growth:+.1f} MB), "
        f"peak {result.server_peak_rss_mb:.1f} MB; tap -> every tablet p99 "
        f"{result.tap_all_ms['p99']:.1f} ms"
    )
    RESULTS.mkdir(exist_ok=True)
    report = RESULTS / f"soak-{time.strftime('%Y%m%dT%H%M%S')}.json"
    report.write_text(json.dumps({"growth_mb": growth, "result": asdict(result)}, indent=1))
    return 0 if result.lost == 0 and result.ok and growth <= args.max_growth_mb else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
