"""Icons, web app manifests and compression: what a tablet expects of a web app it keeps open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Response

from tests.browser.browser_support import CHROMIUM, CHROMIUM_ARGS
from tests.support.server import JOIN_CODE, Server

GZIP = {"accept-encoding": "gzip"}


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"origin": server.url}) as client:
        joined = client.post("/join", data={"name": "Lee", "code": JOIN_CODE, "next": "/"})
        assert joined.status_code == 303, joined.text
        yield client


def first_token(http: httpx.Client) -> str:
    token: str = http.get("/api/sessions").json()[0]["participants"][0]["token"]
    return token


def test_favicon_and_icons_are_served(http: httpx.Client) -> None:
    favicon = http.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon.headers["content-type"] == "image/png"
    assert favicon.content.startswith(b"\x89PNG")
    for href in ("/static/icons/roomlive.svg", "/static/icons/roomlive-180.png"):
        assert http.get(href).status_code == 200, href


def test_the_app_and_each_button_page_have_their_own_manifest(http: httpx.Client) -> None:
    app = http.get("/manifest.webmanifest")
    assert app.headers["content-type"].startswith("application/manifest+json")
    assert app.json()["start_url"] == "/" and app.json()["display"] == "standalone"

    token = first_token(http)
    page = http.get(f"/p/{token}").text
    assert f'<link rel="manifest" href="/p/{token}/manifest.webmanifest">' in page
    button: dict[str, Any] = http.get(f"/p/{token}/manifest.webmanifest").json()
    assert button["start_url"] == button["scope"] == f"/p/{token}"
    assert button["display"] == "fullscreen" and button["theme_color"] == "#000000"
    for icon in button["icons"]:
        assert http.get(icon["src"]).status_code == 200, icon

    assert http.get("/p/not-a-token/manifest.webmanifest").status_code == 404


def test_text_is_compressed_for_browsers_that_ask(http: httpx.Client) -> None:
    token = first_token(http)
    for path in (f"/p/{token}", "/static/js/connection.js", "/static/vendor/htmx-4.0.1.min.js"):
        raw = httpx.get(f"{http.base_url}{path}", headers={"accept-encoding": "identity"})
        packed = httpx.get(f"{http.base_url}{path}", headers=GZIP)
        assert packed.headers["content-encoding"] == "gzip", path
        assert int(packed.headers["content-length"]) < len(raw.content) / 2, path
        assert packed.content == raw.content  # httpx decodes: the same page either way
    assert "content-encoding" not in httpx.get(f"{http.base_url}/time", headers=GZIP).headers


@pytest.mark.browser
def test_chromium_can_install_the_app_and_the_button_page(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """Chromium's own installability check (what "Add to home screen" needs), and no page load
    asks for anything that is missing."""
    with httpx.Client(base_url=server.url, headers={"origin": server.url}) as client:
        client.post("/join", data={"name": "Lee", "code": JOIN_CODE, "next": "/"})
        token = first_token(client)
    # Playwright's contexts are incognito, where nothing installs: a profile of its own instead.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS
    )
    try:
        for path in ("/join", f"/p/{token}"):
            assert installability_errors(context, f"{server.url}{path}") == [], path
    finally:
        context.close()


def installability_errors(context: BrowserContext, url: str) -> list[Any]:
    page = context.new_page()
    missing: list[str] = []

    def note_failure(response: Response) -> None:
        if response.status >= 400:
            missing.append(f"{response.status} {response.url}")

    page.on("response", note_failure)
    page.goto(url, wait_until="networkidle")
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    errors: list[Any] = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    page.close()
    return [*errors, *manifest["errors"], *missing]
