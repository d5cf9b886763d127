"""The journey clock, phases and check-ins on a real server with a movable clock."""

from __future__ import annotations

import re
import time

import pytest

from tests.support.clients import Room
from tests.support.pushed import tile
from tests.web.test_support import setup

pytestmark = pytest.mark.anyio


def topbar(message: str) -> str:
    found = re.search(r'<header id="topbar".*?</header>', message, re.S)
    assert found, "no top bar in the push"
    return found.group(0)


def classes(element: str) -> list[str]:
    found = re.search(r'class="([^"]*)"', element)
    assert found
    return found.group(1).split()


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, pattern
    return float(found.group(1))


async def test_dose_and_booster_show_minutes_since_and_the_likely_phase(room: Room) -> None:
    sam, sid, _, tablet = await setup(room)
    assert (await room.command(sam, sid, action="dose", pid="p1", kind="dose")).status_code == 204
    dosed = tile(await tablet.receive_until("dose <span"), "p1")
    assert "· Dosing" in dosed
    assert "Booster now" in (await sam.get(f"/s/{sid}/mats/p1/sheet")).text

    await room.advance_clock(16 * 60)
    later = tile(await tablet.receive_until("· Peak"), "p1")
    assert ">16 min<" in later
    booster = await room.command(sam, sid, action="dose", pid="p1", kind="booster")
    assert booster.status_code == 204
    await tablet.receive_until('id="mat-p1"')
    sheet = (await sam.get(f"/s/{sid}/mats/p1/sheet")).text
    assert "dosed " in sheet and "· booster " in sheet
    assert (await sam.get(f"/s/{sid}/mats/p99/sheet")).status_code == 404
    early = await room.command(sam, sid, action="dose", pid="p2", kind="booster")
    assert early.status_code == 409 and "dose before a booster" in early.text


async def test_vitals_out_of_range_are_marked_and_prompts_clear(room: Room) -> None:
    sam, sid, _, tablet = await setup(room)
    first = tile(await (await room.tablet(sam, sid)).receive(), "p3")
    assert "vitals: baseline" in first

    form = {"action": "vitals", "pid": "p3", "systolic": "172", "diastolic": "96", "hr": "88"}
    assert (await room.command(sam, sid, **form)).status_code == 204
    # Wait for this reading: the ticker's first redraw of every tile may come before it.
    pushed = tile(await tablet.receive_until("BP 172/96"), "p3")
    assert "vitals-out" in pushed and "vitals: baseline" not in pushed
    assert '<span class="reading out">BP 172/96</span>' in pushed
    assert '<span class="reading">HR 88</span>' in pushed

    bad = await room.command(sam, sid, action="vitals", pid="p3", systolic="172")
    assert bad.status_code == 409 and "both systolic and diastolic" in bad.text
    limits = {"action": "thresholds", "systolic_max": "180", "diastolic_max": "100",
              "hr_max": "120", "hr_min": "50", "spo2_min": "94"}  # fmt: skip
    assert (await room.command(sam, sid, **limits)).status_code == 204
    relaxed = await tablet.receive_until(r'id="tools"[\s\S]*id="mat-p3"')  # the limits' push
    assert "vitals-out" not in tile(relaxed, "p3")  # within the limits: no longer marked


async def test_a_round_marks_each_mat_and_overdue_follows_the_interval(room: Room) -> None:
    sam, sid, mats, tablet = await setup(room)
    assert (await room.command(sam, sid, action="start")).status_code == 204
    for mat in mats[:4]:
        check = {"action": "check", "pid": mat["pid"], "status": "ok"}
        assert (await room.command(sam, sid, **check)).status_code == 204
    await tablet.receive_until('id="mat-p4" class="tile status-ok')

    await room.advance_clock(15 * 60 + 5)
    overdue = await tablet.receive_until('class="tile [^"]*overdue')
    assert "overdue" in classes(tile(overdue, "p5")) and "overdue" in classes(tile(overdue, "p1"))

    assert (
        await room.command(sam, sid, action="check", pid="p5", status="watch")
    ).status_code == 204
    checked = await tablet.receive_until('id="mat-p5" class="tile status-watch')
    assert "overdue" not in classes(tile(checked, "p5"))
    assert (await room.command(sam, sid, action="interval", minutes="30")).status_code == 204
    await tablet.receive_until('id="mat-p1" class="tile (?![^"]*overdue)')


async def test_pause_extend_back_and_auto_advance(room: Room) -> None:
    sam, sid, _, tablet = await setup(room)
    await room.command(sam, sid, action="start")
    started = topbar(await tablet.receive_until("journey clock"))
    ends = number(r'data-phase-ends="([0-9.]+)"', started)

    assert (await room.command(sam, sid, action="extend", minutes="5")).status_code == 204
    extended = topbar(await tablet.receive_until(r"\+5 min"))
    assert number(r'data-phase-ends="([0-9.]+)"', extended) == ends + 5 * 60

    await room.advance_clock(60)
    assert (await room.command(sam, sid, action="pause")).status_code == 204
    paused = topbar(await tablet.receive_until('data-running="false"'))
    assert "paused" in paused
    await room.advance_clock(600)
    await room.command(sam, sid, action="resume")
    resumed = topbar(await tablet.receive_until('data-running="true"'))
    assert 60 <= number(r'data-elapsed="([0-9.]+)"', resumed) < 75  # the pause did not count

    await room.command(sam, sid, action="advance")
    await tablet.receive_until("Opening circle")
    assert (await room.command(sam, sid, action="back")).status_code == 204
    assert "Arrival" in topbar(await tablet.receive_until("Arrival"))
    refused = await room.command(sam, sid, action="back")
    assert refused.status_code == 409 and "first phase" in refused.text

    assert (await room.command(sam, sid, action="auto", on="1")).status_code == 204
    await tablet.receive_until("auto</span>")
    await room.advance_clock(15 * 60 + 1)
    assert "Opening circle" in topbar(await tablet.receive_until("Opening circle"))


async def test_the_plan_is_edited_saved_as_a_preset_and_used_again(room: Room) -> None:
    sam, sid, _, tablet = await setup(room)
    plan = {"action": "plan", "name_0": "Arrival", "minutes_0": "10", "music_0": "Rain",
            "name_1": "Journey", "minutes_1": "60", "music_1": "Deep <b>set</b>"}  # fmt: skip
    assert (await room.command(sam, sid, **plan)).status_code == 204
    pushed = topbar(await tablet.receive_until("Rain"))
    assert "next: Journey" in pushed and "1/2" in pushed

    saved = await room.command(sam, sid, **{**plan, "action": "save-preset", "name": "Short"})
    assert saved.status_code == 204
    settings = (await sam.get(f"/s/{sid}/settings")).text
    assert '<option value="Short">Short</option>' in settings
    assert "Deep &lt;b&gt;set&lt;/b&gt;" in settings
    form = {"name": "Next week", "preset": "Short", "participants": "1 Zoe"}
    created = await sam.post("/sessions", data=form)
    assert created.status_code == 303
    new_page = (await sam.get(created.headers["location"])).text
    assert "Rain" in new_page and "next: Journey" in new_page


async def test_the_server_clock_is_served_for_tablets_to_sync_with(room: Room) -> None:
    before = time.time()
    body = (await room.client().get("/time")).json()
    assert before - 1 < body["now"] < time.time() + 1
