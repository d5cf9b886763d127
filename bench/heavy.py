"""Heavy work beside a live room: does a big import or review stall the other rooms?

One roomlive server, one live room (4 tablets, 12 button pages, taps at `--rate`/s, measured
tap -> every tablet as in bench/loadgen.py) and a prober asking `GET /time` every 100 ms. Twice
in the same run, each on a fresh server: *calm* (nothing else) and *heavy*: meanwhile one
facilitator, over plain HTTP, imports an export of `--events` events (about 290 bytes each, like
a real export), opens its review, its summary, both exports and its purge page, purges it, and
starts again, until the taps end. The figures are the heavy run's against the calm one's.

    python -m bench.heavy                          # 200k events, 60 s per run, ~3 min
    python -m bench.heavy --events 20000 --duration 10    # quick
    python -m bench.heavy --roomlive-dir ../other-checkout  # measure another checkout
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .loadgen import ROOM, Plan, RunResult, run
from .servers import HOST, PROJECT_DIR, ServerProcess
from .stats import ratio, summary_ms

PROBE_EVERY_SECONDS = 0.1
HTTP_TIMEOUT_SECONDS = 300.0
NOTES = ("settled", "asked for water", "resting, eyes closed", "talking with a facilitator")


def make_export(path: Path, count: int, seed: int = 12) -> int:
    """Write a roomlive JSON export of one ended session with `count` events; return its size.

    Made with roomlive's own `to_json`; check-ins and notes only, which the rules accept at any
    time after creation, so the import's checks all pass."""
    from roomlive.core import events as e
    from roomlive.core.model import CHECK_STATUSES, ParticipantSpec
    from roomlive.core.presets import CHECKIN_MINUTES, DEFAULT_FLAGS, PRESETS
    from roomlive.review.export import to_json

    rng = random.Random(seed)
    start = 1_767_600_000.0
    people = tuple(
        ParticipantSpec(pid=f"p{mat}", name=f"Person {mat}", mat=mat, token="")
        for mat in range(1, 13)
    )
    created = e.SessionCreated(
        at=start,
        sid="heavy",
        name="Heavy import",
        room="Room 9",
        participants=people,
        phases=PRESETS["im-group"],
        flags=DEFAULT_FLAGS,
        checkin_minutes=CHECKIN_MINUTES,
    )
    events: list[e.Event] = [created, e.ClockStarted(at=start + 1, by="Sam")]
    at = start + 1
    while len(events) < count - 1:
        at += 0.05
        pid = rng.choice(people).pid
        if rng.random() < 0.5:
            status = rng.choice(CHECK_STATUSES)
            events.append(e.ParticipantChecked(at=at, by="Sam", pid=pid, status=status))
        else:
            text = f"{rng.choice(NOTES)} ({len(events)})"
            events.append(e.NoteSet(at=at, by="Kim", pid=pid, text=text))
    events.append(e.SessionEnded(at=at + 1, by="Sam"))
    text = to_json("heavy", list(enumerate(events, start=1)))
    path.write_text(text, encoding="utf-8")
    return len(text.encode())


