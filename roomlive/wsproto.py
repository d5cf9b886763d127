"""uvicorn's websocket protocol, letting go of a peer that stopped reading.

When a tablet stops reading, the hub drops it (1013), but the close frame cannot be written past
the full send buffer, and uvicorn's `transport.close()` waits to flush that buffer forever: the
socket and its buffered megabytes would stay. Aborting instead frees them at once. This leans on
uvicorn's `writable` event (uvicorn 0.54); tests/test_stall.py checks it on every upgrade.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class AbortStalledPeers(WebSocketsSansIOProtocol):
    async def run_asgi(self) -> None:
        await super().run_asgi()
        if not self.writable.is_set():  # the peer is not reading: nothing more will get out
            self.transport.abort()
