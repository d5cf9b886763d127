"""Participant endpoints: the button page, its presses, its websocket, and the hardware API.

A token names exactly one participant: nothing here takes a participant id from the client.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket

from .. import auth
from ..commandkeys import participant_sender
from ..commands import CancelAssist, PressButton
from ..decide import DomainError
from ..inputs import BadInput, command_key, new_id
from ..model import Session
from ..rooms import CLOSE_LINK_REVOKED, participant_channel
from .common import error_page, page, secure, sentence, services, toast


async def participant_page(request: Request) -> Response:
    found = services(request).rooms.by_token(request.path_params["token"])
    if found is None:
        return error_page(request, 404, "Link not valid", "Ask a facilitator for a new link.")
    session, participant = found
    return page(request, "participant.html", session=session, participant=participant)


async def press(request: Request) -> Response:
    return await button_command(request, pressed=True)


async def cancel(request: Request) -> Response:
    return await button_command(request, pressed=False)


async def button_command(request: Request, *, pressed: bool) -> Response:
    found = services(request).rooms.by_token(request.path_params["token"])
    if found is None:
        return toast(request, 404, "This button link is no longer valid. Ask a facilitator.")
    if auth.cross_site_browser_request(request.headers, secure(request)):
        return toast(request, 403, "Refused: this request did not come from the button page.")
    try:
        session = await run_button_command(request, found[0].sid, found[1].pid, pressed=pressed)
    except BadInput as error:
        return toast(request, 400, f"Not understood: {error}.")
    except DomainError as error:
        return toast(request, 409, sentence(error))
    return HTMLResponse(services(request).views.participant_status(session, found[1].pid))


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
    found = services(request).rooms.by_token(request.path_params["token"])
    if found is None:
        return JSONResponse({"error": "unknown or revoked button token"}, 404)
    participant = found[1]
    try:
        session = await run_button_command(request, found[0].sid, participant.pid, pressed=True)
    except BadInput as error:
        return JSONResponse({"error": str(error)}, 400)
    except DomainError as error:
        return JSONResponse({"error": str(error)}, 409)
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
    if not auth.same_origin(websocket.headers, secure(websocket)):
        await websocket.close()
        return
    svc = services(websocket)
    token = websocket.path_params["token"]
    found = svc.rooms.by_token(token)
    await websocket.accept()
    if found is None:
        await websocket.close(CLOSE_LINK_REVOKED, "this button link is no longer valid")
        return
    session, participant = found
    status = svc.views.participant_status(session, participant.pid)
    svc.rooms.presence.connected(session.sid, participant.pid)
    try:
        await svc.hub.serve(websocket, status, participant_channel(token))
    finally:
        svc.rooms.presence.disconnected(session.sid, participant.pid)