@dataclass
class Steps:
    """How long each heavy request took (seconds), and what failed."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    rounds: int = 0


def _call(
    port: int, method: str, path: str, cookie: str, body: bytes | None = None, form: str = ""
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT_SECONDS)
    try:
        headers = {"Cookie": cookie, "Origin": f"http://{HOST}:{port}"}
        if form:
            body = form.encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def heavy_rounds(
    port: int, cookie: str, export: bytes, stop: threading.Event, steps: Steps
) -> None:
    """Import, review, export and purge the big session, again and again until `stop`."""

    def timed(name: str, method: str, path: str, **kw: Any) -> tuple[int, bytes]:
        began = time.monotonic()
        status, body = _call(port, method, path, cookie, **kw)
        steps.seconds.setdefault(name, []).append(time.monotonic() - began)
        if status >= 400:
            steps.errors.append(f"{name}: {status} {body[:200]!r}")
        return status, body

    while not stop.is_set():
        status, body = timed("import", "POST", "/import", body=export)
        if status >= 400:
            return
        sid = json.loads(body)["sid"]
        for name, suffix in (
            ("review", "review"),
            ("summary", "summary"),
            ("export csv", "export.csv"),
            ("export json", "export.json"),
            ("purge page", "purge"),
        ):
            if stop.is_set():
                break
            timed(name, "GET", f"/s/{sid}/{suffix}")
        timed("purge", "POST", f"/s/{sid}/purge", form="confirm=Heavy+import")
        steps.rounds += 1


def probe_time(port: int, stop: threading.Event, found: list[float]) -> None:
    """`GET /time` every 100 ms on a kept-alive connection; the latency of each."""
    connection = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT_SECONDS)
    try:
        while not stop.is_set():
            began = time.monotonic()
            connection.request("GET", "/time")
            connection.getresponse().read()
            found.append(time.monotonic() - began)
            time.sleep(max(0.0, PROBE_EVERY_SECONDS - (time.monotonic() - began)))
    finally:
        connection.close()


@dataclass
class Beside:
    """What ran beside the taps of one run."""

    time_seconds: list[float] = field(default_factory=list)
    steps: Steps = field(default_factory=Steps)


def alongside(export: bytes | None, beside: Beside) -> Any:
    @contextlib.contextmanager
    def work(server: ServerProcess, cookie: str) -> Iterator[None]:
        stop = threading.Event()
        threads = [
            threading.Thread(target=probe_time, args=(server.port, stop, beside.time_seconds))
        ]
        if export is not None:
            args = (server.port, cookie, export, stop, beside.steps)
            threads.append(threading.Thread(target=heavy_rounds, args=args))
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(HTTP_TIMEOUT_SECONDS)

    return work


def one_run(
    name: str, export: bytes | None, args: argparse.Namespace, scratch: Path
) -> dict[str, Any]:
    beside = Beside()
    plan = Plan(ROOM, args.rate, args.duration, readers=2)
    result: RunResult = run(
        "roomlive", plan, scratch / name, args.roomlive_dir, alongside=alongside(export, beside)
    )
    out = {
        "taps": result.taps,
        "lost": result.lost,
        "errors": result.errors,
        "tap_all_ms": result.tap_all_ms,
        "time_ms": summary_ms(beside.time_seconds),
        "time_probes": len(beside.time_seconds),
        "server_peak_rss_mb": result.server_peak_rss_mb,
        "other_cpu_percent": result.other_cpu_percent,
    }
    if export is not None:
        out["rounds"] = beside.steps.rounds
        out["step_seconds"] = {k: round(max(v), 2) for k, v in beside.steps.seconds.items()}
        out["step_errors"] = beside.steps.errors
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.heavy")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--roomlive-dir", type=Path, default=PROJECT_DIR)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="roomlive-heavy-") as scratch_dir:
        scratch = Path(scratch_dir)
        for part in ("roomlive", "templates", "static"):
            if (args.roomlive_dir / part).exists():
                shutil.copytree(args.roomlive_dir / part, scratch / "under-test" / part)
        args.roomlive_dir = scratch / "under-test"
        path = scratch / "export.json"
        size = make_export(path, args.events)
        print(f"export: {args.events} events, {size / 1e6:.1f} MB", file=sys.stderr)
        calm = one_run("calm", None, args, scratch)
        print(f"calm: {json.dumps(calm)}", file=sys.stderr)
        heavy = one_run("heavy", path.read_bytes(), args, scratch)
        print(f"heavy: {json.dumps(heavy)}", file=sys.stderr)
    report = {
        "events": args.events,
        "export_mb": round(size / 1e6, 1),
        "calm": calm,
        "heavy": heavy,
        "ratios": {
            f"{what} {p}": round(ratio(heavy[key][p], calm[key][p]), 2)
            for what, key in (("tap", "tap_all_ms"), ("time", "time_ms"))
            for p in ("p50", "p99", "max")
        },
    }
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text)
    ok = not calm["lost"] and not heavy["lost"] and not heavy.get("step_errors")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
