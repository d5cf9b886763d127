"""End to end: a real server, real websockets, a real SQLite file."""

from __future__ import annotations

import re
import sqlite3
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from roomlive.core.presets import CHECKIN_MINUTES
from tests.support.clients import Room, key
from tests.support.server import Server

pytestmark = pytest.mark.anyio

FOREIGN_ORIGIN = "http://evil.example"


def event_count(server: Server) -> int:
    with sqlite3.connect(server.db_path) as db:
        return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])


async def test_a_tap_reaches_both_tablets_and_a_claim_reaches_everyone(room: Room) -> None:
    sam, kim = await room.facilitator("Sam"), await room.facilitator("Kim")
    session = await room.demo_session(sam)
    sid, cleo = session["sid"], session["participants"][2]
    tablet_sam, tablet_kim = await room.tablet(sam, sid), await room.tablet(kim, sid)
    button = await room.button(cleo["token"])
    for tablet in (tablet_sam, tablet_kim):
        snapshot = await tablet.receive()
        assert 'id="topbar"' in snapshot and 'id="requests"' in snapshot
        assert snapshot.count('class="tile ') == len(session["participants"])
    assert 'data-state="idle"' in await button.receive()

    assert (await room.press(cleo["token"])).status_code == 200

    for tablet in (tablet_sam, tablet_kim):
        pushed = await tablet.receive_until("needs support")
        assert f'id="mat-{cleo["pid"]}-request"' in pushed and "Cleo" in pushed
    assert 'data-state="open"' in await button.receive_until("Received")

    rid = await room.open_request_id(sam, sid)
    assert (await room.command(sam, sid, action="claim", rid=rid)).status_code == 204

    for tablet in (tablet_sam, tablet_kim):
        assert "Sam is on it" in await tablet.receive_until("is on it")
    claimed = await button.receive_until("is coming")
    assert "Sam is coming" in claimed and 'data-state="claimed"' in claimed


async def test_a_second_claim_is_refused_naming_who_has_it(room: Room) -> None:
    sam, kim = await room.facilitator("Sam"), await room.facilitator("Kim")
    session = await room.demo_session(sam)
    sid = session["sid"]
    await room.press(session["participants"][0]["token"])
    rid = await room.open_request_id(sam, sid)

    assert (await room.command(sam, sid, action="claim", rid=rid)).status_code == 204
    refused = await room.command(kim, sid, action="claim", rid=rid)

    assert refused.status_code == 409
    assert "Sam already claimed this request" in refused.text


async def test_a_repeated_command_key_records_one_event(room: Room, server: Server) -> None:
    sam = await room.facilitator("Sam")
    session = await room.demo_session(sam)
    sid, token = session["sid"], session["participants"][0]["token"]
    before = event_count(server)

    check, tap = key(), key()
    first = await room.command(sam, sid, check, action="check", pid="p1", status="ok")
    again = await room.command(sam, sid, check, action="check", pid="p1", status="ok")
    await room.press(token, tap)
    await room.press(token, tap)

    assert first.status_code == again.status_code == 204
    assert event_count(server) == before + 2


async def test_keys_belong_to_their_sender(room: Room, server: Server) -> None:
    """The README's own example key on two buttons: two presses, two requests."""
    sam, kim = await room.facilitator("Sam"), await room.facilitator("Kim")
    session = await room.demo_session(sam)
    sid = session["sid"]
    ana, ben = (p["token"] for p in session["participants"][:2])
    plain = room.client()

    for token in (ana, ben):
        pressed = await plain.post(f"/api/assist/{token}", params={"key": "press-0001"})
        assert pressed.json()["state"] == "open", pressed.text
    retried = await plain.post(f"/api/assist/{ana}", params={"key": "press-0001"})
    assert retried.json()["asks"] == 1  # the same sender's retry is the same press

    before = event_count(server)
    same_key = key()
    for tablet in (sam, kim):  # two tablets, one key: two commands
        done = await room.command(tablet, sid, same_key, action="check", pid="p3", status="ok")
        assert done.status_code == 204
    assert event_count(server) == before + 2


async def test_a_key_reused_for_another_command_is_refused(room: Room, server: Server) -> None:
    sam = await room.facilitator("Sam")
    session = await room.demo_session(sam)
    sid, token = session["sid"], session["participants"][0]["token"]
    plain = room.client()
    assert (await plain.post(f"/api/assist/{token}", params={"key": "press-0001"})).is_success

    before = event_count(server)
    cancel = await room.client(origin=server.url).post(
        f"/p/{token}/cancel", headers={"idempotency-key": "press-0001"}
    )
    assert cancel.status_code == 409
    assert "already used for a different command" in cancel.text

    used = key()
    assert (await room.command(sam, sid, used, action="check", pid="p2", status="ok")).is_success
    other = await room.command(sam, sid, used, action="check", pid="p2", status="watch")
    assert other.status_code == 409 and "already used for a different command" in other.text
    assert event_count(server) == before + 1
    page = (await sam.get(f"/s/{sid}")).text
    assert re.search(r'id="request-[^"]+"', page), "the open request was not cancelled"


