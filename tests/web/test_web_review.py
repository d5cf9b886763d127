"""The review endpoints on a real server: review page, replay, summary, purge."""

from __future__ import annotations

import json
import re
import sqlite3

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from roomlive.core import codec
from roomlive.core import events as e
from roomlive.core.model import ParticipantSpec, Phase
from roomlive.live.integrity import link
from tests.support.clients import Room, cookie_header
from tests.support.server import Server

pytestmark = pytest.mark.anyio


def rows_of(server: Server) -> dict[str, int]:
    with sqlite3.connect(server.db_path) as db:
        found = db.execute("SELECT session_id, COUNT(*) FROM events GROUP BY session_id")
        return dict(found.fetchall())


async def second_session(client: httpx.AsyncClient) -> str:
    form = {"name": "Other group", "room": "Room 9", "participants": "1 Zed\n2 Yan"}
    answer = await client.post("/sessions", data=form)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"].removeprefix("/s/"))


async def test_the_review_and_the_replay_show_the_session_as_it_was(room: Room) -> None:
    sam = await room.facilitator("Sam")
    session = await room.demo_session(sam)
    sid, token = session["sid"], session["participants"][0]["token"]
    await room.command(sam, sid, action="start")
    await room.press(token)
    raised_at = float((await sam.get("/time")).json()["now"])
    await room.advance_clock(30)
    rid = await room.open_request_id(sam, sid)
    await room.command(sam, sid, action="claim", rid=rid)

    page = await sam.get(f"/s/{sid}/review")
    before = await sam.get(f"/s/{sid}/replay", params={"at": str(raised_at + 10)})
    after = await sam.get(f"/s/{sid}/replay", params={"at": str(raised_at + 40)})
    summary = await sam.get(f"/s/{sid}/summary")

    assert page.status_code == 200 and '<svg id="timeline"' in page.text
    assert "still running" in page.text  # a live session can be reviewed: figures so far
    assert 'id="mat-p1"' in page.text and "hx-ws" not in page.text  # a copy, not a live socket
    assert before.status_code == after.status_code == 200
    assert re.search(r'id="mat-p1-request" class="[^"]*request-open', before.text)
    assert "needs support" in before.text and "Sam is on it" not in before.text
    assert re.search(r'id="mat-p1-request" class="[^"]*request-claimed', after.text)
    assert "Sam is on it" in after.text
    assert "hx-swap-oob" in after.text and 'id="topbar"' in after.text
    assert summary.status_code == 200 and "Mat 1 · Ana" in summary.text
    bad = await sam.get(f"/s/{sid}/replay", params={"at": "soon"})
    assert bad.status_code == 400


async def test_purge_removes_that_session_only_after_it_ended_and_a_confirmation(
    room: Room, server: Server
) -> None:
    sam = await room.facilitator("Sam")
    sid = (await room.demo_session(sam))["sid"]
    other = await second_session(sam)
    tablet = await room.tablet(sam, sid)
    await tablet.receive()

    live = await sam.post(f"/s/{sid}/purge", data={"confirm": "Demo group"})
    assert live.status_code == 400 and "End it on the dashboard first" in live.text
    assert "End it on the dashboard first" in (await sam.get(f"/s/{sid}/purge")).text

    await room.command(sam, sid, action="end")
    form = (await sam.get(f"/s/{sid}/purge")).text
    assert 'name="confirm"' in form and "export.json" in form
    wrong = await sam.post(f"/s/{sid}/purge", data={"confirm": "Demo"})
    foreign = await room.client(origin="http://evil.example", cookie=cookie_header(sam)).post(
        f"/s/{sid}/purge", data={"confirm": "Demo group"}
    )
    assert wrong.status_code == 400 and "name exactly to confirm" in wrong.text
    assert foreign.status_code == 403
    counts = rows_of(server)
    assert counts[sid] > 0

    done = await sam.post(f"/s/{sid}/purge", data={"confirm": "  demo   GROUP "})

    assert done.status_code == 200 and "were deleted" in done.text
    after = rows_of(server)
    assert sid not in after and after == {other: counts[other]}
    with sqlite3.connect(server.db_path) as db:
        audit = db.execute("SELECT what, session_id, by, events FROM audit").fetchall()
    assert audit == [("purge", sid, "Sam", counts[sid])]
    assert (await sam.get(f"/s/{sid}/review")).status_code == 404
    assert (await sam.get(f"/s/{sid}")).status_code == 404
    assert [s["sid"] for s in (await sam.get("/api/sessions")).json()] == [other]
    with pytest.raises(ConnectionClosed):  # the server closed the open tablet
        for _ in range(20):
            await tablet.receive()

    server.restart()  # and it stays gone
    assert [s["sid"] for s in (await sam.get("/api/sessions")).json()] == [other]


