"""The forms a facilitator fills in and the phone's "I'm OK now", typed and clicked in Chromium.

Each test here would have caught a failure a user met: forms refused for their `Origin: null`,
a plan form larger than the form parser allowed, a cancel button that slid from under the
finger, and a pairing card whose join link left the code field empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from roomlive.web.render import qr_svg
from tests.browser.browser_support import (
    PHONE,
    PUSH_TIMEOUT_MS,
    Scene,
    join_and_open_dashboard,
    open_button_page,
)
from tests.support.server import JOIN_CODE, Server

pytestmark = pytest.mark.browser

FULL_HOLD_MS = 1_200  # longer than the button's data-hold-ms
CANCEL_SPOTS = ("centre", "left edge", "right edge")


class Forms(Scene):
    """A scene whose tablets join through the join form, as a facilitator does."""

    def joined_page(self, name: str = "Sam") -> Page:
        page = self.page()
        page.goto(f"{self.server.url}/join")
        page.get_by_label("Your name").fill(name)
        page.get_by_label("Join code").fill(JOIN_CODE)
        page.get_by_role("button", name="Join").click()
        expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
        return page


@pytest.fixture
def forms(browser: Browser, server: Server) -> Iterator[Forms]:
    scene = Forms(browser, server)
    try:
        yield scene
    finally:
        scene.close()


def test_new_session_form_shows_its_error_then_creates_the_session(forms: Forms) -> None:
    page = forms.joined_page()
    page.get_by_role("link", name="New session").click()
    page.get_by_label("Session name").fill("Thursday group")
    page.get_by_label("Room").fill("Garden room")
    participants = page.get_by_label(re.compile("^Participants"))
    participants.fill("1 Ana\nBen without a mat")
    page.get_by_role("button", name="Create session").click()

    expect(page.get_by_role("alert")).to_contain_text("Line 2: expected a mat number")
    expect(page.get_by_role("alert")).to_contain_text("Cleo")  # names keep their capitals
    expect(page.get_by_label("Session name")).to_have_value("Thursday group")  # nothing retyped

    participants.fill("1 Ana\n2 Ben\n3 Cleo")
    with page.expect_websocket() as socket_info:
        page.get_by_role("button", name="Create session").click()
    socket_info.value.wait_for_event("framereceived")
    expect(page).to_have_url(re.compile(r"/s/[A-Za-z0-9_-]+$"))
    expect(page.locator("article.tile")).to_have_count(3)
    expect(page.locator("article.tile").first).to_contain_text("Ana")
    assert forms.watch.off_server() == []


def test_purge_is_typed_and_confirmed_on_the_review(forms: Forms) -> None:
    ended = forms.http.post(f"/s/{forms.sid}/commands", data={"action": "end"})
    assert ended.status_code == 204, ended.text
    page = forms.joined_page()
    page.locator("a.session-link").first.click()  # past sessions open on their review
    page.get_by_role("link", name="Purge…").click()

    confirm = page.get_by_label(re.compile("to confirm"))
    confirm.fill("not the name")
    page.get_by_role("button", name="Purge this session for good").click()
    expect(page.get_by_role("alert")).to_contain_text("Type the session's name exactly")

    name = page.locator("form strong").inner_text()
    page.get_by_label(re.compile("to confirm")).fill(name)
    page.get_by_role("button", name="Purge this session for good").click()
    expect(page.get_by_role("heading", name="Session purged")).to_be_visible()
    assert forms.http.get("/api/sessions").json() == []


def test_the_whole_plan_is_saved_and_saved_as_a_preset(forms: Forms) -> None:
    page = forms.joined_page()
    page.goto(f"{forms.server.url}/s/{forms.sid}/settings")
    page.get_by_label("Phase 1 name").fill("Arriving")
    page.get_by_label("Phase 16 name").fill("Last words")  # the plan form's last row
    page.get_by_label("Phase 16 minutes").fill("5")
    page.get_by_role("button", name="Save plan").click()
    expect(page.locator("#toast")).to_contain_text("Plan saved.", timeout=PUSH_TIMEOUT_MS)

    page.get_by_label("Preset name").fill("Garden evenings")
    page.get_by_role("button", name="Save this plan as a preset").click()
    expect(page.locator("#toast")).to_contain_text("Preset saved.", timeout=PUSH_TIMEOUT_MS)

    page.goto(f"{forms.server.url}/sessions/new")
    expect(page.get_by_label("Preset").locator("option")).to_contain_text(["Garden evenings"])
    settings = forms.http.get(f"/s/{forms.sid}/settings").text
    assert 'value="Arriving"' in settings and 'value="Last words"' in settings


@pytest.mark.parametrize("spot", CANCEL_SPOTS)
def test_im_ok_now_cancels_wherever_it_is_tapped(forms: Forms, spot: str) -> None:
    tablet = forms.page()
    join_and_open_dashboard(tablet, forms.server, "Sam")
    phone = forms.page(PHONE, touch=True)
    open_button_page(phone, forms.server, f"/p/{forms.tokens['p1']}")
    status = phone.locator("#assist-status")

    phone.locator("#ask").hover()
    phone.mouse.down()
    phone.wait_for_timeout(FULL_HOLD_MS)
    phone.mouse.up()
    expect(status).to_contain_text("Received")
    expect(tablet.locator("#requests li.request")).to_have_count(1, timeout=PUSH_TIMEOUT_MS)

    cancel = phone.get_by_role("button", name="I'm OK now")
    box = cancel.bounding_box()
    assert box is not None
    x = {"centre": box["width"] / 2, "left edge": 8, "right edge": box["width"] - 8}[spot]
    cancel.click(position={"x": x, "y": box["height"] / 2})

    expect(status).to_have_attribute("data-state", "idle", timeout=PUSH_TIMEOUT_MS)
    expect(tablet.locator("#requests li.request")).to_have_count(0, timeout=PUSH_TIMEOUT_MS)


def test_the_tablet_card_joins_with_the_code_filled_in(forms: Forms) -> None:
    tablet = forms.joined_page()
    tablet.goto(f"{forms.server.url}/s/{forms.sid}/cards")
    card_qr = tablet.locator(".facilitator-card .card-qr svg")
    join_url = f"{forms.server.url}/join?next=/s/{forms.sid}&code={JOIN_CODE}"
    assert _same_svg(card_qr.evaluate("svg => svg.outerHTML"), str(qr_svg(join_url)))

    new_tablet = forms.page()  # a tablet that has never joined scans the card
    new_tablet.goto(join_url)
    expect(new_tablet.get_by_label("Join code")).to_have_value(JOIN_CODE)
    new_tablet.get_by_label("Your name").fill("Kim")
    with new_tablet.expect_websocket() as socket_info:
        new_tablet.get_by_role("button", name="Join").click()
    socket_info.value.wait_for_event("framereceived")
    expect(new_tablet).to_have_url(f"{forms.server.url}/s/{forms.sid}")


def _same_svg(in_page: str, rendered: str) -> bool:
    """The same drawing: the browser may re-serialise attributes, so compare the QR's path."""

    def path(svg: str) -> str:
        found = re.search(r'\sd="([^"]+)"', svg)
        assert found, svg
        return found.group(1)

    return path(in_page) == path(rendered)
