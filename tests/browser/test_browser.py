"""End to end in a real headless Chromium: a participant's tap reaches a facilitator's tablet."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.browser_support import (
    PHONE,
    PUSH_TIMEOUT_MS,
    TABLET,
    Watch,
    join_and_open_dashboard,
    open_button_page,
)
from tests.support.server import Server


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

        open_button_page(phone, server, href)
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
        expect(tablet.locator("#mat-p1-request")).to_have_class(re.compile(r"\brequest-open\b"))

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
