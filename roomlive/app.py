"""The Starlette application: its lifespan owns the store, the hub and the rooms."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roomlive.core.commandkeys import server_key
from roomlive.live.demo import DEMO_KEY, demo_session
from roomlive.live.hub import Hub
from roomlive.live.presence import BUTTON_OFFLINE_GRACE_SECONDS
from roomlive.live.rooms import Rooms
from roomlive.live.steady_clock import SteadyClock
from roomlive.live.store import EventStore
from roomlive.live.ticker import run_ticker
from roomlive.live.upkeep import Upkeep
from roomlive.web import EXCEPTION_HANDLERS, STATIC_DIR, TEMPLATES_DIR, Services, routes
from roomlive.web.auth import Credentials, JoinThrottle
from roomlive.web.offload import Offload
from roomlive.web.render import Views

log = logging.getLogger(__name__)


# A body that fits in one packet goes out as one packet anyway: a press's answer, a toast, a 204
# are sent as they are (no compressor set up on the event loop), only pages and files compressed.
GZIP_MIN_BYTES = 1400
# The collector's thresholds (CPython's: 700, 10, 10). Each open socket holds a few hundred objects
# for as long as it lives; with a young generation of 700, what every push leaves briefly alive is
# promoted, and each quarter of growth brings a full pass over every socket's objects: 0.1-0.2 s
# at a hundred rooms. With room for 50,000 young objects they die young (bench/README.md).
GC_THRESHOLDS = (50_000, 20, 10)

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        b"form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    # `same-origin`: no address leaves for another site, yet every engine sends the real `Origin`
    # on our own posts (under `no-referrer` WebKit and Firefox send `Origin: null`).
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


@dataclass(frozen=True)
class Settings:
    db_path: Path
    credentials: Credentials
    base_url: str = "http://127.0.0.1:8000"
    create_demo: bool = True
    test_clock: bool = False
    test_wall_offset: float = 0.0  # tests only: a system clock that was set wrong
    default_timezone: str = "UTC"
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    button_offline_after: float = BUTTON_OFFLINE_GRACE_SECONDS
    button_checkin_after: float | None = None  # supervision of paired hardware buttons; off
    backup_dir: Path | None = None


class SecurityHeaders:
    """Adds the same security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Services | Offload]]:
        store = await EventStore.open(settings.db_path)
        try:
            views = Views(TEMPLATES_DIR, app.routes)  # `url` in pushed fragments: these routes
            clock = SteadyClock(wall=lambda: time.time() + settings.test_wall_offset)
            # Data only (no "content"): htmx swaps nothing; the page learns the link is alive.
            hub = Hub(heartbeat=lambda: json.dumps({"heartbeat": clock()}))
            rooms = Rooms(
                store,
                hub,
                views,
                clock,
                settings.button_offline_after,
                settings.button_checkin_after,
            )
            count = await rooms.load()
            log.info("replayed %d events into %d sessions", count, rooms.count())
            if settings.create_demo and not rooms.count() and not rooms.unreadable_sessions():
                demo = demo_session(settings.default_timezone)
                await rooms.execute(demo.sid, demo, server_key(DEMO_KEY))
                log.info("created the demo session")
            # What start-up built (the folded log, compiled templates) lives for good: keep it
            # out of the collector's full passes, which otherwise paused pushes for ~60 ms.
            gc.collect()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
            services = Services(
                rooms,
                hub,
                views,
                settings.credentials,
                settings.base_url,
                settings.default_timezone,
                JoinThrottle(),
            )
            upkeep = Upkeep(store, settings.db_path, settings.backup_dir)
            tasks = [asyncio.create_task(run_ticker(rooms)), asyncio.create_task(upkeep.run())]
            offload = Offload(settings.db_path, settings.test_clock)  # long logs' heavy work
            try:
                yield {"services": services, "offload": offload}
            finally:
                await offload.close()
                for task in tasks:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
        finally:
            await store.close()

    return Starlette(
        routes=routes(str(STATIC_DIR), settings.test_clock),
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)),
            Middleware(SecurityHeaders),
            # HTTP only: not websocket frames
            Middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES),
        ],
    )
