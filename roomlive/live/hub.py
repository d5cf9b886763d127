"""Fan-out of rendered fragments to websockets.

A message is written to its socket at once when nothing is waiting before it: a press's fragment
reaches every tablet without a task switch per socket. Otherwise it waits in the connection's
bounded queue, which the connection's sender task drains; publishing never awaits a client. A
client whose queue is full is closed with 1013 ("try again later"): htmx reconnects and the
fresh connection starts with a full snapshot, so nothing it missed is lost.

A connection that has been sent nothing for `HEARTBEAT_SECONDS` gets a heartbeat, so that its
page can tell a live link from a dead one. Each connection keeps its own time: the heartbeats of
a thousand sockets do not go out in one burst that every press would wait behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from collections.abc import Callable, Coroutine, Generator, Hashable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

log = logging.getLogger(__name__)

SEND_QUEUE_SIZE = 64
HEARTBEAT_SECONDS = 5.0  # pages that hear nothing for 12 s reconnect (static/js/connection.js)
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_TIMEOUT_SECONDS = 2.0

Channel = Hashable
Sending = Coroutine[Any, Any, None]


class Resumed:
    """Awaiting this carries on a coroutine that was started by hand and had to wait: `blocked_on`
    is what it yielded. Python 3.12's eager tasks do the same; roomlive also runs on 3.11."""

    def __init__(self, coroutine: Sending, blocked_on: Any) -> None:
        self._coroutine = coroutine
        self._blocked_on = blocked_on

    def __await__(self) -> Generator[Any, None, None]:
        blocked_on = self._blocked_on
        while True:
            try:
                try:
                    yield blocked_on
                except BaseException as error:  # cancelled while it waited: it is told so
                    blocked_on = self._coroutine.throw(error)
                else:
                    blocked_on = self._coroutine.send(None)
            except StopIteration:
                return


class Connection:
    def __init__(
        self, websocket: WebSocket, queue_size: int, heartbeat: Callable[[], str] | None = None
    ) -> None:
        self.websocket = websocket
        self.heartbeat = heartbeat
        self.queue: deque[str] = deque()
        self.queue_size = queue_size
        self.close_code: int | None = None
        self.sender: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()  # the sender task has something to send
        self._unfinished: Resumed | None = None  # a send that had to wait: none other starts
        self._last_sent = self._loop.time()

    def offer(self, message: str) -> None:
        if self.close_code is not None:
            return
        if not self.queue and self._unfinished is None:
            self._start(message)
        elif len(self.queue) >= self.queue_size:
            self.stop(CLOSE_TRY_AGAIN_LATER)
        else:
            self.queue.append(message)
            self._wake.set()

    def stop(self, code: int) -> None:
        """End this connection: `Hub.serve` closes the socket with `code`."""
        self.close_code = code
        if self.sender is not None:
            self.sender.cancel()

    def _start(self, message: str) -> None:
        """Write `message` now if the socket takes it without waiting; else the sender task
        finishes the send, and messages offered meanwhile queue behind it."""
        sending = self.websocket.send_text(message)
        try:
            blocked_on = sending.send(None)
        except StopIteration:  # written without waiting: the usual case
            self._last_sent = self._loop.time()
        except Exception as error:  # the socket is gone: `Hub.serve` ends the connection
            log.debug("a websocket send failed: %r", error)
            self.queue.clear()
            if self.sender is not None:
                self.sender.cancel()
        else:  # the socket's buffer is full: the sender task waits for it
            self._unfinished = Resumed(sending, blocked_on)
            self._wake.set()

    async def send_forever(self) -> None:
        while True:
            if self._unfinished is not None:
                await self._unfinished
                self._unfinished = None
                self._last_sent = self._loop.time()
            elif self.queue:
                self._start(self.queue.popleft())
            elif self.heartbeat is None:
                await self._wait_for_message()
            else:
                quiet_since = self._last_sent
                try:
                    async with asyncio.timeout_at(quiet_since + HEARTBEAT_SECONDS):
                        await self._wait_for_message()
                except TimeoutError:
                    if self._last_sent == quiet_since:  # nor was anything sent at once meanwhile
                        self._start(self.heartbeat())

    async def _wait_for_message(self) -> None:
        self._wake.clear()
        await self._wake.wait()

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
        sender = connection.sender = asyncio.create_task(connection.send_forever())
        connection.offer(snapshot)
        for channel in channels:
            self._channels[channel].add(connection)
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
