"""Hardware buttons as the running room hears them. Kept in memory, not in the log.

Two things, both shell state with times from the rooms' clock:

- **the de-duplication window**: a button that sends no per-press id (Shelly, myStrom) and retries
  a press it thinks was lost sends the very same request again; a second press from the same
  device on the same mat within `REPEAT_WINDOW_SECONDS` is that press, not a new one.
- **supervision**: when each mat's paired button was last heard (a press or a check-in). A paired
  button silent for longer than the configured interval is *silent*: its tile says "button not
  checked in", as a phone's says "button offline". Off when the interval is None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from roomlive.core.model import Session

REPEAT_WINDOW_SECONDS = 5.0
FORGET_AFTER = 1000  # remembered presses beyond this are pruned of those outside the window

Key = tuple[str, str]  # (session id, participant id)


class HardwareButtons:
    def __init__(
        self, on_change: Callable[[str, str], None], started: float, checkin_after: float | None
    ) -> None:
        self._on_change = on_change
        self._started = started  # nothing was heard before start-up: counted from here
        self.checkin_after = checkin_after
        self._pressed: dict[tuple[str, str, str], float] = {}  # (sid, pid, device) -> last press
        self._heard: dict[Key, float] = {}
        self._silent: dict[str, set[str]] = {}

    def repeat(self, sid: str, pid: str, device: str, now: float) -> bool:
        """True if this device pressed on this mat within the window (the same press again);
        otherwise the press is remembered as the device's last."""
        key = (sid, pid, device)
        last = self._pressed.get(key)
        if last is not None and 0 <= now - last < REPEAT_WINDOW_SECONDS:
            return True
        if len(self._pressed) > FORGET_AFTER:
            cutoff = now - REPEAT_WINDOW_SECONDS
            self._pressed = {k: t for k, t in self._pressed.items() if t >= cutoff}
        self._pressed[key] = now
        return False

    def not_pressed(self, sid: str, pid: str, device: str) -> None:
        """The press was not recorded: a retry of it must not count as the same press."""
        self._pressed.pop((sid, pid, device), None)

    def heard(self, sid: str, pid: str, now: float) -> None:
        """The mat's button was heard: a press or a check-in."""
        self._heard[(sid, pid)] = now
        silent = self._silent.get(sid, set())
        if pid in silent:
            silent.discard(pid)
            self._on_change(sid, pid)

    def last_heard(self, sid: str, pid: str) -> float | None:
        return self._heard.get((sid, pid))

    def silent(self, sid: str) -> frozenset[str]:
        return frozenset(self._silent.get(sid, ()))

    def sweep(self, sessions: Iterable[Session], now: float) -> None:
        """Mark paired buttons not heard within the interval silent (each change redraws)."""
        if self.checkin_after is None:
            return
        for session in sessions:
            silent = self._silent.setdefault(session.sid, set())
            for p in session.participants.values():
                supervised = bool(p.button_token) and p.button_paired_at is not None
                last = max(self._heard.get((session.sid, p.pid), 0.0), self._started)
                if supervised:
                    last = max(last, p.button_paired_at or 0.0)
                quiet = supervised and not session.ended and now - last > self.checkin_after
                if quiet != (p.pid in silent):
                    (silent.add if quiet else silent.discard)(p.pid)
                    self._on_change(session.sid, p.pid)
