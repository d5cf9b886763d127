"""Facilitator endpoints: joining, sessions, the dashboard, its commands and its websocket."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.websockets import WebSocket

from .. import auth
from ..commandkeys import asked_for, tablet_sender
from ..decide import DomainError
from ..inputs import (
    MAX_PLAN_ROWS,
    BadInput,
    command_key,
    facilitator_command,
    new_id,
    new_session_command,
)
from ..model import OUTCOMES, Session
from ..presets import PRESET_LABELS
from ..rooms import device_channel, facilitator_channel
from ..showing import Listed
from .common import (
    CLOSE_LOGIN_REQUIRED,
    Services,
    error_page,
    facilitator,
    facilitator_session,
    login_redirect,
    page,
    public_base_url,
    read_form,
    secure,
    sentence,
    services,
    signin,
    toast,
)

CLOSE_NO_SUCH_SESSION = 4404


async def join_page(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    code = request.query_params.get("code", "")[: auth.JOIN_CODE_LENGTH + 1]
    return page(request, "join.html", next=target, name="", code=code, error="")


async def join(request: Request) -> Response:
    svc = services(request)
    if auth.cross_site_browser_request(request.headers, secure(request)):
        return error_page(request, 403, "Refused", "This form must be sent from roomlive itself.")
    try:
        form = await read_form(request)
    except BadInput as bad:
        return page(request, "join.html", 400, next="/", name="", code="", error=str(bad))
    target = safe_next(form.get("next"))
    address = request.client.host if request.client else "unknown"
    wait = svc.throttle.retry_after(address)
    if wait:
        error = f"Too many wrong codes from this device. Try again in {wait} seconds."
        refused = page(request, "join.html", 429, next=target, name="", code="", error=error)
        refused.headers["retry-after"] = str(wait)
        return refused
    name = auth.clean_facilitator_name(form.get("name", ""))
    if name is None:
        error = f"Enter your name (at most {auth.MAX_FACILITATOR_NAME} characters)."
        return page(request, "join.html", 400, next=target, name="", code="", error=error)
    if not auth.code_matches(svc.credentials.join_code, form.get("code", "")):
        svc.throttle.failed(address)
        error = "That join code is not right."
        return page(request, "join.html", 403, next=target, name=name, code="", error=error)
    svc.throttle.succeeded(address)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        auth.COOKIE_NAME,
        auth.sign_cookie(svc.credentials.secret, name, svc.rooms.clock(), tablet=new_id()),
        max_age=auth.COOKIE_MAX_AGE_SECONDS,
        httponly=True,
        samesite="strict",
        secure=secure(request),
    )
    return response


def safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def home(request: Request) -> Response:
    who = facilitator(request)
    if who is None:
        return login_redirect(request)
    svc = services(request)
    return page(
        request,
        "home.html",
        facilitator=who,
        sessions=_lines(svc),
        unreadable=svc.rooms.unreadable_sessions(),
    )


def _all_sessions(svc: Services) -> list[Session]:
    """Every readable session, newest first; the ended ones not opened yet as `past` has them."""
    shown = [*svc.rooms.sessions(), *(p.shell for p in svc.rooms.past())]
    return sorted(shown, key=lambda s: s.created_at, reverse=True)


def _lines(svc: Services) -> list[Listed]:
    """Every session's home-page line, newest first."""
    return svc.unshowable.listing(_all_sessions(svc))


async def new_session_page(request: Request) -> Response:
    if facilitator(request) is None:
        return login_redirect(request)
    return new_session_form(request, {}, "")


def new_session_form(request: Request, form: Mapping[str, str], error: str) -> HTMLResponse:
    fields = ("name", "room", "participants", "preset", "timezone")
    values = {key: form.get(key, "") for key in fields}
    status_code = 400 if error else 200
    labels = {key: PRESET_LABELS.get(key, key) for key in services(request).rooms.presets()}
    return page(request, "new_session.html", status_code, form=values, presets=labels, error=error)


async def create_session(request: Request) -> Response:
    who = signin(request)
    if who is None:
        return login_redirect(request)
    if auth.cross_site_browser_request(request.headers, secure(request)):
        return error_page(request, 403, "Refused", "This form must be sent from roomlive itself.")
    form: dict[str, str] = {}
    try:
        form = await read_form(request)
        svc = services(request)
        command = new_session_command(form, svc.rooms.presets(), svc.default_timezone)
        key = command_key(tablet_sender(who.tablet), asked_for("create", form), request.headers)
        await svc.rooms.execute(command.sid, command, key)
    except (BadInput, DomainError) as error:
        return new_session_form(request, form, sentence(error))
    return RedirectResponse(f"/s/{command.sid}", status_code=303)


