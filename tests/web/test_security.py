"""A shared LAN: guessing, forged hosts, hostile names, HTTPS. On a real server."""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.clients import Room, cookie_header, key
from tests.support.server import JOIN_CODE, Server

pytestmark = pytest.mark.anyio

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    '=HYPERLINK("http://x")',
    "Zoë ' OR 1=1 --",
]


async def test_join_code_guessing_is_throttled(room: Room) -> None:
    guesser = room.client(origin=room.server.url)
    for _ in range(5):
        wrong = await guesser.post("/join", data={"name": "Eve", "code": "NOPE-0000"})
        assert wrong.status_code == 403
    blocked = await guesser.post("/join", data={"name": "Eve", "code": JOIN_CODE})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many wrong codes" in blocked.text
    assert "roomlive_facilitator" not in blocked.cookies


async def test_a_forwarded_for_header_does_not_reset_the_throttle(room: Room) -> None:
    guesser = room.client(origin=room.server.url)
    for n in range(5):
        forged = {"x-forwarded-for": f"203.0.113.{n}"}
        wrong = await guesser.post("/join", data={"name": "Eve", "code": "NOPE"}, headers=forged)
        assert wrong.status_code == 403
    forged = {"x-forwarded-for": "198.51.100.7"}
    blocked = await guesser.post("/join", data={"name": "Eve", "code": JOIN_CODE}, headers=forged)
    assert blocked.status_code == 429


async def test_the_cookie_is_signed_http_only_and_same_site_strict(room: Room) -> None:
    client = room.client(origin=room.server.url)
    joined = await client.post("/join", data={"name": "Sam", "code": JOIN_CODE})
    cookie = joined.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    value = client.cookies["roomlive_facilitator"]
    payload, mac = value.split(".")
    client.cookies.set("roomlive_facilitator", f"{payload}x.{mac}")
    assert (await client.get("/api/sessions")).status_code == 401


async def test_a_foreign_host_header_is_refused(room: Room) -> None:
    rebinding = room.client(host="evil.example")
    assert (await rebinding.get("/healthz")).status_code == 400
    assert (await room.client().get("/healthz")).status_code == 200


async def test_pages_carry_a_strict_content_security_policy(room: Room) -> None:
    response = await room.client().get("/join")
    policy = response.headers["content-security-policy"]
    script = re.search(r"script-src ([^;]+)", policy)
    assert script and script.group(1).strip() == "'self'"
    assert "frame-ancestors 'none'" in policy
    assert response.headers["referrer-policy"] == "same-origin"


async def test_hostile_names_and_notes_are_escaped_everywhere(room: Room, server: Server) -> None:
    sam = await room.facilitator("Sam")
    lines = "\n".join(f"{n} {name}" for n, name in enumerate(HOSTILE, start=1))
    created = await sam.post("/sessions", data={"name": HOSTILE[0], "room": HOSTILE[1],
                                                "participants": lines})  # fmt: skip
    assert created.status_code == 303, created.text
    sid = created.headers["location"].removeprefix("/s/")
    session = next(s for s in (await sam.get("/api/sessions")).json() if s["sid"] == sid)
    pid, token = session["participants"][0]["pid"], session["participants"][0]["token"]
    note = {"action": "note", "pid": pid, "text": HOSTILE[1]}
    assert (await room.command(sam, sid, **note)).status_code == 204
    await room.press(token)

    views = {
        "home": (await sam.get("/")).text,
        "dashboard": (await sam.get(f"/s/{sid}")).text,
        "settings": (await sam.get(f"/s/{sid}/settings")).text,
        "cards": (await sam.get(f"/s/{sid}/cards")).text,
        "button": (await room.client().get(f"/p/{token}")).text,
        "push": await (await room.tablet(sam, sid)).receive(),
    }
    for where, html in views.items():
        assert "<script>alert" not in html, where
        assert "<img src=x" not in html, where
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in views["dashboard"]
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in views["push"]
    for participant in session["participants"]:
        assert participant["name"] not in server.log()
    assert HOSTILE[1] not in server.log()


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[Server]:
    running = Server(db_path=tmp_path / "roomlive.db", extra_args=("--https",), scheme="https")
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_https_serves_with_a_certificate_kept_in_the_data_directory(https_server: Server) -> None:
    cert = https_server.db_path.parent / "roomlive-cert.pem"
    assert (
        cert.exists()
        and (https_server.db_path.parent / "roomlive-key.pem").stat().st_mode & 0o077 == 0
    )
    context = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(base_url=https_server.url, verify=context) as client:
        assert client.get("/healthz").status_code == 200
        joined = client.post(
            "/join",
            data={"name": "Sam", "code": JOIN_CODE},
            headers={"origin": https_server.url, "idempotency-key": key()},
        )
        assert joined.status_code == 303
        assert "Secure" in joined.headers["set-cookie"]
    assert "HTTPS certificate" in https_server.log()


FOREIGN_BROWSERS = {
    "another site": {"sec-fetch-site": "cross-site", "origin": "http://evil.example"},
    "another port of this host": {"sec-fetch-site": "same-site", "origin": "http://127.0.0.1:1"},
    "an old browser on another site": {"origin": "http://evil.example"},
    "an opaque origin": {"origin": "null"},
}


@pytest.mark.parametrize("sender", FOREIGN_BROWSERS)
async def test_every_post_from_a_foreign_page_is_refused_and_changes_nothing(
    room: Room, server: Server, sender: str
) -> None:
    sam = await room.facilitator("Sam")
    demo = await room.demo_session(sam)
    sid, token = demo["sid"], demo["participants"][0]["token"]
    ended = await sam.post("/sessions", data={"name": "Ended", "participants": "1 Ana"})
    ended_sid = ended.headers["location"].removeprefix("/s/")
    assert (await room.command(sam, ended_sid, action="end")).status_code == 204
    before = (await sam.get(f"/s/{sid}/export.json")).json()["events"]

    foreign = room.client(cookie=cookie_header(sam), **FOREIGN_BROWSERS[sender])
    posts = {
        "/join": {"name": "Eve", "code": JOIN_CODE},
        "/sessions": {"name": "Forged", "participants": "1 Eve"},
        f"/s/{sid}/commands": {"action": "start"},
        f"/s/{sid}/devices/x/find": {},
        f"/s/{ended_sid}/purge": {"confirm": "Ended"},
        f"/p/{token}/assist": {},
        f"/p/{token}/cancel": {},
    }
    for path, form in posts.items():
        response = await foreign.post(path, data=form, headers={"idempotency-key": key()})
        assert response.status_code == 403, (path, response.status_code)
        assert "set-cookie" not in response.headers, path
    imported = await foreign.post("/import", content=b"{}")
    assert imported.status_code == 403

    sessions = (await sam.get("/api/sessions")).json()
    assert sorted(s["name"] for s in sessions) == sorted([demo["name"], "Ended"])
    assert (await sam.get(f"/s/{sid}/export.json")).json()["events"] == before
