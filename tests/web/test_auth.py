"""Join code, signed cookie and origin checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest
from starlette.datastructures import Headers

from roomlive.web import auth

SECRET = b"s" * 32


def test_credentials_are_made_once_and_kept(tmp_path: Path) -> None:
    first = auth.load_or_create_credentials(tmp_path)
    again = auth.load_or_create_credentials(tmp_path)
    assert first == again and len(first.secret) == 32
    assert (tmp_path / auth.SECRET_FILE).stat().st_mode & 0o777 == 0o600
    assert auth.load_or_create_credentials(tmp_path, "MY-CODE").join_code == "MY-CODE"


def test_join_codes_match_ignoring_case_and_dashes() -> None:
    assert auth.code_matches("ABCD-2345", "abcd 2345")
    assert not auth.code_matches("ABCD-2345", "ABCD-2346")
    assert not auth.code_matches("ABCD-2345", "")


def test_a_cookie_verifies_only_unaltered_and_fresh() -> None:
    cookie = auth.sign_cookie(SECRET, "Sam", 1000, tablet="t1")
    assert auth.verify_cookie(SECRET, cookie, 1000 + 60) == auth.Signin("Sam", "t1")
    assert auth.verify_cookie(b"x" * 32, cookie, 1060) is None
    assert auth.verify_cookie(SECRET, cookie, 1000 + auth.COOKIE_MAX_AGE_SECONDS + 1) is None
    payload, mac = cookie.split(".")
    assert auth.verify_cookie(SECRET, payload + "x." + mac, 1060) is None
    assert auth.verify_cookie(SECRET, None, 1060) is None
    assert auth.verify_cookie(SECRET, "no-dot", 1060) is None


def hand_signed(payload_json: bytes, secret: bytes = SECRET) -> str:
    """A cookie as roomlive signed it before itsdangerous: base64 JSON and its HMAC-SHA256."""
    payload = base64.urlsafe_b64encode(payload_json).decode().rstrip("=")
    mac = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def test_a_cookie_from_before_tablet_ids_still_signs_in() -> None:
    cookie = hand_signed(b'{"n":"Sam","t":1000}')
    assert auth.verify_cookie(SECRET, cookie, 1060) == auth.Signin("Sam", "named-Sam")


def test_a_cookie_signed_by_hand_before_the_upgrade_still_signs_in_until_it_expires() -> None:
    cookie = hand_signed(b'{"n":"Sam","t":1000,"d":"t1"}')
    assert auth.verify_cookie(SECRET, cookie, 1060) == auth.Signin("Sam", "t1")
    assert auth.verify_cookie(SECRET, cookie, 1000 + auth.COOKIE_MAX_AGE_SECONDS + 1) is None
    assert auth.verify_cookie(b"x" * 32, cookie, 1060) is None
    assert auth.verify_cookie(SECRET, hand_signed(b'{"n":"Sam"}'), 1060) is None
    assert auth.verify_cookie(SECRET, hand_signed(b"not json"), 1060) is None


def test_facilitator_names_are_tidied_or_refused() -> None:
    assert auth.clean_facilitator_name("  Sam   K ") == "Sam K"
    assert auth.clean_facilitator_name("   ") is None
    assert auth.clean_facilitator_name("x" * 41) is None
    assert auth.clean_facilitator_name("Sam\x00") is None


def test_origin_must_be_the_served_host() -> None:
    ours = Headers({"host": "10.0.0.5:8000", "origin": "http://10.0.0.5:8000"})
    assert auth.same_origin(ours, secure=False)
    assert not auth.same_origin(ours, secure=True)
    assert not auth.same_origin(Headers({"host": "10.0.0.5:8000", "origin": "http://evil"}), False)
    assert not auth.same_origin(Headers({"host": "10.0.0.5:8000"}), False)
    assert not auth.cross_site_browser_request(Headers({"host": "h"}), False)
    assert auth.cross_site_browser_request(
        Headers({"host": "h", "sec-fetch-site": "cross-site"}), False
    )


def test_join_guessing_is_throttled_per_address() -> None:
    now = [0.0]
    throttle = auth.JoinThrottle(attempts=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("10.0.0.9") == 0
        throttle.failed("10.0.0.9")
    assert throttle.retry_after("10.0.0.9") == 60
    assert throttle.retry_after("10.0.0.7") == 0
    now[0] = 30.5
    assert throttle.retry_after("10.0.0.9") == 30
    now[0] = 60.5
    assert throttle.retry_after("10.0.0.9") == 0
    throttle.failed("10.0.0.9")
    throttle.succeeded("10.0.0.9")
    assert throttle.retry_after("10.0.0.9") == 0


# Request headers captured from real browsers on this machine (November 2026): a page on
# http://127.0.0.1:PORT posting to itself as a plain form and through htmx 4's fetch, under
# both Referrer-Policy values; and a form on another port (same site, another origin) or on
# http://localhost:PORT (another site) posting to it. Only the host is changed, to HOST.
CHROMIUM = "Chromium 156.0.8078.108"
WEBKIT = "WebKitGTK 2.50.6"
FIREFOX = "Firefox ESR 153.8.0"
HOST = "10.0.0.5:8000"
OURS = f"http://{HOST}"
PAGE = f"{OURS}/page?policy=same-origin"  # the Referer, sent only under `same-origin`
FORM = ("navigate", "document")  # Sec-Fetch-Mode, Sec-Fetch-Dest of a form post
HTMX = ("same-origin", "empty")  # ... of htmx 4's fetch(mode: "same-origin")

# (engine, request, Referrer-Policy, Origin, Sec-Fetch-Site, (mode, dest), Referer)
Captured = tuple[str, str, str, str, str, tuple[str, str], str | None]
OWN_POSTS: list[Captured] = [
    (engine, request, "same-origin", OURS, "same-origin", modes, PAGE)
    for engine in (CHROMIUM, WEBKIT, FIREFOX)
    for request, modes in (("form", FORM), ("htmx", HTMX))
] + [
    (CHROMIUM, "form", "no-referrer", "null", "same-origin", FORM, None),
    (CHROMIUM, "htmx", "no-referrer", OURS, "same-origin", HTMX, None),
    (WEBKIT, "form", "no-referrer", "null", "same-origin", FORM, None),
    (WEBKIT, "htmx", "no-referrer", "null", "same-origin", HTMX, None),
    (FIREFOX, "form", "no-referrer", "null", "same-origin", FORM, None),
    (FIREFOX, "htmx", "no-referrer", "null", "same-origin", HTMX, None),
]
# Every engine sends `Origin: null` here under either policy: the page's policy withholds its
# origin from another origin.
FOREIGN_POSTS: list[Captured] = [
    (engine, request, policy, "null", site, FORM, None)
    for engine in (CHROMIUM, WEBKIT, FIREFOX)
    for request, site in (
        ("form from another port", "same-site"),
        ("form from localhost", "cross-site"),
    )
    for policy in ("same-origin", "no-referrer")
]


def captured_headers(row: Captured) -> Headers:
    _engine, _request, _policy, origin, site, (mode, dest), referer = row
    raw = {"host": HOST, "origin": origin, "sec-fetch-site": site, "sec-fetch-mode": mode,
           "sec-fetch-dest": dest}  # fmt: skip
    if referer is not None:
        raw["referer"] = referer
    return Headers(raw)


def row_id(row: Captured) -> str:
    return f"{row[0]}, {row[1]}, Referrer-Policy {row[2]}"


@pytest.mark.parametrize("row", OWN_POSTS, ids=row_id)
def test_every_engine_posting_to_its_own_page_is_accepted(row: Captured) -> None:
    assert not auth.cross_site_browser_request(captured_headers(row), secure=False)


@pytest.mark.parametrize("row", FOREIGN_POSTS, ids=row_id)
def test_every_engine_posting_from_another_origin_is_refused(row: Captured) -> None:
    assert auth.cross_site_browser_request(captured_headers(row), secure=False)


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        pytest.param({"sec-fetch-site": "cross-site", "origin": OURS}, True, id="cross-site"),
        pytest.param({"sec-fetch-site": "same-site", "origin": OURS}, True, id="same-site"),
        # An older browser sends only Origin: this host, another one, or withheld.
        pytest.param({"origin": OURS}, False, id="own origin only"),
        pytest.param({"origin": "http://10.0.0.9:8000"}, True, id="foreign origin only"),
        pytest.param({"origin": "null"}, True, id="null origin only"),
        pytest.param({"sec-fetch-site": "none"}, False, id="typed or bookmarked"),
        pytest.param({}, False, id="not a browser: a hardware button, curl"),
    ],
)
def test_fetch_metadata_decides_and_origin_is_the_fallback(
    headers: dict[str, str], refused: bool
) -> None:
    sent = Headers({"host": HOST, **headers})
    assert auth.cross_site_browser_request(sent, secure=False) is refused
