"""Issue 4 in a real headless Chromium: hold to send, claim, two tablets, escalation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.browser_support import (
    PUSH_TIMEOUT_MS,
    Scene,
    touch_hold,
)
from tests.support.server import Server

pytestmark = pytest.mark.browser

HOLD_MS = 1_000  # the #ask button's data-hold-ms
SHORT_PRESS_MS = 200
FULL_HOLD_MS = 1_200
ANA = "p1"  # the demo session's mat 1
ALERT_RED = "rgb(208, 85, 63)"  # an open request
ESCALATED_RED = "rgb(224, 102, 76)"  # the stronger red of an escalated one
# The browser logs every 4xx response; a refused claim is expected to be one.
REFUSED = "the server responded with a status of 409"


@pytest.fixture
def scene(browser: Browser, server: Server) -> Iterator[Scene]:
    people = Scene(browser, server)
    try:
        yield people
    finally:
        people.close()


def request_item(tablet: Page) -> Locator:
    return tablet.locator("#requests li.request")


def has_class(name: str) -> re.Pattern[str]:
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def test_a_short_press_sends_nothing_and_a_full_hold_sends(scene: Scene) -> None:
    phone = scene.phone(ANA)
    status = phone.locator("#assist-status")
    expect(status).to_have_attribute("data-state", "idle")

    touch_hold(phone, SHORT_PRESS_MS)
    phone.locator("#ask").hover()
    phone.mouse.down()
    phone.wait_for_timeout(SHORT_PRESS_MS)
    phone.mouse.up()
    phone.wait_for_timeout(HOLD_MS + 500)  # longer than a hold: a timer would have fired
    expect(status).to_have_attribute("data-state", "idle")
    expect(status).to_contain_text("Press and hold to ask for support")
    expect(phone.locator("#ask")).not_to_have_class(has_class("holding"))
    assert scene.server_request_ids() == []

    touch_hold(phone, FULL_HOLD_MS)
    expect(status).to_have_attribute("data-state", "open")
    expect(status).to_contain_text("Received")
    expect(phone.locator("#cancel")).to_be_visible()
    assert len(scene.server_request_ids()) == 1
    assert scene.watch.errors == []
    assert scene.watch.off_server() == []


def test_the_phone_follows_its_request_to_the_claim(scene: Scene) -> None:
    sam = scene.tablet("Sam")
    phone = scene.phone(ANA)
    status = phone.locator("#assist-status")

    touch_hold(phone, FULL_HOLD_MS)
    expect(status).to_contain_text("Received")
    tile = sam.locator(f"#mat-{ANA}")
    expect(tile.locator(".tile-request")).to_have_class(
        has_class("request-open"), timeout=PUSH_TIMEOUT_MS
    )

    tile.locator(".tile-face").click()  # the mat's sheet, as a facilitator at the tile would
    sam.locator("#sheet").get_by_role("button", name="I'm on it").click()
    expect(status).to_have_attribute("data-state", "claimed", timeout=PUSH_TIMEOUT_MS)
    expect(status).to_contain_text("Sam is coming")
    expect(tile.locator(".tile-request")).to_have_text("Sam is on it")
    expect(phone.locator("#cancel")).to_be_visible()
    assert sam.evaluate("window.notReloaded") is True
    assert scene.watch.errors == []
    assert scene.watch.off_server() == []


def test_two_tablets_see_who_claimed_and_a_stale_claim_is_told_who(scene: Scene) -> None:
    sam, kim = scene.tablet("Sam"), scene.tablet("Kim")
    scene.press_hardware_button(ANA)
    for tablet in (sam, kim):
        expect(request_item(tablet)).to_have_count(1, timeout=PUSH_TIMEOUT_MS)
        expect(request_item(tablet)).to_have_class(has_class("request-open"))
        expect(request_item(tablet)).to_contain_text("Ana")
    # Each tablet counts the wait itself, from the instant the item carries (clock.js).
    expect(request_item(kim).locator(".request-wait")).to_have_text(
        re.compile(r"^waiting 0:0[1-9]$"), timeout=PUSH_TIMEOUT_MS
    )
    # A copy of the request as Kim sees it now, claim button and all: after Sam's claim, a stale
    # control (a button names its command; the request is the item around it).
    kim.evaluate("window.staleItem = document.querySelector('#requests .request').cloneNode(true)")

    request_item(sam).get_by_role("button", name="I'm on it").click()
    expect(request_item(kim)).to_have_class(has_class("request-claimed"), timeout=PUSH_TIMEOUT_MS)
    expect(request_item(kim)).to_contain_text("Sam is on it")
    expect(request_item(kim)).to_have_attribute("data-claimed-by", "Sam")
    expect(request_item(kim).get_by_role("button", name="I'm on it")).to_have_count(0)
    expect(request_item(kim).locator(".request-wait")).to_have_text(
        re.compile(r"^claimed 0:0[1-9] ago$"), timeout=PUSH_TIMEOUT_MS
    )
    assert kim.evaluate("window.notReloaded") is True, "Kim's dashboard was reloaded"
    expect(kim.locator("#toast")).to_be_hidden()

    # Kim's list shows the copy again, as a tablet that missed the claim's push would.
    kim.evaluate(
        """() => {
            const live = document.querySelector('#requests .request');
            live.replaceWith(window.staleItem);
        }"""
    )
    expect(request_item(kim)).to_have_class(has_class("request-open"))
    request_item(kim).get_by_role("button", name="I'm on it").click()
    toast = kim.locator("#toast")
    expect(toast).to_be_visible(timeout=PUSH_TIMEOUT_MS)
    expect(toast).to_contain_text("Sam already claimed this request")
    expect(request_item(sam)).to_have_attribute("data-claimed-by", "Sam")  # still Sam's
    assert [error for error in scene.watch.errors if REFUSED not in error] == []
    assert scene.watch.off_server() == []


def test_a_claim_in_flight_when_a_colleague_claims_is_told_who(scene: Scene) -> None:
    sam, kim = scene.tablet("Sam"), scene.tablet("Kim")
    scene.press_hardware_button(ANA)
    expect(request_item(kim)).to_have_count(1, timeout=PUSH_TIMEOUT_MS)
    # Kim's tap leaves her tablet only when the test says so (a slow Wi-Fi moment). By the time
    # the refusal comes back, the push has replaced the button she tapped: htmx drops a response
    # whose target is gone, so the toast must be the target (base.html: hx-target:inherited).
    kim.evaluate(
        """() => {
            const send = window.fetch;
            const gate = new Promise((open) => { window.openGate = open; });
            window.fetch = (...args) => gate.then(() => send(...args));
        }"""
    )
    request_item(kim).get_by_role("button", name="I'm on it").click()
    request_item(sam).get_by_role("button", name="I'm on it").click()
    expect(request_item(kim)).to_contain_text("Sam is on it", timeout=PUSH_TIMEOUT_MS)

    with kim.expect_response(re.compile(r"/commands$")) as refused:
        kim.evaluate("window.openGate()")
    assert refused.value.status == 409
    expect(kim.locator("#toast")).to_contain_text("Sam already claimed this request")


def test_an_unclaimed_request_escalates_after_a_minute(scene: Scene) -> None:
    sam = scene.tablet("Sam")
    scene.press_hardware_button(ANA)
    item, tile = request_item(sam), sam.locator(f"#mat-{ANA}")
    expect(item).to_have_class(has_class("level-0"), timeout=PUSH_TIMEOUT_MS)
    expect(item).not_to_contain_text("no one has claimed this")
    expect(item).to_have_css("border-top-color", ALERT_RED)
    expect(tile.locator(".tile-face")).to_have_css("animation-name", "pulse")

    scene.advance_clock(61)
    expect(item).to_have_class(has_class("level-2"), timeout=PUSH_TIMEOUT_MS)
    expect(item.locator(".escalated-note")).to_have_text("no one has claimed this")
    expect(item.locator(".escalated-note")).to_be_visible()
    expect(tile.locator(".tile-request")).to_have_class(has_class("level-2"))
    expect(tile.locator(".tile-request")).to_have_class(has_class("request-open"))
    expect(item).to_have_css("border-top-color", ESCALATED_RED)
    expect(tile.locator(".tile-face")).to_have_css("animation-name", "pulse-strong")
    expect(tile.locator(".tile-face")).to_have_css("border-top-color", ESCALATED_RED)
    banner = sam.locator(".alert-banner")
    expect(banner).to_have_class(has_class("level-2"))
    expect(banner).to_have_css("background-color", "rgb(58, 20, 16)")  # the stronger red
    assert sam.evaluate("window.notReloaded") is True
    assert scene.watch.errors == []
