"""Hardware buttons on the mat's own link, on a real server: each device's request shape,
de-duplication, late presses, previews, pairing and supervision (docs/BUTTONS.md)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.clients import Room, Socket
from tests.support.pushed import band, tile
from tests.support.server import Server

pytestmark = pytest.mark.anyio


def logged_types(server: Server) -> list[str]:
    with sqlite3.connect(server.db_path) as db:
        return [row[0] for row in db.execute("SELECT type FROM events ORDER BY seq")]


def presses(server: Server) -> list[str]:
    """The logged events a press makes, in order (the ladder's steps left out)."""
    return [t for t in logged_types(server) if t in ("AssistRaised", "AssistRepeated")]


def raised(server: Server) -> list[dict[str, object]]:
    with sqlite3.connect(server.db_path) as db:
        rows = db.execute("SELECT data FROM events WHERE type = 'AssistRaised' ORDER BY seq")
        return [json.loads(data) for (data,) in rows]


async def paired(room: Room, pid: str = "p1") -> tuple[httpx.AsyncClient, str, str, Socket]:
    """Sam pairs a button for the mat: returns his client, the session, the link path, a tablet."""
    sam = await room.facilitator("Sam")
    sid = (await room.demo_session(sam))["sid"]
    tablet = await room.tablet(sam, sid)
    await tablet.receive()
    assert (await room.command(sam, sid, action="pair-button", pid=pid)).status_code == 204
    await tablet.receive_until("waiting for the button")
    sheet = (await sam.get(f"/s/{sid}/mats/{pid}/sheet")).text
    found = re.search(r"/api/button/([A-Za-z0-9_-]+)", sheet)
    assert found, "the sheet shows no hardware link"
    link = found.group(0)
    first = await room.client().get(link)  # the pairing press
    assert (first.status_code, first.text) == (200, "ok: paired\n")
    assert "button paired ✓" in tile(await tablet.receive_until("button paired"), pid)
    await room.advance_clock(10)  # out of the de-duplication window of the pairing press
    return sam, sid, link, tablet


async def test_pairing_binds_the_first_press_and_never_raises(room: Room, server: Server) -> None:
    await paired(room)
    types = logged_types(server)
    assert types[-2:] == ["ButtonPairingStarted", "ButtonPaired"]
    assert "AssistRaised" not in types


async def test_a_press_after_pairing_raises_and_the_phone_link_is_not_the_button(
    room: Room, server: Server
) -> None:
    sam, _, link, tablet = await paired(room)
    session = await room.demo_session(sam)
    phone = session["participants"][0]["token"]
    assert phone not in link
    assert (await room.client().get(f"/p/{phone}")).status_code == 200  # a preview of the phone
    assert "AssistRaised" not in logged_types(server)
    pressed = await room.client().get(link)
    assert (pressed.status_code, pressed.text) == (200, "ok: open\n")
    assert pressed.headers["content-type"].startswith("text/plain")
    assert "needs support" in band(await tablet.receive_until("needs support"), "p1")


async def test_a_retry_without_an_id_within_the_window_is_the_same_press(
    room: Room, server: Server
) -> None:
    _, _, link, _ = await paired(room)
    button = room.client()
    assert (await button.get(link, params={"device": "shelly"})).text == "ok: open\n"
    again = await button.get(link, params={"device": "shelly"})
    assert again.text == "ok, the same press again: open\n"
    other = await button.get(link, params={"device": "mystrom"})  # another device: its own press
    assert other.status_code == 200
    await room.advance_clock(6)
    assert (await button.get(link, params={"device": "shelly"})).status_code == 200
    assert presses(server) == ["AssistRaised", "AssistRepeated", "AssistRepeated"]


async def test_a_press_id_is_recorded_once_per_device(room: Room, server: Server) -> None:
    _, _, link, _ = await paired(room)
    button = room.client()
    body = {"device": "flic-1", "id": "boot7-1"}
    assert (await button.post(link, json=body)).text == "ok: open\n"
    await room.advance_clock(30)  # a hub's retry long after: still the same press
    assert (await button.post(link, json=body)).text == "ok, the same press again: open\n"
    other = {"device": "flic-2", "id": "boot7-1"}  # the same id from another device: a press
    assert (await button.post(link, json=other)).status_code == 200
    assert presses(server) == ["AssistRaised", "AssistRepeated"]


async def test_a_late_press_is_recorded_with_when_it_was_made(room: Room, server: Server) -> None:
    _, _, link, tablet = await paired(room)
    late = await room.client().post(link, json={"device": "flic-1", "id": "q-1", "press_age": 120})
    assert late.text == "ok: open\n"
    pushed = tile(await tablet.receive_until("delivered late"), "p1")
    assert "pressed <span" in pushed and "2 min</span> ago, delivered late" in pushed
    event = raised(server)[-1]
    assert isinstance(event["pressed_at"], float) and isinstance(event["at"], float)
    assert event["at"] - event["pressed_at"] == pytest.approx(120, abs=1)


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("HEAD", {}),
        ("GET", {"purpose": "prefetch"}),
        ("GET", {"sec-purpose": "prefetch;prerender"}),
        ("GET", {"user-agent": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"}),
        ("GET", {"user-agent": "WhatsApp/2.23.20.0"}),
        ("GET", {"user-agent": "facebookexternalhit/1.1 Facebot Twitterbot/1.0"}),
    ],
)
async def test_previews_and_prefetches_do_nothing(
    room: Room, server: Server, method: str, headers: dict[str, str]
) -> None:
    _, _, link, _ = await paired(room)
    before = logged_types(server)
    answer = await room.client().request(method, link, headers=headers)
    assert answer.status_code == 200
    assert logged_types(server) == before


async def test_bad_input_is_refused_clearly_and_changes_nothing(room: Room, server: Server) -> None:
    _, _, link, _ = await paired(room)
    before = logged_types(server)
    button = room.client()
    for params in ({"press_age": "soon"}, {"press_age": "-3"}, {"device": "a b"}, {"at": "1e12"}):
        refused = await button.get(link, params=params)
        assert refused.status_code == 400 and refused.text.startswith("not sent: "), params
    assert (await button.post(link, content=b"{not json")).status_code == 400
    assert (await button.get("/api/button/no-such-link")).status_code == 404
    assert logged_types(server) == before


async def test_revoke_and_pair_again_replace_the_link(room: Room, server: Server) -> None:
    sam, sid, link, _ = await paired(room)
    assert (await room.command(sam, sid, action="revoke-button", pid="p1")).status_code == 204
    assert (await room.client().get(link)).status_code == 404
    assert (await room.command(sam, sid, action="pair-button", pid="p1")).status_code == 204
    assert (await room.client().get(link)).status_code == 404  # a new pairing, a new link


async def test_the_button_test_counts_hardware_presses(room: Room, server: Server) -> None:
    sam, sid, link, tablet = await paired(room)
    assert (await room.command(sam, sid, action="test-start")).status_code == 204
    assert (await room.client().get(link)).text == "ok: tested\n"
    assert "tested ✓" in tile(await tablet.receive_until("tested ✓"), "p1")
    assert "AssistRaised" not in logged_types(server)


async def test_the_phone_api_still_answers_as_documented(room: Room, server: Server) -> None:
    sam = await room.facilitator("Sam")
    token = (await room.demo_session(sam))["participants"][0]["token"]
    answer = await room.client().post(f"/api/assist/{token}", params={"key": "press-0001"})
    assert answer.json() == {"ok": True, "state": "open", "asks": 1, "claimed_by": None}


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[Server]:
    running = Server(db_path=tmp_path / "roomlive.db", extra_args=("--button-checkin-after", "60"))
    running.start()
    try:
        yield running
    finally:
        running.stop()


async def test_a_button_not_heard_within_the_interval_is_flagged(supervised: Server) -> None:
    room = Room(supervised)
    try:
        _, _, link, tablet = await paired(room)
        await room.advance_clock(61)
        assert "button not checked in" in tile(await tablet.receive_until("not checked in"), "p1")
        checkin = await room.client().post(link + "/checkin")
        assert (checkin.status_code, checkin.text) == (200, "ok: checked in\n")
        back = tile(await tablet.receive_until(r'id="mat-p1"'), "p1")
        assert "button not checked in" not in back
    finally:
        await room.close()