async def test_a_wrong_join_code_is_refused(room: Room) -> None:
    client = room.client(origin=room.server.url)
    response = await client.post("/join", data={"name": "Eve", "code": "WRONG-1234", "next": "/"})

    assert response.status_code == 403
    assert "join code is not right" in response.text
    assert "roomlive_facilitator" not in response.cookies
    assert (await client.get("/api/sessions")).status_code == 401


async def test_without_a_valid_cookie_pages_commands_and_sockets_are_refused(
    room: Room, server: Server
) -> None:
    sid = (await room.demo_session(await room.facilitator("Sam")))["sid"]
    before = event_count(server)
    stranger = room.client(origin=server.url)
    forger = room.client(origin=server.url, cookie="roomlive_facilitator=eyJuIjoiRXZlIn0.forged")

    page = await stranger.get(f"/s/{sid}")
    assert page.status_code == 303 and page.headers["location"].startswith("/join")
    refused = await room.command(stranger, sid, action="start")
    assert refused.status_code == 401 and "join again" in refused.text
    assert (await room.command(forger, sid, action="start")).status_code == 401

    socket = await room.tablet(stranger, sid)
    with pytest.raises(ConnectionClosed) as closed:
        await socket.receive()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    assert event_count(server) == before


async def test_a_foreign_origin_is_refused(room: Room, server: Server) -> None:
    sam = await room.facilitator("Sam")
    session = await room.demo_session(sam)
    sid, token = session["sid"], session["participants"][0]["token"]
    before = event_count(server)
    evil = {"origin": FOREIGN_ORIGIN}

    command = await sam.post(f"/s/{sid}/commands", data={"action": "start"}, headers=evil)
    assert command.status_code == 403
    assert (await room.client(**evil).post(f"/p/{token}/assist")).status_code == 403
    with pytest.raises(InvalidStatus) as tablet:
        await room.tablet(sam, sid, origin=FOREIGN_ORIGIN)
    assert tablet.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        await room.button(token, origin=FOREIGN_ORIGIN)
    assert event_count(server) == before


async def test_a_token_acts_only_for_its_own_participant(room: Room) -> None:
    sam = await room.facilitator("Sam")
    session = await room.demo_session(sam)
    ana, ben = session["participants"][0], session["participants"][1]
    await room.press(ana["token"])
    other = room.client()

    cancel = await other.post(f"/p/{ben['token']}/cancel", headers={"idempotency-key": key()})
    unknown = await other.post("/p/not-a-real-token/assist", headers={"idempotency-key": key()})

    assert cancel.status_code == 409 and "no open request" in cancel.text
    assert unknown.status_code == 404
    assert (await other.get("/p/not-a-real-token")).status_code == 404
    dashboard = (await sam.get(f"/s/{session['sid']}")).text
    assert dashboard.count('class="request request-open') == 1
    assert f'id="mat-{ana["pid"]}-request" class="tile-request request-open' in dashboard


async def test_a_restart_on_the_same_file_restores_the_same_state(
    room: Room, server: Server
) -> None:
    sam = await room.facilitator("Sam")
    session = await room.demo_session(sam)
    sid = session["sid"]
    for form in (
        {"action": "start"},
        {"action": "advance"},
        {"action": "check", "pid": "p2", "status": "watch"},
        {"action": "flag", "pid": "p2", "flag": "nausea"},
    ):
        assert (await room.command(sam, sid, **form)).status_code == 204
    await room.press(session["participants"][3]["token"])
    before = await (await room.tablet(sam, sid)).receive()

    server.restart()

    sam = await room.facilitator("Sam")
    assert (await room.demo_session(sam))["sid"] == sid
    after = await (await room.tablet(sam, sid)).receive()
    assert without_moving_times(after) == without_moving_times(before)
    assert "Opening circle" in after and "nausea" in after and "needs support" in after
    # The journey clock kept running through the restart: wall time, not server uptime.
    assert 0 < clock_elapsed(after) - clock_elapsed(before) < 30


def clock_elapsed(snapshot: str) -> float:
    found = re.search(r'data-elapsed="([0-9.]+)"', snapshot)
    assert found
    return float(found.group(1))


