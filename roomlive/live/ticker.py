"""Time acting on the rooms: a tick every second (the escalation ladder, auto-advance, tiles whose
prompts came due, silent hardware buttons). Idle pages get their heartbeats from the hub."""

from __future__ import annotations

import asyncio
import logging

from roomlive.live.records import NotRecorded
from roomlive.live.rooms import Rooms

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


async def run_ticker(rooms: Rooms) -> None:
    while True:
        await asyncio.sleep(TICK_SECONDS)
        try:
            await rooms.tick()
        except NotRecorded:
            pass  # /healthz says so; a traceback every second would fill the disk
        except Exception:  # the ladder must keep running whatever one tick hit
            log.exception("escalation tick failed")
