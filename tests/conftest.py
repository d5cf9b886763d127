from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser_support import chromium
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
