"""Replay: how long roomlive takes to rebuild its state from a log of N events (startup).

`generate` writes a realistic log straight into a fresh event store: clinic days of 12-person
sessions (a button test round, check-ins every 10-15 min, flags, phases, a pause, support
requests that are asked again, re-alert and escalate while unclaimed, are claimed and resolved or
cancelled), encoded with roomlive's own `codec.encode` into the
table `EventStore.open` creates. `measure` then times what the server does on start: open the
store and `Rooms.load()` (read, decode and fold every event), in a fresh interpreter.

    python -m bench.replay generate DB --events 100000
    python -m bench.replay measure DB          prints JSON
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .servers import PROJECT_DIR

NAMES = ("Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lea")
STAFF = ("Sam", "Kim", "Noor", "Ravi")
BASE_TIME = 1_767_600_000.0  # January 2026
SESSIONS_PER_DAY = 5


def session_events(rng: random.Random, sid: str, start: float) -> list[Any]:
    """One realistic session's events (unsorted; each has its `at`)."""
    from roomlive.core import events as e
    from roomlive.core.model import CHECK_STATUSES, ParticipantSpec
    from roomlive.core.presets import CHECKIN_MINUTES, DEFAULT_FLAGS, PRESETS

    phases = PRESETS["im-group"]
    people = tuple(
        ParticipantSpec(pid=f"p{mat}", name=name, mat=mat, token=secrets.token_urlsafe(18))
        for mat, name in enumerate(NAMES, start=1)
    )
    created = e.SessionCreated(
        at=start,
        sid=sid,
        name="Tuesday group",
        room="Room 2",
        participants=people,
        phases=phases,
        flags=DEFAULT_FLAGS,
        checkin_minutes=CHECKIN_MINUTES,
    )
    begun = start + 300

    def by() -> str:
        return rng.choice(STAFF)

    tested = [e.ButtonTested(at=start + 60 + 5 * i, pid=p.pid) for i, p in enumerate(people)]
    out: list[Any] = [
        created,
        e.ButtonTestStarted(at=start + 30, by=by()),
        *tested,
        e.ButtonTestEnded(at=start + 150, by=by()),
        e.ClockStarted(at=begun, by=by()),
    ]
    at = begun
    for index, phase in enumerate(phases[1:], start=1):
        at += phase.minutes * 60 + rng.uniform(-120, 120)
        out.append(e.PhaseAdvanced(at=at, by=by(), index=index))
    end = at
    pause = rng.uniform(begun + 1800, end - 1800)
    out += [
        e.ClockPaused(at=pause, by=by()),
        e.ClockResumed(at=pause + rng.uniform(60, 300), by=by()),
    ]
    weights = (8, 3, 1, 1)
    for person in people:
        check = begun + rng.uniform(0, 600)
        while check < end:
            status = rng.choices(CHECK_STATUSES, weights)[0]
            out.append(e.ParticipantChecked(at=check, by=by(), pid=person.pid, status=status))
            check += rng.uniform(600, 900)
        on: set[str] = set()
        for _ in range(8):
            flag, flagged_at = rng.choice(DEFAULT_FLAGS), rng.uniform(begun, end)
            out.append(
                e.FlagSet(at=flagged_at, by=by(), pid=person.pid, flag=flag, on=flag not in on)
            )
            on ^= {flag}
        slot = begun + rng.uniform(600, 1800)
        while slot < end - 600 and rng.random() < 0.7:
            rid = secrets.token_hex(6)
            out.append(e.AssistRaised(at=slot, by="participant", rid=rid, pid=person.pid))
            for ask in range(rng.choice((0, 0, 1, 2))):
                out.append(e.AssistRepeated(at=slot + 5 + 10 * ask, rid=rid))
            if rng.random() < 0.1:
                out.append(e.AssistCancelled(at=slot + 40, rid=rid))
            else:
                claimed = slot + rng.uniform(20, 90)
                ladder: list[Any] = []
                if claimed > slot + 30:
                    ladder.append(e.AssistRealerted(at=slot + 30, rid=rid))
                if claimed > slot + 60:
                    ladder.append(e.AssistEscalated(at=slot + 60, rid=rid))
                out += [*ladder, e.AssistClaimed(at=claimed, by=by(), rid=rid)]
                done = claimed + rng.uniform(60, 400)
                out.append(e.AssistResolved(at=done, by=by(), rid=rid, outcome="reassured"))
            slot += rng.uniform(1800, 3600)
    out.append(e.SessionEnded(at=end + 900, by=by()))  # a clinic day's sessions all end
    return out


