"""The two client sides of the protocol, kept light so the load generator measures the server.

- `Device`: a participant's button. One keep-alive HTTP/1.1 connection (as a phone's browser
  keeps one), reopened when the server's keep-alive has closed it; one `POST /p/<token>/assist`
  per press with the page's headers (same Origin, a fresh Idempotency-Key).
- `Socket`: a tablet's (or a button page's) websocket on a plain asyncio protocol driving the
  sans-I/O `websockets` client; each text message is handed over with the time its bytes arrived
  (`time.monotonic()`, CLOCK_MONOTONIC, the same clock in every process of the machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Origin
from websockets.uri import parse_uri

KEEP_ALIVE_REUSE_SECONDS = 4.0  # uvicorn closes idle keep-alive connections after 5 s
MAX_MESSAGE_BYTES = 4 * 1024 * 1024

OnMessage = Callable[[float, str], None]


class HttpError(Exception):
    """The server answered something that is not an HTTP response we can read."""


class Device:
    """A participant's button: presses go out one at a time on one keep-alive connection."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.path = f"/p/{token}/assist"
        self.origin = f"http://{host}:{port}"
        self.lock = asyncio.Lock()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    def request(self, key: str) -> bytes:
        return (
            f"POST {self.path} HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\n"
            f"Origin: {self.origin}\r\n"
            "HX-Request: true\r\n"
            f"Idempotency-Key: {key}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()

    async def connect(self) -> None:
        self.close()
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._last_used = time.monotonic()

    async def press(self, key: str, sent: Callable[[float], None]) -> int:
        """Send one press; `sent` gets the time its bytes were handed to the socket.

        A press on a connection the server has just closed is sent again with the same
        Idempotency-Key, as a browser retries: the server records it once."""
        if self._writer is None or time.monotonic() - self._last_used > KEEP_ALIVE_REUSE_SECONDS:
            await self.connect()
        try:
            return await self._exchange(self.request(key), sent)
        except (ConnectionError, asyncio.IncompleteReadError, HttpError):
            await self.connect()
        return await self._exchange(self.request(key), lambda _: None)

    async def _exchange(self, request: bytes, sent: Callable[[float], None]) -> int:
        assert self._reader is not None and self._writer is not None
        sent(time.monotonic())
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status, length, close = parse_head(head)
        await self._reader.readexactly(length)
        self._last_used = time.monotonic()
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


def parse_head(head: bytes) -> tuple[int, int, bool]:
    """(status, content length, connection closes) of a response head."""
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError):
        raise HttpError(f"not an HTTP status line: {lines[0]!r}") from None
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
        elif name == "transfer-encoding":
            raise HttpError("chunked responses are not expected here")
    return status, length, close


class Socket(asyncio.Protocol):
    """A websocket client on a plain protocol: no task or future per message."""

    def __init__(self, url: str, origin: str, cookie: str, on_message: OnMessage) -> None:
        self.ws = ClientProtocol(parse_uri(url), origin=Origin(origin), max_size=MAX_MESSAGE_BYTES)
        self.cookie = cookie
        self.on_message = on_message
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self._parts: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        request = self.ws.connect()
        if self.cookie:
            request.headers["Cookie"] = self.cookie
        self.ws.send_request(request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Frame):
                self._frame(now, event)
            elif isinstance(event, Response) and not self.opened.done():
                if self.ws.handshake_exc is not None:
                    self.opened.set_exception(self.ws.handshake_exc)
                else:
                    self.opened.set_result(None)
        self._flush()

    def _frame(self, now: float, frame: Frame) -> None:
        if frame.opcode not in (Opcode.TEXT, Opcode.CONT):
            return  # pings are answered by the protocol; close frames end the connection
        self._parts.append(bytes(frame.data))
        if frame.fin:
            text = b"".join(self._parts).decode()
            self._parts.clear()
            self.on_message(now, text)

    def _flush(self) -> None:
        assert self.transport is not None
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def eof_received(self) -> bool | None:
        self.ws.receive_eof()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code

    async def close(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        with contextlib.suppress(Exception):
            self.ws.send_close()
            self._flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.closed), 2.0)
        self.transport.close()


async def open_socket(
    host: str, port: int, path: str, cookie: str, on_message: OnMessage
) -> Socket:
    loop = asyncio.get_running_loop()
    url, origin = f"ws://{host}:{port}{path}", f"http://{host}:{port}"
    _, socket = await loop.create_connection(
        lambda: Socket(url, origin, cookie, on_message), host, port
    )
    await socket.opened
    return socket
