"""In a real headless Chromium: the settings page's forms (preset, auto-advance, check-in interval,
flags, vitals limits), filled and sent; then their effect on the dashboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.browser_support import PUSH_TIMEOUT_MS, Tablet

pytestmark = pytest.mark.browser

INTERVAL_MINUTES = 10
CLOCK_SLACK_SECONDS = 30  # from the start to reading the tile, and this browser's clock estimate
SYSTOLIC_LIMIT = 120
READING = "130"  # over the new limit, under the default one (160)


def form_with(page: Page, label: str) -> Locator:
    return page.locator("form", has=page.get_by_label(label))


def saved(page: Page, message: str) -> None:
    expect(page.locator("#toast")).to_have_text(message)


def open_settings(page: Page) -> None:
    page.get_by_role("link", name="Plan, flags and limits…").click()
    expect(page.get_by_role("heading", name="Plan and settings")).to_be_visible()


def test_the_settings_forms_save_and_the_dashboard_follows(sam: Tablet) -> None:
    page = sam.page
    open_settings(page)

    page.get_by_label("Preset", exact=True).select_option(label="Lozenge group")
    page.get_by_role("button", name="Load into the plan").click()
    saved(page, "Preset loaded.")

    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("button", name="Turn off")).to_be_visible()  # the page shows it
    expect(page.locator("form:has(input[value=auto]) strong")).to_have_text("on")

    page.get_by_label("Check each participant every").fill(str(INTERVAL_MINUTES))
    form_with(page, "Check each participant every").get_by_role("button", name="Save").click()
    saved(page, "Interval saved.")

    page.get_by_label("Flags, separated by commas").fill("dosed, nausea, music")
    form_with(page, "Flags, separated by commas").get_by_role("button", name="Save").click()
    saved(page, "Flags saved.")

    page.get_by_label("Systolic above").fill(str(SYSTOLIC_LIMIT))
    page.get_by_role("button", name="Save limits").click()
    saved(page, "Limits saved.")

    page.reload()  # the page as saved
    expect(page.get_by_label("Phase 3 name")).to_have_value("Dosing (hold)")
    expect(page.get_by_role("button", name="Turn off")).to_be_visible()
    expect(page.get_by_label("Systolic above")).to_have_value(str(SYSTOLIC_LIMIT))

    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.locator(".badge-auto")).to_have_text("auto")
    tile = page.locator("#mat-p1")
    # Once the clock runs, each tile falls overdue one (new) interval after the start.
    page.get_by_role("button", name="Start clock").click()
    expect(tile).to_have_attribute("data-overdue-at", re.compile(r"^\d"), timeout=PUSH_TIMEOUT_MS)
    left = page.evaluate(
        "parseFloat(document.getElementById('mat-p1').dataset.overdueAt)"
        " - window.roomlive.serverNow()"
    )
    assert abs(left - INTERVAL_MINUTES * 60) < CLOCK_SLACK_SECONDS
    tile.locator(".tile-face").click()
    sheet = page.locator("#sheet")
    expect(sheet.get_by_role("button", name="music")).to_be_visible()
    expect(sheet.get_by_role("button", name="blanket")).to_have_count(0)
    sheet.get_by_label("Systolic").fill(READING)
    sheet.get_by_label("Diastolic").fill("80")
    sheet.get_by_role("button", name="Save", exact=True).click()
    expect(tile.locator(".vitals-chip")).to_contain_text(
        f"BP {READING}/80", timeout=PUSH_TIMEOUT_MS
    )
    expect(tile).to_have_class(re.compile(r"\bvitals-out\b"))
    assert sam.watch.errors == []