def generate(db: Path, count: int, seed: int = 7) -> int:
    """Write `count` events into a fresh event store at `db`; return how many sessions."""
    from roomlive.core.codec import encode
    from roomlive.live.store import EventStore

    async def create() -> None:
        await (await EventStore.open(db)).close()

    asyncio.run(create())
    rng = random.Random(seed)
    timeline: list[tuple[float, str, Any]] = []
    sessions = 0
    while len(timeline) < count:
        day, room = divmod(sessions, SESSIONS_PER_DAY)
        start = BASE_TIME + day * 86_400 + room * 900
        sid = secrets.token_hex(6)
        timeline += [(ev.at, sid, ev) for ev in session_events(rng, sid, start)]
        sessions += 1
    timeline.sort(key=lambda item: item[0])
    rows = []
    for seq, (at, sid, event) in enumerate(timeline[:count], start=1):
        type_name, data = encode(event)
        rows.append((seq, sid, secrets.token_hex(8), 0, float(at), type_name, data))
    with sqlite3.connect(db, isolation_level=None) as connection:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO events (seq, session_id, command_key, part, at, type, data) "
            "VALUES (?,?,?,?,?,?,?)",
            rows,
        )
        chain(connection, rows)
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return sessions


def chain(connection: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Checksum the rows as the server does (a roomlive from before checksums has none)."""
    try:
        from roomlive.live.integrity import GENESIS, chain_values
        from roomlive.live.schema import INSERT_CHAIN
    except ImportError:
        return
    values = chain_values(GENESIS, rows)
    links = [(row[0], row[1], value) for row, value in zip(rows, values, strict=True)]
    connection.executemany(INSERT_CHAIN, links)


def check_seconds(db: Path) -> float:
    """Seconds of what `run.py` does before serving (quick_check, then the checksum walk)."""
    try:
        from roomlive.live.integrity import check_file
    except ImportError:  # a roomlive from before the check
        return 0.0
    started = time.perf_counter()
    problem = check_file(db)
    if problem is not None:
        raise RuntimeError(problem)
    return time.perf_counter() - started


def measure(db: Path) -> dict[str, float]:
    """Seconds to open the store and rebuild every session, as the server does on start."""
    from roomlive.live.hub import Hub
    from roomlive.live.rooms import Rooms
    from roomlive.live.steady_clock import SteadyClock
    from roomlive.live.store import EventStore
    from roomlive.web import TEMPLATES_DIR
    from roomlive.web.render import Views

    async def replay() -> dict[str, float]:
        checked = check_seconds(db)
        started = time.perf_counter()
        store = await EventStore.open(db)
        try:
            rooms = Rooms(store, Hub(), Views(TEMPLATES_DIR), SteadyClock())
            events = await rooms.load()
            total = time.perf_counter() - started
            again = time.perf_counter()
            await store.load()
            read = time.perf_counter() - again
        finally:
            await store.close()
        return {
            "events": events,
            "sessions": len(rooms.sessions()) + len(getattr(rooms, "past", list)()),
            "seconds": total,
            "read_decode_seconds": read,
            "check_seconds": checked,
        }

    return asyncio.run(replay())


def run_measured(db: Path, roomlive_dir: Path, *command: str) -> dict[str, Any]:
    """Run this module in a fresh interpreter (the roomlive checkout first on sys.path)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.replay", *command, str(db)],
        cwd=roomlive_dir,
        env={**os.environ, "PYTHONPATH": str(PROJECT_DIR)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"replay {command[0]} failed:\n{done.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replay")
    parser.add_argument("action", choices=("generate", "measure"))
    parser.add_argument("db", type=Path)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args(argv)
    if args.action == "generate":
        sessions = generate(args.db, args.events)
        print(json.dumps({"events": args.events, "sessions": sessions}))
    else:
        print(json.dumps(measure(args.db)))


if __name__ == "__main__":
    main()
