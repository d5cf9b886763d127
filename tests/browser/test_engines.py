"""The core loop in WebKit (iPad Safari's engine) and Firefox, every step through the real UI:
join, create a session (after a refused first try), start the clock, a participant holds the
button, one tablet claims, hands it back ("Someone else please"), claims again and resolves, the
participant asks again and says "I'm OK now", the session ends and its review exports a CSV.

Two tablets are two browser processes (the facilitator is a cookie); the phone is a third.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.engines import ENGINES, Engine, Tab, engine
from tests.support.server import JOIN_CODE, Server

pytestmark = pytest.mark.engines

TABLET = (1024, 768)
PHONE = (360, 640)  # WebKit widens it to ~447 px and headless Firefox to 500 px
HOLD_SECONDS = 1.2  # the button asks for one second
SOCKET_OPEN = 1  # WebSocket.OPEN
SESSION_NAME = "Thursday circle"
ROOM = "Garden room"
BAD_PARTICIPANTS = "Ana\nBen"  # no mat numbers
PARTICIPANTS = "1 Ana\n2 Ben"
LEAD, COLLEAGUE = "Sam", "Kim"
ANA_EVENTS = ["request raised", "request claimed", "request released", "request claimed",
              "request resolved", "request raised", "request cancelled"]  # fmt: skip

LIVE_SOCKET = """
const live = document.getElementById("live");
const connection = live && live._htmx && live._htmx.ws && live._htmx.ws.connection;
return connection && connection.socket ? connection.socket.readyState : -1;
"""
# Where a finger in the middle of the button lands: the button itself, or something inside it.
CENTRE_HITS = """
const button = document.querySelector(arguments[0]);
const box = button.getBoundingClientRect();
const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
return button.contains(hit);
"""
# The colour of a tile's border: its request band's classes set it, through CSS :has().
TILE_BORDER = """
return getComputedStyle(document.querySelector(arguments[0] + " .tile-face")).borderTopColor;
"""
ALERT_RED, CLAIMED_BLUE = "rgb(208, 85, 63)", "rgb(79, 127, 176)"  # app.css --alert, --claimed
FETCH_TEXT = """
const done = arguments[arguments.length - 1];
const href = document.querySelector("a[href$='/export.csv']").href;
fetch(href).then(
  (r) => r.text().then((body) => done([r.status, r.headers.get("content-type"), body])),
  (error) => done([0, "", String(error)]),
);
"""


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ROOMLIVE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(params=ENGINES)
def browsers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with engine(request.param, tmp_path) as started:
        yield started


def wait_until_live(tab: Tab) -> None:
    """The page's socket is open: from here on every push reaches it."""
    tab.wait_until(lambda: tab.script(LIVE_SOCKET) == SOCKET_OPEN, "the live socket to open")


def join(tab: Tab, server: Server, name: str) -> None:
    tab.goto(f"{server.url}/join")
    tab.type_into("input[name=name]", name)
    tab.type_into("input[name=code]", JOIN_CODE)
    tab.click("button[type=submit]", "Join")
    tab.wait_for_text("main", f"Signed in as {name}")


def create_session(tab: Tab) -> str:
    """Through the New session form: first with a list it refuses, then a good one."""
    tab.click("a.btn", "New session")
    tab.wait_for_text("h1", "New session")
    tab.type_into("input[name=name]", SESSION_NAME)
    tab.type_into("input[name=room]", ROOM)
    tab.type_into("textarea[name=participants]", BAD_PARTICIPANTS)
    tab.click("button[type=submit]", "Create session")
    tab.wait_for_text("p.error", "Line 1: expected a mat number")
    tab.type_into("textarea[name=participants]", PARTICIPANTS)
    tab.click("button[type=submit]", "Create session")
    tab.wait_for_text("#mats .room-name", SESSION_NAME)
    sid = tab.url.rstrip("/").rsplit("/", 1)[-1]
    assert tab.url.endswith(f"/s/{sid}"), tab.url
    return sid


def open_session(tab: Tab, name: str) -> None:
    tab.click("a.session-link", name)
    tab.wait_for_text("#mats .room-name", name)
    wait_until_live(tab)


def button_link(tab: Tab, participant: str) -> str:
    """The participant's link, as the facilitator finds it under "Participant button links"."""
    tab.click("details.links summary", "Participant button links")
    link = tab.element("details.links li", participant)
    return str(tab.script("return arguments[0].querySelector('a').href", link))


