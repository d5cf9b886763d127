"""Connection limits: a request head must arrive in time, and one address holds only so many.

uvicorn 0.54 has no header read timeout: a connection that sends half a request head, or nothing,
keeps its file descriptor forever (its keep-alive timer only starts after a first response, and
every byte received stops it). 1,100 such connections from one phone or laptop used up the
process's 1,024 files; asyncio then failed every accept() and logged each failure with a
traceback, hundreds of megabytes a minute, while /healthz and every tablet waited.

`guarded_protocols` makes uvicorn's HTTP and websocket protocol classes count every connection in
a `Gate` (per client address and in all) from accept to close. Past a limit the connection is
answered `503` with a one-line reason and closed; a connection that has not sent a complete
request head within `HEAD_TIMEOUT_SECONDS` of being accepted (or of its previous response) is
answered `408` and closed. Refusals and timeouts are logged once, then summed up once a minute.
`QuietAcceptErrors` does the same for asyncio's accept() errors, should the files still run out.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from roomlive.web.wsproto import AbortStalledPeers

HEAD_TIMEOUT_SECONDS = 10.0  # a request head is one packet; 10 s covers a phone on weak Wi-Fi
MAX_CONNECTIONS_PER_ADDRESS = 64  # a tablet uses ~7 (6 HTTP + its websocket), a phone ~3
MAX_CONNECTIONS = 1024  # in all; fewer if the open files would run out first (plan_connections)
# asyncio accepts up to `backlog` sockets per turn of its loop, and a refused one is closed three
# turns later: up to ~4 backlogs of sockets are open but not yet counted (measured: with one
# backlog to spare, a flood from many addresses still ran the files out). A long listen queue
# keeps a burst of connections from pushing out a tablet's (its SYN dropped, retried after 1 s),
# so it is as long as the open files allow.
MAX_LISTEN_BACKLOG = 1024
MAX_LINGERING_REFUSALS = 64  # a refused one lingers a moment so that its client reads the answer
REFUSAL_LINGER_SECONDS = 1.0
SPARE_FILES = 64  # the database, the log, the listener, the event loop, TLS files...
WANTED_OPEN_FILES = 65536  # the soft limit is raised towards this, never past the hard limit
REPORT_EVERY_SECONDS = 60.0
PROXY_ADDRESSES = frozenset({"127.0.0.1", "::1"})  # behind a proxy every client comes from here

TOO_MANY_FROM_ADDRESS = "too many connections from this address"
TOO_MANY_IN_ALL = "too many connections to this server"
HEAD_TOO_SLOW = "the request head did not arrive in time"
ACCEPT_ERROR = "socket.accept() out of system resource"

logger = logging.getLogger("roomlive.limits")


def plain_answer(status: str, text: str, retry_after: int | None = None) -> bytes:
    body = f"{text}\n".encode()
    head = [
        f"HTTP/1.1 {status}",
        "content-type: text/plain; charset=utf-8",
        f"content-length: {len(body)}",
        "connection: close",
        *([f"retry-after: {retry_after}"] if retry_after is not None else []),
    ]
    return "\r\n".join(head).encode() + b"\r\n\r\n" + body


def raise_open_file_limit() -> tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE towards WANTED_OPEN_FILES (within the hard limit): (was, is)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = WANTED_OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, WANTED_OPEN_FILES)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft, soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (ValueError, OSError):
        return soft, soft
    return soft, wanted


def plan_connections(open_files: int, wanted: int = MAX_CONNECTIONS) -> tuple[int, int]:
    """(listen backlog, connections in all): `wanted`, or fewer if they would not fit in this
    many open files."""
    room = open_files - MAX_LINGERING_REFUSALS - SPARE_FILES
    backlog = max(16, min(MAX_LISTEN_BACKLOG, room // 8))
    return backlog, max(1, min(wanted, room - 4 * backlog))


class Tally:
    """Log the first of a kind at once, then once a minute how many more there were."""

    def __init__(self, what: str) -> None:  # "refused", "closed"
        self.what = what
        self.more: Counter[str] = Counter()
        self.timer: asyncio.TimerHandle | None = None

    def add(self, detail: str) -> None:
        if self.timer is None:
            logger.warning("%s a connection %s; more are summed up each minute", self.what, detail)
            self.timer = asyncio.get_running_loop().call_later(REPORT_EVERY_SECONDS, self.report)
        else:
            self.more[detail] += 1

    def report(self) -> None:
        self.timer = None
        if not self.more:
            return
        top = self.more.most_common(3)
        rest = self.more.total() - sum(count for _, count in top)
        logger.warning(
            "%s %d more connections in the last minute: %s%s",
            self.what,
            self.more.total(),
            ", ".join(f"{count} {detail}" for detail, count in top),
            f", {rest} others" if rest else "",
        )
        self.more.clear()
        self.timer = asyncio.get_running_loop().call_later(REPORT_EVERY_SECONDS, self.report)


@dataclass
class Gate:
    """Every open connection by client address, from accept to close; who may come in."""

    per_address: int = MAX_CONNECTIONS_PER_ADDRESS
    total: int = MAX_CONNECTIONS
    exempt: frozenset[str] = frozenset()  # addresses without a per-address limit (a proxy)
    open: dict[asyncio.BaseTransport, str] = field(default_factory=dict)
    by_address: Counter[str] = field(default_factory=Counter)
    lingering: int = 0
    refused: Tally = field(default_factory=lambda: Tally("refused"))
    timed_out: Tally = field(default_factory=lambda: Tally("closed"))

    def admit(self, transport: asyncio.BaseTransport, address: str) -> str | None:
        """Count it in and return None, or return why it is refused."""
        if len(self.open) >= self.total:
            self.refused.add(f"from {address} (limit of {self.total} in all)")
            return TOO_MANY_IN_ALL
        if address not in self.exempt and self.by_address[address] >= self.per_address:
            self.refused.add(f"from {address} (limit of {self.per_address} per address)")
            return TOO_MANY_FROM_ADDRESS
        self.open[transport] = address
        self.by_address[address] += 1
        return None

    def release(self, transport: asyncio.BaseTransport) -> None:
        address = self.open.pop(transport, None)
        if address is not None:
            self.by_address[address] -= 1
            if not self.by_address[address]:
                del self.by_address[address]


def guarded_protocols(gate: Gate) -> tuple[type[H11Protocol], type[AbortStalledPeers]]:
    """uvicorn's `http` and `ws` protocol classes, counting their connections in `gate`.

    A connection starts as HTTP and may be upgraded: the websocket protocol then takes over the
    transport and is the one told when it closes, so both release it (release is idempotent).
    """

    class GuardedHTTP(H11Protocol):
        head_deadline: asyncio.TimerHandle | None = None
        refused = False
        lingers = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            refusal = gate.admit(transport, self.client[0] if self.client else "")
            if refusal is not None:
                self.refuse(refusal)
            else:
                self.watch_head()

        def refuse(self, reason: str) -> None:
            self.refused = True
            self.transport.write(plain_answer("503 Service Unavailable", reason, retry_after=10))
            # Closing at once with the client's request unread would send a reset, which may
            # reach it before the answer: read and drop what it sends for a moment, if we can.
            if gate.lingering < MAX_LINGERING_REFUSALS and self.transport.can_write_eof():
                gate.lingering += 1
                self.lingers = True
                self.transport.write_eof()
                self.loop.call_later(REFUSAL_LINGER_SECONDS, self.transport.close)
            else:
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            if not self.refused:
                super().data_received(data)

        def handle_events(self) -> None:
            super().handle_events()
            self.watch_head()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self.watch_head()

        def watch_head(self) -> None:
            """A deadline runs while we wait for a request head, from when we began to wait."""
            waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
            if waiting and self.head_deadline is None:
                self.head_deadline = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self.head_late)
            elif not waiting and self.head_deadline is not None:
                self.head_deadline.cancel()
                self.head_deadline = None

        def head_late(self) -> None:
            self.head_deadline = None
            if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
                return
            address = self.client[0] if self.client else ""
            gate.timed_out.add(f"from {address} (no request head in {HEAD_TIMEOUT_SECONDS:g} s)")
            self.transport.write(plain_answer("408 Request Timeout", HEAD_TOO_SLOW))
            self.transport.close()

        def connection_lost(self, exc: Exception | None) -> None:
            if self.head_deadline is not None:
                self.head_deadline.cancel()
                self.head_deadline = None
            if self.lingers:
                self.lingers = False
                gate.lingering -= 1
            gate.release(self.transport)
            super().connection_lost(exc)

    class GuardedWebSocket(AbortStalledPeers):
        def connection_lost(self, exc: Exception | None) -> None:
            gate.release(self.transport)
            super().connection_lost(exc)

    return GuardedHTTP, GuardedWebSocket


class QuietAcceptErrors(logging.Filter):
    """For the `asyncio` logger: one "accept() out of system resource" a minute, not thousands.

    Out of files, asyncio logs every failed accept() with a traceback, many per second: let one
    through a minute, without the traceback, saying how many were left out.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self.quiet_until = float("-inf")
        self.left_out = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.getMessage().startswith(ACCEPT_ERROR):
            return True
        now = self.clock()
        if now < self.quiet_until:
            self.left_out += 1
            return False
        error = record.exc_info[1] if record.exc_info else None
        left_out = f"; {self.left_out} more in the last minute" if self.left_out else ""
        record.msg = f"{ACCEPT_ERROR}: {error}{left_out}; logged at most once a minute"
        record.args, record.exc_info, record.exc_text = None, None, None
        self.quiet_until, self.left_out = now + REPORT_EVERY_SECONDS, 0
        return True