def write_session(server: Server, sid: str, events: list[e.Event]) -> None:
    """Events straight into the log, as an older server's import could have left them, and
    chained as every row is (start-up's checksum walk would stop the server otherwise)."""
    with sqlite3.connect(server.db_path) as db:
        last, previous = db.execute(
            "SELECT seq, value FROM chain ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        for part, event in enumerate(events):
            type_name, data = codec.encode(event)
            row = (last + 1 + part, sid, "import", part, float(event.at), type_name, data)
            db.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?)", row)
            previous = link(previous, row)
            db.execute("INSERT INTO chain VALUES (?, ?, ?)", (row[0], sid, previous))
    db.close()


def unshowable_session(at: float) -> list[e.Event]:
    """Replays, but has no phases left to show: imported before imports were held to the rules."""
    people = (ParticipantSpec("p1", "Zephyrine", 1, "tok-z"),)
    return [
        e.SessionCreated(
            at=at,
            sid="broken",
            name="Broken group",
            room="Room 5",
            participants=people,
            phases=(Phase("Peak", 30),),
            flags=("water",),
            checkin_minutes=15,
        ),
        e.PlanChanged(at=at + 1, by="Sam", phases=()),
        e.SessionEnded(at=at + 2, by="Sam"),
    ]


async def test_a_session_that_cannot_be_shown_breaks_nothing_else(
    room: Room, server: Server
) -> None:
    sam = await room.facilitator("Sam")
    demo = (await room.demo_session(sam))["sid"]
    now = float((await sam.get("/time")).json()["now"])
    server.stop()
    write_session(server, "broken", unshowable_session(now))
    server.start()

    homes = [await sam.get("/") for _ in range(3)]
    review = await sam.get("/s/broken/review")
    replay = await sam.get("/s/broken/replay", params={"at": str(now + 1)})
    dashboard = await sam.get("/s/broken")

    assert {home.status_code for home in homes} == {200}
    assert f'href="/s/{demo}"' in homes[0].text  # the other session is listed and opens
    assert (await sam.get(f"/s/{demo}")).status_code == 200
    assert "Broken group" in homes[0].text
    assert "cannot be shown: IndexError: tuple index out of range" in homes[0].text
    assert 'href="/s/broken' not in homes[0].text
    for page in (review, replay, dashboard):
        assert page.status_code == 500 and "This session cannot be shown: " in page.text
    logged = [line for line in server.log().splitlines() if "cannot be shown" in line]
    assert len(logged) == 1 and "broken" in logged[0], logged
    assert "Zephyrine" not in server.log()


async def test_the_same_file_imported_twice_is_one_session_also_after_a_restart(
    room: Room, server: Server
) -> None:
    sam = await room.facilitator("Sam")
    sid = (await room.demo_session(sam))["sid"]
    await room.command(sam, sid, action="end")
    exported = (await sam.get(f"/s/{sid}/export.json")).content
    await sam.post(f"/s/{sid}/purge", data={"confirm": "Demo group"})
    headers = {"content-type": "application/json"}

    first = await sam.post("/import", content=exported, headers=headers)
    again = await sam.post("/import", content=exported, headers=headers)
    server.restart()
    after_restart = await sam.post("/import", content=exported, headers=headers)
    reformatted = json.dumps(json.loads(exported), indent=4)  # the same events, spaced out
    spaced = await sam.post("/import", content=reformatted, headers=headers)

    assert first.status_code == 201, first.text
    copy = first.json()["sid"]
    assert first.json() == {"sid": copy, "review": f"/s/{copy}/review"}
    for answer in (again, after_restart, spaced):
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"sid": copy, "review": f"/s/{copy}/review", "already": True}
    assert rows_of(server).keys() == {copy}

    await sam.post(f"/s/{copy}/purge", data={"confirm": "Demo group"})  # gone: it may return
    back = await sam.post("/import", content=exported, headers=headers)
    assert back.status_code == 201 and rows_of(server).keys() == {back.json()["sid"]}


async def test_an_import_over_the_rules_is_refused_by_position_and_reason(room: Room) -> None:
    sam = await room.facilitator("Sam")
    sid = (await room.demo_session(sam))["sid"]
    document = (await sam.get(f"/s/{sid}/export.json")).json()
    created = document["events"][0]
    advanced = {"seq": 2, "at": created["at"] + 1, "type": "PhaseAdvanced"}
    advanced["data"] = {"at": advanced["at"], "by": "Sam", "index": 99}
    headers = {"content-type": "application/json"}

    over = await sam.post(
        "/import", content=json.dumps({**document, "events": [created, advanced]}), headers=headers
    )
    flagged = await sam.post(
        "/import", content=json.dumps({**document, "version": True}), headers=headers
    )

    assert over.status_code == 400
    assert (
        over.json()["error"] == "event 2 (PhaseAdvanced): index is 99, but the rules record 1 here"
    )
    assert flagged.status_code == 400 and "version true is not supported" in flagged.json()["error"]
    assert list(rows_of(room.server)) == [sid]
