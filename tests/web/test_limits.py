"""Slow and too many connections from one address: the others are served, the log stays small.

A real server limited to 1,024 open files, as a laptop's default `ulimit -n` is. The flood comes
from 127.0.0.2, /healthz from 127.0.0.1 and a tablet from 127.0.0.3: all of 127.0.0.0/8 is
loopback on Linux, and the server counts connections per client address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from roomlive.web.limits import (
    ACCEPT_ERROR,
    HEAD_TIMEOUT_SECONDS,
    HEAD_TOO_SLOW,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_ADDRESS,
    MAX_LINGERING_REFUSALS,
    TOO_MANY_FROM_ADDRESS,
    TOO_MANY_IN_ALL,
    QuietAcceptErrors,
    plan_connections,
)
from tests.support.clients import Room, Socket, cookie_header
from tests.support.server import Server

pytestmark = pytest.mark.anyio

FLOOD = 1100  # slow connections from one address, as in the report
FLOOD_FROM, HEALTH_FROM, TABLET_FROM = "127.0.0.2", "127.0.0.1", "127.0.0.3"
DEFAULT_OPEN_FILES = 1024, 8192  # a Linux login's usual soft limit; the hard one is higher
TIGHT_OPEN_FILES = 1024, 1024  # a machine whose hard limit is the soft one
MAX_HEALTH_SECONDS = 1.0
MAX_LOG_BYTES = 8 * 1024  # the whole server log, start-up lines included
SLOW_HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # then a byte a second
CONNECT_TIMEOUT_SECONDS = 5.0


def client_files_for(count: int) -> None:
    """This test process holds `count` sockets at once: make sure it may."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"this process may open only {hard} files; the test needs {wanted}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def answer_of(raw: socket.socket) -> bytes:
    """What the server sent before closing (b"" for a bare reset)."""
    received = b""
    try:
        while chunk := raw.recv(4096):
            received += chunk
    except (BlockingIOError, ConnectionResetError):  # the answer so far is enough
        pass
    return received


@dataclass
class Flood:
    """Slow connections from one address: when each was opened, and what and when it was told."""

    server: Server
    sources: tuple[str, ...] = (FLOOD_FROM,)
    sockets: list[socket.socket] = field(default_factory=list)
    opened: dict[int, float] = field(default_factory=dict)
    answers: dict[int, tuple[bytes, float]] = field(default_factory=dict)
    poll: select.poll = field(default_factory=select.poll)

    def open(self, count: int, head: bytes = SLOW_HEAD) -> None:
        """Connect them all at once, as a flood does, then send each the start of a head.

        (In a thread: it waits.) One by one, each connect() would wait out the SYN the server's
        full accept queue dropped, a second or more, and the first ones would time out first.
        """
        connecting = select.poll()
        pending: dict[int, socket.socket] = {}
        for n in range(count):
            raw = socket.socket()
            raw.setblocking(False)
            raw.bind((self.sources[n % len(self.sources)], 0))
            raw.connect_ex(("127.0.0.1", self.server.port))
            pending[raw.fileno()] = raw
            connecting.register(raw, select.POLLOUT)
        deadline = time.monotonic() + CONNECT_TIMEOUT_SECONDS
        while pending and time.monotonic() < deadline:
            for fd, _ in connecting.poll(100):
                raw = pending.pop(fd)
                connecting.unregister(fd)
                assert raw.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
                self.opened[fd] = time.monotonic()
                raw.send(head)
                self.sockets.append(raw)
                self.poll.register(raw, select.POLLIN)
        for raw in pending.values():
            raw.close()

    def unanswered(self) -> list[socket.socket]:
        return [raw for raw in self.sockets if raw.fileno() not in self.answers]

    def listen(self) -> None:
        for fd, _ in self.poll.poll(0):
            raw = next(raw for raw in self.sockets if raw.fileno() == fd)
            self.answers[fd] = (answer_of(raw), time.monotonic())
            self.poll.unregister(fd)

    def told(self, status: bytes) -> dict[int, bytes]:
        return {fd: text for fd, (text, _) in self.answers.items() if text.startswith(status)}

    def seconds_to_answer(self, fds: Iterable[int]) -> list[float]:
        return [self.answers[fd][1] - self.opened[fd] for fd in fds]

    async def trickle_and_listen(self) -> None:
        """Each unanswered connection sends one more byte of its head every second."""
        next_byte = time.monotonic()
        while True:
            self.listen()
            if time.monotonic() >= next_byte:
                next_byte += 1.0
                for raw in self.unanswered():
                    with contextlib.suppress(OSError):
                        raw.send(b"a")
            await asyncio.sleep(0.05)


