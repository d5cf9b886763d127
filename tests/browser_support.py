"""Shared parts of the browser tests: Chromium, a watch on every page, joining as a facilitator."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    ViewportSize,
    sync_playwright,
)

from tests.server import JOIN_CODE, Server

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


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium; skipped when missing, except in CI where that is a failure."""
    executable = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if executable is None:
        message = f"no Chromium found at {CHROMIUM} or on PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Watch:
    """Records console errors, page errors and every URL a context asks for (blocks off-server)."""

    def __init__(self, server: Server) -> None:
        self.origins = (f"{server.url}/", f"{server.ws_url}/")
        self.errors: list[str] = []
        self.urls: list[str] = []

    def attach(self, context: BrowserContext) -> Page:
        context.route("**/*", self._guard)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("websocket", lambda socket: self.urls.append(socket.url))
        return page

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
