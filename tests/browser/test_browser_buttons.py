"""In a real headless Chromium: pairing a hardware button from the mat's sheet, as in the room."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.browser_support import PUSH_TIMEOUT_MS, Tablet, accept_confirmations
from tests.browser.test_browser_sheet import button, open_sheet
from tests.support.server import Server

pytestmark = pytest.mark.browser


def test_pair_a_button_from_the_sheet_then_revoke_it(sam: Tablet, server: Server) -> None:
    page = sam.page
    accept_confirmations(page)
    tile = page.locator("#mat-p2")
    sheet = open_sheet(page, 2)

    button(sheet, "Pair a button").click()
    expect(tile).to_contain_text("waiting for the button's first press", timeout=PUSH_TIMEOUT_MS)
    link = sheet.locator(".button-link")
    expect(link).to_contain_text("/api/button/", timeout=PUSH_TIMEOUT_MS)
    expect(sheet.locator(".button-pairing svg")).to_be_visible()  # the QR code to scan
    expect(sheet).to_contain_text("press the button now")

    url = link.inner_text()
    pressed = httpx.get(url.replace(url.split("/api/")[0], server.url))  # as the button sends it
    assert (pressed.status_code, pressed.text) == (200, "ok: paired\n")
    expect(tile).to_contain_text("button paired ✓", timeout=PUSH_TIMEOUT_MS)
    expect(sheet.locator(".button-paired-state")).to_contain_text("button paired ✓")
    expect(tile).not_to_contain_text("needs support")  # pairing is not a request

    button(sheet, "Revoke button").click()
    expect(tile).not_to_contain_text("button paired", timeout=PUSH_TIMEOUT_MS)
    expect(sheet.locator(".button-link")).to_have_count(0)
    assert httpx.get(url.replace(url.split("/api/")[0], server.url)).status_code == 404
