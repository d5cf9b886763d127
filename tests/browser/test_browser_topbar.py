"""In a real headless Chromium: the dashboard's top bar (clock, phases, round) and its tools
(button test, alert timing, finding a tablet, pairing cards, this tablet's look), clicked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.browser_support import PUSH_TIMEOUT_MS, Tablet, answer_after_the_push
from tests.support.server import Server

pytestmark = pytest.mark.browser

DEMO_MATS = 8


def button(where: Page | Locator, name: str) -> Locator:
    return where.get_by_role("button", name=name, exact=True)


def test_the_clock_and_the_phases_follow_the_top_bar(sam: Tablet) -> None:
    page = sam.page
    state, phase = page.locator(".clock-state"), page.locator(".phase-name")

    button(page, "Start clock").click()
    expect(state).to_have_text("journey clock", timeout=PUSH_TIMEOUT_MS)
    button(page, "Pause").click()
    expect(state).to_have_text("paused", timeout=PUSH_TIMEOUT_MS)
    button(page, "Resume").click()
    expect(state).to_have_text("journey clock", timeout=PUSH_TIMEOUT_MS)

    button(page, "Advance to Opening circle").click()
    expect(phase).to_contain_text("Opening circle", timeout=PUSH_TIMEOUT_MS)
    expect(phase).to_contain_text(f"2/{DEMO_MATS}")
    button(page, "Back to Arrival").click()
    expect(phase).to_contain_text("Arrival", timeout=PUSH_TIMEOUT_MS)
    expect(phase).to_contain_text(f"1/{DEMO_MATS}")

    button(page, "Extend this phase by 1 minute").click()
    expect(phase).to_contain_text("+1 min", timeout=PUSH_TIMEOUT_MS)
    button(page, "Extend this phase by 5 minutes").click()
    expect(phase).to_contain_text("+6 min", timeout=PUSH_TIMEOUT_MS)
    assert sam.watch.errors == []


def test_a_check_in_round_walks_the_circle(sam: Tablet) -> None:
    page = sam.page
    round_button, head = button(page, "Round"), page.locator("#sheet .sheet-head")

    round_button.click()
    expect(round_button).to_have_attribute("aria-pressed", "true")
    expect(head).to_contain_text("Mat 1 · Ana")
    page.locator("#sheet").get_by_role("button", name=re.compile(r"^\W*ok$")).click()
    expect(head).to_contain_text("Mat 2 · Ben", timeout=PUSH_TIMEOUT_MS)  # checked: next mat
    expect(page.locator("#mat-p1 .tile-status")).to_have_text("ok")
    button(page, "Next mat in the round").click()
    expect(head).to_contain_text("Mat 3 · Cleo")
    button(page.locator("#sheet"), "Close").click()
    expect(round_button).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#sheet")).to_be_hidden()
    assert sam.watch.errors == []


def test_a_button_test_starts_and_ends(sam: Tablet) -> None:
    page = sam.page
    tools = page.locator("#tools")
    button(page, "Start button test").click()
    expect(tools).to_contain_text(f"Button test running: 0 of {DEMO_MATS} tested")
    expect(page.locator("#mat-p1 .test-chip")).to_have_text("not tested")
    button(page, "End button test").click()
    expect(button(page, "Start button test")).to_be_visible(timeout=PUSH_TIMEOUT_MS)
    expect(page.locator(".test-chip")).to_have_count(0)
    assert sam.watch.errors == []


def test_alert_timing_is_saved(sam: Tablet) -> None:
    page = sam.page
    page.route("**/commands", answer_after_the_push)
    page.get_by_text("Alert timing").click()
    page.get_by_label("Alert again after").fill("45")
    page.get_by_label("Escalate after").fill("90")
    page.get_by_label("Ask the claimer again after").fill("300")
    button(page.locator(".ladder-form"), "Save").click()
    expect(page.locator("#toast")).to_contain_text("Alert timing saved.")
    expect(page.get_by_label("Escalate after")).to_have_value("90", timeout=PUSH_TIMEOUT_MS)
    expect(page.get_by_label("Alert again after")).to_have_value("45")
    expect(page.get_by_label("Ask the claimer again after")).to_have_value("300")
    expect(page.locator("#panel-ladder")).to_have_attribute("open", "")  # still open after it
    assert sam.watch.errors == []


def test_a_push_keeps_open_panels_and_what_is_being_typed(sam: Tablet, server: Server) -> None:
    page = sam.page
    page.get_by_text("Alert timing").click()
    page.get_by_text("Participant button links").click()
    page.get_by_label("Escalate after").fill("75")  # typed, not saved yet
    href = page.locator('#panel-links a[href^="/p/"]').first.get_attribute("href")
    assert href is not None

    with sam.page.context.browser.new_context() as phone_context:  # type: ignore[union-attr]
        phone = phone_context.new_page()
        phone.goto(f"{server.url}{href}")  # the phone connects: the side column is pushed
        expect(page.locator("#panel-devices summary")).to_contain_text(
            "1/8 buttons", timeout=PUSH_TIMEOUT_MS
        )
    expect(page.locator("#panel-ladder")).to_have_attribute("open", "")
    expect(page.locator("#panel-links")).to_have_attribute("open", "")
    expect(page.get_by_label("Escalate after")).to_have_value("75")
    expect(page.get_by_label("Escalate after")).to_be_focused()


def test_find_makes_the_tablet_pulse(sam: Tablet) -> None:
    page = sam.page
    devices = page.locator("details.devices")
    devices.locator("summary").click()
    expect(devices).to_contain_text("1 tablet")
    button(devices.locator("li", has_text="Sam"), "Find").click()
    expect(page.locator("#toast")).to_contain_text("That tablet's screen is pulsing now.")
    expect(page.locator("body")).to_have_class(re.compile(r"\bfinding\b"), timeout=PUSH_TIMEOUT_MS)
    assert sam.watch.errors == []


def test_the_pairing_cards_open_from_the_links(sam: Tablet) -> None:
    page = sam.page
    page.get_by_text("Participant button links").click()
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Print pairing cards").click()
    cards = opened.value
    expect(cards.get_by_role("heading", name="Pairing cards · Demo group")).to_be_visible()
    expect(cards.locator(".card-mat")).to_have_count(DEMO_MATS)
    assert sam.watch.errors == []


def test_this_tablets_look_is_its_own(sam: Tablet) -> None:
    page = sam.page
    page.get_by_text("This tablet").click()
    page.get_by_label("Red night theme").check()
    expect(page.locator("html")).to_have_class(re.compile(r"\btheme-red\b"))
    page.get_by_label("Blackout: dim everything but alerts").check()
    expect(page.locator("html")).to_have_class(re.compile(r"\bblackout\b"))
    page.reload()  # kept on this tablet
    expect(page.locator("html")).to_have_class(re.compile(r"\btheme-red\b.*\bblackout\b"))
    assert sam.watch.errors == []
