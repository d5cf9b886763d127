"""End to end in a real headless Chromium: a participant's tap reaches a facilitator's tablet."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    ViewportSize,
    expect,
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
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


@pytest.mark.browser
def test_participant_tap_reaches_the_tablet_and_the_claim_comes_back(
    browser: Browser, server: Server
) -> None:
    watch = Watch(server)
    tablet_context = browser.new_context(viewport=TABLET)
    phone_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        tablet = watch.attach(tablet_context)
        phone = watch.attach(phone_context)

        join_and_open_dashboard(tablet, server, "Sam")
        expect(tablet.locator("article.tile")).to_have_count(8)
        href = tablet.locator('details.links a[href^="/p/"]').first.get_attribute("href")
        assert href is not None
        tablet.evaluate("window.notReloaded = true")

        with phone.expect_websocket() as socket_info:
            phone.goto(f"{server.url}{href}")
        socket_info.value.wait_for_event("framereceived")
        status = phone.locator("#assist-status")
        expect(status).to_have_attribute("data-state", "idle")

        phone.locator("#ask").hover()
        phone.mouse.down()  # press and hold: the button sends only after about a second
        expect(status).to_have_attribute("data-state", "open")
        phone.mouse.up()
        expect(status).to_contain_text("Received")

        request = tablet.locator("#requests li.request")
        expect(request).to_have_count(1, timeout=PUSH_TIMEOUT_MS)
        expect(request).to_contain_text("Ana")
        expect(tablet.locator("#mat-p1")).to_have_class(re.compile(r"\brequest-open\b"))

        request.get_by_role("button", name="I'm on it").click()
        expect(status).to_have_attribute("data-state", "claimed", timeout=PUSH_TIMEOUT_MS)
        expect(status).to_contain_text("Sam is coming")
        expect(request).to_contain_text("Sam is on it")
        expect(request.get_by_role("button", name="Resolved")).to_be_visible()

        assert tablet.evaluate("window.notReloaded") is True, "the dashboard was reloaded"
        assert watch.errors == []
        assert watch.off_server() == []
        assert any(url.startswith(server.ws_url) for url in watch.urls)
    finally:
        tablet_context.close()
        phone_context.close()
