"""Vendored files match their recorded hashes; nothing is loaded from outside the server."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
VENDOR = PROJECT / "static" / "vendor"
MAX_SCRIPT_LINES = 250  # one behaviour a file: a longer one is doing two things


def test_vendored_files_match_the_hashes_in_their_note() -> None:
    note = (VENDOR / "README.md").read_text()
    recorded = dict(re.findall(r"\| `([^`]+\.js)` \|[^|]*\| `([0-9a-f]{64})` \|", note))
    assert set(recorded) == {p.name for p in VENDOR.glob("*.js")}
    for name, digest in recorded.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest


def test_pages_and_styles_load_nothing_from_another_host() -> None:
    for path in [
        *PROJECT.glob("templates/**/*.html"),
        *PROJECT.glob("static/*.css"),
        *PROJECT.glob("static/*.js"),
        *PROJECT.glob("static/js/*.js"),
    ]:
        text = path.read_text()
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
        assert "@import" not in text and "url(http" not in text, path


def test_no_page_has_an_inline_script() -> None:
    for path in PROJECT.glob("templates/**/*.html"):
        for tag in re.findall(r"<script[^>]*>", path.read_text()):
            assert "src=" in tag, f"{path.name}: inline script {tag}"


def test_first_party_scripts_stay_small() -> None:
    scripts = [*PROJECT.glob("static/*.js"), *PROJECT.glob("static/js/*.js")]
    assert scripts
    for path in scripts:
        assert len(path.read_text().splitlines()) <= MAX_SCRIPT_LINES, path.name


def test_only_the_adapter_reaches_into_hx_ws() -> None:
    adapter = PROJECT / "static" / "js" / "hxws.js"
    for path in [*PROJECT.glob("static/*.js"), *PROJECT.glob("static/js/*.js")]:
        if path != adapter:
            assert not re.search(r"_htmx|visibilityHandler|\.connection\b", path.read_text()), path


def test_the_page_preloads_every_module_it_imports() -> None:
    base = (PROJECT / "templates" / "base.html").read_text()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="/static/js/([^"]+)">', base))
    modules = {p.name for p in (PROJECT / "static" / "js").glob("*.js")} - {"main.js"}
    assert preloaded == modules
