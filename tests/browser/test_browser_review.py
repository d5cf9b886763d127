"""In a real headless Chromium: the review's scrubber replays the dashboard as it was."""

from __future__ import annotations

import json
import math
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.browser_support import PUSH_TIMEOUT_MS, Tablet, Watch, accept_confirmations
from tests.support.server import JOIN_CODE, Server

WIDE: ViewportSize = {"width": 1280, "height": 800}
LATER_SECONDS = 60  # between the dose and the end, so the two are apart on the scrubber


@pytest.fixture
def lead(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"origin": server.url}) as client:
        joined = client.post("/join", data={"name": "Sam", "code": JOIN_CODE, "next": "/"})
        assert joined.status_code == 303
        yield client


def command(client: httpx.Client, sid: str, **form: str) -> None:
    answer = client.post(
        f"/s/{sid}/commands", data=form, headers={"idempotency-key": secrets.token_hex(8)}
    )
    assert answer.status_code == 204, answer.text


def advance(client: httpx.Client, seconds: float) -> None:
    assert client.post("/_test/clock", data={"seconds": str(seconds)}).status_code == 200


def session_with_a_request(client: httpx.Client) -> tuple[str, float, float]:
    """The demo session: Ana asks, Sam claims 40 s later and resolves; then it ends."""
    session = client.get("/api/sessions").json()[0]
    sid, token = session["sid"], session["participants"][0]["token"]
    command(client, sid, action="start")
    pressed = client.post(f"/p/{token}/assist", headers={"idempotency-key": "press-0001"})
    assert pressed.status_code == 200
    advance(client, 40)
    found = re.search(r'id="request-([^"]+)"', client.get(f"/s/{sid}").text)
    assert found
    command(client, sid, action="claim", rid=found.group(1))
    advance(client, 60)
    command(client, sid, action="resolve", rid=found.group(1), outcome="water", note="")
    command(client, sid, action="end")
    log = client.get(f"/s/{sid}/export.json").json()["events"]
    raised = next(item["at"] for item in log if item["type"] == "AssistRaised")
    claimed = next(item["at"] for item in log if item["type"] == "AssistClaimed")
    return sid, raised, claimed


def scrub_to(page: Page, at: float) -> None:
    with page.expect_response(re.compile(r"/replay\?")):
        page.locator("#scrubber").fill(str(int(at)))


@pytest.mark.browser
def test_the_scrubber_replays_the_dashboard_as_it_was(
    browser: Browser, server: Server, lead: httpx.Client
) -> None:
    sid, raised, claimed = session_with_a_request(lead)
    watch = Watch(server)
    context = browser.new_context(viewport=WIDE)
    try:
        page = watch.attach(context)
        page.goto(f"{server.url}/join?next=/s/{sid}/review")
        page.get_by_label("Your name").fill("Sam")
        page.get_by_label("Join code").fill(JOIN_CODE)
        page.get_by_role("button", name="Join").click()
        expect(page.locator("#timeline")).to_be_visible()
        band = page.locator("#replay #mat-p1-request")  # the tile's request band
        requests = page.locator("#replay #requests")
        expect(page.locator("#replay #topbar")).to_have_attribute("data-ended", "true")
        expect(requests).to_contain_text("Recently closed")

        scrub_to(page, raised + 20)  # asked, nobody on it yet
        expect(band).to_have_class(re.compile(r"\brequest-open\b"), timeout=PUSH_TIMEOUT_MS)
        expect(requests.locator("li.request")).to_have_count(1)
        expect(requests.locator("li.request")).to_contain_text("needs support")
        expect(page.locator("#replay #topbar")).not_to_have_attribute("data-ended", "true")
        cursor_open = page.locator("#cursor").get_attribute("x1")

        scrub_to(page, claimed + 5)  # Sam is on it
        expect(band).to_have_class(re.compile(r"\brequest-claimed\b"), timeout=PUSH_TIMEOUT_MS)
        expect(requests.locator("li.request")).to_contain_text("Sam is on it")
        assert page.locator("#cursor").get_attribute("x1") != cursor_open

        scrub_to(page, raised - 5)  # before the press: a quiet room
        expect(requests.locator("li.request")).to_have_count(0, timeout=PUSH_TIMEOUT_MS)
        expect(band).not_to_have_class(re.compile(r"\brequest-(open|claimed)\b"))

        bar = page.locator("#timeline .item.bar").first  # tapping a request goes to its start
        with page.expect_response(re.compile(r"/replay\?")):
            bar.click()
        expect(page.locator("#detail")).to_contain_text("claimed by Sam after 0:40")
        assert page.locator("#scrubber").input_value() == str(math.ceil(raised))
        expect(band).to_have_class(re.compile(r"\brequest-open\b"), timeout=PUSH_TIMEOUT_MS)

        assert watch.errors == []
        assert watch.off_server() == []
    finally:
        context.close()


