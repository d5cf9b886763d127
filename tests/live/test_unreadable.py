"""A log row the server cannot read keeps that one session down, named, and never the others."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import pytest
from markupsafe import escape

from roomlive.core import events as e
from roomlive.core.commandkeys import server_key
from roomlive.core.commands import CheckParticipant
from roomlive.core.model import ParticipantSpec, Phase, Status
from roomlive.live.answers import SessionUnreadable
from roomlive.live.hub import Hub
from roomlive.live.integrity import link
from roomlive.live.records import UnreadableRow
from roomlive.live.rooms import Rooms
from roomlive.live.steady_clock import SteadyClock
from roomlive.live.store import EventStore
from roomlive.web import TEMPLATES_DIR
from roomlive.web.render import Views
from tests.support.clients import Room, key
from tests.support.server import Server

pytestmark = pytest.mark.anyio

MISSING_RID = '{"at":3.0,"by":"participant","pid":"p1"}'  # AssistRaised without its "rid"


def created(sid: str, name: str, participant: str) -> e.SessionCreated:
    return e.SessionCreated(
        at=1.0,
        sid=sid,
        name=name,
        room="Room 1",
        participants=(ParticipantSpec("p1", participant, 1, f"token-{sid}"),),
        phases=(Phase("Peak", 35),),
        flags=("water",),
        checkin_minutes=15,
    )


def insert(path: Path, seq: int, sid: str, type_name: str, data: str) -> None:
    """A row as a later roomlive could write it: INSERT is all the triggers allow, and it is
    chained like every row, so start-up's checksum walk passes it."""
    row = (seq, sid, f"server/bad-{seq}/bad-{seq}", 0, 3.0, type_name, data)
    with sqlite3.connect(path) as db:
        (previous,) = db.execute("SELECT value FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
        db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        db.execute("INSERT INTO chain VALUES (?, ?, ?)", (seq, sid, link(previous, row)))
    db.close()


async def rooms_on(path: Path) -> tuple[Rooms, EventStore]:
    store = await EventStore.open(path)
    rooms = Rooms(store, Hub(), Views(TEMPLATES_DIR), SteadyClock())
    await rooms.load()
    return rooms, store


async def test_a_bad_row_makes_its_session_unreadable_and_leaves_the_others_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "log.db"
    store = await EventStore.open(path)
    await store.append("good", "k1", [created("good", "Tuesday group", "Ana")])
    await store.append("bad", "k1", [created("bad", "Wednesday group", "Zoë")])
    await store.append("unfit", "k1", [created("unfit", "Thursday group", "Ben")])
    await store.append("unfit", "k2", [e.AssistClaimed(at=2, by="Sam", rid="no-such-request")])
    await store.close()
    insert(path, 5, "bad", "AssistRaised", MISSING_RID)
    insert(path, 6, "bad", "ClockStarted", '{"at":4.0,"by":"Sam"}')  # after it: not folded

    with caplog.at_level(logging.ERROR, logger="roomlive.rooms"):
        rooms, store = await rooms_on(path)
    try:
        assert [s.sid for s in rooms.sessions()] == ["good"]
        unfit, bad = rooms.unreadable_sessions()  # in log order
        assert (bad.sid, bad.name) == ("bad", "Wednesday group")
        assert bad.row == UnreadableRow(5, "bad", "AssistRaised", "missing field 'rid'")
        assert bad.problem == "cannot be read: event 5 (AssistRaised): missing field 'rid'"
        assert str(unfit.row) == (
            "event 4 (AssistClaimed): does not fit the events before it (KeyError)"
        )
        assert rooms.by_token("token-bad") is None  # its button links stop working
        assert rooms.by_token("token-good") is not None
        with pytest.raises(SessionUnreadable, match="this session cannot be read: event 5"):
            await rooms.execute("bad", CheckParticipant("Sam", "p1", Status.OK), server_key("x"))
        checked = CheckParticipant("Sam", "p1", Status.OK)
        assert (await rooms.execute("good", checked, server_key("y"))).events
        await rooms.tick()  # the ticker passes the unreadable sessions by
        imported = await rooms.import_session("bad", [created("bad", "Import", "Eli")], "Sam")
        assert imported.sid != "bad"  # its id stays taken
    finally:
        await store.close()

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "session bad cannot be read: event 5 (AssistRaised): missing field 'rid'" in logged
    assert "session unfit cannot be read: event 4 (AssistClaimed)" in logged
    assert not {"Zoë", "Ben", "Wednesday"} & set(re.findall(r"\w+", logged))


async def test_a_restarted_server_serves_the_other_sessions_and_names_the_unreadable_one(
    room: Room, server: Server, tmp_path: Path
) -> None:
    sam = await room.facilitator("Sam")
    demo = await room.demo_session(sam)
    form = {"name": "Wednesday group", "room": "Room 3", "participants": "1 Zoë\n2 Ben"}
    assert (await sam.post("/sessions", data=form)).status_code == 303
    broken = next(s for s in (await sam.get("/api/sessions")).json() if s["sid"] != demo["sid"])
    server.stop()

    copied = tmp_path / "copy" / "roomlive.db"
    copied.parent.mkdir()
    with sqlite3.connect(server.db_path) as source, sqlite3.connect(copied) as target:
        source.backup(target)
        (last,) = target.execute("SELECT MAX(seq) FROM events").fetchone()
    source.close()
    target.close()
    insert(copied, last + 1, broken["sid"], "AssistRaised", MISSING_RID)
    problem = f"cannot be read: event {last + 1} (AssistRaised): missing field 'rid'"
    shown_problem = str(escape(problem))  # as the pages show it

    restarted = Server(db_path=copied).start()
    again = Room(restarted)
    try:
        sam = await again.facilitator("Sam")
        assert (await sam.get("/healthz")).json() == {"ok": True, "sessions": 1, "unreadable": 1}
        home = await sam.get("/")
        assert home.status_code == 200
        assert "Cannot be read" in home.text and "Wednesday group" in home.text
        assert shown_problem in home.text and demo["name"] in home.text
        for path in ("", "/review", "/export.json", "/settings"):
            shown = await sam.get(f"/s/{broken['sid']}{path}")
            assert shown.status_code == 500 and shown_problem in shown.text, path
        refused = await again.command(sam, broken["sid"], action="check", pid="p1", status="ok")
        assert refused.status_code == 409 and shown_problem in refused.text
        assert (await again.press(broken["participants"][0]["token"])).status_code == 404

        sid = demo["sid"]
        checked = await again.command(sam, sid, key(), action="check", pid="p1", status="ok")
        assert checked.status_code == 204
        tablet = await again.tablet(sam, sid)
        assert 'id="topbar"' in await tablet.receive()
        assert (await sam.get(f"/s/{sid}/review")).status_code == 200
    finally:
        await again.close()
        restarted.stop()
    log = restarted.log()
    assert f"session {broken['sid']} {problem}" in log
    assert "Zoë" not in log and "Wednesday" not in log