def hold_the_button(phone: Tab) -> None:
    phone.hold("#ask", HOLD_SECONDS)
    phone.wait_for_text("#assist-status .status-main", "Received")


def test_core_loop(browsers: Engine, server: Server, shots: Path) -> None:
    name = browsers.name
    lead = browsers.open_tab(*TABLET)
    colleague = browsers.open_tab(*TABLET)
    phone = browsers.open_tab(*PHONE)

    join(lead, server, LEAD)
    sid = create_session(lead)
    wait_until_live(lead)
    lead.click("#topbar button", "Start clock")
    lead.wait_for_text("#topbar .clock-state", "journey clock")

    join(colleague, server, COLLEAGUE)
    open_session(colleague, SESSION_NAME)
    colleague.wait_for_text("#topbar .clock-state", "journey clock")

    phone.goto(button_link(lead, "Ana"))
    wait_until_live(phone)
    phone.wait_for_text("#assist-status", "Press and hold to ask for support")

    hold_the_button(phone)
    phone.screenshot(shots, f"{name}-phone-received")
    for tablet in (lead, colleague):
        tablet.wait_for_text("#requests li.request", "Ana")
        tablet.wait_for_text("#requests li.request", "needs support")
    lead.screenshot(shots, f"{name}-tablet-open-request")
    assert lead.script(TILE_BORDER, "#mat-p1") == ALERT_RED, "the tile does not show the request"

    lead.click("#requests li.request button[data-command=claim]", "I'm on it")
    colleague.wait_for_text("#requests li.request", f"{LEAD} is on it")
    phone.wait_for_text("#assist-status .status-main", f"{LEAD} is coming")
    colleague.screenshot(shots, f"{name}-tablet-claimed")
    assert colleague.script(TILE_BORDER, "#mat-p1") == CLAIMED_BLUE, "the claim is not on the tile"
    phone.screenshot(shots, f"{name}-phone-coming")

    lead.click("#requests li.request button.release", "Someone else please")
    for tablet in (lead, colleague):
        tablet.wait_for_text("#requests li.request", "needs support")
    lead.click("#requests li.request button[data-command=claim]", "I'm on it")
    colleague.wait_for_text("#requests li.request", f"{LEAD} is on it")

    lead.click("#requests li.request button.resolve", "Resolved")
    for tablet in (lead, colleague):
        tablet.wait_for_text("#requests", "No open requests.")
    phone.wait_for_text("#assist-status", "Press and hold to ask for support")

    hold_the_button(phone)
    colleague.wait_for_text("#requests li.request", "needs support")
    assert phone.script(CENTRE_HITS, "#cancel"), "the centre of I'm OK now is covered"
    phone.tap_centre("#cancel", "I'm OK now")
    phone.wait_for_text("#assist-status", "Press and hold to ask for support")
    for tablet in (lead, colleague):
        tablet.wait_for_text("#requests", "No open requests.")
        tablet.wait_for_text("#requests .recent", "cancelled by participant")

    lead.click("#tools button", "End session")
    assert "End this session?" in lead.accept_dialog()
    lead.wait_for_text("#topbar", "Session ended")
    lead.wait_for_text("#topbar .clock-state", "journey, ended")  # the clock stopped with it
    colleague.wait_for_text("#topbar", "Session ended")

    lead.click(".side-nav a", "All sessions")
    lead.wait_for_text("main", "Past")
    lead.click("a.session-link", SESSION_NAME)
    lead.wait_for_path(lambda path: path.endswith(f"/s/{sid}/review"), "the review page")
    lead.wait_for_text("h1", SESSION_NAME)
    lead.screenshot(shots, f"{name}-review")

    status, kind, body = lead.async_script(FETCH_TEXT)
    assert status == 200 and kind.startswith("text/csv"), (status, kind, body[:200])
    table = list(csv.reader(io.StringIO(body)))
    assert table[0][0].startswith("local time") and table[0][1:3] == ["journey clock", "event"]
    (shots / f"{name}-export.csv").write_text(body)
    events = [row[2] for row in table[1:]]
    assert events[-1] == "session ended", events
    assert [row[2] for row in table[1:] if "Ana" in row] == ANA_EVENTS, events

    for tab in (lead, colleague, phone):
        tab.harvest()
        assert tab.problems == [], tab.problems
