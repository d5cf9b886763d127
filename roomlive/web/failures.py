"""What a client is told when the event log cannot be written: one place, for every route.

A call for help is never lost silently: if the press could not be recorded, the phone says so
and asks the participant to raise a hand; a tablet shows an alert that stays until dismissed;
a hardware button gets a non-2xx answer (its LED shows red); /healthz reports the reason.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from roomlive.live.records import NotRecorded
from roomlive.web.common import error_page, services, toast
from roomlive.web.refusals import Client, client

UNAVAILABLE = 503


def not_recorded_message(reason: str) -> str:
    return (
        f"Not recorded: the server cannot write to its disk ({reason}). Nothing of this was "
        "saved. Watch the room by eye and tell whoever runs the server."
    )


async def not_recorded(request: Request, failure: Exception) -> Response:
    assert isinstance(failure, NotRecorded)
    message = not_recorded_message(str(failure))
    kind = client(request)
    if kind is Client.JSON:
        return JSONResponse({"error": message, "recorded": False}, UNAVAILABLE)
    if request.url.path.startswith("/p/"):  # the phone says "not sent": raise your hand
        html = services(request).views.participant_not_sent()
        return HTMLResponse(html, status_code=UNAVAILABLE)
    if kind is Client.HTMX:
        return toast(request, UNAVAILABLE, message, sticky=True)
    return error_page(request, UNAVAILABLE, "Not recorded", message)


WORKER_LOST = (
    "The server's worker process stopped while doing this (it may have run out of memory). "
    "Nothing was changed; a new one has been started: try again."
)


async def worker_lost(request: Request, failure: Exception) -> Response:
    """The worker process died mid-request (offload.py): 503; the next request gets a new one."""
    if client(request) is Client.JSON:
        return JSONResponse({"error": WORKER_LOST}, UNAVAILABLE)
    if client(request) is Client.HTMX:
        return toast(request, UNAVAILABLE, WORKER_LOST, sticky=True)
    return error_page(request, UNAVAILABLE, "Try again", WORKER_LOST)