@pytest.fixture
def flood() -> Iterator[list[Flood]]:
    client_files_for(FLOOD)
    floods: list[Flood] = []
    yield floods
    for each in floods:
        for raw in each.sockets:
            raw.close()


@pytest.fixture
def limited_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    open_files: tuple[int, int] = request.param
    running = Server(db_path=tmp_path / "roomlive.db", open_files=open_files).start()
    try:
        yield running
    finally:
        running.stop()


async def health_latency(server: Server) -> float:
    async with httpx.AsyncClient(base_url=server.url) as client:
        started = time.perf_counter()
        response = await client.get("/healthz", timeout=5.0)
        assert response.status_code == 200, response.text
        return time.perf_counter() - started


@pytest.mark.parametrize("limited_server", [DEFAULT_OPEN_FILES], indirect=True)
async def test_a_slow_flood_from_one_address_stops_no_one_else(
    limited_server: Server, flood: list[Flood]
) -> None:
    server = limited_server
    flood.append(slow := Flood(server))
    room = Room(server)
    try:
        sam = await room.facilitator("Sam")
        sid = (await room.demo_session(sam))["sid"]

        # Open the flood in a thread while /healthz is asked every 100 ms from another address.
        started = time.monotonic()
        opening = threading.Thread(target=slow.open, args=(FLOOD,))
        opening.start()
        latencies = []
        while opening.is_alive():
            latencies.append(await health_latency(server))
            await asyncio.sleep(0.1)
        opening.join()
        opened_in = time.monotonic() - started
        assert len(slow.sockets) == FLOOD, f"{FLOOD - len(slow.sockets)} did not connect"
        assert opened_in < HEAD_TIMEOUT_SECONDS - 2, "too slow to tell who was held"

        # While the held ones trickle a byte a second: /healthz, and a tablet from a third
        # address that gets its snapshot and whose post reaches it.
        watching = asyncio.create_task(slow.trickle_and_listen())
        try:
            for _ in range(5):
                latencies.append(await health_latency(server))
            tablet = Socket(
                await connect(
                    f"{server.ws_url}/s/{sid}/ws",
                    origin=server.url,  # type: ignore[arg-type]
                    additional_headers={"cookie": cookie_header(sam)},
                    local_addr=(TABLET_FROM, 0),
                )
            )
            room.sockets.append(tablet.socket)
            assert 'id="mat-p1"' in await tablet.receive()
            transport = httpx.AsyncHTTPTransport(local_address=TABLET_FROM)
            async with httpx.AsyncClient(
                base_url=server.url, transport=transport, cookies=sam.cookies
            ) as tablet_posts:
                response = await tablet_posts.post(
                    f"/s/{sid}/commands",
                    data={"action": "check", "pid": "p1", "status": "ok"},
                    headers={"origin": server.url, "idempotency-key": "limits-1"},
                )
                assert response.status_code == 204, response.text
            await tablet.receive_until('<article id="mat-p1" class="tile status-ok')

            # Every slow connection is answered: refused at once, or timed out.
            deadline = time.monotonic() + HEAD_TIMEOUT_SECONDS + 5
            while slow.unanswered() and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            watching.cancel()
        assert not slow.unanswered(), f"{len(slow.unanswered())} still open"

        # Their places are free again: the flooding address is served once it behaves.
        async with httpx.AsyncClient(
            base_url=server.url, transport=httpx.AsyncHTTPTransport(local_address=FLOOD_FROM)
        ) as behaving:
            assert (await behaving.get("/healthz")).status_code == 200
    finally:
        await room.close()

    held, refused = slow.told(b"HTTP/1.1 408"), slow.told(b"HTTP/1.1 503")
    held_for = slow.seconds_to_answer(held)
    log = server.log()
    print(
        f"\n{FLOOD} slow connections from {FLOOD_FROM} opened in {opened_in:.2f} s;"
        f" /healthz from {HEALTH_FROM}: {len(latencies)} asked, max {max(latencies) * 1000:.0f}"
        f" ms; {len(held)} held, then closed {min(held_for):.2f}-{max(held_for):.2f} s after"
        f" they were opened; {len(refused)} refused with the 503 text,"
        f" {FLOOD - len(held) - len(refused)} without; server log {len(log.encode())} bytes"
    )
    assert max(latencies) < MAX_HEALTH_SECONDS
    assert len(held) == MAX_CONNECTIONS_PER_ADDRESS
    assert all(text.endswith(f"\r\n\r\n{HEAD_TOO_SLOW}\n".encode()) for text in held.values())
    # From when this process saw each connected, which may lag the server's accept() a little.
    assert HEAD_TIMEOUT_SECONDS - 1 < min(held_for) <= max(held_for) < HEAD_TIMEOUT_SECONDS + 2
    assert len(refused) >= MAX_LINGERING_REFUSALS
    assert all(
        text.endswith(f"\r\n\r\n{TOO_MANY_FROM_ADDRESS}\n".encode()) for text in refused.values()
    )
    assert f"at most {MAX_CONNECTIONS_PER_ADDRESS} per address and {MAX_CONNECTIONS} in all" in log
    assert f"open-file limit {DEFAULT_OPEN_FILES[0]}, raised to {DEFAULT_OPEN_FILES[1]}" in log
    assert "Traceback" not in log and ACCEPT_ERROR not in log
    assert log.count("refused a connection from 127.0.0.2") == 1
    assert log.count("closed a connection from 127.0.0.2") == 1
    assert len(log.encode()) < MAX_LOG_BYTES


