"""Reconnect times in a real Chromium: after a network blip, a server outage and a restart.

    python -m bench.reconnect --tries 10
    python -m bench.reconnect --tries 10 --outage-tries 3        # the 20 s outage 3 times only
    python -m bench.reconnect --tries 3 --outage-seconds 5       # a quick run

One roomlive server (tests/support/server.py: a subprocess on 127.0.0.1, stopped and started on
the same port and database) and Debian's headless Chromium (tests/browser/browser_support.py).
Each case is timed from the moment the link is back until the page is current again:

- blip: Playwright's `set_offline` for --blip-seconds (the socket stays open, fetches fail); a
  status is tapped on the tablet meanwhile. From `set_offline(False)` until the tile shows that
  status (so the waiting command was sent) and the "Reconnecting…" banner is hidden.
- outage: the server stopped for --outage-seconds, then started; restart: stopped and started
  at once. From the server answering /healthz (`Server.start()` returns; it polls every 50 ms)
  until the tablet and a participant's phone have reopened their socket, show a change made over
  HTTP right after the start, and have no banner. Tablet and phone are timed separately.

Prints p50 (nearest rank) and max per case, and writes bench/results/reconnect-<date>.json.
Bounded: each wait gives up after --give-up seconds (counted as a failure, exit status 1).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TABLET,
    join_and_open_dashboard,
    open_button_page,
)
from tests.support.server import JOIN_CODE, Server

from .stats import percentile

RESULTS = Path(__file__).resolve().parent / "results"
STATUSES = ("ok", "watch", "attention", "away")  # each try sets a status the tile does not have

COUNT_CONNECTIONS = """() => {
  window.connections = 1;
  document.addEventListener("htmx:ws:after:connection", () => { window.connections += 1; });
}"""
BANNER_HIDDEN = 'document.getElementById("reconnecting").hidden'
TILE_IS = (
    """([pid, status]) => document.getElementById("mat-" + pid).classList
  .contains("status-" + status) && """
    + BANNER_HIDDEN
)
RECONNECTED_TILE_IS = (
    """([pid, status, before]) => window.connections > before
  && document.getElementById("mat-" + pid).classList.contains("status-" + status)
  && """
    + BANNER_HIDDEN
)
RECONNECTED_PHONE_IS = (
    """([state, before]) => window.connections > before
  && document.getElementById("assist-status").dataset.state === state
  && """
    + BANNER_HIDDEN
)


class Lead:
    """A facilitator driven over HTTP, and the participants' hardware buttons."""

    def __init__(self, server: Server) -> None:
        self.http = httpx.Client(base_url=server.url, headers={"origin": server.url})
        joined = self.http.post("/join", data={"name": "Sam", "code": JOIN_CODE, "next": "/"})
        assert joined.status_code == 303, joined.text
        session: dict[str, Any] = self.http.get("/api/sessions").json()[0]
        self.sid: str = session["sid"]
        self.tokens: dict[str, str] = {p["name"]: p["token"] for p in session["participants"]}
        self.ben_rid: str | None = None
        self.ben_claimed = False

    def press(self, name: str) -> str:
        answer = self.http.post(f"/api/assist/{self.tokens[name]}?key={secrets.token_hex(8)}")
        assert answer.json()["state"] == "open", answer.text
        events = self.http.get(f"/s/{self.sid}/export.json").json()["events"]
        rid: str = [e for e in events if e["type"] == "AssistRaised"][-1]["data"]["rid"]
        return rid

    def command(self, **form: str) -> None:
        headers = {"idempotency-key": secrets.token_hex(8)}
        answer = self.http.post(f"/s/{self.sid}/commands", data=form, headers=headers)
        assert answer.status_code == 204, answer.text

    def move_ben(self) -> str:
        """Ben asks, Sam goes to him, Sam resolves it, round again: the state his phone shows."""
        if self.ben_rid is None:
            self.ben_rid = self.press("Ben")
            return "open"
        if not self.ben_claimed:
            self.command(action="claim", rid=self.ben_rid)
            self.ben_claimed = True
            return "claimed"
        self.command(action="resolve", rid=self.ben_rid, outcome="reassured", note="")
        self.ben_rid, self.ben_claimed = None, False
        return "idle"


def wait_until(
    checks: dict[str, Callable[[], bool]], since: float, give_up: float
) -> dict[str, float]:
    """Milliseconds from `since` until each check first holds (polled every 20 ms)."""
    done: dict[str, float] = {}
    while len(done) < len(checks) and time.monotonic() < since + give_up:
        for name, check in checks.items():
            if name not in done and check():
                done[name] = (time.monotonic() - since) * 1000
        time.sleep(0.02)
    return done


def holds(page: Page, script: str, arg: list[Any]) -> Callable[[], bool]:
    return lambda: bool(page.evaluate(script, arg))


def counting(page: Page) -> Page:
    page.evaluate(COUNT_CONNECTIONS)
    return page


def connections(page: Page) -> int:
    count: int = page.evaluate("window.connections")
    return count


