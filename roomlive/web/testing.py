"""Test-only endpoint, mounted only with `--test-clock`: move the server's clock forward."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from roomlive.web.common import read_form, services

MAX_ADVANCE_SECONDS = 24 * 3600


async def advance_clock(request: Request) -> Response:
    rooms = services(request).rooms
    form = await read_form(request)
    try:
        seconds = float(form.get("seconds", ""))
    except ValueError:
        return JSONResponse({"error": "seconds must be a number"}, 400)
    if not 0 <= seconds <= MAX_ADVANCE_SECONDS:
        return JSONResponse({"error": f"seconds must be between 0 and {MAX_ADVANCE_SECONDS}"}, 400)
    rooms.clock.advance(seconds)
    await rooms.tick()
    return JSONResponse({"now": rooms.clock()})
