"""HTTP and websocket endpoints: thin handlers that parse, authorise and call the rooms."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from . import facilitators as f
from . import homescreen
from . import participants as p
from . import review as r
from .common import Services, services
from .showing import guarded
from .testing import advance_clock

__all__ = ["Services", "routes"]


async def time_now(request: Request) -> Response:
    """The server's clock, for tablets to estimate their offset (no caching, no auth)."""
    now = services(request).rooms.clock()
    return JSONResponse({"now": now}, headers={"cache-control": "no-store"})


async def health(request: Request) -> Response:
    """200 while the log can be written; 503 with the reason once a write has failed."""
    rooms = services(request).rooms
    if rooms.write_problem is not None:
        body = {"ok": False, "problem": f"the event log cannot be written: {rooms.write_problem}"}
        return JSONResponse(body, 503)
    unreadable = len(rooms.unreadable_sessions())
    return JSONResponse({"ok": True, "sessions": rooms.count(), "unreadable": unreadable})


def routes(static_dir: str, test_clock: bool = False) -> list[BaseRoute]:
    """Every endpoint, each by name: templates write a URL as `url(name, **params)`."""
    testing = (
        [Route("/_test/clock", advance_clock, methods=["POST"], name="test_clock")]
        if test_clock
        else []
    )
    return [
        *testing,
        Route("/", f.home, name="home"),
        Route("/favicon.ico", homescreen.favicon(Path(static_dir)), name="favicon"),
        Route("/manifest.webmanifest", homescreen.facilitator_manifest, name="manifest"),
        Route("/join", f.join_page, methods=["GET"], name="join"),
        Route("/join", f.join, methods=["POST"], name="sign_in"),
        Route("/healthz", health, name="health"),
        Route("/api/sessions", f.sessions_api, name="sessions_api"),
        Route("/sessions/new", f.new_session_page, name="new_session"),
        Route("/sessions", f.create_session, methods=["POST"], name="create_session"),
        Route("/s/{sid}", guarded(f.dashboard), name="dashboard"),
        Route("/s/{sid}/cards", guarded(f.cards), name="cards"),
        Route("/s/{sid}/review", guarded(r.review), name="review"),
        Route("/s/{sid}/replay", guarded(r.replay), name="replay"),
        Route("/s/{sid}/export.csv", guarded(r.export_csv), name="export_csv"),
        Route("/s/{sid}/export.json", guarded(r.export_json), name="export_json"),
        Route("/s/{sid}/summary", guarded(r.summary), name="summary"),
        Route("/s/{sid}/purge", guarded(r.purge_page), methods=["GET"], name="purge"),
        Route("/s/{sid}/purge", r.purge, methods=["POST"], name="purge_session"),
        Route("/import", r.import_page, methods=["GET"], name="import"),
        Route("/import", r.import_export, methods=["POST"], name="import_session"),
        Route("/s/{sid}/commands", f.facilitator_commands, methods=["POST"], name="commands"),
        Route(
            "/s/{sid}/devices/{device}/find", f.find_tablet, methods=["POST"], name="find_tablet"
        ),
        Route("/s/{sid}/settings", guarded(f.settings_page), name="settings"),
        Route("/s/{sid}/mats/{pid}/sheet", guarded(f.mat_sheet), name="mat_sheet"),
        Route("/time", time_now, name="time"),
        WebSocketRoute("/s/{sid}/ws", f.facilitator_socket, name="facilitator_socket"),
        Route("/p/{token}", p.participant_page, name="participant"),
        Route(
            "/p/{token}/manifest.webmanifest",
            homescreen.participant_manifest,
            name="participant_manifest",
        ),
        Route("/p/{token}/assist", p.press, methods=["POST"], name="press"),
        Route("/p/{token}/cancel", p.cancel, methods=["POST"], name="cancel"),
        WebSocketRoute("/p/{token}/ws", p.participant_socket, name="participant_socket"),
        Route("/api/assist/{token}", p.hardware_press, methods=["POST"], name="hardware_press"),
        Mount("/static", StaticFiles(directory=static_dir), name="static"),
    ]
