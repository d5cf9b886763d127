"""Join code, signed cookie and origin checks."""

from __future__ import annotations

import base64
from pathlib import Path

from starlette.datastructures import Headers

from roomlive import auth

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


def test_a_cookie_from_before_tablet_ids_still_signs_in() -> None:
    payload = base64.urlsafe_b64encode(b'{"n":"Sam","t":1000}').decode().rstrip("=")
    cookie = f"{payload}.{auth._mac(SECRET, payload)}"
    assert auth.verify_cookie(SECRET, cookie, 1060) == auth.Signin("Sam", "named-Sam")


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
