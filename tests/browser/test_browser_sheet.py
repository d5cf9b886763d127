"""In a real headless Chromium: every control of a mat's sheet on the dashboard, clicked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.browser_support import (
    PUSH_TIMEOUT_MS,
    Tablet,
    accept_confirmations,
    answer_after_the_push,
)

pytestmark = pytest.mark.browser

OUT_OF_RANGE_SYSTOLIC = "170"  # above the default limit of 160


def open_sheet(page: Page, mat: int) -> Locator:
    page.locator(f"#mat-p{mat} .tile-face").click()
    sheet = page.locator("#sheet")
    expect(sheet.locator(".sheet-head")).to_contain_text(f"Mat {mat} ·")
    return sheet


def close_sheet(page: Page) -> None:
    """The sheet covers part of the room on a tablet: close it to reach the tiles and the list."""
    sheet = page.locator("#sheet")
    button(sheet, "Close").click()
    expect(sheet).to_be_hidden()


def button(where: Locator, name: str) -> Locator:
    """The button of this name; a chosen status or flag may wear a mark before it ("✓ ok")."""
    return where.get_by_role("button", name=re.compile(rf"^\W*{re.escape(name)}$"))


def test_the_sheet_records_status_flag_dose_booster_vitals_and_note(sam: Tablet) -> None:
    page = sam.page
    tile = page.locator("#mat-p1")
    sheet = open_sheet(page, 1)

    button(sheet, "attention").click()
    expect(tile).to_have_class(re.compile(r"\bstatus-attention\b"), timeout=PUSH_TIMEOUT_MS)
    expect(tile.locator(".tile-status")).to_have_text("attention")

    button(sheet, "nausea").click()
    expect(tile.locator(".flags .chip")).to_have_text("nausea", timeout=PUSH_TIMEOUT_MS)
    expect(button(sheet, "nausea")).to_have_attribute("aria-pressed", "true")

    button(sheet, "Dosed now").click()
    expect(tile.locator(".dose-line")).to_contain_text("dose", timeout=PUSH_TIMEOUT_MS)
    button(sheet, "Booster now").click()
    expect(sheet.locator(".dose-row")).to_contain_text("booster", timeout=PUSH_TIMEOUT_MS)

    sheet.get_by_label("Systolic").fill(OUT_OF_RANGE_SYSTOLIC)
    sheet.get_by_label("Diastolic").fill("95")
    sheet.get_by_label("Heart rate").fill("80")
    sheet.get_by_label("SpO2").fill("97")
    page.route("**/commands", answer_after_the_push)  # the sheet is fetched again meanwhile
    button(sheet, "Save").click()
    expect(tile.locator(".vitals-chip")).to_contain_text(
        f"BP {OUT_OF_RANGE_SYSTOLIC}/95", timeout=PUSH_TIMEOUT_MS
    )
    expect(sheet.locator(".last-vitals")).to_contain_text("HR 80")
    expect(sheet.get_by_label("Systolic")).to_have_value("")  # the form is ready for the next
    page.unroute("**/commands")

    sheet.get_by_label("Note").fill("prefers the blanket")
    button(sheet, "Save note").click()
    expect(tile.locator(".note-mark")).to_have_attribute(
        "title", "prefers the blanket", timeout=PUSH_TIMEOUT_MS
    )
    close_sheet(page)
    assert sam.watch.errors == []


def test_requests_raised_from_the_sheet_are_claimed_released_resolved_and_reopened(
    sam: Tablet,
) -> None:
    page = sam.page
    requests = page.locator("#requests")
    ben = requests.locator("li.request", has_text="Ben")

    button(open_sheet(page, 2), "Ask others to watch").click()
    expect(ben).to_contain_text("watch · asked by Sam", timeout=PUSH_TIMEOUT_MS)
    expect(page.locator("#mat-p2 .tile-request")).to_contain_text("watch")
    close_sheet(page)

    button(ben, "I'm on it").click()
    expect(ben).to_contain_text("Sam is on it", timeout=PUSH_TIMEOUT_MS)
    button(ben, "Someone else please").click()
    expect(button(ben, "I'm on it")).to_be_visible(timeout=PUSH_TIMEOUT_MS)
    expect(ben).not_to_contain_text("Sam is on it")

    button(ben, "I'm on it").click()
    sheet = open_sheet(page, 2)  # the outcomes live in the sheet
    sheet.get_by_placeholder("note (optional)").fill("sipped some")
    button(sheet.get_by_role("group", name="Resolve with an outcome"), "water").click()
    recent = requests.locator(".recent")
    expect(recent).to_contain_text("Sam · water", timeout=PUSH_TIMEOUT_MS)
    expect(ben).to_have_count(0)
    close_sheet(page)

    button(recent, "Reopen").click()
    expect(ben).to_have_count(1, timeout=PUSH_TIMEOUT_MS)

    cleo = requests.locator("li.request", has_text="Cleo")
    button(open_sheet(page, 3), "Call backup here").click()
    expect(cleo).to_contain_text("backup · Sam asks", timeout=PUSH_TIMEOUT_MS)
    assert sam.watch.errors == []


def test_a_new_button_link_replaces_the_old_one(sam: Tablet) -> None:
    page = sam.page
    accept_confirmations(page)
    # Not by role: the push that follows closes the <details>, hiding the links from roles. By
    # the line's start (mat and name): a random link of another mat may hold "dev" ("…WDeVe").
    link = page.locator("details.links li", has_text=re.compile(r"^\s*4\s+Dev\s")).locator("a")
    old = link.get_attribute("href")
    assert old is not None and old.startswith("/p/")

    button(open_sheet(page, 4), "New button link").click()
    expect(link).not_to_have_attribute("href", old, timeout=PUSH_TIMEOUT_MS)
    expect(link).to_have_attribute("href", re.compile(r"^/p/"))
    assert sam.watch.errors == []
