"""The server's one clock: wall time read once at start-up, then real elapsed time.

Every duration in the room — the escalation ladder, "waiting m:ss", stale claims, cookie age —
is a difference of two readings of this clock, and every event's `at` is one. The system's wall
clock can step (NTP correcting a laptop that just joined the network): read directly, a step
back froze the ladder and wrote the log out of order, and a step forward escalated every request
at once. So after start-up this clock follows the monotonic clock only, and it never starts
earlier than the last event already logged. A correction of the system clock made while the
server runs is taken at its next start.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Source = Callable[[], float]


class SteadyClock:
    """Epoch seconds that never step back and never jump: the wall time at start plus elapsed."""

    def __init__(self, wall: Source = time.time, monotonic: Source = time.monotonic) -> None:
        self._monotonic = monotonic
        self._origin = wall() - monotonic()

    def __call__(self) -> float:
        return self._origin + self._monotonic()

    def not_before(self, at: float) -> None:
        """Never read earlier than `at` (the log's last event): its times must not go back."""
        behind = at - self()
        if behind > 0:
            self._origin += behind

    def advance(self, seconds: float) -> None:
        """Move forward, as if `seconds` more had passed (the test clock's only use)."""
        self._origin += seconds
