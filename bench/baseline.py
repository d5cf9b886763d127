"""The bare fan-out server: roomlive's protocol shape with no persistence and no rendering.

Same routes and headers as roomlive (join with the code and get a cookie, create sessions, list
them, a tablet websocket per session, a button websocket and `POST /p/<token>/assist` per
participant), same Origin and Idempotency-Key checks, and a fragment of the same shape pushed to
every tablet of the room (`<article id="mat-<pid>" data-asks="N">`) — made with an f-string,
kept only in memory, sent with a plain loop of `send_text`. uvicorn runs with roomlive's own
websocket settings (`roomlive.cli`).

    python -m bench.baseline --host 127.0.0.1 --port 8001 --join-code CODE
"""

from __future__ import annotations

import argparse
import contextlib
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from roomlive.cli import WS_MAX_SIZE_BYTES, WS_PING_SECONDS

COOKIE_NAME = "roomlive_facilitator"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
PARTICIPANT_LINE = re.compile(r"^\s*(\d{1,3})\s*[.,:;)\-]?\s*(.+?)\s*$")


@dataclass
class Participant:
    pid: str
    name: str
    mat: int
    token: str
    asks: int = 0
    buttons: set[WebSocket] = field(default_factory=set)


@dataclass
class Room:
    sid: str
    name: str
    participants: dict[str, Participant]
    tablets: set[WebSocket] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)


@dataclass
class State:
    join_code: str
    cookies: set[str] = field(default_factory=set)
    rooms: dict[str, Room] = field(default_factory=dict)
    tokens: dict[str, tuple[Room, Participant]] = field(default_factory=dict)


def tile(p: Participant) -> str:
    return f'<article id="mat-{p.pid}" hx-swap-oob="true" data-asks="{p.asks}">{p.name}</article>'


def status(p: Participant) -> str:
    state = "open" if p.asks else "idle"
    return f'<div id="assist-status" hx-swap-oob="true" data-state="{state}">{p.asks}</div>'


def same_origin(conn: HTTPConnection) -> bool:
    host = conn.headers.get("host")
    return host is not None and conn.headers.get("origin") == f"http://{host}"


def state_of(conn: HTTPConnection) -> State:
    found: State = conn.app.state.bench
    return found


def signed_in(conn: HTTPConnection) -> bool:
    return conn.cookies.get(COOKIE_NAME) in state_of(conn).cookies


async def form_of(request: Request) -> dict[str, str]:
    return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))


async def join(request: Request) -> Response:
    state = state_of(request)
    form = await form_of(request)
    if form.get("code") != state.join_code or not form.get("name"):
        return HTMLResponse("wrong code", 403)
    cookie = secrets.token_urlsafe(24)
    state.cookies.add(cookie)
    response = RedirectResponse(form.get("next") or "/", status_code=303)
    response.set_cookie(COOKIE_NAME, cookie, httponly=True, samesite="strict")
    return response


async def create_session(request: Request) -> Response:
    if not signed_in(request) or not same_origin(request):
        return HTMLResponse("refused", 403)
    state, form = state_of(request), await form_of(request)
    sid = secrets.token_hex(6)
    participants: dict[str, Participant] = {}
    for line in form.get("participants", "").splitlines():
        found = PARTICIPANT_LINE.match(line)
        if found:
            pid = f"p{len(participants) + 1}"
            token = secrets.token_urlsafe(18)
            participants[pid] = Participant(pid, found.group(2), int(found.group(1)), token)
    room = state.rooms[sid] = Room(sid, form.get("name", ""), participants)
    for participant in participants.values():
        state.tokens[participant.token] = (room, participant)
    return RedirectResponse(f"/s/{sid}", status_code=303)


async def sessions_api(request: Request) -> Response:
    if not signed_in(request):
        return JSONResponse({"error": "join first"}, 401)
    return JSONResponse(
        [
            {
                "sid": room.sid,
                "name": room.name,
                "room": room.name,
                "participants": [
                    {"pid": p.pid, "name": p.name, "mat": p.mat, "token": p.token}
                    for p in room.participants.values()
                ],
            }
            for room in state_of(request).rooms.values()
        ]
    )


async def assist(request: Request) -> Response:
    found = state_of(request).tokens.get(request.path_params["token"])
    if found is None:
        return HTMLResponse("no such button", 404)
    if not same_origin(request):
        return HTMLResponse("refused", 403)
    key = request.headers.get("idempotency-key", "")
    if not KEY_PATTERN.fullmatch(key):
        return HTMLResponse("bad Idempotency-Key", 400)
    room, participant = found
    if key not in room.keys:
        room.keys.add(key)
        participant.asks += 1
        fragment = tile(participant)
        for tablet in tuple(room.tablets):
            with contextlib.suppress(Exception):
                await tablet.send_text(fragment)
        for button in tuple(participant.buttons):
            with contextlib.suppress(Exception):
                await button.send_text(status(participant))
    return HTMLResponse(status(participant))


async def hold(websocket: WebSocket, members: set[WebSocket], snapshot: str) -> None:
    await websocket.accept()
    await websocket.send_text(snapshot)
    members.add(websocket)
    try:
        with contextlib.suppress(WebSocketDisconnect):
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
    finally:
        members.discard(websocket)


async def tablet_socket(websocket: WebSocket) -> None:
    room = state_of(websocket).rooms.get(websocket.path_params["sid"])
    if not same_origin(websocket) or room is None or not signed_in(websocket):
        await websocket.close()
        return
    await hold(websocket, room.tablets, "".join(tile(p) for p in room.participants.values()))


async def button_socket(websocket: WebSocket) -> None:
    found = state_of(websocket).tokens.get(websocket.path_params["token"])
    if not same_origin(websocket) or found is None:
        await websocket.close()
        return
    _, participant = found
    await hold(websocket, participant.buttons, status(participant))


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True, "sessions": len(state_of(request).rooms)})


def create_app(join_code: str) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.bench = State(join_code)
        yield

    return Starlette(
        routes=[
            Route("/join", join, methods=["POST"]),
            Route("/healthz", health),
            Route("/api/sessions", sessions_api),
            Route("/sessions", create_session, methods=["POST"]),
            WebSocketRoute("/s/{sid}/ws", tablet_socket),
            Route("/p/{token}/assist", assist, methods=["POST"]),
            WebSocketRoute("/p/{token}/ws", button_socket),
        ],
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--join-code", required=True)
    args = parser.parse_args(argv)
    config = uvicorn.Config(
        create_app(args.join_code),
        host=args.host,
        port=args.port,
        # The same websocket settings as roomlive's own (roomlive/cli.py).
        ws="websockets-sansio",
        ws_max_size=WS_MAX_SIZE_BYTES,
        ws_per_message_deflate=False,
        ws_ping_interval=WS_PING_SECONDS,
        ws_ping_timeout=WS_PING_SECONDS,
        access_log=False,
        log_level="info",
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
