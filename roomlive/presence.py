"""Which participants' buttons are connected right now. Kept in memory, not in the log.

A button counts as offline only after a grace period without any connection, so a phone that
reconnects after a Wi-Fi blip does not make every tablet flicker.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

BUTTON_OFFLINE_GRACE_SECONDS = 5.0

Key = tuple[str, str]  # (session id, participant id)


class Presence:
    def __init__(
        self, on_change: Callable[[str, str], None], grace: float = BUTTON_OFFLINE_GRACE_SECONDS
    ) -> None:
        self._on_change = on_change
        self._grace = grace
        self._connections: Counter[Key] = Counter()
        self._online: set[Key] = set()
        self._pending: dict[Key, asyncio.TimerHandle] = {}

    def online(self, sid: str) -> frozenset[str]:
        return frozenset(pid for (session, pid) in self._online if session == sid)

    def connected(self, sid: str, pid: str) -> None:
        key = (sid, pid)
        self._connections[key] += 1
        pending = self._pending.pop(key, None)
        if pending is not None:
            pending.cancel()
        if key not in self._online:
            self._online.add(key)
            self._on_change(sid, pid)

    def disconnected(self, sid: str, pid: str) -> None:
        key = (sid, pid)
        self._connections[key] -= 1
        if self._connections[key] <= 0:
            del self._connections[key]
            loop = asyncio.get_running_loop()
            self._pending[key] = loop.call_later(self._grace, self._expire, key)

    def _expire(self, key: Key) -> None:
        self._pending.pop(key, None)
        if key not in self._connections and key in self._online:
            self._online.discard(key)
            self._on_change(*key)
