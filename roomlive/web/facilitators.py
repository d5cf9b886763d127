"""Facilitator endpoints: joining, sessions, the dashboard, its commands and its websocket."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.websockets import WebSocket

from roomlive.core.commandkeys import asked_for, tablet_sender
from roomlive.core.decide import DomainError
from roomlive.core.model import OUTCOMES, Session
from roomlive.core.presets import PRESET_LABELS
from roomlive.live.ids import new_id
from roomlive.live.publisher import device_channel, facilitator_channel
from roomlive.web import auth
from roomlive.web.common import (
    Services,
    page,
    path_to,
    public_base_url,
    read_form,
    secure,
    sentence,
    services,
    toast,
)
from roomlive.web.guards import refuse_other_sites, session_in_path, signed_in
from roomlive.web.inputs import (
    MAX_PLAN_ROWS,
    BadInput,
    command_key,
    facilitator_command,
    new_session_command,
)
from roomlive.web.refusals import NoSuchSession, NotFound
from roomlive.web.unshowable import Listed


async def join_page(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    code = request.query_params.get("code", "")[: auth.JOIN_CODE_LENGTH + 1]
    return page(request, "join.html", next=target, name="", code=code, error="")


async def join(request: Request) -> Response:
    svc = services(request)
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
    svc = services(request)
    return page(
        request,
        "home.html",
        facilitator=signed_in(request).name,
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
    return new_session_form(request, {}, "")


def new_session_form(request: Request, form: Mapping[str, str], error: str) -> HTMLResponse:
    fields = ("name", "room", "participants", "preset", "timezone")
    values = {key: form.get(key, "") for key in fields}
    status_code = 400 if error else 200
    labels = {key: PRESET_LABELS.get(key, key) for key in services(request).rooms.presets()}
    return page(request, "new_session.html", status_code, form=values, presets=labels, error=error)


async def create_session(request: Request) -> Response:
    who = signed_in(request)
    form: dict[str, str] = {}
    try:
        form = await read_form(request)
        svc = services(request)
        command = new_session_command(form, svc.rooms.presets(), svc.default_timezone)
        key = command_key(tablet_sender(who.tablet), asked_for("create", form), request.headers)
        await svc.rooms.execute(command.sid, command, key)
    except (BadInput, DomainError) as error:
        return new_session_form(request, form, sentence(error))
    return RedirectResponse(path_to(request, "dashboard", sid=command.sid), status_code=303)


async def dashboard(request: Request) -> Response:
    session = await session_in_path(request)
    svc = services(request)
    return page(
        request,
        "dashboard.html",
        session=session,
        now=svc.rooms.clock(),
        presence=svc.rooms.presence.attendance(session.sid),
        facilitator=signed_in(request).name,
        base_url=public_base_url(request),
        outcomes=OUTCOMES,
    )


async def mat_sheet(request: Request) -> Response:
    session = await session_in_path(request)
    pid = request.path_params["pid"]
    if pid not in session.participants:
        raise NotFound("this participant is not in the session: reload the dashboard")
    svc = services(request)
    sheet = svc.views.sheet(session, pid, svc.rooms.clock(), public_base_url(request))
    return HTMLResponse(sheet)


async def settings_page(request: Request) -> Response:
    """Before (or during) a session: the plan, presets, flags, interval, vitals limits."""
    session = await session_in_path(request)
    svc = services(request)
    presets = {key: PRESET_LABELS.get(key, key) for key in svc.rooms.presets()}
    rows = [*session.phases, *([None] * (MAX_PLAN_ROWS - len(session.phases)))]
    return page(request, "settings.html", session=session, presets=presets, rows=rows)


async def cards(request: Request) -> Response:
    """Print-ready pairing cards: one QR code per mat, and one that joins a tablet."""
    session = await session_in_path(request)
    svc = services(request)
    base = public_base_url(request)
    dashboard = path_to(request, "dashboard", sid=session.sid)
    join_url = f"{base}{path_to(request, 'join')}?next={dashboard}&code={svc.credentials.join_code}"
    return page(request, "cards.html", session=session, base_url=base, join_url=join_url)


async def facilitator_commands(request: Request) -> Response:
    """A tablet's command; a refusal (BadInput, DomainError) is answered by the handlers in
    refusals.py as a toast."""
    who = signed_in(request)
    rooms = services(request).rooms
    form = await read_form(request)
    command = facilitator_command(form, who.name, rooms.presets())
    key = command_key(tablet_sender(who.tablet), asked_for("command", form), request.headers)
    await rooms.execute(request.path_params["sid"], command, key)
    return Response(status_code=204)


async def sessions_api(request: Request) -> Response:
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
    """A tablet's live view; a refusal closes it with a named code (refusals.py)."""
    refuse_other_sites(websocket)
    who = signed_in(websocket).name
    sid = (await session_in_path(websocket)).sid
    svc = services(websocket)
    await websocket.accept()
    session = svc.rooms.session(sid)  # as it is now, after the await
    if session is None:
        raise NoSuchSession(sid)
    device = new_id()
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
    svc = services(request)
    device = request.path_params["device"]
    if svc.hub.count(device_channel(device)) == 0:
        raise NotFound("that tablet is no longer connected: look for it by eye")
    svc.hub.publish(device_channel(device), svc.views.page("_finder.html", nonce=new_id()))
    return toast(request, 200, "That tablet's screen is pulsing now.")
