"""Who may call an endpoint: guards applied in the route table, so access is read in one place.

A guard raises a `Refused` (see refusals.py), which is answered in the client's style. Handlers
behind `facilitators` read who is asking with `signed_in`; ones with a session in the path get it
with `session_in_path`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from roomlive.core.model import Participant, Session
from roomlive.web import auth
from roomlive.web.common import secure, services
from roomlive.web.refusals import (
    JSON_API_SCOPE_KEY,
    LinkRevoked,
    NoSuchSession,
    NotFromOurPages,
    SignInRequired,
)

Endpoint = Callable[[Request], Awaitable[Response]]
SIGNIN_STATE = "signin"


def facilitators(endpoint: Endpoint) -> Endpoint:
    """Only for a facilitator signed in on this server (a join-code cookie that is current)."""

    async def for_facilitators(request: Request) -> Response:
        signed_in(request)
        return await endpoint(request)

    return for_facilitators


def from_our_pages(endpoint: Endpoint) -> Endpoint:
    """Only for requests a roomlive page sent (or a client that is no browser: a hardware
    button, curl), never another site's page: every state-changing route has it."""

    async def from_roomlive(request: Request) -> Response:
        refuse_other_sites(request)
        return await endpoint(request)

    return from_roomlive


def json_api(endpoint: Endpoint) -> Endpoint:
    """An endpoint whose clients read JSON: its refusals are answered as JSON too."""

    async def answering_json(request: Request) -> Response:
        request.scope[JSON_API_SCOPE_KEY] = True
        return await endpoint(request)

    return answering_json


def refuse_other_sites(conn: HTTPConnection) -> None:
    if conn.scope["type"] == "websocket":
        if not auth.same_origin(conn.headers, secure(conn)):
            raise NotFromOurPages()
    elif auth.cross_site_browser_request(conn.headers, secure(conn)):
        raise NotFromOurPages()


def signed_in(conn: HTTPConnection) -> auth.Signin:
    """The facilitator asking (the cookie is read once per request), or SignInRequired."""
    found: auth.Signin | None = getattr(conn.state, SIGNIN_STATE, None)
    if found is None:
        svc = services(conn)
        cookie = conn.cookies.get(auth.COOKIE_NAME)
        found = auth.verify_cookie(svc.credentials.secret, cookie, svc.rooms.clock())
        if found is None:
            raise SignInRequired()
        setattr(conn.state, SIGNIN_STATE, found)
    return found


async def session_in_path(conn: HTTPConnection) -> Session:
    """The session named by `sid` in the path (an ended one is folded when first opened)."""
    rooms = services(conn).rooms
    sid = conn.path_params["sid"]
    await rooms.unfold(sid)
    session = rooms.session(sid)
    if session is None:
        unreadable = rooms.unreadable(sid)
        raise NoSuchSession(sid, unreadable.problem if unreadable else None)
    return session


def participant_of_token(conn: HTTPConnection) -> tuple[Session, Participant]:
    """The session and participant a button link's token names, while the link is valid."""
    found = services(conn).rooms.by_token(conn.path_params["token"])
    if found is None:
        raise LinkRevoked()
    return found
