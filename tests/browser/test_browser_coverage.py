"""Every route and every facilitator command action was reached by some browser test, through
the real page (tests/browser/browser_support.py logs what the browser asked for). Runs last
(tests/browser/conftest.py); it needs the whole run of browser tests, so it is skipped when only
some ran, except in CI."""

from __future__ import annotations

import os
import re

import pytest
from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute

from roomlive.web import routes
from roomlive.web.inputs import FACILITATOR_ACTIONS
from tests.browser.browser_support import (
    BROWSER_RUN_INCOMPLETE,
    REQUEST_LOG,
    WEBSOCKET,
    Visit,
    chromium_executable,
)
from tests.support.server import PROJECT_DIR

pytestmark = pytest.mark.browser

TEMPLATES = PROJECT_DIR / "templates"
# Routes no browser page asks for, and why. Nothing else may be missing.
EXEMPT = {
    "POST /api/assist/{token}": "for hardware buttons, not browsers",
    # The mat's hardware link: shown in the sheet (tests/browser/test_browser_buttons.py presses
    # it as a button does, over HTTP); a browser opening it is a preview and does nothing.
    "GET /api/button/{token}": "for hardware buttons, not browsers",
    "POST /api/button/{token}": "for hardware buttons, not browsers",
    "GET /api/button/{token}/checkin": "for hardware buttons' check-ins, not browsers",
    "POST /api/button/{token}/checkin": "for hardware buttons' check-ins, not browsers",
    "POST /_test/clock": "test-only: moves the server's clock",
    "GET /healthz": "for monitoring",
    "GET /api/sessions": "a JSON API for scripts",
    # Fetched by the browser itself, not by a control (headless Chromium fetches none of them);
    # tests/browser/test_homescreen.py checks them, with Chromium's own installability check.
    "GET /favicon.ico": "for browsers that ask without a link (the pages link their icons)",
    "GET /manifest.webmanifest": "read when the app is added to a home screen",
    "GET /p/{token}/manifest.webmanifest": "read when a button page is added to a home screen",
}
SAFE_METHODS_ALSO_SERVED = {"HEAD"}  # Starlette adds HEAD to every GET route
JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}")
URL_CALL = re.compile(r"\{\{\s*url\('(\w+)'.*?\}\}")  # {{ url('name', param=...) }}
PATH_PARAMETER = re.compile(r"\{\w+\}")
FORM_TAG = re.compile(r"<form\b[^>]*>", re.DOTALL)
FORM_ACTION = re.compile(r'\saction="([^"]+)"')
FORM_METHOD = re.compile(r'\smethod="([a-z]+)"', re.IGNORECASE)
# data-commands: where static/js/commands.js posts the command a [data-command] button names.
HX_REQUEST = re.compile(r'\s(hx-get|hx-post|hx-ws:connect|data-commands)="([^"]+)"')
HX_METHODS = {
    "hx-get": "GET",
    "hx-post": "POST",
    "hx-ws:connect": WEBSOCKET,
    "data-commands": "POST",
}


def endpoints(route: BaseRoute) -> list[str]:
    """ "METHOD path" for each way a browser may reach this route."""
    if isinstance(route, WebSocketRoute):
        return [f"{WEBSOCKET} {route.path}"]
    if isinstance(route, Mount):
        return [f"GET {route.path}/…"]
    assert isinstance(route, Route), route
    methods = sorted((route.methods or {"GET"}) - SAFE_METHODS_ALSO_SERVED)
    return [f"{method} {route.path}" for method in methods]


def reaches(route: BaseRoute, method: str, path: str) -> bool:
    kind = "websocket" if method == WEBSOCKET else "http"
    scope = {"type": kind, "path": path, "method": method, "root_path": ""}
    match, _ = route.matches(scope)
    return match == Match.FULL


def app_routes() -> list[BaseRoute]:
    return routes(str(PROJECT_DIR / "static"), test_clock=True)


def reached(visits: set[Visit]) -> set[str]:
    """The endpoints ("METHOD path") these visits reached."""
    found = set()
    for route in app_routes():
        for endpoint in endpoints(route):
            method = endpoint.split(" ", 1)[0]
            if any(v.method == method and reaches(route, method, v.path) for v in visits):
                found.add(endpoint)
    return found


def named_path(name: str) -> str:
    """The path of the route with this name, each parameter as "x"; the name if none has it."""
    for route in app_routes():
        if getattr(route, "name", None) == name:
            return PATH_PARAMETER.sub("x", getattr(route, "path", name))
    return name


def template_requests() -> list[tuple[str, str, str]]:
    """(template, method, path) of every request a template's controls make; {{ }} as "x"."""
    found = []
    for template in sorted(TEMPLATES.glob("**/*.html")):
        name = str(template.relative_to(TEMPLATES))
        text = URL_CALL.sub(lambda call: named_path(call.group(1)), template.read_text())
        for attribute, url in HX_REQUEST.findall(text):
            found.append((name, HX_METHODS[attribute], url))
        for tag in FORM_TAG.findall(text):
            action, method = FORM_ACTION.search(tag), FORM_METHOD.search(tag)
            if action:
                found.append((name, method.group(1).upper() if method else "GET", action.group(1)))
    return [(name, method, JINJA_EXPRESSION.sub("x", url)) for name, method, url in found]


def test_every_template_control_has_a_route() -> None:
    assert template_requests(), f"no controls found in {TEMPLATES}"
    unrouted = [
        f"{name}: {method} {path}"
        for name, method, path in template_requests()
        if not any(reaches(route, method, path) for route in app_routes())
    ]
    assert unrouted == [], "controls in templates whose request no route answers"


def test_the_exemptions_are_routes() -> None:
    every = {endpoint for route in app_routes() for endpoint in endpoints(route)}
    assert set(EXEMPT) <= every, set(EXEMPT) - every


def test_every_route_and_command_was_reached_by_a_browser_test(
    request: pytest.FixtureRequest,
) -> None:
    chromium_executable()  # without Chromium the browser tests were skipped, and so is this
    incomplete = request.config.stash.get(BROWSER_RUN_INCOMPLETE, None)
    if incomplete and os.environ.get("CI") != "true":
        pytest.skip(f"needs every browser test in the run ({incomplete}): run the whole suite")
    every = {endpoint for route in app_routes() for endpoint in endpoints(route)}
    unreached = sorted(every - reached(REQUEST_LOG) - set(EXEMPT))
    actions = {visit.action for visit in REQUEST_LOG if visit.action}
    untouched = sorted(set(FACILITATOR_ACTIONS) - actions)
    assert (unreached, untouched) == ([], []), (
        f"no browser test reached these routes: {unreached}; nor these command actions: {untouched}"
    )
