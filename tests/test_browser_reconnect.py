"""In a real headless Chromium: a tablet that loses the network for a minute says so, keeps its
last known state on screen, catches up within 2 s of the network returning, and a command made
while it was away that has gone stale is refused with the reason instead of being applied."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Response, expect

from tests.browser_support import PUSH_TIMEOUT_MS, TABLET, Watch, join_and_open_dashboard
from tests.server import JOIN_CODE, Server

pytestmark = pytest.mark.browser

OFFLINE_SECONDS = 60.0  # the brief's "lost the network for a minute"
CATCH_UP_MS = 2_000  # full current state on screen this soon after the network returns
GIVE_UP_MS = 15_000  # how long to wait at all, so that a slow catch-up is measured, not lost
# What the browser logs, as errors, while the network is gone or a command is refused.
EXPECTED_ERRORS = (
    "net::ERR_INTERNET_DISCONNECTED",
    "htmx:error: Failed to fetch",
    "WebSocket connection to",
    "the server responded with a status of 409",
)

# Kim's screen is current: the new request is there, the resolved one has moved to "Recently
# closed", Cleo's shows Sam on it, and the banner has gone.
CAUGHT_UP = """({ana, ben, cleo}) => {
  const requests = document.getElementById("requests");
  const recent = requests.querySelector(".recent");
  const cleoItem = document.getElementById("request-" + cleo);
  const benItem = document.getElementById("request-" + ben);
  return document.getElementById("request-" + ana) === null
    && benItem !== null && benItem.classList.contains("request-open")
    && cleoItem !== null && cleoItem.dataset.claimedBy === "Sam"
    && recent !== null && /Ana/.test(recent.textContent) && /Sam/.test(recent.textContent)
    && !document.getElementById("mat-p1").classList.contains("request-open")
    && document.getElementById("mat-p2").classList.contains("request-open")
    && document.getElementById("reconnecting").hidden;
}"""


class Lead:
    """Sam, on a tablet the test drives over HTTP, and the participants' hardware buttons."""

    def __init__(self, server: Server) -> None:
        self.http = httpx.Client(base_url=server.url, headers={"origin": server.url})
        joined = self.http.post("/join", data={"name": "Sam", "code": JOIN_CODE, "next": "/"})
        assert joined.status_code == 303, joined.text
        session: dict[str, Any] = self.http.get("/api/sessions").json()[0]
        self.sid: str = session["sid"]
        self.tokens = {p["name"]: p["token"] for p in session["participants"]}

    def press(self, name: str) -> str:
        """The participant holds their button; the new request's id, from the log."""
        answer = self.http.post(f"/api/assist/{self.tokens[name]}?key={secrets.token_hex(8)}")
        assert answer.json()["state"] == "open", answer.text
        raised = [item for item in self.log() if item["type"] == "AssistRaised"]
        rid: str = raised[-1]["data"]["rid"]
        return rid

    def command(self, **form: str) -> None:
        headers = {"idempotency-key": secrets.token_hex(8)}
        answer = self.http.post(f"/s/{self.sid}/commands", data=form, headers=headers)
        assert answer.status_code == 204, answer.text

    def who(self, event_type: str) -> list[tuple[str, str]]:
        """(request id, by whom) of each logged event of this type, in order."""
        return [(i["data"]["rid"], i["data"]["by"]) for i in self.log() if i["type"] == event_type]

    def log(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.http.get(f"/s/{self.sid}/export.json").json()["events"]
        return events


@pytest.fixture
def lead(server: Server) -> Iterator[Lead]:
    sam = Lead(server)
    try:
        yield sam
    finally:
        sam.http.close()


def test_a_tablet_offline_for_a_minute_catches_up_and_its_stale_claim_is_refused(
    browser: Browser, server: Server, lead: Lead
) -> None:
    watch = Watch(server)
    context = browser.new_context(viewport=TABLET)
    try:
        kim = watch.attach(context)
        join_and_open_dashboard(kim, server, "Kim")
        kim.evaluate("window.notReloaded = true")
        refusals: list[Response] = []
        kim.on("response", lambda r: refusals.append(r) if r.status == 409 else None)

        ana = lead.press("Ana")
        expect(kim.locator(f"#request-{ana}")).to_contain_text("I'm on it", timeout=PUSH_TIMEOUT_MS)

        context.set_offline(True)
        went_offline = time.monotonic()
        # On her stale screen, Kim takes Ana's request: it cannot be sent, so it waits.
        kim.locator(f"#request-{ana}").get_by_role("button", name="I'm on it").click()
        expect(kim.locator("#toast")).to_contain_text("Not sent yet")
        # Meanwhile, in the room: Sam takes Ana's request and resolves it, Ben asks for
        # support, and Cleo asks and Sam goes to her.
        lead.command(action="claim", rid=ana)
        lead.command(action="resolve", rid=ana, outcome="reassured", note="")
        ben = lead.press("Ben")
        cleo = lead.press("Cleo")
        lead.command(action="claim", rid=cleo)

        kim.wait_for_timeout((OFFLINE_SECONDS - (time.monotonic() - went_offline)) * 1000)
        # Still away: the last known state stays on screen (so it really was cut off) ...
        assert kim.locator(f"#request-{ana}").is_visible()
        assert kim.locator(f"#request-{ben}").count() == 0
        # ... and the banner says so (checked after the rest, so that everything is reported).
        banner_while_away = kim.locator("#reconnecting").is_visible()

        context.set_offline(False)
        back = time.monotonic()
        rids = {"ana": ana, "ben": ben, "cleo": cleo}
        kim.wait_for_function(CAUGHT_UP, arg=rids, timeout=GIVE_UP_MS)
        caught_up_ms = (time.monotonic() - back) * 1000
        # The claim Kim made while away went out on reconnect and was refused with the reason.
        expect(kim.locator("#toast")).to_contain_text("already resolved by Sam", timeout=GIVE_UP_MS)
        toast_ms = (time.monotonic() - back) * 1000
        assert caught_up_ms < CATCH_UP_MS, f"caught up {caught_up_ms:.0f} ms after going online"
        assert toast_ms < CATCH_UP_MS, f"refusal shown {toast_ms:.0f} ms after going online"
        assert [r.url.endswith(f"/s/{lead.sid}/commands") for r in refusals] == [True]
        assert kim.evaluate("window.notReloaded") is True

        # The log has no claim by Kim: refused, not applied.
        assert lead.who("AssistClaimed") == [(ana, "Sam"), (cleo, "Sam")]
        assert lead.who("AssistResolved") == [(ana, "Sam")]

        unexpected = [e for e in watch.errors if not any(x in e for x in EXPECTED_ERRORS)]
        assert unexpected == []
        assert watch.off_server() == []
        assert banner_while_away, "no 'Reconnecting…' banner after a minute without the network"
    finally:
        context.close()