async def dashboard(request: Request) -> Response:
    found = await facilitator_session(request)
    if isinstance(found, Response):
        return found
    who, session = found
    svc = services(request)
    return page(
        request,
        "dashboard.html",
        session=session,
        now=svc.rooms.clock(),
        presence=svc.rooms.presence.attendance(session.sid),
        facilitator=who,
        base_url=public_base_url(request),
        outcomes=OUTCOMES,
    )


async def mat_sheet(request: Request) -> Response:
    found = await facilitator_session(request)
    if isinstance(found, Response):
        return found
    session = found[1]
    pid = request.path_params["pid"]
    if pid not in session.participants:
        return error_page(request, 404, "No such mat", "This participant is not in the session.")
    svc = services(request)
    return HTMLResponse(svc.views.sheet(session, pid, svc.rooms.clock()))


async def settings_page(request: Request) -> Response:
    """Before (or during) a session: the plan, presets, flags, interval, vitals limits."""
    found = await facilitator_session(request)
    if isinstance(found, Response):
        return found
    session = found[1]
    svc = services(request)
    presets = {key: PRESET_LABELS.get(key, key) for key in svc.rooms.presets()}
    rows = [*session.phases, *([None] * (MAX_PLAN_ROWS - len(session.phases)))]
    return page(request, "settings.html", session=session, presets=presets, rows=rows)


async def cards(request: Request) -> Response:
    """Print-ready pairing cards: one QR code per mat, and one that joins a tablet."""
    found = await facilitator_session(request)
    if isinstance(found, Response):
        return found
    session = found[1]
    svc = services(request)
    base = public_base_url(request)
    join_url = f"{base}/join?next=/s/{session.sid}&code={svc.credentials.join_code}"
    return page(request, "cards.html", session=session, base_url=base, join_url=join_url)


async def facilitator_commands(request: Request) -> Response:
    who = signin(request)
    if who is None:
        return toast(request, 401, "Your sign-in has expired: reload the page and join again.")
    if auth.cross_site_browser_request(request.headers, secure(request)):
        return toast(request, 403, "Refused: this command did not come from a roomlive page.")
    sid = request.path_params["sid"]
    rooms = services(request).rooms
    try:
        form = await read_form(request)
        command = facilitator_command(form, who.name, rooms.presets())
        key = command_key(tablet_sender(who.tablet), asked_for("command", form), request.headers)
        await rooms.execute(sid, command, key)
    except BadInput as error:
        return toast(request, 400, f"Not understood: {error}.")
    except DomainError as error:
        return toast(request, 409, f"Not done: {error}.")
    return Response(status_code=204)


async def sessions_api(request: Request) -> Response:
    if facilitator(request) is None:
        return JSONResponse({"error": "join first: facilitator cookie missing or expired"}, 401)
    return JSONResponse(
        [
            {
                "sid": s.sid,
                "name": s.name,
                "room": s.room,
                "participants": [
                    {"pid": p.pid, "name": p.name, "mat": p.mat, "token": p.token}
                    for p in s.by_mat()
                ],
            }
            for s in _all_sessions(services(request))
        ]
    )


async def facilitator_socket(websocket: WebSocket) -> None:
    if not auth.same_origin(websocket.headers, secure(websocket)):
        await websocket.close()  # before accept: the handshake is refused with HTTP 403
        return
    svc = services(websocket)
    session = svc.rooms.session(websocket.path_params["sid"])
    await websocket.accept()
    if facilitator(websocket) is None:
        await websocket.close(CLOSE_LOGIN_REQUIRED, "join again")
        return
    if session is None:
        await websocket.close(CLOSE_NO_SUCH_SESSION, "no such session")
        return
    device = new_id()
    who = facilitator(websocket) or ""
    svc.rooms.presence.tablet_connected(session.sid, device, who)
    try:
        # Rendered and registered without an await in between: no update slips past the snapshot.
        snapshot = svc.rooms.snapshot(session)
        channels = (facilitator_channel(session.sid), device_channel(device))
        await svc.hub.serve(websocket, snapshot, *channels)
    finally:
        svc.rooms.presence.tablet_disconnected(session.sid, device)


async def find_tablet(request: Request) -> Response:
    """Make one tablet's screen pulse so it can be found in the dim room (no log entry)."""
    if facilitator(request) is None:
        return toast(request, 401, "Your sign-in has expired: reload the page and join again.")
    if auth.cross_site_browser_request(request.headers, secure(request)):
        return toast(request, 403, "Refused: this request did not come from a roomlive page.")
    svc = services(request)
    device = request.path_params["device"]
    if svc.hub.count(device_channel(device)) == 0:
        return toast(request, 404, "That tablet is no longer connected.")
    svc.hub.publish(device_channel(device), svc.views.page("_finder.html", nonce=new_id()))
    return toast(request, 200, "That tablet's screen is pulsing now.")
