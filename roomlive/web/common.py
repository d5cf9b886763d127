"""What every endpoint uses: the services, who is asking, pages, toasts and forms."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, RedirectResponse

from roomlive.live.hub import Hub
from roomlive.live.rooms import Rooms
from roomlive.web import auth
from roomlive.web.inputs import MAX_PLAN_ROWS, BadInput
from roomlive.web.render import Views
from roomlive.web.unshowable import Unshowable

CLOSE_LOGIN_REQUIRED = 4401
MAX_FORM_BYTES = 16 * 1024
# The plan form is the largest: three fields a row, a few more for the action and preset name.
MAX_FORM_FIELDS = 3 * MAX_PLAN_ROWS + 8
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
UNREADABLE_STATUS = 500  # the server cannot serve it: no retry or other request will help


@dataclass(frozen=True)
class Services:
    rooms: Rooms
    hub: Hub
    views: Views
    credentials: auth.Credentials
    base_url: str
    default_timezone: str
    throttle: auth.JoinThrottle
    unshowable: Unshowable = field(default_factory=Unshowable)


def services(conn: HTTPConnection) -> Services:
    found: Services = conn.state.services
    return found


def secure(conn: HTTPConnection) -> bool:
    return conn.url.scheme in ("https", "wss")


def page(
    conn: HTTPConnection, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return HTMLResponse(services(conn).views.page(template, **context), status_code=status_code)


def error_page(conn: HTTPConnection, status_code: int, title: str, message: str) -> HTMLResponse:
    home = path_to(conn, "home")
    return page(conn, "error.html", status_code, title=title, message=message, link=home)


def sentence(error: Exception | str) -> str:
    """An error's message as a sentence; `str.capitalize` would lower-case names inside it."""
    text = str(error)
    return f"{text[:1].upper()}{text[1:]}."


def toast(
    conn: HTTPConnection, status_code: int, message: str, *, sticky: bool = False
) -> HTMLResponse:
    """A message over the page; a sticky one stays until it is dismissed."""
    kind = "error" if status_code >= 400 else "info"
    return page(conn, "_toast.html", status_code, message=message, kind=kind, sticky=sticky)


def path_to(conn: HTTPConnection, name: str, **params: str) -> str:
    """The path of the route called `name` (see web/__init__.py): no URL is written by hand."""
    return str(conn.app.url_path_for(name, **params))


def login_redirect(request: Request) -> RedirectResponse:
    join = path_to(request, "join")
    return RedirectResponse(f"{join}?next={quote(request.url.path)}", status_code=303)


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
    counts = Counter(name for name, _ in pairs)
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:  # which one was meant? A silent pick once ran the wrong command
        raise BadInput(f"the form sent {', '.join(repeated)} more than once")
    return dict(pairs)


def no_session_page(conn: HTTPConnection, sid: str) -> HTMLResponse:
    """Why the session named in the path cannot be shown: unknown here, or its log unreadable."""
    unreadable = services(conn).rooms.unreadable(sid)
    if unreadable is None:
        return error_page(conn, 404, "No such session", "This session is not on this server.")
    title = "This session cannot be read"
    named = f"“{unreadable.name}”" if unreadable.name else f"Session {sid}"
    message = (
        f"{named} {unreadable.problem}. Every other session is unaffected; "
        "keep the database file as it is and ask whoever looks after this server."
    )
    return error_page(conn, UNREADABLE_STATUS, title, message)


def public_base_url(conn: HTTPConnection) -> str:
    """The address other devices should use: the one this browser used, unless it is loopback."""
    if conn.url.hostname in LOOPBACK_NAMES:
        return services(conn).base_url
    return f"{conn.url.scheme}://{conn.url.netloc}"
