"""Medians, ratios and bars of a benchmark report; the table as text and as Markdown."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .loadgen import Plan, RunResult, Size
from .servers import KINDS, Kind
from .stats import median, ratio

README = Path(__file__).resolve().parent / "README.md"
REPLAY_BAR_EVENTS = 100_000
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"

# (key, label, digits): the rows of a size's table, each a median over repetitions.
METRICS: tuple[tuple[str, str, int], ...] = (
    ("tap_all_p50", "tap → every tablet p50 (ms)", 2),
    ("tap_all_p90", "tap → every tablet p90 (ms)", 2),
    ("tap_all_p99", "tap → every tablet p99 (ms)", 2),
    ("tap_all_max", "tap → every tablet max (ms)", 2),
    ("delivery_p50", "tap → one tablet p50 (ms)", 2),
    ("delivery_p99", "tap → one tablet p99 (ms)", 2),
    ("answer_p50", "tap → HTTP answer p50 (ms)", 2),
    ("answer_p99", "tap → HTTP answer p99 (ms)", 2),
    ("server_peak_rss_mb", "server peak RSS (MB)", 1),
    ("tablet_message_bytes", "bytes per message to a tablet", 0),
    ("server_cpu_seconds", "server CPU time (s)", 2),
    ("server_idle_cpu_percent", "server CPU when idle (% of one core)", 1),
    ("server_cpu_us_per_tap", "server CPU per tap (µs)", 0),
    ("server_cpu_us_per_tap_net", "  less the idle CPU (µs)", 0),
    ("server_cpu_us_per_delivery", "server CPU per tablet delivery (µs)", 0),
    ("server_cpu_percent", "server CPU (% of one core)", 1),
    ("server_loop_cpu_percent", "  of which the event loop's thread (%)", 1),
    ("reader_cpu_us_per_delivery", "generator: reader CPU per delivery (µs)", 0),
    ("tapper_cpu_us_per_tap", "generator: tapper CPU per tap (µs)", 0),
    ("send_lag_p99", "generator: send lag p99 (ms)", 2),
    ("other_cpu_percent", "rest of the machine's CPU (% of one core)", 1),
)

GENERATOR_KEYS = ("reader_", "tapper_", "send_lag_", "other_")  # context, not compared


def flat(result: RunResult) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in dataclasses.asdict(result).items():
        if isinstance(value, dict):
            for part, number in value.items():
                out[f"{key.removesuffix('_ms')}_{part}"] = number
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = value
    return out


def summarise_size(size: Size, plan: Plan, runs: dict[Kind, list[RunResult]]) -> dict[str, Any]:
    flats = {kind: [flat(r) for r in runs[kind]] for kind in KINDS}
    medians = {
        kind: {key: median([f[key] for f in flats[kind]]) for key in flats[kind][0]}
        for kind in KINDS
    }
    totals = {
        kind: {
            name: sum(getattr(r, name) for r in runs[kind])
            for name in ("taps", "taps_ok", "expected", "received", "lost", "unexpected")
        }
        | {
            "max_peak_rss_mb": max(r.server_peak_rss_mb for r in runs[kind]),
            "errors": [e for r in runs[kind] for e in r.errors][:20],
        }
        for kind in KINDS
    }
    return {
        "size": dataclasses.asdict(size),
        "rate": plan.rate,
        "duration": plan.duration,
        "repeat": len(runs["roomlive"]),
        "median": medians,
        "ratio": {
            key: ratio(medians["roomlive"][key], medians["baseline"][key]) for key, *_ in METRICS
        },
        "totals": totals,
        "runs": {kind: [dataclasses.asdict(r) for r in runs[kind]] for kind in KINDS},
    }


# --- bars ------------------------------------------------------------------------------------

Bar = tuple[str, str, bool]  # what, measured, met


def bars(report: dict[str, Any]) -> list[Bar]:
    found: list[Bar] = []
    sizes: dict[str, Any] = report.get("sizes", {})
    limits = {"room": 10.0, "clinic": 50.0}
    for name, limit in limits.items():
        if name not in sizes:
            continue
        ours = sizes[name]["median"]["roomlive"]
        p99 = ours["tap_all_p99"]
        found.append(
            (f"{name}: p99 tap → every tablet < {limit:g} ms", f"{p99:.2f} ms", p99 < limit)
        )
        times = sizes[name]["ratio"]["tap_all_p50"]
        found.append((f"{name}: p50 ≤ 3x the baseline's", f"{times:.2f}x", times <= 3.0))
    if "clinic" in sizes:
        totals = sizes["clinic"]["totals"]["roomlive"]
        lost = totals["lost"] + totals["taps"] - totals["taps_ok"]
        got = f"{totals['received']}/{totals['expected']} delivered"
        found.append(("clinic: zero lost deliveries", got, lost == 0))
        rss = totals["max_peak_rss_mb"]
        found.append(("clinic: server RSS < 200 MB", f"{rss:.1f} MB", rss < 200))
    if "capacity" in report:
        rate = report["capacity"]["roomlive"]["taps_per_second"]
        found.append(("capacity at clinic size ≥ 300 taps/s", f"{rate:g} taps/s", rate >= 300))
    if "replay" in report and report["replay"]["events"] >= REPLAY_BAR_EVENTS:
        seconds = report["replay"]["seconds"]
        what = f"replay of {REPLAY_BAR_EVENTS:,} events < 2 s"
        found.append((what, f"{seconds:.2f} s", seconds < 2.0))
    return found


# --- rendering -------------------------------------------------------------------------------


def number(value: float, digits: int) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def times(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}x"


def size_title(name: str, summary: dict[str, Any]) -> str:
    s = summary["size"]
    return (
        f"{name}: {s['rooms']} room(s), {s['tablets']} tablets, {s['participants']} buttons, "
        f"{summary['rate']:g} taps/s for {summary['duration']:g} s; "
        f"median of {summary['repeat']} run(s) per server"
    )


def size_rows(summary: dict[str, Any]) -> list[list[str]]:
    ours, base = summary["median"]["roomlive"], summary["median"]["baseline"]
    rows = [
        [
            label,
            number(ours[key], d),
            number(base[key], d),
            "" if key.startswith(GENERATOR_KEYS) else times(summary["ratio"][key]),
        ]
        for key, label, d in METRICS
    ]
    t_ours, t_base = summary["totals"]["roomlive"], summary["totals"]["baseline"]

    def delivered(t: dict[str, Any]) -> str:
        return f"{t['received']}/{t['expected']} (lost {t['lost']})"

    rows.append(
        ["deliveries received/expected, all runs", delivered(t_ours), delivered(t_base), ""]
    )
    return rows


def capacity_rows(capacity: dict[str, Any]) -> list[list[str]]:
    def best(kind: str) -> str:
        found = capacity[kind]
        more = "≥ " if found["capped"] else ""
        return f"{more}{found['taps_per_second']:g}"

    def tried(kind: str) -> str:
        marks = [f"{s['rate']:g}{'✓' if s['sustained'] else '✗'}" for s in capacity[kind]["steps"]]
        return " ".join(marks)

    ours, base = capacity["roomlive"]["taps_per_second"], capacity["baseline"]["taps_per_second"]
    share = times(ratio(ours, base))
    if capacity["baseline"]["capped"] and not capacity["roomlive"]["capped"]:
        share = f"≤ {share}"  # the baseline was not pushed to its limit
    return [
        ["highest sustained taps/s", best("roomlive"), best("baseline"), share],
        ["rates tried", tried("roomlive"), tried("baseline"), ""],
    ]


def text_table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def md_table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


HEADER = ["", "roomlive", "baseline", "ratio"]


def sections(
    report: dict[str, Any], table: Callable[[list[list[str]], list[str]], str]
) -> list[str]:
    out = []
    for name, summary in report.get("sizes", {}).items():
        out += [size_title(name, summary), table(size_rows(summary), HEADER)]
    if "capacity" in report:
        settings = report["settings"]
        out += [
            f"capacity: clinic size, {settings['capacity_seconds']:g} s per rate; sustained = "
            "zero loss, every tap answered 200, p99 tap → every tablet < 100 ms, taps sent on "
            "schedule",
            table(capacity_rows(report["capacity"]), HEADER),
        ]
    if "replay" in report:
        r = report["replay"]
        out.append(
            f"replay: {r['events']:,} events of {r['sessions']} sessions rebuilt in "
            f"{r['seconds']:.2f} s (median; ended sessions are read only for what the home page "
            f"lists); reading and decoding the whole log would take {r['read_decode_seconds']:.2f}"
            " s; checked before that (quick_check and checksum "
            f"chain) in {r.get('check_seconds', 0.0):.2f} s"
        )
    found = bars(report)
    rows = [[what, got, "met" if ok else "NOT MET"] for what, got, ok in found]
    out.append(table(rows, ["bar", "measured", ""]))
    return out


def render_text(report: dict[str, Any]) -> str:
    env = report["environment"]
    head = (
        f"roomlive benchmark, {report['date']}, {env['cpus']} CPUs, commit {env['commit']}"
        f"{' + uncommitted changes' if env['uncommitted_changes'] else ''}, "
        f"{report['minutes']} min\ncommand: {report['command']}"
    )
    return "\n\n".join([head, *sections(report, text_table)]) + "\n"


def render_markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    head = (
        f"Measured {report['date']} on a {env['cpus']}-core machine ({env['platform']}, "
        f"Python {env['python']}), roomlive at commit `{env['commit']}`"
        f"{' with uncommitted changes' if env['uncommitted_changes'] else ''}; "
        f"{report['minutes']} minutes. Command:\n\n```sh\n{report['command']}\n```"
    )
    body = []
    for part in sections(report, md_table):
        body.append(
            part if part.startswith("|") else f"**{part.split(':', 1)[0]}**:{part.split(':', 1)[1]}"
        )
    return "\n\n".join([head, *body])


def update_readme(markdown: str) -> None:
    text = README.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise RuntimeError(f"{README} has no {BEGIN} … {END} block")
    README.write_text(pattern.sub(lambda _: f"{BEGIN}\n{markdown}\n{END}", text))
