"""Which buttons and tablets are connected right now. Kept in memory, not in the log.

A button counts as offline only after a grace period without any connection, so a phone that
reconnects after a Wi-Fi blip does not make every tablet flicker.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

BUTTON_OFFLINE_GRACE_SECONDS = 5.0

Key = tuple[str, str]  # (session id, participant id)


@dataclass(frozen=True)
class Tablet:
    device: str
    name: str


@dataclass(frozen=True)
class Attendance:
    """Who is connected to one session right now: participants' buttons and tablets."""

    buttons: frozenset[str]
    tablets: tuple[Tablet, ...]
    silent: frozenset[str] = frozenset()  # paired hardware buttons not heard within the interval


class Presence:
    def __init__(
        self,
        on_change: Callable[[str, str | None], None],
        grace: float = BUTTON_OFFLINE_GRACE_SECONDS,
        silent: Callable[[str], frozenset[str]] = lambda sid: frozenset(),
    ) -> None:
        self._on_change = on_change
        self._silent = silent
        self._grace = grace
        self._connections: Counter[Key] = Counter()
        self._online: dict[str, set[str]] = {}  # session -> participants whose button is on
        self._pending: dict[Key, asyncio.TimerHandle] = {}
        self._tablets: dict[str, dict[str, str]] = {}  # session -> device -> facilitator name

    def attendance(self, sid: str) -> Attendance:
        tablets = self._tablets.get(sid, {})
        devices = tuple(Tablet(device, name) for device, name in sorted(tablets.items()))
        return Attendance(self.online(sid), devices, self._silent(sid))

    def tablet_connected(self, sid: str, device: str, name: str) -> None:
        self._tablets.setdefault(sid, {})[device] = name
        self._on_change(sid, None)

    def tablet_disconnected(self, sid: str, device: str) -> None:
        self._tablets.get(sid, {}).pop(device, None)
        self._on_change(sid, None)

    def online(self, sid: str) -> frozenset[str]:
        return frozenset(self._online.get(sid, ()))

    def connected(self, sid: str, pid: str) -> None:
        key = (sid, pid)
        self._connections[key] += 1
        pending = self._pending.pop(key, None)
        if pending is not None:
            pending.cancel()
        online = self._online.setdefault(sid, set())
        if pid not in online:
            online.add(pid)
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
        sid, pid = key
        online = self._online.get(sid, set())
        if key not in self._connections and pid in online:
            online.discard(pid)
            self._on_change(sid, pid)
