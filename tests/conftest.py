"""Fixtures every layer's tests share: a real server and the people in its room.

Browser fixtures live in tests/browser/conftest.py, so that only browser tests import Playwright.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.clients import Room
from tests.support.server import Server


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