def blips(
    browser: Browser, server: Server, tries: int, seconds: float, give_up: float
) -> list[float | None]:
    context = browser.new_context(viewport=TABLET)
    try:
        tablet = context.new_page()
        join_and_open_dashboard(tablet, server, "Kim")
        tablet.locator("#mat-p1 .tile-face").click()
        times: list[float | None] = []
        for n in range(tries):
            status = STATUSES[n % len(STATUSES)]
            button = tablet.locator(f"#sheet .status-btn.status-{status}")
            button.wait_for()
            context.set_offline(True)
            went = time.monotonic()
            button.click()
            tablet.locator("#toast", has_text="Not sent yet").wait_for()
            time.sleep(max(0.0, seconds - (time.monotonic() - went)))
            context.set_offline(False)
            back = time.monotonic()
            done = wait_until(
                {"tablet": holds(tablet, TILE_IS, ["p1", status])},
                back,
                give_up,
            )
            times.append(done.get("tablet"))
            time.sleep(0.5)  # let the "sent" toast and the sheet settle
        return times
    finally:
        context.close()


@contextmanager
def devices(browser: Browser, server: Server, lead: Lead) -> Iterator[tuple[Page, Page]]:
    contexts: list[BrowserContext] = []
    try:
        contexts.append(browser.new_context(viewport=TABLET))
        tablet = contexts[-1].new_page()
        join_and_open_dashboard(tablet, server, "Kim")
        contexts.append(browser.new_context(viewport=PHONE))
        phone = contexts[-1].new_page()
        open_button_page(phone, server, f"/p/{lead.tokens['Ben']}")
        yield counting(tablet), counting(phone)
    finally:
        for context in contexts:
            context.close()


def server_downs(
    browser: Browser, server: Server, lead: Lead, tries: int, down: float, give_up: float
) -> dict[str, list[float | None]]:
    times: dict[str, list[float | None]] = {"tablet": [], "phone": []}
    with devices(browser, server, lead) as (tablet, phone):
        for n in range(tries):
            before = {"tablet": connections(tablet), "phone": connections(phone)}
            server.stop()
            stopped = time.monotonic()
            time.sleep(max(0.0, down - (time.monotonic() - stopped)))
            server.start()  # returns when /healthz answers
            answered = time.monotonic()
            status = STATUSES[n % len(STATUSES)]
            lead.command(action="check", pid="p2", status=status)  # Ben's tile
            state = lead.move_ben()
            tablet_now = ["p2", status, before["tablet"]]
            phone_now = [state, before["phone"]]
            done = wait_until(
                {
                    "tablet": holds(tablet, RECONNECTED_TILE_IS, tablet_now),
                    "phone": holds(phone, RECONNECTED_PHONE_IS, phone_now),
                },
                answered,
                give_up,
            )
            for name in times:
                times[name].append(done.get(name))
    return times


@contextmanager
def chromium() -> Iterator[Browser]:
    executable = CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if executable is None:
        raise SystemExit(f"no Chromium found at {CHROMIUM} or on PATH")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def row(name: str, times: list[float | None]) -> dict[str, Any]:
    ok = [t for t in times if t is not None]
    return {
        "case": name,
        "tries": len(times),
        "failed": len(times) - len(ok),
        "p50_ms": percentile(ok, 50),
        "max_ms": max(ok) if ok else float("nan"),
        "ms": times,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reconnect", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--tries", type=int, default=10, help="tries per case")
    parser.add_argument("--outage-tries", type=int, help="tries of the outage (default --tries)")
    parser.add_argument("--blip-seconds", type=float, default=5.0)
    parser.add_argument("--outage-seconds", type=float, default=20.0)
    parser.add_argument("--give-up", type=float, default=15.0, help="seconds to wait at most")
    args = parser.parse_args(argv)
    outage_tries = args.tries if args.outage_tries is None else args.outage_tries

    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="roomlive-reconnect-") as scratch,
        chromium() as browser,
    ):
        server = Server(db_path=Path(scratch) / "roomlive.db").start()
        lead = Lead(server)
        try:
            blip = blips(browser, server, args.tries, args.blip_seconds, args.give_up)
            rows.append(row(f"blip {args.blip_seconds:g} s, tablet", blip))
            outage = server_downs(
                browser, server, lead, outage_tries, args.outage_seconds, args.give_up
            )
            for name, times in outage.items():
                rows.append(row(f"outage {args.outage_seconds:g} s, {name}", times))
            restart = server_downs(browser, server, lead, args.tries, 0.0, args.give_up)
            for name, times in restart.items():
                rows.append(row(f"restart, {name}", times))
        finally:
            lead.http.close()
            server.stop()

    print(f"{'case':<24} {'tries':>5} {'failed':>6} {'p50 ms':>8} {'max ms':>8}")
    for r in rows:
        figures = f"{r['p50_ms']:>8.0f} {r['max_ms']:>8.0f}"
        print(f"{r['case']:<24} {r['tries']:>5} {r['failed']:>6} {figures}")
    RESULTS.mkdir(exist_ok=True)
    report = RESULTS / f"reconnect-{time.strftime('%Y%m%dT%H%M%S')}.json"
    report.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))
    return 0 if all(r["failed"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
