"""In a real headless Chromium: every tablet shows the same journey clock, even one whose own
clock is minutes off (the offset to the server is estimated from round trips to /time)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.browser_support import PUSH_TIMEOUT_MS, TABLET, Watch, join_and_open_dashboard
from tests.support.server import JOIN_CODE, Server

pytestmark = pytest.mark.browser

SAM_SHIFT_MS = 7 * 60 * 1000  # Sam's tablet runs seven minutes fast
KIM_SHIFT_MS = -3 * 60 * 1000  # Kim's runs three minutes slow
SAME_CLOCK_MS = 100  # two tablets read at (nearly) the same moment agree this closely
TRUE_CLOCK_MS = 300  # and each is this close to the journey time the server keeps
# After both pages have loaded, the server's clock moves on by this much. A page that only took
# its offset from the time the page was rendered (the fallback until /time answers) would now be
# this far behind, so passing needs a fresh estimate from /time.
SERVER_JUMP_SECONDS = 90.0

# Shifts this page's notion of "now": Date.now(), new Date() and Date() (performance.now() is
# relative to the page's start and not used for wall time; its timeOrigin is shifted too).
SHIFT_DATE = """
(() => {
  const SHIFT = %d;
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  function ShiftedDate(...args) {
    if (!new.target) return new RealDate(realNow() + SHIFT).toString();
    return Reflect.construct(RealDate, args.length ? args : [realNow() + SHIFT], new.target);
  }
  ShiftedDate.prototype = RealDate.prototype;
  ShiftedDate.now = () => realNow() + SHIFT;
  ShiftedDate.parse = RealDate.parse;
  ShiftedDate.UTC = RealDate.UTC;
  globalThis.Date = ShiftedDate;
  const origin = performance.timeOrigin + SHIFT;
  Object.defineProperty(performance, "timeOrigin", { get: () => origin });
})();
"""

# Tick now and read the clock the way a person would see it: from the DOM.
READ_CLOCK = """() => {
  window.roomlive.tick();
  const clock = document.querySelector("[data-clock]");
  return { ms: Number(clock.dataset.elapsedMs), text: clock.textContent };
}"""


@pytest.fixture
def lead(server: Server) -> Iterator[httpx.Client]:
    """The test's own view of the server (joined, so it can read the dashboard)."""
    with httpx.Client(base_url=server.url, headers={"origin": server.url}) as client:
        joined = client.post("/join", data={"name": "Lee", "code": JOIN_CODE, "next": "/"})
        assert joined.status_code == 303, joined.text
        yield client


def server_now(client: httpx.Client) -> float:
    now: float = client.get("/time").json()["now"]
    return now


def true_elapsed(client: httpx.Client, sid: str) -> tuple[float, float, bool]:
    """The server's journey time as rendered: (elapsed, rendered at, running)."""
    page = client.get(f"/s/{sid}").text
    topbar = re.search(r'<header id="topbar"[^>]*>', page)
    assert topbar, "no top bar on the dashboard"
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', topbar.group(0)))
    return float(attrs["elapsed"]), float(attrs["rendered-at"]), attrs["running"] == "true"


def hmmss(milliseconds: int) -> str:
    seconds = max(0, milliseconds // 1000)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def test_tablets_with_clocks_minutes_apart_show_the_same_journey_time(
    browser: Browser, server: Server, lead: httpx.Client
) -> None:
    watch = Watch(server)
    sid: str = lead.get("/api/sessions").json()[0]["sid"]
    contexts: list[BrowserContext] = []

    def tablet(name: str, shift_ms: int) -> Page:
        context = browser.new_context(viewport=TABLET)
        contexts.append(context)
        context.add_init_script(SHIFT_DATE % shift_ms)
        page = watch.attach(context)
        join_and_open_dashboard(page, server, name)
        return page

    try:
        sam, kim = tablet("Sam", SAM_SHIFT_MS), tablet("Kim", KIM_SHIFT_MS)
        # The shift is real: each page's own clock is minutes away from the server's.
        for page, shift_ms in ((sam, SAM_SHIFT_MS), (kim, KIM_SHIFT_MS)):
            own = page.evaluate("[Date.now(), new Date().getTime()]")
            for reading in own:
                assert abs(reading - server_now(lead) * 1000 - shift_ms) < 5_000, own

        sam.get_by_role("button", name="Start clock").click()
        for page in (sam, kim):
            expect(page.locator(".clock-state")).to_have_text(
                "journey clock", timeout=PUSH_TIMEOUT_MS
            )

        jumped = lead.post("/_test/clock", data={"seconds": str(SERVER_JUMP_SECONDS)})
        assert jumped.status_code == 200, jumped.text
        for page in (sam, kim):
            page.evaluate("() => window.roomlive.syncClock()")  # resolves when the estimate is in

        elapsed, rendered_at, running = true_elapsed(lead, sid)
        assert running
        before = server_now(lead)
        first = sam.evaluate(READ_CLOCK)
        second = kim.evaluate(READ_CLOCK)
        after = server_now(lead)

        sam_ms, kim_ms = int(first["ms"]), int(second["ms"])
        assert abs(sam_ms - kim_ms) < SAME_CLOCK_MS, (sam_ms, kim_ms)
        earliest = (elapsed + before - rendered_at) * 1000
        latest = (elapsed + after - rendered_at) * 1000
        assert earliest > SERVER_JUMP_SECONDS * 1000  # the jump counts as journey time
        for shown in (sam_ms, kim_ms):
            assert earliest - TRUE_CLOCK_MS < shown < latest + TRUE_CLOCK_MS, (
                shown,
                earliest,
                latest,
            )
        # The text is the same reading, in whole seconds (ms is rounded, the text floored).
        assert first["text"] in (hmmss(sam_ms), hmmss(sam_ms - 1))
        assert second["text"] in (hmmss(kim_ms), hmmss(kim_ms - 1))
        for page in (sam, kim):
            estimate = page.evaluate("window.roomlive.serverNow()")
            assert abs(estimate - server_now(lead)) < TRUE_CLOCK_MS / 1000, estimate
        assert watch.errors == []
        assert watch.off_server() == []
    finally:
        for context in contexts:
            context.close()
