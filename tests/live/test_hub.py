"""Fan-out: a message is written at once when nothing waits before it; a client that stops
reading is closed with 1013 and never holds up the others."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from roomlive.live import hub as hub_module
from roomlive.live.hub import CLOSE_TRY_AGAIN_LATER, Hub

pytestmark = pytest.mark.anyio


class FakeSocket:
    """Stands in for a Starlette WebSocket; `stalled` never finishes a send; while `full` is
    not set, a send waits for it (a socket whose buffer is full); `gone` fails every send."""

    def __init__(self, stalled: bool = False) -> None:
        self.stalled = stalled
        self.gone = False
        self.full: asyncio.Event | None = None
        self.sent: list[str] = []
        self.closed_with: int | None = None
        self.disconnect = asyncio.Event()

    async def send_text(self, text: str) -> None:
        if self.gone:
            raise OSError("the peer has gone")
        if self.stalled:
            await asyncio.Event().wait()
        if self.full is not None:
            await self.full.wait()
        self.sent.append(text)

    async def receive(self) -> dict[str, Any]:
        await self.disconnect.wait()
        return {"type": "websocket.disconnect"}

    async def close(self, code: int = 1000) -> None:
        self.closed_with = code


async def test_a_stalled_client_is_closed_and_the_others_get_everything() -> None:
    hub = Hub(queue_size=4)
    healthy, stalled = FakeSocket(), FakeSocket(stalled=True)
    serving = [
        asyncio.create_task(hub.serve(healthy, "snapshot", "room")),  # type: ignore[arg-type]
        asyncio.create_task(hub.serve(stalled, "snapshot", "room")),  # type: ignore[arg-type]
    ]
    await asyncio.sleep(0)

    for n in range(20):
        hub.publish("room", f"update {n}")
        await asyncio.sleep(0)
    await asyncio.wait_for(serving[1], 1)

    assert stalled.closed_with == CLOSE_TRY_AGAIN_LATER
    assert healthy.sent == ["snapshot", *(f"update {n}" for n in range(20))]
    assert hub.count("room") == 1
    healthy.disconnect.set()
    await asyncio.wait_for(serving[0], 1)
    assert hub.count("room") == 0


async def test_a_message_is_written_before_publish_returns_when_nothing_waits() -> None:
    hub = Hub()
    socket = FakeSocket()
    serving = asyncio.create_task(hub.serve(socket, "snapshot", "room"))  # type: ignore[arg-type]
    await asyncio.sleep(0)

    hub.publish("room", "update")  # no await after it: no task has run

    assert socket.sent == ["snapshot", "update"]
    socket.disconnect.set()
    await asyncio.wait_for(serving, 1)


async def test_a_send_that_has_to_wait_is_finished_first_and_the_rest_follow_in_order() -> None:
    hub = Hub()
    socket = FakeSocket()
    serving = asyncio.create_task(hub.serve(socket, "snapshot", "room"))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    socket.full = asyncio.Event()

    hub.publish("room", "waits")
    await asyncio.sleep(0)
    hub.publish("room", "queued 1")
    hub.publish("room", "queued 2")
    await asyncio.sleep(0.01)
    assert socket.sent == ["snapshot"]
    socket.full.set()
    await asyncio.sleep(0.01)

    assert socket.sent == ["snapshot", "waits", "queued 1", "queued 2"]
    hub.publish("room", "at once again")
    assert socket.sent[-1] == "at once again"
    socket.disconnect.set()
    await asyncio.wait_for(serving, 1)


async def test_a_send_that_fails_at_once_ends_that_connection_and_not_the_publisher() -> None:
    hub = Hub()
    healthy, gone = FakeSocket(), FakeSocket()
    serving = [
        asyncio.create_task(hub.serve(healthy, "snapshot", "room")),  # type: ignore[arg-type]
        asyncio.create_task(hub.serve(gone, "snapshot", "room")),  # type: ignore[arg-type]
    ]
    await asyncio.sleep(0)
    gone.gone = True

    hub.publish("room", "update")  # raises nothing

    await asyncio.wait_for(serving[1], 1)
    assert hub.count("room") == 1 and gone.closed_with is None
    assert healthy.sent == ["snapshot", "update"]
    healthy.disconnect.set()
    await asyncio.wait_for(serving[0], 1)


async def test_publishing_to_a_channel_without_sockets_does_nothing() -> None:
    Hub().publish("nobody", "update")


async def test_a_connection_sent_nothing_for_a_while_gets_a_heartbeat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hub_module, "HEARTBEAT_SECONDS", 0.05)
    hub = Hub(heartbeat=lambda: "heartbeat")
    idle, busy = FakeSocket(), FakeSocket()
    serving = [
        asyncio.create_task(hub.serve(idle, "snapshot", "quiet")),  # type: ignore[arg-type]
        asyncio.create_task(hub.serve(busy, "snapshot", "busy")),  # type: ignore[arg-type]
    ]
    started = time.monotonic()
    for n in range(12):  # >= 0.12 s: the busy one is sent something every 0.01 s
        hub.publish("busy", f"update {n}")
        await asyncio.sleep(0.01)
    elapsed = time.monotonic() - started

    assert idle.sent[0] == "snapshot" and set(idle.sent[1:]) == {"heartbeat"}
    assert 1 <= len(idle.sent[1:]) <= elapsed / 0.05 + 1  # one per quiet 0.05 s, no more
    assert "heartbeat" not in busy.sent
    for socket in (idle, busy):
        socket.disconnect.set()
    await asyncio.wait_for(asyncio.gather(*serving), 1)
