"""Time acting on the rooms: a tick every second (the escalation ladder, auto-advance, tiles whose
prompts came due, silent hardware buttons) and a heartbeat to every page every few seconds."""

from __future__ import annotations

import asyncio
import json
import logging

from roomlive.live.hub import Hub
from roomlive.live.records import NotRecorded
from roomlive.live.rooms import Rooms

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
HEARTBEAT_TICKS = 5  # a heartbeat every 5 s: pages that hear nothing for longer reconnect


async def run_ticker(rooms: Rooms, hub: Hub) -> None:
    ticks = 0
    while True:
        await asyncio.sleep(TICK_SECONDS)
        ticks += 1
        if ticks % HEARTBEAT_TICKS == 0:
            # Data only (no "content"): htmx swaps nothing; pages learn the link is alive.
            hub.publish_everywhere(json.dumps({"heartbeat": rooms.clock()}))
        try:
            await rooms.tick()
        except NotRecorded:
            pass  # /healthz says so; a traceback every second would fill the disk
        except Exception:  # the ladder must keep running whatever one tick hit
            log.exception("escalation tick failed")
