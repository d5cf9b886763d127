from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser_support import BROWSER_RUN_INCOMPLETE, Tablet, chromium, tablet
from tests.clients import Room
from tests.server import Server


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh roomlive server with its demo session, on a free port of 127.0.0.1."""
    running = Server(db_path=tmp_path / "roomlive.db").start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def room(server: Server) -> AsyncIterator[Room]:
    people = Room(server)
    try:
        yield people
    finally:
        await people.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module (see tests/browser_support.py)."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def sam(browser: Browser, server: Server) -> Iterator[Tablet]:
    """Sam's tablet on the demo session's dashboard."""
    with tablet(browser, server, "Sam") as joined:
        yield joined


TESTS_DIR = Path(__file__).parent
COVERAGE_MODULE = "test_browser_coverage.py"  # reads what every other browser test did


def browser_modules() -> set[str]:
    return {path.name for path in TESTS_DIR.glob("test_browser*.py")} - {COVERAGE_MODULE}


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
