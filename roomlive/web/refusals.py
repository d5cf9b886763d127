"""How a refusal is answered: one place, for every route and every kind of client.

Handlers and guards raise; the exception handlers here answer in the client's own style:

- a page (a browser navigating): an expired sign-in redirects to join, any other refusal is an
  error page;
- an htmx request (`HX-Request`): a toast with the status;
- the JSON API (routes wrapped in `json_api`): `{"error": …}` with the status;
- a websocket: closed with a named code.

Every message is one sentence in one grammar: what is wrong, then after a colon what to do
("your sign-in has expired: join again"), shown capitalised with a full stop.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, cast

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ExceptionHandler
from starlette.websockets import WebSocket, WebSocketState

from roomlive.core.shared import DomainError
from roomlive.web.common import (
    UNREADABLE_STATUS,
    error_page,
    login_redirect,
    no_session_page,
    sentence,
    toast,
)
from roomlive.web.inputs import BadInput

CLOSE_LOGIN_REQUIRED = 4401
CLOSE_NOT_FOUND = 4404  # no such session, or a button link revoked: the page stops retrying
CLOSE_REFUSED = 4403
JSON_API_SCOPE_KEY = "roomlive.json_api"

BAD_INPUT = 400
NOT_DONE = 409


class Client(Enum):
    PAGE = "page"
    HTMX = "htmx"
    JSON = "json"
    SOCKET = "socket"


def client(conn: HTTPConnection) -> Client:
    if conn.scope["type"] == "websocket":
        return Client.SOCKET
    if conn.scope.get(JSON_API_SCOPE_KEY):
        return Client.JSON
    if conn.headers.get("hx-request"):
        return Client.HTMX
    return Client.PAGE


class Refused(Exception):
    """A request this server will not do. `message`: what is wrong, then what to do."""

    status_code = 400
    title = "Refused"
    close_code = CLOSE_REFUSED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignInRequired(Refused):
    status_code = 401
    title = "Join again"
    close_code = CLOSE_LOGIN_REQUIRED

    def __init__(self) -> None:
        super().__init__("your sign-in has expired: join again")


class NotFromOurPages(Refused):
    """A browser request sent from another site's page (a cross-site forgery, or a stale tab
    of another server): refused before anything is read."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__("refused: this did not come from a roomlive page")


class NotFound(Refused):
    status_code = 404
    title = "Not found"
    close_code = CLOSE_NOT_FOUND


class NoSuchSession(NotFound):
    """The session in the path is not here, or its log cannot be read."""

    def __init__(self, sid: str, unreadable_problem: str | None = None) -> None:
        problem = unreadable_problem or "is not on this server: open it from the home page"
        super().__init__(f"this session {problem}")
        self.sid = sid
        if unreadable_problem is not None:
            self.status_code = UNREADABLE_STATUS


class LinkRevoked(NotFound):
    def __init__(self) -> None:
        super().__init__("this button link is no longer valid: ask a facilitator for a new one")


async def answer_refused(conn: HTTPConnection, refusal: Exception) -> Response | None:
    assert isinstance(refusal, Refused)
    kind = client(conn)
    if kind is Client.SOCKET:
        assert isinstance(conn, WebSocket)
        await close_refused(conn, refusal)
        return None
    assert isinstance(conn, Request)
    if kind is Client.JSON:
        return JSONResponse({"error": refusal.message}, refusal.status_code)
    if kind is Client.HTMX:
        return toast(conn, refusal.status_code, sentence(refusal.message))
    if isinstance(refusal, SignInRequired):
        return login_redirect(conn)
    if isinstance(refusal, NoSuchSession):
        return no_session_page(conn, refusal.sid)
    return error_page(conn, refusal.status_code, refusal.title, sentence(refusal.message))


async def close_refused(websocket: WebSocket, refusal: Refused) -> None:
    """A handshake from another site's page is refused outright (HTTP 403); any other refusal
    is accepted and closed with its code, which the page reads to stop or to rejoin."""
    if isinstance(refusal, NotFromOurPages):
        await websocket.close()
        return
    if websocket.application_state is WebSocketState.CONNECTING:
        await websocket.accept()
    await websocket.close(refusal.close_code, refusal.message)


async def answer_bad_input(conn: HTTPConnection, error: Exception) -> Response | None:
    return await answer_refused(conn, _refusal(error, BAD_INPUT))


async def answer_not_done(conn: HTTPConnection, error: Exception) -> Response | None:
    return await answer_refused(conn, _refusal(error, NOT_DONE))


def _refusal(error: Exception, status_code: int) -> Refused:
    refusal = Refused(str(error))
    refusal.status_code = status_code
    refusal.title = "Not understood" if status_code == BAD_INPUT else "Not done"
    return refusal


ANSWERED: tuple[type[Exception], ...] = (Refused, BadInput, DomainError)
# Starlette calls one handler for HTTP and websocket scopes alike; its type names them apart.
EXCEPTION_HANDLERS: dict[Any, ExceptionHandler] = {
    Refused: cast(ExceptionHandler, answer_refused),
    BadInput: cast(ExceptionHandler, answer_bad_input),
    DomainError: cast(ExceptionHandler, answer_not_done),
}
