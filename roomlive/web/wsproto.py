"""uvicorn's websocket protocol: a peer that stopped reading is let go; buttons are pinged often.

When a tablet stops reading, the hub drops it (1013), but the close frame cannot be written past
the full send buffer, and uvicorn's `transport.close()` waits to flush that buffer forever: the
socket and its buffered megabytes would stay. Aborting instead frees them at once. This leans on
uvicorn's `writable` event and its keepalive attributes (uvicorn 0.54); tests/live/test_stall.py and
tests/live/test_presence.py check them on every upgrade.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

BUTTON_SOCKET_PATH_PREFIX = "/p/"  # participants' button pages: /p/<token>/ws
# A phone that loses the network sends no close frame: only an unanswered ping shows it has
# gone, at most ping + pong timeout after the fact. Tiles say "button offline" that much (plus
# the grace) late, so buttons are pinged far more often than tablets. A pong missed on a slow
# network costs a reconnect, which the grace hides.
BUTTON_PING_SECONDS = 2.0
BUTTON_PONG_TIMEOUT_SECONDS = 3.0
BUTTON_SILENT_LOSS_SECONDS = BUTTON_PING_SECONDS + BUTTON_PONG_TIMEOUT_SECONDS


class AbortStalledPeers(WebSocketsSansIOProtocol):
    async def run_asgi(self) -> None:
        await super().run_asgi()
        if not self.writable.is_set():  # the peer is not reading: nothing more will get out
            self.transport.abort()

    def start_keepalive(self) -> None:
        if self.scope["path"].startswith(BUTTON_SOCKET_PATH_PREFIX):
            self.ping_interval = BUTTON_PING_SECONDS
            self.ping_timeout = BUTTON_PONG_TIMEOUT_SECONDS
        super().start_keepalive()
