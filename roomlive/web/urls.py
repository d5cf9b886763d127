"""URLs by route name: `url("review", sid=...)` in a template is the app's own route's answer,
so each path is written once, in roomlive/web/__init__.py.

A fragment pushed over a websocket is rendered without a request, so the `url` global is bound
to the app's routes when the templates are set up, not looked up per request.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from starlette.routing import BaseRoute, NoMatchFound

# A session's URLs (a few dozen, one per mat for its button link) for every live session.
URLS_KEPT = 4096


class RouteUrls:
    """The templates' `url` global: a route's path from its name and path parameters."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        # By name, first one wins as in `Router.url_path_for`, whose scan of every route (each
        # miss an exception) costs ~40 µs a URL; and kept, as even one route's costs ~6 µs and a
        # snapshot has dozens.
        self._by_name: dict[str, BaseRoute] = {}
        for route in routes:
            name = getattr(route, "name", None)
            if isinstance(name, str):
                self._by_name.setdefault(name, route)
        self._path = functools.lru_cache(maxsize=URLS_KEPT)(self._route_path)

    def __call__(self, name: str, /, **params: str) -> str:
        return self._path(name, **params)

    def _route_path(self, name: str, /, **params: str) -> str:
        route = self._by_name.get(name)
        if route is None:
            raise NoMatchFound(name, params)
        return str(route.url_path_for(name, **params))


def app_routes() -> list[BaseRoute]:
    """The app's routes without a running app: for templates set up by tests and tools."""
    # Imported here: the routes' handlers import the rendering that uses this module.
    from roomlive.web import STATIC_DIR, routes

    return routes(str(STATIC_DIR))
