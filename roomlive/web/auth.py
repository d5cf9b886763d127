"""Facilitator access: a join code once, then a signed cookie. Origin checks for browsers.

The secret and the join code are made on first run and kept in the data directory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import Headers

from roomlive.core.shared import MAX_SENDER_NAME, clean_name

SECRET_FILE = "secret.key"
JOIN_CODE_FILE = "join-code.txt"
COOKIE_NAME = "roomlive_facilitator"
COOKIE_MAX_AGE_SECONDS = 24 * 3600
COOKIE_SALT = "roomlive.facilitator"
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8
MAX_FACILITATOR_NAME = MAX_SENDER_NAME
JOIN_ATTEMPTS = 5
JOIN_WINDOW_SECONDS = 60.0
MAX_TRACKED_ADDRESSES = 10_000
FETCH_SITES_ALLOWED = ("same-origin", "none")


@dataclass(frozen=True)
class Credentials:
    secret: bytes
    join_code: str


def load_or_create_credentials(data_dir: Path, join_code: str | None = None) -> Credentials:
    data_dir.mkdir(parents=True, exist_ok=True)
    secret_hex = _read_or_create(data_dir / SECRET_FILE, lambda: secrets.token_hex(32))
    code = join_code or _read_or_create(data_dir / JOIN_CODE_FILE, new_join_code)
    return Credentials(bytes.fromhex(secret_hex), code)


def new_join_code() -> str:
    raw = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def code_matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(_normalise_code(expected), _normalise_code(given))


def clean_facilitator_name(name: str) -> str | None:
    """The display name shown to colleagues, or None if it is unusable."""
    return clean_name(name)


@dataclass(frozen=True)
class Signin:
    """Who a facilitator cookie names, and the tablet it was issued to (one per join)."""

    name: str
    tablet: str


def _cookie_serializer(secret: bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=COOKIE_SALT)


def sign_cookie(secret: bytes, name: str, now: float, tablet: str) -> str:
    # The issue time is the server's own clock (SteadyClock), not itsdangerous' `time.time()`:
    # so the timed serializer's age check, which refuses a cookie from "the future", is not used.
    return _cookie_serializer(secret).dumps({"n": name, "t": int(now), "d": tablet})


def verify_cookie(secret: bytes, cookie: str | None, now: float) -> Signin | None:
    """Who signed in, if the cookie is ours and fresh, else None."""
    if not cookie:
        return None
    try:
        data = _cookie_serializer(secret).loads(cookie)
    except BadSignature:
        data = _hand_signed(secret, cookie)
    try:
        name, issued = str(data["n"]), float(data["t"])
        tablet = str(data.get("d") or f"named-{name}")  # cookies from before tablets had ids
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    # No lower bound: a cookie issued "later" than now was signed before the system clock was
    # set back (it is ours: the signature says so), and its tablet must stay signed in.
    if now - issued > COOKIE_MAX_AGE_SECONDS:
        return None
    return Signin(name, tablet)


def same_origin(headers: Headers, secure: bool) -> bool:
    """True if the browser says the request comes from a page of the host being served."""
    origin = headers.get("origin")
    host = headers.get("host")
    if not origin or not host:
        return False
    scheme = "https" if secure else "http"
    return hmac.compare_digest(origin.lower(), f"{scheme}://{host}".lower())


def cross_site_browser_request(headers: Headers, secure: bool) -> bool:
    """A request a browser sent from another site (CSRF), by the Fetch Metadata model.

    Every current engine sends `Sec-Fetch-Site` (Safari since 16.4) and it is what decides:
    `same-origin` or `none` (typed or bookmarked) passes, anything else is refused. An older
    browser sends only `Origin`, which must then be this host; `Origin: null` (a privacy
    setting or an opaque origin) says nothing about where the request came from, so it is
    refused too. A request with neither header is not from a browser (a hardware button, curl):
    it cannot carry a victim's cookie, and the token or cookie it carries decides.
    """
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site.lower() not in FETCH_SITES_ALLOWED
    return "origin" in headers and not same_origin(headers, secure)


class JoinThrottle:
    """Slows join-code guessing: after a few wrong codes from one address, a pause."""

    def __init__(
        self,
        attempts: int = JOIN_ATTEMPTS,
        window: float = JOIN_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._attempts = attempts
        self._window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, address: str) -> int:
        """Seconds this address must wait before trying again (0: it may try now)."""
        failures = self._recent(address)
        if len(failures) < self._attempts:
            return 0
        return max(1, math.ceil(failures[0] + self._window - self._clock()))

    def failed(self, address: str) -> None:
        self._recent(address).append(self._clock())

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] < self._clock() - self._window:
            failures.popleft()
        if len(self._failures) > MAX_TRACKED_ADDRESSES:  # bounded memory under a flood
            self._failures = {address: failures}
        return failures


def _read_or_create(path: Path, make: Callable[[], str]) -> str:
    if path.exists():
        return path.read_text().strip()
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _normalise_code(code: str) -> bytes:
    return "".join(ch for ch in code.upper() if ch.isalnum()).encode()


def _hand_signed(secret: bytes, cookie: str) -> Any:
    """A cookie signed before roomlive used itsdangerous (HMAC-SHA256 of base64 JSON): tablets
    joined before an upgrade stay signed in until it expires. Delete after 2026-12-31."""
    payload, _, mac = cookie.partition(".")
    raw = base64.urlsafe_b64encode(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(raw.decode().rstrip("="), mac):
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
