"""What a tablet or phone needs to put roomlive on its home screen: icons and web app manifests.

Facilitators add the whole app (it opens on the session list); a participant adds their own
button page, which then opens full screen on its own, with nothing else to tap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from roomlive.web.common import path_to
from roomlive.web.guards import participant_of_token

THEME_COLOUR = "#000000"  # the room is dark: no bright bar above the page
MANIFEST_TYPE = "application/manifest+json"
ICONS_PATH = "/static/icons"
FAVICON_FILE = "roomlive-32.png"
ICON_SIZES = (192, 512)
ICON_CACHE = {"cache-control": "max-age=86400"}


def _icons() -> list[dict[str, str]]:
    pngs = [
        {"src": f"{ICONS_PATH}/roomlive-{size}.png", "sizes": f"{size}x{size}", "type": "image/png"}
        for size in ICON_SIZES
    ]
    return [*pngs, {"src": f"{ICONS_PATH}/roomlive.svg", "sizes": "any", "type": "image/svg+xml"}]


def _manifest(name: str, short_name: str, start_url: str, display: str) -> Response:
    body: dict[str, Any] = {
        "name": name,
        "short_name": short_name,
        "start_url": start_url,
        "scope": start_url,
        "display": display,
        "orientation": "any",
        "background_color": THEME_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": _icons(),
    }
    return JSONResponse(body, media_type=MANIFEST_TYPE, headers={"cache-control": "no-cache"})


async def facilitator_manifest(request: Request) -> Response:
    return _manifest("roomlive", "roomlive", path_to(request, "home"), "standalone")


async def participant_manifest(request: Request) -> Response:
    """The button page alone, full screen: its link is the participant's, so is its manifest."""
    participant_of_token(request)
    token = request.path_params["token"]
    start = path_to(request, "participant", token=token)
    return _manifest("Support button", "Support", start, "fullscreen")


def favicon(static_dir: Path) -> Callable[[Request], Awaitable[Response]]:
    """For browsers that ask for /favicon.ico before (or instead of) reading the icon links."""
    path = static_dir / "icons" / FAVICON_FILE

    async def endpoint(request: Request) -> Response:
        return FileResponse(path, media_type="image/png", headers=ICON_CACHE)

    return endpoint
