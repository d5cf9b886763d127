"""Fixtures of the browser tests (the only tests that import Playwright), and the order of their
run: tests/browser/test_browser_coverage.py reads what every other browser test did, so it goes
last, and it is told when the run does not hold them all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.browser_support import BROWSER_RUN_INCOMPLETE, Tablet, chromium, tablet
from tests.support.server import Server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module (see tests/browser/browser_support.py)."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def sam(browser: Browser, server: Server) -> Iterator[Tablet]:
    """Sam's tablet on the demo session's dashboard."""
    with tablet(browser, server, "Sam") as joined:
        yield joined


BROWSER_DIR = Path(__file__).parent
COVERAGE_MODULE = "test_browser_coverage.py"  # reads what every other browser test did


def browser_modules() -> set[str]:
    return {path.name for path in BROWSER_DIR.glob("test_browser*.py")} - {COVERAGE_MODULE}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name == COVERAGE_MODULE)  # stable: it goes last


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in browser_modules():
            item.config.stash[BROWSER_RUN_INCOMPLETE] = f"{item.nodeid} was deselected"


def pytest_collection_finish(session: pytest.Session) -> None:
    """Note whether this run holds every browser test, so the coverage test can trust its log."""
    stash = session.config.stash
    missing = browser_modules() - {item.path.name for item in session.items}
    if missing:
        stash[BROWSER_RUN_INCOMPLETE] = f"not in this run: {', '.join(sorted(missing))}"
    picked = [arg for arg in session.config.args if "::" in arg]
    if picked:
        stash[BROWSER_RUN_INCOMPLETE] = f"single tests picked: {', '.join(picked)}"
