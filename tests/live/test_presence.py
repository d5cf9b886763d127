"""Who is connected: buttons go offline only after a grace period; tablets come and go."""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections.abc import Awaitable, Callable

import pytest

from roomlive.live.presence import Presence, Tablet
from roomlive.web.wsproto import BUTTON_SILENT_LOSS_SECONDS
from tests.support.clients import Room, Socket, key
from tests.support.server import BUTTON_OFFLINE_AFTER

pytestmark = pytest.mark.anyio
GRACE = 0.05


async def test_a_button_goes_offline_only_after_the_grace_period() -> None:
    changes: list[tuple[str, str | None]] = []
    presence = Presence(lambda sid, pid: changes.append((sid, pid)), grace=GRACE)

    presence.connected("s1", "p1")
    presence.connected("s2", "p1")
    presence.disconnected("s1", "p1")
    presence.connected("s1", "p1")  # a blip: back before the grace ran out
    presence.disconnected("s1", "p1")
    assert presence.online("s1") == {"p1"}
    await asyncio.sleep(GRACE * 3)

    assert presence.online("s1") == frozenset() and presence.online("s2") == {"p1"}
    assert changes == [("s1", "p1"), ("s2", "p1"), ("s1", "p1")]


async def test_tablets_are_listed_per_session() -> None:
    changes: list[tuple[str, str | None]] = []
    presence = Presence(lambda sid, pid: changes.append((sid, pid)), grace=GRACE)
    presence.tablet_connected("s1", "d2", "Kim")
    presence.tablet_connected("s1", "d1", "Sam")
    presence.tablet_disconnected("s1", "d2")
    assert presence.attendance("s1").tablets == (Tablet("d1", "Sam"),)
    assert presence.attendance("s9").tablets == ()
    assert changes == [("s1", None)] * 3


# --- on a real server, after a long and busy session -------------------------------------------

ON_TIME_SLACK_SECONDS = 1.0
CLEAN_BOUND_SECONDS = BUTTON_OFFLINE_AFTER + ON_TIME_SLACK_SECONDS
SILENT_BOUND_SECONDS = BUTTON_SILENT_LOSS_SECONDS + CLEAN_BOUND_SECONDS
GIVE_UP_SECONDS = 30.0  # well past either bound, so that a late tile is measured, not lost
ROUNDS = 2  # each way of going away, on each of the measured mats, this many times
MEASURED_MATS = 3


async def tile_shown(tablet: Socket, pid: str, *, offline: bool) -> None:
    """Read pushes until one redraws this mat's tile with the button offline (or online)."""
    async with asyncio.timeout(GIVE_UP_SECONDS):
        while True:
            message = await tablet.socket.recv()
            assert isinstance(message, str)
            tile = re.search(rf'<article id="mat-{pid}".*?</article>', message, re.S)
            if tile and ("button offline" in tile.group(0)) == offline:
                return


async def reset(button: Socket) -> None:
    button.socket.transport.abort()  # the connection dies: no close frame, the kernel resets it


async def silent(button: Socket) -> None:
    button.socket.transport.pause_reading()  # nothing more is read, so no pong is sent


Participants = list[dict[str, str]]


async def busy_session(room: Room) -> tuple[Socket, dict[str, Socket], Participants]:
    """Requests, a claim race, a cancel, an escalation, a button test, a new link, reconnects."""
    sam, kim = await room.facilitator("Sam"), await room.facilitator("Kim")
    session = await room.demo_session(sam)
    sid, people = session["sid"], session["participants"]
    tablet = await room.tablet(sam, sid)
    await room.tablet(kim, sid)
    buttons = {p["pid"]: await room.button(p["token"]) for p in people}
    for p in people[:3]:
        assert (await room.press(p["token"])).status_code == 200
    rid = await room.open_request_id(sam, sid)
    race = await asyncio.gather(
        room.command(sam, sid, action="claim", rid=rid),
        room.command(kim, sid, action="claim", rid=rid),
    )
    assert sorted(answer.status_code for answer in race) == [204, 409]
    phone = room.client(origin=room.server.url)
    cancel = await phone.post(f"/p/{people[1]['token']}/cancel", headers={"idempotency-key": key()})
    assert cancel.status_code == 200, cancel.text
    await room.advance_clock(61)  # the third request escalates
    assert (await room.command(sam, sid, action="test-start")).status_code == 204
    for p in people[3:5]:
        assert (await room.press(p["token"])).status_code == 200
    assert (await room.command(kim, sid, action="test-end")).status_code == 204
    assert (await room.command(sam, sid, action="reissue", pid=people[1]["pid"])).status_code == 204
    people = (await room.demo_session(sam))["participants"]
    for p in people[1:4]:  # the new link, and two phones that drop and come back
        await buttons[p["pid"]].socket.close()
        buttons[p["pid"]] = await room.button(p["token"])
    await tablet.collect(BUTTON_OFFLINE_AFTER * 3)  # past every push the flow caused
    return tablet, buttons, people


async def test_a_button_that_goes_away_shows_offline_on_time_after_a_busy_session(
    room: Room,
) -> None:
    tablet, buttons, people = await busy_session(room)
    # How a phone goes away: its page closes (a close frame); its connection is reset; or it
    # goes silent (Wi-Fi gone: nothing arrives, and its pongs stop coming).
    ways: dict[str, Callable[[Socket], Awaitable[None]]] = {
        "closed": lambda button: button.socket.close(),
        "reset": reset,
        "silent": silent,
    }
    delays: dict[str, list[float]] = {way: [] for way in ways}
    for _ in range(ROUNDS):
        for way, go_away in ways.items():
            for p in people[:MEASURED_MATS]:
                started = time.monotonic()
                await go_away(buttons[p["pid"]])
                await tile_shown(tablet, p["pid"], offline=True)
                delays[way].append(time.monotonic() - started)
                buttons[p["pid"]].socket.transport.abort()  # not left to wait out a close
                buttons[p["pid"]] = await room.button(p["token"])
                await tile_shown(tablet, p["pid"], offline=False)

    print()
    for way, measured in delays.items():
        p50, worst = statistics.median(measured), max(measured)
        print(f"{way}: button offline after p50 {p50:.2f} s, max {worst:.2f} s")
    assert max(delays["closed"] + delays["reset"]) <= CLEAN_BOUND_SECONDS, delays
    assert max(delays["silent"]) <= SILENT_BOUND_SECONDS, delays
