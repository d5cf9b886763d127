"""A tablet that never reads: the others are not delayed, it is closed, memory stays bounded.

The stalled client is a real TCP socket with a small receive buffer that does the websocket
handshake by hand and then never reads, so the server's kernel buffer, its transport buffer and
finally that connection's queue fill up while healthy tablets keep receiving.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import socket
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from roomlive.core.presets import CHECKIN_MINUTES
from roomlive.live.hub import CLOSE_TIMEOUT_SECONDS
from tests.support.clients import Room, Socket, cookie_header
from tests.support.server import Server

pytestmark = pytest.mark.anyio

SAMPLES = 100  # before the stall, and again after the server closed the stalled tablet
MAX_UPDATES = 3000  # far more than fill a loopback socket (~4 MB), its transport and its queue
MAX_LATENCY_SECONDS = 1.0
MAX_RSS_GROWTH_KB = 50 * 1024
CLOSED_LOG_LINE = "closing a websocket with code 1013"
ESTABLISHED = "01"  # the state column of /proc/net/tcp
DEADLINE_SLACK_SECONDS = 0.001  # a float's last digits, computed here and on the server


def stalled_tablet(server: Server, path: str, cookie: str) -> socket.socket:
    """Open a websocket by hand with a tiny receive buffer; the caller never reads from it."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(5)
    raw.connect(("127.0.0.1", server.port))
    handshake = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
        f"Origin: {server.url}\r\nCookie: {cookie}\r\n\r\n"
    )
    raw.sendall(handshake.encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):  # the response headers only, byte by byte
        head += raw.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return raw


def rss_kb(server: Server) -> int:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])


def server_side_states(server: Server, client: socket.socket) -> list[str]:
    """TCP states of the server's end of this client's connection (empty once released)."""
    client_port = client.getsockname()[1]
    states = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(end.split(":")[1], 16) for end in fields[1:3])
        if (local, remote) == (server.port, client_port):
            states.append(fields[3])
    return states


LAST_TILE_DEADLINE = re.compile(r'<article id="mat-p8"[^>]*? data-overdue-at="([^"]+)"')


@dataclass
class Pusher:
    """Sam changes the check-in interval: every tile and the tools go to every tablet. The clock
    runs, so every tile carries the instant it falls overdue: the start plus the interval."""

    room: Room
    server: Server
    sam: httpx.AsyncClient
    sid: str
    healthy: Socket
    seen: list[str] = field(default_factory=list)  # what the healthy tablet was pushed
    count: int = 0
    clock_started: float = 0.0  # as the tiles' deadlines tell it

    @classmethod
    async def start(cls, room: Room, server: Server) -> Pusher:
        sam = await room.facilitator("Sam")
        sid = (await room.demo_session(sam))["sid"]
        healthy = await room.tablet(sam, sid)
        pusher = cls(room, server, sam, sid, healthy, [await healthy.receive()])
        assert (await room.command(sam, sid, action="start")).status_code == 204
        pusher.seen.append(await healthy.receive_until(LAST_TILE_DEADLINE.pattern))
        pusher.clock_started = pusher.deadline() - CHECKIN_MINUTES * 60
        return pusher

    def stall(self) -> socket.socket:
        return stalled_tablet(self.server, f"/s/{self.sid}/ws", cookie_header(self.sam))

    def deadline(self) -> float:
        """The last tile's deadline in the latest push; 0.0 if that push has no tiles."""
        found = LAST_TILE_DEADLINE.search(self.seen[-1])
        return float(found.group(1)) if found else 0.0

    async def push(self) -> float:
        """Seconds from sending the command to the healthy tablet having its push."""
        self.count += 1
        minutes = CHECKIN_MINUTES + self.count % 2  # one more first: the snapshot shows 15
        started = time.perf_counter()
        response = await self.room.command(
            self.sam, self.sid, action="interval", minutes=str(minutes)
        )
        assert response.status_code == 204, response.text
        while abs(self.deadline() - self.clock_started - minutes * 60) > DEADLINE_SLACK_SECONDS:
            self.seen.append(await self.healthy.receive())
        return time.perf_counter() - started

    async def until_stalled_one_is_closed(self) -> list[float]:
        latencies: list[float] = []
        while CLOSED_LOG_LINE not in self.server.log() and len(latencies) < MAX_UPDATES:
            latencies.append(await self.push())
        assert CLOSED_LOG_LINE in self.server.log(), f"not closed after {MAX_UPDATES} updates"
        return latencies

    async def until_pushed(self, text: str, seconds: float) -> None:
        async with asyncio.timeout(seconds):
            while text not in self.seen[-1]:
                self.seen.append(await self.healthy.receive())


@pytest.fixture
def stalled() -> Iterator[list[socket.socket]]:
    sockets: list[socket.socket] = []
    yield sockets
    for raw in sockets:
        raw.close()


async def test_a_stalled_tablet_delays_no_one_is_closed_and_memory_stays_bounded(
    room: Room, server: Server, stalled: list[socket.socket]
) -> None:
    pusher = await Pusher.start(room, server)
    before = [await pusher.push() for _ in range(SAMPLES)]
    rss_before = rss_kb(server)

    stalled.append(pusher.stall())
    during = await pusher.until_stalled_one_is_closed()
    after = [await pusher.push() for _ in range(SAMPLES)]
    rss_after = rss_kb(server)

    p50_before, p50_during = statistics.median(before), statistics.median(during)
    print(
        f"\nlatency before: p50 {p50_before * 1000:.1f} ms, max {max(before) * 1000:.1f} ms;"
        f" during the stall ({len(during)} updates until it was closed): p50"
        f" {p50_during * 1000:.1f} ms, max {max(during) * 1000:.1f} ms; after: max"
        f" {max(after) * 1000:.1f} ms; RSS {rss_before} -> {rss_after} kB"
    )
    assert max(during + after) < MAX_LATENCY_SECONDS
    assert p50_during <= 2 * p50_before + 0.010
    assert rss_after - rss_before < MAX_RSS_GROWTH_KB
    # The hub let it go: the healthy tablet was shown two tablets, then one again.
    assert "Devices · 2 tablets" in "".join(pusher.seen)
    await pusher.until_pushed("Devices · 1 tablet,", CLOSE_TIMEOUT_SECONDS + 3)


async def test_the_server_lets_go_of_a_stalled_socket(
    room: Room, server: Server, stalled: list[socket.socket]
) -> None:
    pusher = await Pusher.start(room, server)
    stalled.append(raw := pusher.stall())
    await pusher.until_stalled_one_is_closed()

    deadline = time.monotonic() + CLOSE_TIMEOUT_SECONDS + 5
    while ESTABLISHED in server_side_states(server, raw) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert ESTABLISHED not in server_side_states(server, raw)
