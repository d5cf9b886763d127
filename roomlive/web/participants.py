"""Participant endpoints: the button page, its presses, its websocket, and the hardware API.

A token names exactly one participant: nothing here takes a participant id from the client.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket

from roomlive.core.commandkeys import participant_sender
from roomlive.core.commands import CancelAssist, PressButton
from roomlive.core.model import Session
from roomlive.live.ids import new_id
from roomlive.live.publisher import participant_channel
from roomlive.web.common import page, services
from roomlive.web.guards import participant_of_token, refuse_other_sites
from roomlive.web.inputs import command_key


async def participant_page(request: Request) -> Response:
    session, participant = participant_of_token(request)
    return page(request, "participant.html", session=session, participant=participant)


async def press(request: Request) -> Response:
    return await button_command(request, pressed=True)


async def cancel(request: Request) -> Response:
    return await button_command(request, pressed=False)


async def button_command(request: Request, *, pressed: bool) -> Response:
    found, participant = participant_of_token(request)
    session = await run_button_command(request, found.sid, participant.pid, pressed=pressed)
    return HTMLResponse(services(request).views.participant_status(session, participant.pid))


async def run_button_command(request: Request, sid: str, pid: str, *, pressed: bool) -> Session:
    """Press or cancel for this participant; returns the session as it is afterwards."""
    rooms = services(request).rooms
    action = "press" if pressed else "cancel"
    key = command_key(participant_sender(pid), action, request.headers, request.query_params)
    command = PressButton(pid=pid, rid=new_id()) if pressed else CancelAssist(pid=pid)
    await rooms.execute(sid, command, key)
    session = rooms.session(sid)
    assert session is not None
    return session


async def hardware_press(request: Request) -> Response:
    """`POST /api/assist/<token>`: any device that can send HTTP can be the button."""
    found, participant = participant_of_token(request)
    session = await run_button_command(request, found.sid, participant.pid, pressed=True)
    request_now = session.live_request_for(participant.pid)
    return JSONResponse(
        {
            "ok": True,
            "state": request_now.state if request_now else "tested",
            "asks": request_now.asks if request_now else 0,
            "claimed_by": request_now.claimed_by if request_now else None,
        }
    )


async def participant_socket(websocket: WebSocket) -> None:
    refuse_other_sites(websocket)
    participant_of_token(websocket)
    svc = services(websocket)
    await websocket.accept()
    session, participant = participant_of_token(websocket)  # as it is now, after the await
    token = websocket.path_params["token"]
    status = svc.views.participant_status(session, participant.pid)
    svc.rooms.presence.connected(session.sid, participant.pid)
    try:
        await svc.hub.serve(websocket, status, participant_channel(token))
    finally:
        svc.rooms.presence.disconnected(session.sid, participant.pid)