@pytest.mark.parametrize("limited_server", [TIGHT_OPEN_FILES], indirect=True)
async def test_a_flood_from_many_addresses_fits_in_the_open_files(
    limited_server: Server, flood: list[Flood]
) -> None:
    """Past the limit in all everyone is refused, but accept() never runs out of files."""
    server = limited_server
    _, total = plan_connections(TIGHT_OPEN_FILES[0])
    sources = tuple(f"127.0.1.{n}" for n in range(1, 21))  # 55 each: under the address limit
    flood.append(spread := Flood(server, sources))
    started = time.monotonic()
    # One byte each: a connection the server's full accept queue left half-open (its last ACK
    # dropped) is otherwise only taken in on the server's next SYN-ACK, up to 15 s later.
    await asyncio.to_thread(spread.open, FLOOD, b"G")
    assert len(spread.sockets) == FLOOD
    opened_in = time.monotonic() - started

    # A connection whose last handshake ACK the full listen queue dropped is taken in only when
    # its client retries, less and less often: on a busy machine that can take a while.
    deadline = time.monotonic() + HEAD_TIMEOUT_SECONDS + 20
    while spread.unanswered() and time.monotonic() < deadline:
        spread.listen()
        await asyncio.sleep(0.1)
    assert not spread.unanswered(), (
        f"{len(spread.unanswered())} unanswered, {len(spread.answers)} answered:"
        f" {sorted(Counter(text[:12] for text, _ in spread.answers.values()).items())}"
    )
    freed_in = time.monotonic() - started
    held, refused = spread.told(b"HTTP/1.1 408"), spread.told(b"HTTP/1.1 503")
    # Those let in at first are closed together; any taken in later were let in as they left.
    first_wave_closed_by = started + opened_in + HEAD_TIMEOUT_SECONDS + 1
    first = [fd for fd in held if spread.answers[fd][1] < first_wave_closed_by]
    assert len(first) == total
    assert all(text.endswith(f"{TOO_MANY_IN_ALL}\n".encode()) for text in refused.values())
    assert (await health_latency(server)) < MAX_HEALTH_SECONDS
    log = server.log()
    print(
        f"\n{FLOOD} one-byte connections from {len(sources)} addresses, server limited to"
        f" {TIGHT_OPEN_FILES[0]} files: {len(first)} held at once ({total} in all), {len(refused)}"
        f" refused with the 503 text, all answered within {freed_in:.1f} s;"
        f" server log {len(log.encode())} bytes"
    )
    assert f"per address and {total} in all; open-file limit {TIGHT_OPEN_FILES[0]}\n" in log
    assert "Traceback" not in log and ACCEPT_ERROR not in log
    assert len(log.encode()) < MAX_LOG_BYTES


