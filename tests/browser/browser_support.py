"""Shared parts of the browser tests: Chromium, a watch on every page, joining as a facilitator."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Route,
    ViewportSize,
    WebSocket,
    sync_playwright,
)

from tests.support.server import JOIN_CODE, Server

CHROMIUM = "/usr/lib/chromium/chromium"  # the real binary; /usr/bin/chromium is a wrapper script
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TABLET: ViewportSize = {"width": 1024, "height": 768}
PHONE: ViewportSize = {"width": 360, "height": 640}
PUSH_TIMEOUT_MS = 5_000


# Why the run does not hold every browser test (set by conftest.py), if it does not.
BROWSER_RUN_INCOMPLETE = pytest.StashKey[str]()
COMMANDS_SUFFIX = "/commands"  # POST /s/{sid}/commands: each form field `action` is a control
WEBSOCKET = "WS"  # the method a websocket is logged under


def chromium_executable() -> str:
    """Debian's Chromium; skipped when missing, except in CI where that is a failure."""
    executable = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if executable is None:
        message = f"no Chromium found at {CHROMIUM} or on PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return executable


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium (see chromium_executable)."""
    executable = chromium_executable()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass(frozen=True)
class Visit:
    """One request a browser made to the server: method (or WS), path, and command action."""

    method: str
    path: str
    action: str | None = None


# Every request any browser test's pages made to the server, for the whole pytest session:
# tests/browser/test_browser_coverage.py checks that each route and command action is among them.
REQUEST_LOG: set[Visit] = set()


def command_action(request: Request) -> str | None:
    """The `action` field of a form POSTed to a session's commands, if this is one."""
    if request.method != "POST" or not urlsplit(request.url).path.endswith(COMMANDS_SUFFIX):
        return None
    actions = parse_qs(request.post_data or "").get("action")
    return actions[0] if actions else None


class Watch:
    """Records console errors, page errors and every URL a context asks for (blocks off-server),
    and logs each request to the server in REQUEST_LOG."""

    def __init__(self, server: Server) -> None:
        self.origins = (f"{server.url}/", f"{server.ws_url}/")
        self.errors: list[str] = []
        self.urls: list[str] = []

    def attach(self, context: BrowserContext) -> Page:
        context.route("**/*", self._guard)
        context.on("request", self._log)  # routes miss the hops of a redirect; this sees them
        context.on("page", self._watch)  # also pages a link opens in a new tab
        return context.new_page()

    def _watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("websocket", self._websocket)
        # A link that downloads (CSV, JSON) is a GET no request event reports.
        page.on("download", lambda download: self._log_visit("GET", download.url))

    def _websocket(self, socket: WebSocket) -> None:
        self.urls.append(socket.url)
        self._log_visit(WEBSOCKET, socket.url)

    def _log(self, request: Request) -> None:
        self._log_visit(request.method, request.url, command_action(request))

    def _log_visit(self, method: str, url: str, action: str | None = None) -> None:
        if url.startswith(self.origins):
            REQUEST_LOG.add(Visit(method, urlsplit(url).path, action))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _guard(self, route: Route) -> None:
        url = route.request.url
        self.urls.append(url)
        if url.startswith(self.origins):
            route.continue_()
        else:
            route.abort()

    def off_server(self) -> list[str]:
        return [url for url in self.urls if not url.startswith(self.origins)]


def join_and_open_dashboard(page: Page, server: Server, name: str) -> None:
    """Join through the form like a facilitator, open the session, wait for the live snapshot."""
    page.goto(f"{server.url}/join")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Join code").fill(JOIN_CODE)
    page.get_by_role("button", name="Join").click()
    with page.expect_websocket() as socket_info:
        page.locator("a.session-link").first.click()
    socket_info.value.wait_for_event("framereceived")  # the snapshot: the socket is registered


def open_button_page(page: Page, server: Server, path: str) -> None:
    """Open a participant's button link and wait until its socket has the live state."""
    with page.expect_websocket() as socket_info:
        page.goto(f"{server.url}{path}")
    socket_info.value.wait_for_event("framereceived")


@dataclass
class Tablet:
    """A facilitator's page on the dashboard, and the watch on its context."""

    page: Page
    watch: Watch


@contextmanager
def tablet(browser: Browser, server: Server, name: str) -> Iterator[Tablet]:
    """A tablet joined as `name`, on the demo session's dashboard with its live socket."""
    watch = Watch(server)
    context = browser.new_context(viewport=TABLET)
    try:
        page = watch.attach(context)
        join_and_open_dashboard(page, server, name)
        yield Tablet(page, watch)
    finally:
        context.close()


def accept_confirmations(page: Page) -> None:
    """Say OK to the confirm() an hx-confirm control asks (ending a session, a new link)."""
    page.on("dialog", lambda dialog: dialog.accept())


ANSWER_DELAY_SECONDS = 0.5


def answer_after_the_push(route: Route) -> None:
    """Hold an answer back until the push of the same change has surely arrived (as under
    load): what the page does with the answer must not depend on the element it came from."""
    answer = route.fetch()
    time.sleep(ANSWER_DELAY_SECONDS)
    route.fulfill(response=answer)


class Scene:
    """One test's browser contexts (closed at its end), a watch on each page, and an HTTP client
    joined as Lee on the demo session, for what the test sets up or checks behind the UI."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.browser = browser
        self.server = server
        self.watch = Watch(server)
        self.contexts: list[BrowserContext] = []
        self.http = httpx.Client(base_url=server.url, headers={"origin": server.url})
        joined = self.http.post("/join", data={"name": "Lee", "code": JOIN_CODE, "next": "/"})
        assert joined.status_code == 303, joined.text
        session: dict[str, Any] = self.http.get("/api/sessions").json()[0]
        self.sid: str = session["sid"]
        self.tokens = {p["pid"]: p["token"] for p in session["participants"]}

    def page(self, viewport: ViewportSize = TABLET, touch: bool = False) -> Page:
        context = self.browser.new_context(viewport=viewport, is_mobile=touch, has_touch=touch)
        self.contexts.append(context)
        return self.watch.attach(context)

    def tablet(self, name: str) -> Page:
        page = self.page()
        join_and_open_dashboard(page, self.server, name)
        page.evaluate("window.notReloaded = true")
        return page

    def phone(self, pid: str) -> Page:
        page = self.page(PHONE, touch=True)
        open_button_page(page, self.server, f"/p/{self.tokens[pid]}")
        return page

    def press_hardware_button(self, pid: str) -> None:
        answer = self.http.post(f"/api/assist/{self.tokens[pid]}?key=press-{pid}")
        assert answer.json()["state"] == "open", answer.text

    def server_request_ids(self) -> list[str]:
        """Live requests as the server has them now (a fresh render of the dashboard)."""
        return re.findall(r'<li id="request-([^"]+)"', self.http.get(f"/s/{self.sid}").text)

    def advance_clock(self, seconds: float) -> None:
        moved = self.http.post("/_test/clock", data={"seconds": str(seconds)})
        assert moved.status_code == 200, moved.text

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.http.close()


def touch_hold(page: Page, milliseconds: int) -> None:
    """A finger on the middle of the screen for so long, as a phone's touchscreen reports it."""
    box = page.locator("#ask").bounding_box()
    assert box is not None
    point = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]})
        page.wait_for_timeout(milliseconds)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()
