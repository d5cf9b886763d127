"""HTTP and websocket endpoints: thin handlers that parse, authorise and call the rooms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ExceptionHandler

from ..store import NotRecorded
from . import facilitators as f
from . import homescreen, refusals
from . import participants as p
from . import review as r
from .common import Services, services
from .failures import not_recorded
from .guards import facilitators, from_our_pages, json_api
from .showing import showable
from .testing import advance_clock

__all__ = ["EXCEPTION_HANDLERS", "Services", "routes"]

# Every failure a handler or guard raises, answered in one place in the client's style.
EXCEPTION_HANDLERS: dict[Any, ExceptionHandler] = {
    **refusals.EXCEPTION_HANDLERS,
    NotRecorded: not_recorded,
}


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
    testing = [Route("/_test/clock", advance_clock, methods=["POST"])] if test_clock else []
    return [
        *testing,
        Route("/", facilitators(f.home)),
        Route("/favicon.ico", homescreen.favicon(Path(static_dir))),
        Route("/manifest.webmanifest", homescreen.facilitator_manifest),
        Route("/join", f.join_page, methods=["GET"]),
        Route("/join", from_our_pages(f.join), methods=["POST"]),
        Route("/healthz", health),
        Route("/api/sessions", json_api(facilitators(f.sessions_api))),
        Route("/sessions/new", facilitators(f.new_session_page)),
        Route("/sessions", facilitators(from_our_pages(f.create_session)), methods=["POST"]),
        Route("/s/{sid}", facilitators(showable(f.dashboard))),
        Route("/s/{sid}/cards", facilitators(showable(f.cards))),
        Route("/s/{sid}/review", facilitators(showable(r.review))),
        Route("/s/{sid}/replay", facilitators(showable(r.replay))),
        Route("/s/{sid}/export.csv", facilitators(showable(r.export_csv))),
        Route("/s/{sid}/export.json", facilitators(showable(r.export_json))),
        Route("/s/{sid}/summary", facilitators(showable(r.summary))),
        Route("/s/{sid}/purge", facilitators(showable(r.purge_page)), methods=["GET"]),
        Route("/s/{sid}/purge", facilitators(from_our_pages(r.purge)), methods=["POST"]),
        Route("/import", facilitators(r.import_page), methods=["GET"]),
        Route("/import", json_api(facilitators(from_our_pages(r.import_export))), methods=["POST"]),
        Route(
            "/s/{sid}/commands",
            facilitators(from_our_pages(f.facilitator_commands)),
            methods=["POST"],
        ),
        Route(
            "/s/{sid}/devices/{device}/find",
            facilitators(from_our_pages(f.find_tablet)),
            methods=["POST"],
        ),
        Route("/s/{sid}/settings", facilitators(showable(f.settings_page))),
        Route("/s/{sid}/mats/{pid}/sheet", facilitators(showable(f.mat_sheet))),
        Route("/time", time_now),
        WebSocketRoute("/s/{sid}/ws", f.facilitator_socket),
        Route("/p/{token}", p.participant_page),
        Route("/p/{token}/manifest.webmanifest", homescreen.participant_manifest),
        Route("/p/{token}/assist", from_our_pages(p.press), methods=["POST"]),
        Route("/p/{token}/cancel", from_our_pages(p.cancel), methods=["POST"]),
        WebSocketRoute("/p/{token}/ws", p.participant_socket),
        Route("/api/assist/{token}", json_api(p.hardware_press), methods=["POST"]),
        Mount("/static", StaticFiles(directory=static_dir), name="static"),
    ]
