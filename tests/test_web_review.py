"""The review endpoints on a real server: review page, replay, summary, purge."""

from __future__ import annotations

import re
import sqlite3

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.clients import Room, cookie_header
from tests.server import Server

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
    assert re.search(r'id="mat-p1" class="[^"]*request-open', before.text)
    assert "needs support" in before.text and "Sam is on it" not in before.text
    assert re.search(r'id="mat-p1" class="[^"]*request-claimed', after.text)
    assert "Sam is on it" in after.text
    assert 'hx-swap-oob="true"' in after.text and 'id="topbar"' in after.text
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
