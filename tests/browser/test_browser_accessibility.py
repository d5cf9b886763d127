"""Issue 10 in a real headless Chromium: axe-core on every page, in the states that matter.

No page may have a serious or critical violation. The states a page is about are reached
through its UI (a held button, a tap on "I'm on it"); the setup around them goes through HTTP.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.browser_support import (
    PUSH_TIMEOUT_MS,
    Scene,
    touch_hold,
)
from tests.support.server import JOIN_CODE, Server

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")
FULL_HOLD_MS = 1_200  # longer than the #ask button's data-hold-ms
ESCALATE_SECONDS = 61  # past the default ladder's 60 s
ANA = "p1"  # the demo session's mat 1


@functools.cache
def axe_source() -> str:
    """axe-core as shipped inside axe-playwright-python (read, not imported: it has no types)."""
    spec = find_spec("axe_playwright_python")
    assert spec is not None and spec.origin is not None, "axe-playwright-python is not installed"
    return (Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8")


def scan(page: Page) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now. Evaluated, not a script tag: the CSP allows
    only the server's own scripts, and an evaluation from the test is not subject to it."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    violations: list[dict[str, Any]] = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations)"
    )
    return violations


def describe(where: str, violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{where}: {v['id']} ({v['impact']}) {v['help']} [{len(v['nodes'])} nodes]")
        for node in v["nodes"]:
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"    {' '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


class Audit(Scene):
    """Scans pages as the test goes, so one failure reports every page that failed."""

    def __init__(self, browser: Browser, server: Server) -> None:
        super().__init__(browser, server)
        self.found: dict[str, list[dict[str, Any]]] = {}

    def check(self, page: Page, where: str) -> None:
        self.found[where] = scan(page)

    def command(self, **form: str) -> None:
        answer = self.http.post(
            f"/s/{self.sid}/commands", data=form, headers={"idempotency-key": secrets.token_hex(8)}
        )
        assert answer.status_code == 204, answer.text

    def assert_clean(self) -> None:
        assert self.found, "nothing was scanned"
        blocking = {
            where: [v for v in violations if v["impact"] in BLOCKING]
            for where, violations in self.found.items()
        }
        report = "\n".join(describe(where, found) for where, found in blocking.items() if found)
        assert not report, "axe found serious or critical violations:\n" + report


@pytest.fixture
def audit(browser: Browser, server: Server) -> Iterator[Audit]:
    checker = Audit(browser, server)
    try:
        yield checker
    finally:
        checker.close()


def has_class(name: str) -> re.Pattern[str]:
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def test_the_facilitator_pages_pass_axe(audit: Audit) -> None:
    page = audit.page()
    page.goto(f"{audit.server.url}/join")
    audit.check(page, "join")
    page.get_by_label("Your name").fill("Sam")
    page.get_by_label("Join code").fill(JOIN_CODE)
    page.get_by_role("button", name="Join").click()
    expect(page.locator("a.session-link")).to_have_count(1)
    audit.check(page, "home")
    for where, path in [
        ("new session", "/sessions/new"),
        ("settings", f"/s/{audit.sid}/settings"),
        ("cards", f"/s/{audit.sid}/cards"),
        ("import", "/import"),
        ("purge of a running session", f"/s/{audit.sid}/purge"),
    ]:
        page.goto(f"{audit.server.url}{path}")
        audit.check(page, where)
    answer = page.goto(f"{audit.server.url}/s/no-such-session")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("No such session")
    audit.check(page, "error page")
    audit.assert_clean()


def varied_room(audit: Audit) -> None:
    """Mats in the other looks a tile has, so their colours are scanned too."""
    audit.command(action="start")
    audit.command(action="check", pid="p2", status="ok")
    audit.command(action="flag", pid="p2", flag="water")
    audit.command(action="check", pid="p3", status="watch")
    audit.command(action="note", pid="p3", text="cold feet")
    audit.command(action="check", pid="p4", status="attention")
    audit.command(action="vitals", pid="p4", systolic="172", diastolic="101", hr="", spo2="")
    audit.command(action="check", pid="p5", status="away")
    audit.command(action="dose", pid="p6", kind="dose")
    audit.command(action="raise", pid="p7", kind="watch")


def test_the_dashboard_and_the_button_pass_axe_through_a_request(audit: Audit) -> None:
    varied_room(audit)
    sam, phone = audit.tablet("Sam"), audit.phone(ANA)
    audit.check(sam, "dashboard, idle")
    audit.check(phone, "participant, idle")
    announce = sam.locator("#announce")
    expect(announce).to_have_attribute("aria-live", "assertive")
    # A tile's name is what it shows, in words.
    name = re.compile(r"^Mat 4 Dev attention last checked \d+ min BP 172/101 button offline$")
    expect(sam.locator("#mat-p4 .tile-face")).to_have_accessible_name(name)

    phone.evaluate("window.liveStatus = document.getElementById('assist-status')")
    touch_hold(phone, FULL_HOLD_MS)
    expect(phone.locator("#assist-status")).to_have_attribute("data-state", "open")
    expect(phone.locator("#assist-status")).to_contain_text("Received")
    # the phone's live region is updated in place, not replaced
    assert phone.evaluate("document.getElementById('assist-status') === window.liveStatus")
    audit.check(phone, "participant, sent")
    tile, band = sam.locator(f"#mat-{ANA}"), sam.locator(f"#mat-{ANA}-request")
    expect(band).to_have_class(has_class("request-open"), timeout=PUSH_TIMEOUT_MS)
    # Told, not only drawn: the persistent live region names the mat; the tile's name says it.
    expect(announce).to_contain_text("Mat 1, Ana", timeout=PUSH_TIMEOUT_MS)
    expect(announce).to_have_text("Mat 1, Ana: needs support")
    expect(tile.locator(".tile-face")).to_have_accessible_name(
        re.compile(r"^Mat 1 Ana needs support ")
    )
    audit.check(sam, "dashboard, open request")

    tile.locator(".tile-face").click()
    sheet = sam.locator("#sheet")
    expect(sam.get_by_role("dialog", name="Mat 1 · Ana")).to_be_visible()
    expect(sheet.get_by_role("button", name="I'm on it")).to_be_visible()
    audit.check(sam, "dashboard, mat sheet")
    sheet.get_by_role("button", name="Close").click()
    expect(sheet).to_be_hidden()

    audit.advance_clock(ESCALATE_SECONDS)
    expect(band).to_have_class(has_class("level-2"), timeout=PUSH_TIMEOUT_MS)
    expect(announce).to_contain_text(
        "Mat 1, Ana: needs support, no one has claimed this", timeout=PUSH_TIMEOUT_MS
    )
    escalated = re.compile(r"^Mat 1 Ana needs support\W+escalated: no one has claimed this ")
    expect(tile.locator(".tile-face")).to_have_accessible_name(escalated)
    audit.check(sam, "dashboard, escalated request")

    banner = sam.locator(".alert-banner", has_text="Ana")
    banner.get_by_role("button", name="I'm on it").click()
    expect(phone.locator("#assist-status")).to_have_attribute(
        "data-state", "claimed", timeout=PUSH_TIMEOUT_MS
    )
    expect(announce).to_have_text("Mat 1, Ana: Sam is on it", timeout=PUSH_TIMEOUT_MS)
    expect(tile.locator(".tile-face")).to_have_accessible_name(
        re.compile(r"^Mat 1 Ana Sam is on it ")
    )
    expect(phone.locator("#assist-status")).to_contain_text("Sam is coming")
    assert phone.evaluate("document.getElementById('assist-status') === window.liveStatus")
    audit.check(phone, "participant, claimed")
    audit.check(sam, "dashboard, claimed request")

    sam.get_by_text("This tablet").click()
    sam.get_by_label("Red night theme").check()
    expect(sam.locator("html")).to_have_class(has_class("theme-red"))
    audit.check(sam, "dashboard, red night theme")
    assert audit.watch.errors == []
    assert audit.watch.off_server() == []
    audit.assert_clean()


def test_the_review_summary_and_purge_pass_axe(audit: Audit) -> None:
    audit.command(action="start")
    pressed = audit.http.post(
        f"/p/{audit.tokens[ANA]}/assist", headers={"idempotency-key": "press-0001"}
    )
    assert pressed.status_code == 200, pressed.text
    audit.advance_clock(40)
    found = re.search(r'id="request-([^"]+)"', audit.http.get(f"/s/{audit.sid}").text)
    assert found
    audit.command(action="claim", rid=found.group(1))
    audit.command(action="check", pid=ANA, status="watch")
    audit.command(action="vitals", pid=ANA, systolic="165", diastolic="95", hr="88", spo2="97")
    audit.command(action="resolve", rid=found.group(1), outcome="water", note="")
    audit.command(action="end")

    page = audit.page()
    page.goto(f"{audit.server.url}/join?next=/s/{audit.sid}/review")
    page.get_by_label("Your name").fill("Sam")
    page.get_by_label("Join code").fill(JOIN_CODE)
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#timeline")).to_be_visible()
    audit.check(page, "review")
    page.goto(f"{audit.server.url}/s/{audit.sid}/summary")
    audit.check(page, "summary")
    page.goto(f"{audit.server.url}/s/{audit.sid}/purge")
    expect(page.get_by_role("button", name="Purge this session for good")).to_be_visible()
    audit.check(page, "purge")
    assert audit.watch.errors == []
    audit.assert_clean()
