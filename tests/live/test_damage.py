"""Damage to the log stops start-up, named; backups are made, and one command restores one.

Real files throughout; where it matters, a real server started as the operator starts it.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from roomlive.cli import EXIT_LOG_NOT_FIT
from roomlive.core import events as e
from roomlive.live.backup import KEEP_BACKUPS, backups, make_backup
from roomlive.live.integrity import check_file
from roomlive.live.startcheck import why_not_start
from roomlive.live.store import EventStore
from tests.live.test_golden import GOLDEN_LOGS, copy_of
from tests.support.clients import Room
from tests.support.server import PROJECT_DIR, Server

pytestmark = pytest.mark.anyio

END_BACKUP_TIMEOUT_SECONDS = 10.0


def edit(path: Path, *statements: str) -> None:
    """Change the log as damage would: around the triggers, which refuse every honest edit."""
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER events_are_append_only_update")
        db.execute("DROP TRIGGER events_are_append_only_delete")
        for statement in statements:
            db.execute(statement)
    db.close()


async def three_sessions(path: Path) -> None:
    store = await EventStore.open(path)
    await store.append("s1", "k1", [e.ClockStarted(at=1, by="Sam")])
    await store.append("s2", "k1", [e.ClockStarted(at=2, by="Sam"), e.ClockPaused(at=3.5, by="X")])
    await store.append("s3", "k1", [e.ClockStarted(at=4, by="Sam")])
    await store.append("s2", "k2", [e.ClockResumed(at=5, by="Sam")])
    await store.close()


async def test_a_whole_log_verifies_and_a_purge_is_not_damage(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    await three_sessions(path)
    assert check_file(path) is None

    store = await EventStore.open(path)
    imported = [e.ClockStarted(at=6, by="Kim"), e.ClockPaused(at=7, by="Kim")]
    await store.append_session("s4", imported, "digest")
    assert await store.purge("s2", at=8, by="Sam") == 3
    await store.purge("s4", at=9, by="Sam")  # the tail: its seqs are still never reused
    await store.close()
    assert check_file(path) is None

    reopened = await EventStore.open(path)
    later = await reopened.append("s1", "k9", [e.ClockPaused(at=10, by="Sam")])
    await reopened.close()
    assert later[0].seq == 8
    assert why_not_start(path, None, accept_shorter=False) is None


async def test_an_altered_row_is_named(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    await three_sessions(path)
    edit(path, "UPDATE events SET data = replace(data, 'Sam', 'Kim') WHERE seq = 4")

    problem = why_not_start(path, None, accept_shorter=False)

    assert problem is not None
    assert problem.startswith(
        "event log damaged at event 4 (session s3): its checksum does not match"
    )


async def test_a_row_deleted_in_the_middle_is_named(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    await three_sessions(path)
    edit(path, "DELETE FROM events WHERE seq = 2")

    assert check_file(path) == (
        "event log damaged at event 2 (session s2): it is missing, and its session was never purged"
    )


async def test_a_row_slipped_in_without_a_checksum_is_named(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    await three_sessions(path)
    edit(path, "INSERT INTO events VALUES (9, 's1', 'k', 0, 9.0, 'ClockPaused', '{}')")

    assert check_file(path) == "event log damaged at event 9 (session s1): it has no checksum"


@pytest.mark.parametrize("golden", GOLDEN_LOGS, ids=lambda path: path.name)
async def test_a_log_from_before_checksums_gets_them_at_its_first_open(
    golden: Path, tmp_path: Path
) -> None:
    path = copy_of(golden, tmp_path)
    store = await EventStore.open(path)
    await store.append("golden-evening", "after", [e.ClockPaused(at=1e10, by="Sam")])
    await store.close()

    with sqlite3.connect(path) as db:
        chained = db.execute("SELECT COUNT(*) FROM chain").fetchone()[0]
        logged = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    db.close()
    assert chained == logged > 1
    assert check_file(path) is None


def test_backups_rotate_and_a_half_written_one_is_never_the_newest(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    asyncio.run(three_sessions(path))
    folder = tmp_path / "backups"
    (folder / ".roomlive-20000101-000000.db.partial").parent.mkdir()
    (folder / ".roomlive-20000101-000000.db.partial").write_bytes(b"half")

    made = [
        make_backup(path, folder, 1_000_000 + minute * 60) for minute in range(KEEP_BACKUPS + 2)
    ]

    assert backups(folder) == made[2:]
    assert check_file(made[-1]) is None
    assert not Path(f"{made[-1]}-wal").exists()  # one file, fit to carry


@pytest.fixture
def backed_up(tmp_path: Path) -> Iterator[Server]:
    """A real server keeping backups in tmp_path/backups (not started yet)."""
    server = Server(
        db_path=tmp_path / "roomlive.db", extra_args=("--backup-dir", str(tmp_path / "backups"))
    )
    try:
        yield server
    finally:
        server.stop()


def refused_start(server: Server, *extra: str) -> str:
    """Start the server as an operator would; it must refuse. Returns what it said."""
    command = [sys.executable, "-m", "roomlive", "--db", str(server.db_path), *server.extra_args]
    done = subprocess.run(
        [*command, *extra], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == EXIT_LOG_NOT_FIT, done.stdout + done.stderr
    assert "NOT STARTED" in done.stderr
    return done.stderr


def restore(backup: Path, db: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "roomlive", "restore", "--from", str(backup), "--db", str(db)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def wait_for_backup(folder: Path, count: int) -> Path:
    deadline = time.monotonic() + END_BACKUP_TIMEOUT_SECONDS
    while len(backups(folder)) < count:
        assert time.monotonic() < deadline, "no backup was made when the session ended"
        time.sleep(0.05)
    return backups(folder)[-1]


def logged(path: Path) -> int:
    with sqlite3.connect(path) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM events").fetchone()
    db.close()
    return int(count)


def index_page_offset(path: Path) -> int:
    with sqlite3.connect(path) as db:
        (page_size,) = db.execute("PRAGMA page_size").fetchone()
        (root,) = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_events_1'"
        ).fetchone()
    db.close()
    return int(page_size) * (int(root) - 1)


async def test_a_session_end_is_backed_up_and_a_corrupt_page_stops_start_up_until_restored(
    backed_up: Server, tmp_path: Path
) -> None:
    server = backed_up.start()
    room = Room(server)
    try:
        sam = await room.facilitator("Sam")
        sid = (await room.demo_session(sam))["sid"]
        assert (await room.command(sam, sid, action="start")).status_code == 204
        assert (await room.command(sam, sid, action="end")).status_code == 204
        backup = wait_for_backup(tmp_path / "backups", 1)
    finally:
        await room.close()
    server.stop()
    events = logged(server.db_path)
    assert logged(backup) == events

    with server.db_path.open("r+b") as damaged:
        damaged.seek(index_page_offset(server.db_path))
        damaged.write(b"\xa5" * 4096)
    said = refused_start(server)
    assert f"the event log {server.db_path} is damaged: SQLite's check says:" in said
    assert f"The newest backup is {backup}" in said
    assert f"python3 run.py restore --from {backup} --db {server.db_path}" in said

    printed = restore(backup, server.db_path)
    assert "kept the previous file as" in printed
    assert list(tmp_path.glob("roomlive.db.damaged-*"))
    server.start()
    again = Room(server)
    try:
        sam = await again.facilitator("Sam")
        assert [s["sid"] for s in (await sam.get("/api/sessions")).json()] == [sid]
        review = await sam.get(f"/s/{sid}/review")
        assert review.status_code == 200
    finally:
        await again.close()
    assert logged(server.db_path) == events


async def test_an_altered_row_stops_the_server_naming_it(tmp_path: Path) -> None:
    server = Server(db_path=tmp_path / "roomlive.db").start()
    server.stop()
    edit(server.db_path, "UPDATE events SET at = at + 1 WHERE seq = 1")
    with sqlite3.connect(server.db_path) as db:
        (sid,) = db.execute("SELECT session_id FROM events WHERE seq = 1").fetchone()
    db.close()

    said = refused_start(server)

    assert f"event log damaged at event 1 (session {sid}): its checksum does not match" in said
    assert "There is no backup folder (--backup-dir)" in said
    with pytest.raises(RuntimeError, match="server exited early"):
        server.start()


async def test_a_log_shorter_than_its_newest_backup_is_reported(
    backed_up: Server, tmp_path: Path
) -> None:
    server = backed_up.start()
    early = tmp_path / "early.db"
    room = Room(server)
    try:
        sam = await room.facilitator("Sam")
        sid = (await room.demo_session(sam))["sid"]
        with sqlite3.connect(server.db_path) as live, sqlite3.connect(early) as copy:
            live.backup(copy)
        live.close()
        copy.close()
        assert (await room.command(sam, sid, action="start")).status_code == 204
        assert (await room.command(sam, sid, action="end")).status_code == 204
        backup = wait_for_backup(tmp_path / "backups", 1)
    finally:
        await room.close()
    server.stop()
    lost = logged(backup) - logged(early)
    assert lost > 0
    shutil.copyfile(early, server.db_path)  # as if the last events had sat in a lost -wal

    said = refused_start(server)

    assert f"the log has lost its last {lost} events" in said
    assert f"The newest backup is {backup}" in said and "--accept-shorter-log" in said
    server.extra_args = (*server.extra_args, "--accept-shorter-log")
    server.start()
    assert httpx.get(f"{server.url}/healthz").status_code == 200
