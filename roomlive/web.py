"""HTTP and websocket endpoints: thin handlers that parse, authorise and call the rooms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from . import auth
from .commands import CancelAssist, RaiseAssist
from .decide import DomainError
from .hub import Hub
from .inputs import BadInput, command_key, facilitator_command, new_id, new_session_command
from .presets import PRESET_LABELS
from .render import Views
from .rooms import Rooms, facilitator_channel, participant_channel

CLOSE_LOGIN_REQUIRED = 4401
CLOSE_NOT_FOUND = 4404
PARTICIPANT_ACTOR = "participant"
MAX_FORM_BYTES = 16 * 1024
MAX_FORM_FIELDS = 20
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Services:
    rooms: Rooms
    hub: Hub
    views: Views
    credentials: auth.Credentials
    base_url: str


def services(conn: HTTPConnection) -> Services:
    found: Services = conn.state.services
    return found


def facilitator(conn: HTTPConnection) -> str | None:
    svc = services(conn)
    cookie = conn.cookies.get(auth.COOKIE_NAME)
    return auth.verify_cookie(svc.credentials.secret, cookie, svc.rooms.clock())


def secure(conn: HTTPConnection) -> bool:
    return conn.url.scheme in ("https", "wss")


def page(
    conn: HTTPConnection, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return HTMLResponse(services(conn).views.page(template, **context), status_code=status_code)


def error_page(conn: HTTPConnection, status_code: int, title: str, message: str) -> HTMLResponse:
    return page(conn, "error.html", status_code, title=title, message=message, link="/")


def toast(conn: HTTPConnection, status_code: int, message: str) -> HTMLResponse:
    kind = "error" if status_code >= 400 else "info"
    return page(conn, "_toast.html", status_code, message=message, kind=kind)


def login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/join?next={quote(request.url.path)}", status_code=303)


async def read_form(request: Request) -> dict[str, str]:
    """A URL-encoded form body (what browsers and htmx send), size-capped."""
    content_type = request.headers.get("content-type", FORM_CONTENT_TYPE)
    if content_type.split(";")[0].strip().lower() != FORM_CONTENT_TYPE:
        raise BadInput(f"send the form as {FORM_CONTENT_TYPE}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BadInput(f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise BadInput("the form is not valid UTF-8 URL-encoded data") from None
    return dict(pairs)


# --- facilitator pages -------------------------------------------------------------------------


async def join_page(request: Request) -> Response:
    return page(
        request, "join.html", next=safe_next(request.query_params.get("next")), name="", error=""
    )


async def join(request: Request) -> Response:
    svc = services(request)
    try:
        form = await read_form(request)
    except BadInput as bad:
        return page(request, "join.html", 400, next="/", name="", error=str(bad))
    target = safe_next(form.get("next"))
    name = auth.clean_facilitator_name(form.get("name", ""))
    if name is None:
        error = f"Enter your name (at most {auth.MAX_FACILITATOR_NAME} characters)."
        return page(request, "join.html", 400, next=target, name="", error=error)
    if not auth.code_matches(svc.credentials.join_code, form.get("code", "")):
        return page(
            request, "join.html", 403, next=target, name=name, error="That join code is not right."
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        auth.COOKIE_NAME,
        auth.sign_cookie(svc.credentials.secret, name, svc.rooms.clock()),
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
    return page(request, "home.html", facilitator=who, sessions=services(request).rooms.sessions())


async def new_session_page(request: Request) -> Response:
    if facilitator(request) is None:
        return login_redirect(request)
    return new_session_form(request, {}, "")


def new_session_form(request: Request, form: Mapping[str, str], error: str) -> HTMLResponse:
    values = {key: form.get(key, "") for key in ("name", "room", "participants", "preset")}
    status_code = 400 if error else 200
    return page(
        request, "new_session.html", status_code, form=values, presets=PRESET_LABELS, error=error
    )


async def create_session(request: Request) -> Response:
    if facilitator(request) is None:
        return login_redirect(request)
    if auth.cross_site_browser_request(request.headers, secure(request)):
        return error_page(request, 403, "Refused", "This form must be sent from roomlive itself.")
    form: dict[str, str] = {}
    try:
        form = await read_form(request)
        command = new_session_command(form)
        await services(request).rooms.execute(command.sid, command, command_key(request.headers))
    except (BadInput, DomainError) as error:
        return new_session_form(request, form, str(error).capitalize() + ".")
    return RedirectResponse(f"/s/{command.sid}", status_code=303)


async def dashboard(request: Request) -> Response:
    who = facilitator(request)
    if who is None:
        return login_redirect(request)
    svc = services(request)
    session = svc.rooms.session(request.path_params["sid"])
    if session is None:
        return error_page(
            request, 404, "No such session", "This session does not exist on this server."
        )
    return page(
        request,
        "dashboard.html",
        session=session,
        now=svc.rooms.clock(),
        facilitator=who,
        base_url=svc.base_url,
    )


async def facilitator_commands(request: Request) -> Response:
    who = facilitator(request)
    if who is None:
        return toast(request, 401, "Your sign-in has expired: reload the page and join again.")
    if auth.cross_site_browser_request(request.headers, secure(request)):
        return toast(request, 403, "Refused: this command did not come from a roomlive page.")
    sid = request.path_params["sid"]
    try:
        command = facilitator_command(await read_form(request), who)
        await services(request).rooms.execute(sid, command, command_key(request.headers))
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
            for s in services(request).rooms.sessions()
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
        await websocket.close(CLOSE_NOT_FOUND, "no such session")
        return
    # Rendered and registered without an await in between: no update can slip past the snapshot.
    snapshot = svc.views.snapshot(session, svc.rooms.clock())
    await svc.hub.serve(facilitator_channel(session.sid), websocket, snapshot)


# --- participant button ----------------------------------------------------------------------


async def participant_page(request: Request) -> Response:
    found = services(request).rooms.by_token(request.path_params["token"])
    if found is None:
        return error_page(request, 404, "Link not valid", "Ask a facilitator for a new link.")
    session, participant = found
    return page(request, "participant.html", session=session, participant=participant)


async def participant_assist(request: Request) -> Response:
    return await participant_command(request, raise_request=True)


async def participant_cancel(request: Request) -> Response:
    return await participant_command(request, raise_request=False)


async def participant_command(request: Request, *, raise_request: bool) -> Response:
    svc = services(request)
    found = svc.rooms.by_token(request.path_params["token"])
    if found is None:
        return toast(request, 404, "This button link is no longer valid. Ask a facilitator.")
    if auth.cross_site_browser_request(request.headers, secure(request)):
        return toast(request, 403, "Refused: this request did not come from the button page.")
    session, participant = found
    try:
        key = command_key(request.headers)
        if raise_request:
            command: RaiseAssist | CancelAssist = RaiseAssist(
                by=PARTICIPANT_ACTOR, pid=participant.pid, rid=new_id()
            )
        else:
            command = CancelAssist(pid=participant.pid)
        await svc.rooms.execute(session.sid, command, key)
    except BadInput as error:
        return toast(request, 400, f"Not understood: {error}.")
    except DomainError as error:
        return toast(request, 409, f"{str(error).capitalize()}.")
    current = svc.rooms.session(session.sid)
    assert current is not None
    return HTMLResponse(svc.views.participant_status(current, participant.pid, oob=True))


async def participant_socket(websocket: WebSocket) -> None:
    if not auth.same_origin(websocket.headers, secure(websocket)):
        await websocket.close()
        return
    svc = services(websocket)
    found = svc.rooms.by_token(websocket.path_params["token"])
    await websocket.accept()
    if found is None:
        await websocket.close(CLOSE_NOT_FOUND, "this button link is no longer valid")
        return
    session, participant = found
    snapshot = svc.views.participant_status(session, participant.pid, oob=True)
    await svc.hub.serve(participant_channel(session.sid, participant.pid), websocket, snapshot)


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True, "sessions": len(services(request).rooms.sessions())})


def routes(static_dir: str) -> list[Route | WebSocketRoute | Mount]:
    return [
        Route("/", home),
        Route("/join", join_page, methods=["GET"]),
        Route("/join", join, methods=["POST"]),
        Route("/healthz", health),
        Route("/api/sessions", sessions_api),
        Route("/sessions/new", new_session_page),
        Route("/sessions", create_session, methods=["POST"]),
        Route("/s/{sid}", dashboard),
        Route("/s/{sid}/commands", facilitator_commands, methods=["POST"]),
        WebSocketRoute("/s/{sid}/ws", facilitator_socket),
        Route("/p/{token}", participant_page),
        Route("/p/{token}/assist", participant_assist, methods=["POST"]),
        Route("/p/{token}/cancel", participant_cancel, methods=["POST"]),
        WebSocketRoute("/p/{token}/ws", participant_socket),
        Mount("/static", StaticFiles(directory=static_dir), name="static"),
    ]
