"""Fan-out of rendered fragments to websockets.

Each connection has a bounded queue drained by its own sender task; publishing never awaits a
client. A client whose queue is full is closed with 1013 ("try again later"): htmx reconnects and
the fresh connection starts with a full snapshot, so nothing it missed is lost.

A connection that has been sent nothing for `HEARTBEAT_SECONDS` gets a heartbeat, so that its
page can tell a live link from a dead one. Each connection keeps its own time: the heartbeats of
a thousand sockets do not go out in one burst that every press would wait behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Hashable

from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger(__name__)

SEND_QUEUE_SIZE = 64
HEARTBEAT_SECONDS = 5.0  # pages that hear nothing for 12 s reconnect (static/js/connection.js)
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_TIMEOUT_SECONDS = 2.0

Channel = Hashable


class Connection:
    def __init__(
        self, websocket: WebSocket, queue_size: int, heartbeat: Callable[[], str] | None = None
    ) -> None:
        self.websocket = websocket
        self.heartbeat = heartbeat
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
        self.close_code: int | None = None
        self.sender: asyncio.Task[None] | None = None

    def offer(self, message: str) -> None:
        if self.close_code is not None:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.stop(CLOSE_TRY_AGAIN_LATER)

    def stop(self, code: int) -> None:
        """End this connection: `Hub.serve` closes the socket with `code`."""
        self.close_code = code
        if self.sender is not None:
            self.sender.cancel()

    async def send_forever(self) -> None:
        while True:
            if self.heartbeat is None:
                message = await self.queue.get()
            else:
                try:
                    async with asyncio.timeout(HEARTBEAT_SECONDS):
                        message = await self.queue.get()
                except TimeoutError:
                    message = self.heartbeat()
            await self.websocket.send_text(message)

    async def receive_until_closed(self) -> None:
        # Clients only listen; whatever they send is read and dropped, so a disconnect is seen.
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return


class Hub:
    def __init__(
        self, queue_size: int = SEND_QUEUE_SIZE, heartbeat: Callable[[], str] | None = None
    ) -> None:
        self._queue_size = queue_size
        self._heartbeat = heartbeat  # what an idle connection is sent (None: nothing)
        self._channels: dict[Channel, set[Connection]] = defaultdict(set)

    def publish(self, channel: Channel, message: str) -> None:
        for connection in tuple(self._channels.get(channel, ())):
            connection.offer(message)

    def close_channel(self, channel: Channel, code: int) -> None:
        for connection in tuple(self._channels.get(channel, ())):
            connection.stop(code)

    def count(self, channel: Channel) -> int:
        return len(self._channels.get(channel, ()))

    async def serve(self, websocket: WebSocket, snapshot: str, *channels: Channel) -> None:
        """Run an accepted websocket until it closes. The snapshot goes out before any update."""
        connection = Connection(websocket, self._queue_size, self._heartbeat)
        connection.offer(snapshot)
        for channel in channels:
            self._channels[channel].add(connection)
        sender = connection.sender = asyncio.create_task(connection.send_forever())
        receiver = asyncio.create_task(connection.receive_until_closed())
        try:
            await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for channel in channels:
                self._drop(channel, connection)
            for task in (sender, receiver):
                task.cancel()
            await asyncio.gather(sender, receiver, return_exceptions=True)
        if connection.close_code is not None:
            log.info("closing a websocket with code %s", connection.close_code)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    websocket.close(connection.close_code), CLOSE_TIMEOUT_SECONDS
                )

    def _drop(self, channel: Channel, connection: Connection) -> None:
        members = self._channels.get(channel)
        if members is None:
            return
        members.discard(connection)
        if not members:
            del self._channels[channel]
