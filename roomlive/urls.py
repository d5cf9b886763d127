"""URLs by route name: `url("review", sid=...)` in a template is the app's own route's answer,
so each path is written once, in roomlive/web/__init__.py.

A fragment pushed over a websocket is rendered without a request, so the `url` global is bound
to the app's routes when the templates are set up, not looked up per request.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, NoMatchFound


class RouteUrls:
    """The templates' `url` global: a route's path from its name and path parameters."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        # By name, first one wins as in `Router.url_path_for`, whose scan of every route (each
        # miss an exception) cost ~40 µs a URL: a mat's sheet has twenty.
        self._by_name: dict[str, BaseRoute] = {}
        for route in routes:
            name = getattr(route, "name", None)
            if isinstance(name, str):
                self._by_name.setdefault(name, route)

    def __call__(self, name: str, /, **params: str) -> str:
        route = self._by_name.get(name)
        if route is None:
            raise NoMatchFound(name, params)
        return str(route.url_path_for(name, **params))


def app_routes() -> list[BaseRoute]:
    """The app's routes without a running app: for templates set up by tests and tools."""
    # Imported here: the app and its handlers import the rendering that uses this module.
    from .app import STATIC_DIR
    from .web import routes

    return routes(str(STATIC_DIR))