@pytest.mark.browser
def test_a_fast_scrub_ends_on_the_last_moment_chosen(
    browser: Browser, server: Server, lead: httpx.Client
) -> None:
    sid, raised, claimed = session_with_a_request(lead)
    context = browser.new_context(viewport=WIDE)
    try:
        watch = Watch(server)
        page = watch.attach(context)
        page.goto(f"{server.url}/join?next=/s/{sid}/review")
        page.get_by_label("Your name").fill("Sam")
        page.get_by_label("Join code").fill(JOIN_CODE)
        page.get_by_role("button", name="Join").click()
        scrubber = page.locator("#scrubber")
        for at in range(int(raised) - 30, int(claimed) + 10, 3):  # a drag, one step at a time
            scrubber.fill(str(at))
        scrubber.fill(str(int(raised) + 5))
        band = page.locator("#replay #mat-p1-request")
        expect(band).to_have_class(re.compile(r"\brequest-open\b"), timeout=PUSH_TIMEOUT_MS)
        page.wait_for_timeout(500)  # nothing older lands afterwards
        expect(band).to_have_class(re.compile(r"\brequest-open\b"))
        expect(page.locator("#scrub-time")).not_to_be_empty()
        assert watch.errors == []
    finally:
        context.close()


@pytest.mark.browser
def test_an_export_imported_from_the_home_page_opens_its_review(
    browser: Browser, server: Server, lead: httpx.Client, tmp_path: Path
) -> None:
    sid, _, _ = session_with_a_request(lead)
    exported = tmp_path / "export.json"
    exported.write_bytes(lead.get(f"/s/{sid}/export.json").content)
    (tmp_path / "bad.json").write_text('{"schema": "something else"}')
    watch = Watch(server)
    context = browser.new_context(viewport=WIDE)
    try:
        page = watch.attach(context)
        page.goto(f"{server.url}/join?next=/")
        page.get_by_label("Your name").fill("Kim")
        page.get_by_label("Join code").fill(JOIN_CODE)
        page.get_by_role("button", name="Join").click()
        page.get_by_role("link", name="Import an export for review").click()

        page.get_by_label("Export file").set_input_files(tmp_path / "bad.json")
        page.get_by_role("button", name="Import").click()
        expect(page.locator("#import-message")).to_contain_text("not a roomlive export")

        page.get_by_label("Export file").set_input_files(exported)
        page.get_by_role("button", name="Import").click()
        page.wait_for_url(re.compile(r"/s/[^/]+/review$"))
        assert sid not in page.url  # the id was taken here, so the copy has a new one
        expect(page.locator("#timeline .item.bar")).to_have_count(1)
        expect(page.locator("#replay #topbar")).to_have_attribute("data-ended", "true")
        review = page.url

        page.goto(f"{server.url}/import")  # the same file again: still one session
        page.get_by_label("Export file").set_input_files(exported)
        page.get_by_role("button", name="Import").click()
        message = page.locator("#import-message")
        expect(message).to_contain_text("Already imported")
        message.get_by_role("link", name="open its review").click()
        page.wait_for_url(review)
        assert len(lead.get("/api/sessions").json()) == 2
        assert [e for e in watch.errors if "400" not in e] == []  # the refused file's answer
    finally:
        context.close()


@pytest.mark.browser
def test_a_session_ended_on_the_dashboard_is_reviewed_and_exported(sam: Tablet) -> None:
    page = sam.page
    accept_confirmations(page)
    page.get_by_role("button", name="Start clock").click()
    page.locator("#mat-p1 .tile-face").click()
    page.locator("#sheet").get_by_role("button", name="Dosed now").click()
    expect(page.locator("#mat-p1 .dose-line")).to_be_visible(timeout=PUSH_TIMEOUT_MS)
    page.keyboard.press("Escape")  # closes the sheet
    origin = page.url.split("/s/")[0]
    moved = page.request.post(f"{origin}/_test/clock", form={"seconds": str(LATER_SECONDS)})
    assert moved.ok, moved.text()

    page.get_by_role("button", name="End session").click()
    page.get_by_role("link", name="Session ended · review").click()
    expect(page.locator("#timeline")).to_be_visible()

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert ",dose,1,Ana,Sam," in Path(csv_download.value.path()).read_text()
    with page.expect_download() as json_download:
        page.get_by_role("link", name="JSON", exact=True).click()
    events = json.loads(Path(json_download.value.path()).read_text())["events"]
    assert [e["type"] for e in events][-1] == "SessionEnded"

    scrubber = page.locator("#scrubber")
    end = scrubber.input_value()
    with page.expect_response(re.compile(r"/replay\?")):
        page.get_by_role("button", name="Previous event").click()
    assert int(scrubber.input_value()) < int(end)
    expect(page.locator("#replay #topbar")).not_to_have_attribute("data-ended", "true")
    expect(page.locator("#replay #mat-p1 .dose-line")).to_be_visible()
    with page.expect_response(re.compile(r"/replay\?")):
        page.get_by_role("button", name="Next event").click()
    expect(page.locator("#replay #topbar")).to_have_attribute("data-ended", "true")

    page.get_by_role("link", name="Per-participant summary").click()
    expect(page.get_by_role("heading", name="Mat 1 · Ana")).to_be_visible()
    page.get_by_role("link", name="Back to the review").click()
    expect(page.locator("#timeline")).to_be_visible()
    assert sam.watch.errors == []
