"""Test-only endpoint, mounted only with `--test-clock`: move the server's clock forward."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import read_form, services

MAX_ADVANCE_SECONDS = 24 * 3600


class AdjustableClock:
    """Wall time plus an offset that tests can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


async def advance_clock(request: Request) -> Response:
    rooms = services(request).rooms
    clock = rooms.clock
    if not isinstance(clock, AdjustableClock):
        return JSONResponse({"error": "the server was not started with --test-clock"}, 404)
    form = await read_form(request)
    try:
        seconds = float(form.get("seconds", ""))
    except ValueError:
        return JSONResponse({"error": "seconds must be a number"}, 400)
    if not 0 <= seconds <= MAX_ADVANCE_SECONDS:
        return JSONResponse({"error": f"seconds must be between 0 and {MAX_ADVANCE_SECONDS}"}, 400)
    clock.offset += seconds
    await rooms.tick()
    return JSONResponse({"now": clock()})
