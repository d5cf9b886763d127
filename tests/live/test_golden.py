"""Golden logs: files written by earlier roomlives (tests/live/golden/*.db), kept as they were.

Each must load through the real `EventStore` and `Rooms.load`, fold, and render every page and
export, with every roomlive from now on: an event class changed without an upcaster fails here.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest

from roomlive.core import codec
from roomlive.core.apply import fold
from roomlive.live.hub import Hub
from roomlive.live.rooms import Rooms
from roomlive.live.steady_clock import SteadyClock
from roomlive.live.store import EventStore
from roomlive.review.export import to_csv, to_json
from roomlive.review.figures import figures
from roomlive.review.importing import parse_export
from roomlive.review.timeline import layout
from roomlive.web import TEMPLATES_DIR
from roomlive.web.render import Views
from tests.support.clients import Room
from tests.support.server import Server

pytestmark = pytest.mark.anyio

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN_LOGS = sorted(GOLDEN_DIR.glob("*.db"))
LIVE_PAGES = ("", "/settings", "/cards")
LOG_PAGES = ("/review", "/summary", "/export.csv", "/export.json", "/purge")


def copy_of(golden: Path, tmp_path: Path) -> Path:
    """The golden file is never opened where it lies: opening would turn it to WAL mode."""
    copied = tmp_path / golden.name
    shutil.copyfile(golden, copied)
    return copied


def logged_types(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        found = {name for (name,) in db.execute("SELECT DISTINCT type FROM events")}
    db.close()
    return found


def test_every_event_type_is_in_a_golden_log(tmp_path: Path) -> None:
    assert GOLDEN_LOGS, f"no golden logs in {GOLDEN_DIR}"
    found = set().union(*(logged_types(copy_of(path, tmp_path)) for path in GOLDEN_LOGS))
    missing = sorted(set(codec.EVENT_TYPES) - found)
    assert not missing, (
        f"{', '.join(missing)} in no golden log: extend tests/live/golden/make_golden.py and write "
        "a new file with it "
        "(python -m tests.live.golden.make_golden tests/live/golden/log-<date>.db)"
    )


@pytest.mark.parametrize("golden", GOLDEN_LOGS, ids=lambda path: path.name)
async def test_a_golden_log_loads_folds_and_exports(golden: Path, tmp_path: Path) -> None:
    store = await EventStore.open(copy_of(golden, tmp_path))
    try:
        rooms = Rooms(store, Hub(), Views(TEMPLATES_DIR), SteadyClock())
        count = await rooms.load()
        for past in rooms.past():  # ended sessions are folded when first opened
            await rooms.unfold(past.shell.sid)
        logs = {s.sid: await rooms.session_records(s.sid) for s in rooms.sessions()}
    finally:
        await store.close()

    assert rooms.unreadable_sessions() == [] and rooms.past() == []
    assert 0 < count <= sum(len(records) for records in logs.values())
    for session in rooms.sessions():
        records = logs[session.sid]
        events = [event for _, event in records]
        assert fold(events) == session
        assert rooms.snapshot(session).count('class="tile ') == len(session.participants)
        layout(events)
        figures(events)
        assert to_csv(events).count("\r\n") == len(events) + 1
        _, imported = parse_export(to_json(session.sid, records))
        assert [(type(ev), ev.at) for ev in imported] == [(type(ev), ev.at) for ev in events]


@pytest.mark.parametrize("golden", GOLDEN_LOGS, ids=lambda path: path.name)
async def test_a_server_on_a_golden_log_shows_every_session(golden: Path, tmp_path: Path) -> None:
    server = Server(db_path=copy_of(golden, tmp_path), extra_args=("--no-demo",)).start()
    room = Room(server)
    try:
        sam = await room.facilitator("Sam")
        sessions = (await sam.get("/api/sessions")).json()
        assert sessions
        home = await sam.get("/")
        assert home.status_code == 200 and "Cannot be read" not in home.text
        for session in sessions:
            assert session["name"] in home.text
            await pages_answer(sam, f"/s/{session['sid']}", (*LIVE_PAGES, *LOG_PAGES))
            start = await sam.get(f"/s/{session['sid']}/replay", params={"at": "2000000000"})
            assert start.status_code == 200 and 'class="tile ' in start.text
    finally:
        await room.close()
        server.stop()


async def pages_answer(client: httpx.AsyncClient, base: str, pages: tuple[str, ...]) -> None:
    for path in pages:
        response = await client.get(base + path)
        assert response.status_code == 200, f"{base}{path}: {response.status_code}"
        assert response.text