def without_moving_times(snapshot: str) -> str:
    """Drop what legitimately moves: render time, clock, countdowns, waiting, connected devices."""
    snapshot = re.sub(r'<details[^>]*class="tool devices">.*?</details>', "", snapshot, flags=re.S)
    snapshot = re.sub(r'data-(rendered-at|elapsed)="[^"]*"', "", snapshot)
    snapshot = re.sub(r">\d+:\d\d(:\d\d)?<", "><", snapshot)
    return re.sub(r"in \d+:\d\d", "in", snapshot)


async def test_a_second_session_is_created_from_the_home_page_and_runs_apart(room: Room) -> None:
    sam = await room.facilitator("Sam")
    demo = await room.demo_session(sam)
    form = {"name": "Thursday group", "room": "Room 2", "preset": "lozenge-group",
            "participants": "1 Zoe\n2 Yan\n5 Xia"}  # fmt: skip
    created = await sam.post("/sessions", data=form)
    assert created.status_code == 303
    sid = created.headers["location"].removeprefix("/s/")

    home = (await sam.get("/")).text
    assert "Thursday group" in home and "Demo group" in home
    sessions = {s["sid"]: s for s in (await sam.get("/api/sessions")).json()}
    assert [p["name"] for p in sessions[sid]["participants"]] == ["Zoe", "Yan", "Xia"]
    demo_tablet, new_tablet = await room.tablet(sam, demo["sid"]), await room.tablet(sam, sid)
    assert "Arrival" in await new_tablet.receive() and "Ana" in await demo_tablet.receive()

    await room.press(sessions[sid]["participants"][2]["token"])

    assert "Xia" in await new_tablet.receive_until("needs support")
    assert not [m for m in await demo_tablet.collect(1.0) if "Xia" in m or "needs support" in m]


async def test_a_bad_new_session_form_keeps_what_was_typed_and_says_why(room: Room) -> None:
    sam = await room.facilitator("Sam")
    form = {"name": "Friday", "room": "", "preset": "im-group", "participants": "1 Ana\n1 Ben"}
    response = await sam.post("/sessions", data=form)
    assert response.status_code == 400
    assert "Two participants share a mat number." in response.text
    assert "1 Ben" in response.text
    assert len((await sam.get("/api/sessions")).json()) == 1


async def test_the_server_log_names_no_participant_and_no_token(room: Room, server: Server) -> None:
    sam = await room.facilitator("Sam")
    session = await room.demo_session(sam)
    for participant in session["participants"]:
        await (await room.button(participant["token"])).receive()
        await room.press(participant["token"])
    await room.tablet(sam, session["sid"])

    log = server.log()
    assert "facilitator join code: TEST-CODE" in log and "open on a tablet: http://" in log
    for participant in session["participants"]:
        assert participant["name"] not in log and participant["token"] not in log


async def test_an_ended_session_is_read_only_and_its_links_stop(room: Room, server: Server) -> None:
    sam = await room.facilitator("Sam")
    session = await room.demo_session(sam)
    sid, token = session["sid"], session["participants"][0]["token"]
    phone = await room.button(token)
    await phone.receive()

    assert (await room.command(sam, sid, action="end")).status_code == 204

    with pytest.raises(ConnectionClosed):
        await phone.receive()
    refused = await room.command(sam, sid, action="start")
    assert refused.status_code == 409 and "ended and is read-only" in refused.text
    assert (await room.press(token)).status_code == 404
    home = (await sam.get("/")).text
    assert "<h2>Past</h2>" in home and f'href="/s/{sid}/review"' in home
    assert 'data-ended="true"' in (await sam.get(f"/s/{sid}")).text


CLOCK_SLACK_SECONDS = 5.0  # the start's moment as the test saw it and as the server logged it


async def test_starting_the_clock_gives_every_tile_the_instant_it_becomes_overdue(
    room: Room,
) -> None:
    """A tablet offline when a tile falls due still turns it amber by itself: each tile
    carries its deadline from the start, which only the server computes."""
    sam = await room.facilitator("Sam")
    session = await room.demo_session(sam)
    sid = session["sid"]
    tablet = await room.tablet(sam, sid)
    snapshot = await tablet.receive()
    assert snapshot.count('class="tile ') == len(session["participants"])
    assert "data-overdue-at" not in snapshot  # not started: no tile has a deadline

    started = time.time()
    assert (await room.command(sam, sid, action="start")).status_code == 204
    pushed = await tablet.receive_until('id="topbar"')  # the start itself, not a later tick
    deadlines = re.findall(r'data-overdue-at="([^"]*)"', pushed)
    assert len(deadlines) == len(session["participants"])  # every tile has one, the same
    (deadline,) = set(deadlines)
    assert abs(float(deadline) - CHECKIN_MINUTES * 60 - started) < CLOCK_SLACK_SECONDS
