"""The server's clock: wall time once, then only real elapsed time."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from roomlive.live.steady_clock import SteadyClock
from tests.support.clients import Room
from tests.support.server import Server

pytestmark = pytest.mark.anyio

START = 1_800_000_000.0
STEP_BACK = -600.0  # NTP correcting a laptop's clock by ten minutes
STEP_FORWARD = 3600.0
LADDER_REALERT = 30  # the default ladder
LADDER_ESCALATE = 60


class FakeSystem:
    """A system whose wall clock can step, as NTP makes it, while monotonic time only runs."""

    def __init__(self) -> None:
        self.wall_offset = 0.0
        self.elapsed = 0.0

    def wall(self) -> float:
        return START + self.elapsed + self.wall_offset

    def monotonic(self) -> float:
        return 1000.0 + self.elapsed


def test_steps_of_the_wall_clock_are_not_seen() -> None:
    system = FakeSystem()
    clock = SteadyClock(system.wall, system.monotonic)
    assert clock() == START
    system.elapsed = 30
    system.wall_offset = STEP_BACK
    assert clock() == START + 30
    system.elapsed = 60
    system.wall_offset = STEP_FORWARD
    assert clock() == START + 60


def test_it_never_reads_earlier_than_the_log() -> None:
    system = FakeSystem()
    system.wall_offset = STEP_BACK  # started after the clock was set back
    clock = SteadyClock(system.wall, system.monotonic)
    last_logged = START - 5
    clock.not_before(last_logged)
    assert clock() == last_logged
    clock.not_before(last_logged - 100)  # an older time changes nothing
    assert clock() == last_logged
    system.elapsed = 2
    assert clock() == last_logged + 2


def test_the_test_clock_only_moves_forward_by_what_it_is_told() -> None:
    system = FakeSystem()
    clock = SteadyClock(system.wall, system.monotonic)
    clock.advance(61)
    assert clock() == START + 61


async def test_a_clock_set_back_between_runs_changes_no_duration(
    room: Room, server: Server
) -> None:
    sam = await room.facilitator("Sam")
    demo = await room.demo_session(sam)
    sid = demo["sid"]
    assert (await room.press(demo["participants"][0]["token"])).status_code == 200

    server.stop()  # NTP sets the system clock back ten minutes; the server starts again
    server.extra_args = ("--test-wall-offset", str(STEP_BACK))
    server.start()

    assert (await sam.get("/api/sessions")).status_code == 200, "the tablet was signed out"
    await room.advance_clock(LADDER_REALERT + 1)
    assert logged_types(await export(sam, sid))[-1] == "AssistRealerted"
    await room.advance_clock(LADDER_ESCALATE - LADDER_REALERT)
    log = await export(sam, sid)
    assert logged_types(log)[-1] == "AssistEscalated"
    times = [event["data"]["at"] for event in log["events"]]
    assert times == sorted(times), "the log's times went backwards"
    imported = await sam.post("/import", content=json.dumps(log).encode())
    assert imported.status_code == 201, imported.text


async def export(client: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    exported: dict[str, Any] = (await client.get(f"/s/{sid}/export.json")).json()
    return exported


def logged_types(log: dict[str, Any]) -> list[str]:
    return [event["type"] for event in log["events"]]
