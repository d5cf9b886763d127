"""docs/BUTTONS.md's recipes, each by a client sending exactly what that device sends."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.support.clients import Room
from tests.support.server import Server
from tests.web.test_buttons import paired, presses

pytestmark = pytest.mark.anyio


def late_by(server: Server) -> float | None:
    with sqlite3.connect(server.db_path) as db:
        row = db.execute(
            "SELECT data FROM events WHERE type = 'AssistRaised' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    data = json.loads(row[0])
    return None if data.get("pressed_at") is None else data["at"] - data["pressed_at"]


async def test_shelly_button1_get_and_its_retry(room: Room, server: Server) -> None:
    """Shelly Button1: a bare GET of the short-press action URL, sent again when unanswered."""
    _, _, link, _ = await paired(room)
    shelly = room.client()
    url = f"{link}?device=shelly-mat3"
    first = await shelly.get(url, headers={"connection": "close"})
    retry = await shelly.get(url, headers={"connection": "close"})
    assert (first.status_code, retry.status_code) == (200, 200)
    assert presses(server) == ["AssistRaised"]


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_mystrom_get_and_post_action_urls(room: Room, server: Server, method: str) -> None:
    """myStrom: `get://…` or `post://…` (an empty body); green only on 2xx."""
    _, _, link, _ = await paired(room)
    answer = await room.client().request(method, f"{link}?device=mystrom-mat3", content=b"")
    assert 200 <= answer.status_code < 300 and answer.text == "ok: open\n"
    assert presses(server) == ["AssistRaised"]


async def test_flic_hub_script_presses_queued_replays_and_heartbeat(
    room: Room, server: Server
) -> None:
    """The Flic Hub script: JSON POSTs with an id; a queued press with its age; retries."""
    _, _, link, _ = await paired(room)
    hub = room.client(**{"content-type": "application/json"})
    queued = {"device": "flic-80e4da000001", "id": "lx2k-1", "press_age": 95}
    assert (await hub.post(link, content=json.dumps(queued))).text == "ok: open\n"
    assert late_by(server) == pytest.approx(95, abs=1)
    await room.advance_clock(2)  # its retry, same id: recorded once
    assert (await hub.post(link, content=json.dumps(queued))).status_code == 200
    beat = await hub.post(link + "/checkin", content="{}")
    assert (beat.status_code, beat.text) == (200, "ok: checked in\n")
    fresh = {"device": "flic-80e4da000001", "id": "lx2k-2", "press_age": 0}
    assert (await hub.post(link, content=json.dumps(fresh))).status_code == 200
    assert presses(server) == ["AssistRaised", "AssistRepeated"]


async def test_esphome_http_request_post_with_a_counter(room: Room, server: Server) -> None:
    """ESPHome: POST, JSON built by `json:`, its user agent, a boot id and counter; check-ins."""
    _, _, link, _ = await paired(room)
    esp = room.client(**{"user-agent": "ESPHome/2025.5.0 (https://esphome.io)"})
    headers = {"content-type": "application/json"}
    for count in (1, 2):
        body = json.dumps({"device": "mat3-esp", "id": f"9f3a01c2-{count}"})
        assert (await esp.post(link, content=body, headers=headers)).status_code == 200
    checkin = await esp.post(link + "/checkin", content=b"")
    assert checkin.status_code == 200
    assert presses(server) == ["AssistRaised", "AssistRepeated"]
    assert late_by(server) is None


async def test_home_assistant_rest_command_with_its_context_id(room: Room, server: Server) -> None:
    """Home Assistant's rest_command: POST of the templated payload; a retry of the same run."""
    _, _, link, _ = await paired(room)
    ha = room.client(**{"user-agent": "HomeAssistant/2025.6.0 aiohttp/3.11.16 Python/3.13"})
    payload = '{"device": "zigbee-mat3", "id": "01JXYZ8Q4N5V3M2K1H0G9F8E7D"}'
    headers = {"content-type": "application/json"}
    assert (await ha.post(link, content=payload, headers=headers)).text == "ok: open\n"
    await room.advance_clock(8)
    again = await ha.post(link, content=payload, headers=headers)
    assert again.text == "ok, the same press again: open\n"
    assert presses(server) == ["AssistRaised"]
