"""Clients that speak roomlive's protocol as tablets and buttons do, closed after each test."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.support.server import JOIN_CODE, Server

RECEIVE_TIMEOUT_SECONDS = 5.0


def key() -> str:
    return secrets.token_hex(16)


def cookie_header(client: httpx.AsyncClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


@dataclass
class Socket:
    """A websocket that collects pushed fragments."""

    socket: ClientConnection

    async def receive(self) -> str:
        message = await asyncio.wait_for(self.socket.recv(), RECEIVE_TIMEOUT_SECONDS)
        assert isinstance(message, str)
        return message

    async def collect(self, seconds: float) -> list[str]:
        """Every message that arrives within `seconds`."""
        messages: list[str] = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while True:
                    messages.append(await self.receive())
        return messages

    async def receive_until(self, pattern: str) -> str:
        """Read pushed messages until one matches; fail if none does in time."""
        async with asyncio.timeout(RECEIVE_TIMEOUT_SECONDS):
            while True:
                message = await self.receive()
                if re.search(pattern, message):
                    return message


@dataclass
class Room:
    """Everyone in the room: facilitator clients, their tablets' sockets, participant buttons."""

    server: Server
    clients: list[httpx.AsyncClient] = field(default_factory=list)
    sockets: list[ClientConnection] = field(default_factory=list)

    def client(self, **headers: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=self.server.url, headers=headers)
        self.clients.append(client)
        return client

    async def facilitator(self, name: str) -> httpx.AsyncClient:
        """An HTTP client that joined with the code, as a browser on the server's own page."""
        client = self.client(origin=self.server.url)
        response = await client.post("/join", data={"name": name, "code": JOIN_CODE, "next": "/"})
        assert response.status_code == 303, response.text
        return client

    async def demo_session(self, client: httpx.AsyncClient) -> dict[str, Any]:
        response = await client.get("/api/sessions")
        response.raise_for_status()
        sessions: list[dict[str, Any]] = response.json()
        return sessions[0]

    async def command(
        self, client: httpx.AsyncClient, sid: str, idempotency_key: str | None = None, **form: str
    ) -> httpx.Response:
        # As a tablet sends it: through htmx, so a refusal is answered as a toast.
        headers = {"idempotency-key": idempotency_key or key(), "hx-request": "true"}
        return await client.post(f"/s/{sid}/commands", data=form, headers=headers)

    async def press(self, token: str, idempotency_key: str | None = None) -> httpx.Response:
        client = self.client(origin=self.server.url)
        headers = {"idempotency-key": idempotency_key or key()}
        return await client.post(f"/p/{token}/assist", headers=headers)

    async def tablet(
        self, client: httpx.AsyncClient, sid: str, origin: str | None = None
    ) -> Socket:
        return await self._connect(f"/s/{sid}/ws", origin, {"cookie": cookie_header(client)})

    async def button(self, token: str, origin: str | None = None) -> Socket:
        return await self._connect(f"/p/{token}/ws", origin, {})

    async def _connect(self, path: str, origin: str | None, headers: dict[str, str]) -> Socket:
        socket = await connect(
            self.server.ws_url + path,
            origin=origin or self.server.url,  # type: ignore[arg-type]
            additional_headers=headers,
        )
        self.sockets.append(socket)
        return Socket(socket)

    async def advance_clock(self, seconds: float) -> None:
        """Move the server's clock forward and let the escalation ladder run once."""
        response = await self.client().post("/_test/clock", data={"seconds": str(seconds)})
        assert response.status_code == 200, response.text

    async def open_request_id(self, client: httpx.AsyncClient, sid: str) -> str:
        page = (await client.get(f"/s/{sid}")).text
        found = re.search(r'id="request-([^"]+)"', page)
        assert found, "no open request on the dashboard"
        return found.group(1)

    async def close(self) -> None:
        for socket in self.sockets:
            await socket.close()
        for client in self.clients:
            await client.aclose()
