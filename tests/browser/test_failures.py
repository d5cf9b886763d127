"""A full disk, for real: a tiny tmpfs under the event log. Nothing is lost silently.

Every client is told that nothing was recorded — the phone asks its participant to raise a hand,
the tablet shows an alert that stays, a hardware button gets a non-2xx — /healthz says why, and
once there is space again everything works without a restart.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.browser_support import (
    PHONE,
    TABLET,
    Watch,
    join_and_open_dashboard,
    open_button_page,
)
from tests.support.server import JOIN_CODE, Server

DISK_BYTES = 4 * 1024 * 1024
FILL_CHUNK = b"\0" * (64 * 1024)
STICKY_CHECK_MS = 6_000  # longer than a toast stays (TOAST_MS in static/js/toast.js)
UNAVAILABLE = 503


@contextlib.contextmanager
def tiny_disk(where: Path) -> Iterator[Path]:
    """A tmpfs of a few MB (CI runs as root); skipped elsewhere, never under CI."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        message = f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


class Disk:
    """The server's disk, which the test fills and frees."""

    def __init__(self, root: Path) -> None:
        self.filler = root / "filler"

    def fill(self) -> None:
        with self.filler.open("wb") as handle, contextlib.suppress(OSError):
            while True:
                handle.write(FILL_CHUNK)
                handle.flush()

    def free(self) -> None:
        self.filler.unlink()


@pytest.fixture
def full_disk_server(tmp_path: Path) -> Iterator[tuple[Server, Disk]]:
    with tiny_disk(tmp_path / "disk") as disk:
        server = Server(db_path=disk / "roomlive.db").start()
        try:
            yield server, Disk(disk)
        finally:
            server.stop()


@contextlib.contextmanager
def joined(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"origin": server.url}) as client:
        assert client.post("/join", data={"name": "Sam", "code": JOIN_CODE}).status_code == 303
        yield client


def test_a_full_disk_is_told_to_everyone_and_passes(
    full_disk_server: tuple[Server, Disk],
) -> None:
    server, disk = full_disk_server
    with joined(server) as sam, httpx.Client(base_url=server.url) as hardware:
        demo = sam.get("/api/sessions").json()[0]
        sid, token = demo["sid"], demo["participants"][0]["token"]
        disk.fill()

        phone = sam.post(f"/p/{token}/assist", headers={"hx-request": "true"})
        assert phone.status_code == UNAVAILABLE
        assert "Not sent" in phone.text and "raise your hand" in phone.text
        button = hardware.post(f"/api/assist/{token}")
        assert button.status_code == UNAVAILABLE and button.json()["recorded"] is False
        command = sam.post(
            f"/s/{sid}/commands", data={"action": "start"}, headers={"hx-request": "true"}
        )
        assert command.status_code == UNAVAILABLE
        assert "Not recorded" in command.text and "toast-dismiss" in command.text
        health = sam.get("/healthz")
        assert health.status_code == UNAVAILABLE
        assert "disk is full" in health.json()["problem"]
        dashboard = sam.get(f"/s/{sid}").text
        assert not re.search(r'id="request-', dashboard), "a request shown but not recorded"

        disk.free()
        pressed = hardware.post(f"/api/assist/{token}")
        assert pressed.status_code == 200 and pressed.json()["state"] == "open"
        assert sam.get("/healthz").status_code == 200
        assert re.search(r'id="request-', sam.get(f"/s/{sid}").text)
    assert server.process is not None and server.process.poll() is None


@pytest.mark.browser
def test_the_phone_and_the_tablet_show_what_was_not_recorded(
    browser: Browser, full_disk_server: tuple[Server, Disk]
) -> None:
    server, disk = full_disk_server
    with joined(server) as sam:
        token = sam.get("/api/sessions").json()[0]["participants"][0]["token"]
    watch = Watch(server)
    tablet_context = browser.new_context(viewport=TABLET)
    phone_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        tablet, phone = watch.attach(tablet_context), watch.attach(phone_context)
        join_and_open_dashboard(tablet, server, "Kim")
        open_button_page(phone, server, f"/p/{token}")
        disk.fill()

        phone.locator("#ask").hover()
        phone.mouse.down()
        status = phone.locator("#assist-status")
        expect(status).to_have_attribute("data-state", "not-sent")
        phone.mouse.up()
        expect(status).to_contain_text("Please raise your hand")

        tablet.get_by_role("button", name="Start clock").click()
        alert = tablet.locator("#toast")
        expect(alert).to_contain_text("Not recorded")
        tablet.wait_for_timeout(STICKY_CHECK_MS)
        expect(alert).to_be_visible()  # not a fading toast
        alert.get_by_role("button", name="Dismiss").click()
        expect(alert).to_be_hidden()

        disk.free()
        tablet.get_by_role("button", name="Start clock").click()
        expect(tablet.locator("#topbar")).to_contain_text("journey clock")
    finally:
        tablet_context.close()
        phone_context.close()