@pytest.fixture
def strict_server(tmp_path: Path) -> Iterator[Server]:
    extra = ("--max-connections-per-address", "3")
    running = Server(db_path=tmp_path / "roomlive.db", extra_args=extra).start()
    try:
        yield running
    finally:
        running.stop()


async def test_a_closed_websocket_frees_its_place(strict_server: Server) -> None:
    """Upgraded connections are counted until they close, and then no longer."""
    server, address = strict_server, "127.0.0.4"
    room = Room(server)
    try:
        sam = await room.facilitator("Sam")
        sid = (await room.demo_session(sam))["sid"]
        tablets = [
            await connect(
                f"{server.ws_url}/s/{sid}/ws",
                origin=server.url,  # type: ignore[arg-type]
                additional_headers={"cookie": cookie_header(sam)},
                local_addr=(address, 0),
            )
            for _ in range(3)
        ]
        transport = httpx.AsyncHTTPTransport(local_address=address)
        async with httpx.AsyncClient(base_url=server.url, transport=transport) as fourth:
            refused = await fourth.get("/healthz")
        assert refused.status_code == 503
        assert refused.text == f"{TOO_MANY_FROM_ADDRESS}\n"
        assert refused.headers["retry-after"] == "10"

        for tablet in tablets:
            await tablet.close()
        transport = httpx.AsyncHTTPTransport(local_address=address)
        async with httpx.AsyncClient(base_url=server.url, transport=transport) as again:
            async with asyncio.timeout(5):
                while (await again.get("/healthz")).status_code != 200:
                    await asyncio.sleep(0.05)
    finally:
        await room.close()


async def test_the_limit_in_all_is_the_operators_to_set(tmp_path: Path) -> None:
    """`--max-connections`: past it, from any address, a connection gets the 503 in all."""
    extra = ("--max-connections", "4")
    server = Server(db_path=tmp_path / "roomlive.db", extra_args=extra).start()
    try:
        assert "at most 64 per address and 4 in all" in server.log()
        clients = [
            httpx.AsyncClient(
                base_url=server.url,
                transport=httpx.AsyncHTTPTransport(local_address=f"127.0.2.{n}"),
            )
            for n in range(1, 6)
        ]
        answers = [(await client.get("/healthz")).status_code for client in clients[:4]]
        refused = await clients[4].get("/healthz")  # four kept alive: a fifth is one too many
        assert answers == [200] * 4
        assert refused.status_code == 503 and refused.text == f"{TOO_MANY_IN_ALL}\n"
        for client in clients:
            await client.aclose()
    finally:
        server.stop()


def test_accept_errors_are_logged_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    """asyncio's own report of an accept() out of files, a thousand times in ten seconds."""
    now = [0.0]
    quiet = QuietAcceptErrors(clock=lambda: now[0])
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addFilter(quiet)
    loop = asyncio.new_event_loop()  # with asyncio's default exception handler, which logs
    try:
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            for n in range(1000):
                now[0] = n * 0.01  # ten seconds
                loop.call_exception_handler(
                    {"message": ACCEPT_ERROR, "exception": OSError(24, "Too many open files")}
                )
            now[0] = 61.0
            loop.call_exception_handler(
                {"message": ACCEPT_ERROR, "exception": OSError(24, "Too many open files")}
            )
            loop.call_exception_handler({"message": "something else"})
    finally:
        asyncio_logger.removeFilter(quiet)
        loop.close()
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        f"{ACCEPT_ERROR}: [Errno 24] Too many open files; logged at most once a minute",
        f"{ACCEPT_ERROR}: [Errno 24] Too many open files; 999 more in the last minute;"
        " logged at most once a minute",
        "something else",
    ]
    assert all(record.exc_info is None for record in caplog.records[:2])
