"""HTTP and websocket endpoints: thin handlers that parse, authorise and call the rooms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ExceptionHandler

from roomlive.live.records import NotRecorded
from roomlive.web import buttons as b
from roomlive.web import facilitators as f
from roomlive.web import homescreen, refusals
from roomlive.web import participants as p
from roomlive.web import records as r
from roomlive.web.common import Services, services
from roomlive.web.failures import not_recorded, worker_lost
from roomlive.web.guards import facilitators, from_our_pages, json_api
from roomlive.web.offload import WorkerLost
from roomlive.web.showing import showable
from roomlive.web.testing import advance_clock

__all__ = ["EXCEPTION_HANDLERS", "STATIC_DIR", "TEMPLATES_DIR", "Services", "routes"]

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def shipped(folder: str) -> Path:
    """A checkout keeps `templates/` and `static/` beside the package; a wheel ships them inside
    it (pyproject.toml maps them there), so an installed `roomlive` serves from any folder."""
    inside = PACKAGE_DIR / folder
    return inside if inside.is_dir() else PACKAGE_DIR.parent / folder


TEMPLATES_DIR = shipped("templates")
STATIC_DIR = shipped("static")

# Every failure a handler or guard raises, answered in one place in the client's style.
EXCEPTION_HANDLERS: dict[Any, ExceptionHandler] = {
    **refusals.EXCEPTION_HANDLERS,
    NotRecorded: not_recorded,
    WorkerLost: worker_lost,
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
    """Every endpoint, each by name: templates write a URL as `url(name, **params)`."""
    testing = (
        [Route("/_test/clock", advance_clock, methods=["POST"], name="test_clock")]
        if test_clock
        else []
    )
    return [
        *testing,
        # Starlette tries routes in order: a press, a tablet's command and its clock come first.
        Route("/p/{token}/assist", from_our_pages(p.press), methods=["POST"], name="press"),
        Route(
            "/api/assist/{token}",
            json_api(p.hardware_press),
            methods=["POST"],
            name="hardware_press",
        ),
        Route(
            "/api/button/{token}",
            b.button_press,
            methods=["GET", "POST", "HEAD"],
            name="button_press",
        ),
        Route(
            "/s/{sid}/commands",
            facilitators(from_our_pages(f.facilitator_commands)),
            methods=["POST"],
            name="commands",
        ),
        Route("/time", time_now, name="time"),
        Route("/", facilitators(f.home), name="home"),
        Route("/favicon.ico", homescreen.favicon(Path(static_dir)), name="favicon"),
        Route("/manifest.webmanifest", homescreen.facilitator_manifest, name="manifest"),
        Route("/join", f.join_page, methods=["GET"], name="join"),
        Route("/join", from_our_pages(f.join), methods=["POST"], name="sign_in"),
        Route("/healthz", health, name="health"),
        Route("/api/sessions", json_api(facilitators(f.sessions_api)), name="sessions_api"),
        Route("/sessions/new", facilitators(f.new_session_page), name="new_session"),
        Route(
            "/sessions",
            facilitators(from_our_pages(f.create_session)),
            methods=["POST"],
            name="create_session",
        ),
        Route("/s/{sid}", facilitators(showable(f.dashboard)), name="dashboard"),
        Route("/s/{sid}/cards", facilitators(showable(f.cards)), name="cards"),
        Route("/s/{sid}/review", facilitators(showable(r.review)), name="review"),
        Route("/s/{sid}/replay", facilitators(showable(r.replay)), name="replay"),
        Route("/s/{sid}/export.csv", facilitators(showable(r.export_csv)), name="export_csv"),
        Route("/s/{sid}/export.json", facilitators(showable(r.export_json)), name="export_json"),
        Route("/s/{sid}/summary", facilitators(showable(r.summary)), name="summary"),
        Route(
            "/s/{sid}/purge", facilitators(showable(r.purge_page)), methods=["GET"], name="purge"
        ),
        Route(
            "/s/{sid}/purge",
            facilitators(from_our_pages(r.purge)),
            methods=["POST"],
            name="purge_session",
        ),
        Route("/import", facilitators(r.import_page), methods=["GET"], name="import"),
        Route(
            "/import",
            json_api(facilitators(from_our_pages(r.import_export))),
            methods=["POST"],
            name="import_session",
        ),
        Route(
            "/s/{sid}/devices/{device}/find",
            facilitators(from_our_pages(f.find_tablet)),
            methods=["POST"],
            name="find_tablet",
        ),
        Route("/s/{sid}/settings", facilitators(showable(f.settings_page)), name="settings"),
        Route("/s/{sid}/mats/{pid}/sheet", facilitators(showable(f.mat_sheet)), name="mat_sheet"),
        WebSocketRoute("/s/{sid}/ws", f.facilitator_socket, name="facilitator_socket"),
        Route("/p/{token}", p.participant_page, name="participant"),
        Route(
            "/p/{token}/manifest.webmanifest",
            homescreen.participant_manifest,
            name="participant_manifest",
        ),
        Route("/p/{token}/cancel", from_our_pages(p.cancel), methods=["POST"], name="cancel"),
        WebSocketRoute("/p/{token}/ws", p.participant_socket, name="participant_socket"),
        Route(
            "/api/button/{token}/checkin",
            b.button_checkin,
            methods=["GET", "POST", "HEAD"],
            name="button_checkin",
        ),
        Mount("/static", StaticFiles(directory=static_dir), name="static"),
    ]
