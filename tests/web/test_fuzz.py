"""Generated garbage at every POST endpoint and websocket, against one real server.

Input that is invalid by construction gets a 4xx whose body says what was wrong, and the log does
not change; any input gets an answer below 500 and the server keeps serving. Oversized messages
are refused. Examples are derandomised so that every run tries the same inputs.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from roomlive.cli import WS_MAX_SIZE_BYTES
from roomlive.core.commands import Command
from roomlive.core.presets import PRESETS
from roomlive.review.export import to_json
from roomlive.web.auth import code_matches
from roomlive.web.common import FORM_CONTENT_TYPE, MAX_FORM_BYTES, MAX_FORM_FIELDS
from roomlive.web.inputs import FACILITATOR_ACTIONS, KEY_PATTERN
from tests.support.server import JOIN_CODE, Server
from tests.web.test_export import lived, steps

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
REFUSALS = {400, 401, 403, 404, 405, 409, 413, 415, 422, 429}
PONG_SECONDS = 2.0
FOREIGN_ORIGIN = "http://evil.example"
FORM_PATHS = ("/join", "/sessions", "/s/{sid}/commands", "/s/{ended}/purge")  # besides /_test/clock
LIVE_ACTIONS = tuple(a for a in FACILITATOR_ACTIONS if a != "end")  # ending makes all else 409
FIELD_NAMES = (
    "pid", "rid", "status", "flag", "kind", "minutes", "on", "systolic", "diastolic", "hr",
    "spo2", "text", "systolic_max", "diastolic_max", "hr_max", "hr_min", "spo2_min", "flags",
    "outcome", "note", "realert", "escalate", "stale", "preset", "name", "name_0", "minutes_0",
)  # fmt: skip
PLAUSIBLE = (
    "", " ", "0", "1", "-1", "15", "99999", "100000", "1.5", "1e3", "\uff11\uff12", "\u0663",
    "p1", "p9", "ok", "watch", "away", "nausea", "booster", "backup", "support", "water",
    "im-group", "<b>x</b>", "\x00", "Ana\r\nBen", "a" * 201,
)  # fmt: skip

junk = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.text(max_size=300),
    st.integers(1_000, 20_000).map(lambda n: "é" * n),
)
forms = st.tuples(
    st.fixed_dictionaries({}, optional=dict.fromkeys(FIELD_NAMES, junk)),
    st.dictionaries(st.text(max_size=20), junk, max_size=3),
).map(lambda pair: {**pair[1], **pair[0]})
ascii_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
keys = st.one_of(st.none(), st.from_regex(KEY_PATTERN, fullmatch=True), ascii_text)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@dataclass(frozen=True)
class Target:
    server: Server
    http: httpx.Client  # a facilitator on the server's own page
    plain: httpx.Client  # no cookie, no Origin: a hardware button or a stranger
    sid: str  # the demo session: its buttons are pressed
    fuzz_sid: str  # a session of its own for facilitator commands
    ended_sid: str  # an ended session, whose purge form reads what it is sent
    tokens: tuple[str, ...]
    export: dict[str, Any]  # a real JSON export, for imports to mutate

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # short in hypothesis reports
        printer.text(f"Target({self.server.url})")

    def events(self) -> int:
        """Events that clients caused: the ladder's own ticks come whenever a request waits."""
        with sqlite3.connect(self.server.db_path) as db:
            query = "SELECT COUNT(*) FROM events WHERE command_key NOT LIKE '%tick-%'"
            return int(db.execute(query).fetchone()[0])


@contextlib.contextmanager
def start_target(server: Server) -> Iterator[Target]:
    server.start()
    try:
        with (
            httpx.Client(base_url=server.url, headers={"origin": server.url}) as http,
            httpx.Client(base_url=server.url) as plain,
        ):
            joined = http.post("/join", data={"name": "Sam", "code": JOIN_CODE, "next": "/"})
            assert joined.status_code == 303
            demo = http.get("/api/sessions").json()[0]
            fuzz_sid, ended_sid = (new_session(http, name) for name in ("Fuzz", "Ended"))
            assert http.post(f"/s/{ended_sid}/commands", data={"action": "end"}).is_success
            for step in ({"action": "start"}, {"action": "check", "pid": "p1", "status": "ok"},
                         {"action": "raise", "pid": "p2", "kind": "watch"}):  # fmt: skip
                assert http.post(f"/s/{fuzz_sid}/commands", data=step).status_code == 204
            export = http.get(f"/s/{fuzz_sid}/export.json").json()
            tokens = tuple(p["token"] for p in demo["participants"])
            yield Target(server, http, plain, demo["sid"], fuzz_sid, ended_sid, tokens, export)
    finally:
        server.stop()


def new_session(http: httpx.Client, name: str) -> str:
    form = {"name": name, "preset": "im-group", "participants": "1 Ana\n2 Ben\n3 Cy"}
    return http.post("/sessions", data=form).headers["location"].removeprefix("/s/")


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with start_target(Server(db_path=tmp_path_factory.mktemp("fuzz") / "roomlive.db")) as target:
        yield target


@pytest.fixture(scope="module")
def importer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """A server of its own: an accepted import can break pages for everyone after it."""
    with start_target(Server(db_path=tmp_path_factory.mktemp("import") / "roomlive.db")) as target:
        yield target


def message_of(response: httpx.Response) -> str:
    """What the answer tells a person: a JSON error, the page's alert, else its text."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return str(response.json().get("error", ""))
    alert = re.search(r'role="alert"[^>]*>(.*?)</', response.text, re.S)
    text = alert.group(1) if alert else re.sub(r"<[^>]+>", " ", response.text)
    return " ".join(html.unescape(text).split())


def assert_refused(
    response: httpx.Response, target: Target, before: int, says: str | None = None
) -> None:
    assert response.status_code in REFUSALS, (response.status_code, response.text[:300])
    message = message_of(response)
    assert len(message.split()) >= 2 and re.search(r"[A-Za-z]{3}", message), message
    assert says is None or says.lower() in message.lower(), message
    assert target.events() == before


def assert_serving(target: Target, *pages: str) -> None:
    assert target.http.get("/healthz").status_code == 200
    for page in pages:
        assert target.http.get(page).status_code == 200, page


def fits(form: dict[str, str]) -> bool:
    """Whether the form is small enough that the server reads what is in it."""
    return len(form) <= MAX_FORM_FIELDS and len(urlencode(form)) <= MAX_FORM_BYTES


def key_headers(key: str | None) -> dict[str, str]:
    return {} if key is None else {"idempotency-key": key}


@FUZZ
@given(action=st.one_of(st.sampled_from(LIVE_ACTIONS), st.text(max_size=40)), form=forms, key=keys)
def test_garbage_commands_get_a_clear_4xx_and_change_nothing(
    target: Target, action: str, form: dict[str, str], key: str | None
) -> None:
    form = {**form, "action": action}
    before = target.events()
    path = f"/s/{target.fuzz_sid}/commands"
    response = target.http.post(path, data=form, headers=key_headers(key))
    assert response.status_code < 500, response.text
    if action not in FACILITATOR_ACTIONS:
        assert_refused(response, target, before, "action" if fits(form) else None)
    elif response.is_error:
        assert_refused(response, target, before)
    assert_serving(target, f"/s/{target.fuzz_sid}")


def test_a_number_field_given_a_superscript_digit_is_refused(target: Target) -> None:
    before = target.events()
    path = f"/s/{target.fuzz_sid}/commands"
    response = target.http.post(path, data={"action": "extend", "minutes": "²"})
    assert_refused(response, target, before, "'minutes' must be a whole number")


@FUZZ
@given(
    path=st.sampled_from(FORM_PATHS),
    content_type=ascii_text.map(str.strip).filter(
        lambda t: t.split(";")[0].strip().lower() != FORM_CONTENT_TYPE
    ),
    body=st.binary(max_size=2000),
    invalid_utf8=st.booleans(),
)
def test_a_body_that_is_not_a_utf8_form_is_refused(
    target: Target, path: str, content_type: str, body: bytes, invalid_utf8: bool
) -> None:
    if invalid_utf8:  # the right content type, bytes that are not UTF-8
        content_type, body, says = FORM_CONTENT_TYPE, body + b"\xff", "not valid UTF-8"
    else:
        says = f"send the form as {FORM_CONTENT_TYPE}"
    before = target.events()
    url = path.format(sid=target.sid, ended=target.ended_sid)
    response = target.http.post(url, content=body, headers={"content-type": content_type})
    assert_refused(response, target, before, says)
    assert_serving(target)


@pytest.mark.parametrize("path", FORM_PATHS)
def test_an_oversized_form_is_refused(target: Target, path: str) -> None:
    before = target.events()
    body = "text=" + "a" * MAX_FORM_BYTES
    response = target.http.post(
        path.format(sid=target.sid, ended=target.ended_sid),
        content=body,
        headers={"content-type": FORM_CONTENT_TYPE},
    )
    assert_refused(response, target, before, f"larger than {MAX_FORM_BYTES} bytes")


@FUZZ
@given(form=st.fixed_dictionaries({}, optional={"name": junk, "code": junk, "next": junk}))
def test_a_join_without_the_code_is_refused_clearly(target: Target, form: dict[str, str]) -> None:
    if code_matches(JOIN_CODE, form.get("code", "")):
        form["code"] += "X"
    before = target.events()
    response = target.http.post("/join", data=form)
    assert_refused(response, target, before)  # 400, 403, or 429 once the throttle holds
    assert "set-cookie" not in response.headers
    assert_serving(target)


participant_lines = st.lists(
    st.tuples(st.integers(-5, 150), st.text(max_size=50)), max_size=30
).map(lambda rows: "\n".join(f"{mat} {name}" for mat, name in rows))


@FUZZ
@given(
    form=st.fixed_dictionaries(
        {},
        optional={
            "name": junk,
            "room": junk,
            "participants": junk | participant_lines,
            "timezone": junk | st.sampled_from(("UTC", "Europe/Paris")),
        },
    ),
    preset=st.one_of(st.sampled_from(tuple(PRESETS)), junk),
)
def test_a_bad_new_session_form_is_refused_clearly(
    target: Target, form: dict[str, str], preset: str
) -> None:
    form = {**form, "preset": preset}
    before = target.events()
    response = target.http.post("/sessions", data=form)
    assert response.status_code < 500, response.text
    if preset not in ("", *PRESETS) or response.status_code != 303:
        assert_refused(response, target, before)
    assert_serving(target, "/")


@FUZZ
@given(
    path=st.sampled_from(("/p/{}/assist", "/p/{}/cancel", "/api/assist/{}")),
    token=st.one_of(st.integers(0, 7), st.text(max_size=60)),
    key=keys,
    key_in_query=st.booleans(),
    origin=st.sampled_from(("own", "none", "foreign")),
)
def test_button_endpoints_refuse_bad_tokens_keys_and_origins(
    target: Target, path: str, token: int | str, key: str | None, key_in_query: bool, origin: str
) -> None:
    real = isinstance(token, int)
    link = target.tokens[token] if isinstance(token, int) else token
    headers = {
        "own": {"origin": target.server.url},
        "none": {},
        "foreign": {"origin": FOREIGN_ORIGIN},
    }
    params = {"key": key} if key is not None and key_in_query else {}
    before = target.events()
    response = target.plain.post(
        path.format(quote(link, safe="")),
        params=params,
        headers={**headers[origin], **({} if key_in_query else key_headers(key))},
    )
    assert response.status_code < 500, response.text
    if not real:
        assert_refused(response, target, before)
    elif origin == "foreign" and path.startswith("/p/"):
        assert_refused(response, target, before, "Refused")
    elif key and not KEY_PATTERN.fullmatch(key):  # an empty key counts as none
        assert_refused(response, target, before, "idempotency key")
    elif response.is_error:
        assert_refused(response, target, before)
    assert_serving(target)


@FUZZ
@given(
    which=st.sampled_from(("find", "purge")),
    real_session=st.booleans(),
    value=st.text(max_size=60),
    confirm=junk,
)
def test_finding_a_tablet_and_purging_a_live_session_are_refused(
    target: Target, which: str, real_session: bool, value: str, confirm: str
) -> None:
    sid = target.sid if real_session else quote(value, safe="") or "x"
    before = target.events()
    if which == "find":
        response = target.http.post(f"/s/{sid}/devices/{quote(value, safe='') or 'x'}/find")
    else:
        response = target.http.post(f"/s/{sid}/purge", data={"confirm": confirm})
    assert_refused(response, target, before)
    assert_serving(target, f"/s/{target.sid}")


def import_bodies(export: dict[str, Any]) -> st.SearchStrategy[str | bytes]:
    """Random JSON, random bytes, and real exports with one value replaced anywhere."""
    paths = list(json_paths(export))
    mutated = st.tuples(st.sampled_from(paths), json_values).map(
        lambda change: json.dumps(replaced(export, *change))
    )
    return st.one_of(json_values.map(json.dumps), st.binary(max_size=300), mutated)


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from json_paths(inner, (*prefix, name))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from json_paths(inner, (*prefix, index))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return copy


@FUZZ
@given(data=st.data())
def test_garbage_imports_are_refused_clearly(importer: Target, data: st.DataObject) -> None:
    body = data.draw(import_bodies(importer.export))
    before = importer.events()
    response = importer.http.post(
        "/import", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, response.text
    if response.status_code in (200, 201):  # accepted now, or the same file before
        assert_serving(importer, "/", response.json()["review"])
    else:
        assert_refused(response, importer, before)
    assert_serving(importer, "/")


BROKEN_IMPORTS = {
    "a participant that is not an object": (("events", 0, "data", "participants", 0), 1),
    "a phase that is not an object": (("events", 0, "data", "phases", 0), "peak"),
    "a time that is NaN": (("events", 0, "data", "at"), float("nan")),
    "a time too large for SQLite": (("events", 0, "data", "at"), 2**64),
}


@pytest.mark.parametrize("change", BROKEN_IMPORTS.values(), ids=BROKEN_IMPORTS.keys())
def test_a_broken_import_is_refused_with_a_4xx(
    importer: Target, change: tuple[tuple[Any, ...], Any]
) -> None:
    before = importer.events()
    body = json.dumps(replaced(importer.export, *change))
    response = importer.http.post("/import", content=body)
    assert_refused(response, importer, before)


def test_a_deeply_nested_import_is_refused_with_a_4xx(importer: Target) -> None:
    before = importer.events()
    response = importer.http.post("/import", content="[" * 100_000)
    assert_refused(response, importer, before)


ACCEPTED_BUT_BROKEN = {  # each was once answered 201, and broke "/" for everyone after it
    "no phases": (("events", 0, "data", "phases"), []),
    "an infinite time": (("events", 0, "data", "at"), float("inf")),
    "a participant with no name": (("events", 0, "data", "participants", 0, "name"), " "),
    "a version of true": (("version",), True),
    "a 5 MB name": (("events", 0, "data", "name"), "x" * 5_000_000),
}


@pytest.mark.parametrize("change", ACCEPTED_BUT_BROKEN.values(), ids=ACCEPTED_BUT_BROKEN.keys())
def test_an_import_that_would_break_pages_is_refused(
    tmp_path: Path, change: tuple[tuple[Any, ...], Any]
) -> None:
    with start_target(Server(db_path=tmp_path / "roomlive.db")) as target:  # it may break "/"
        before = target.events()
        body = json.dumps(replaced(target.export, *change))
        response = target.http.post("/import", content=body)
        if response.status_code == 201:
            assert_serving(target, "/", response.json()["review"])
        assert_refused(response, target, before)


def open_socket(target: Target, kind: str) -> ClientConnection:
    paths = {
        "facilitator": f"/s/{target.sid}/ws",
        "participant": f"/p/{target.tokens[0]}/ws",
        "unknown session": "/s/no-such-session/ws",
        "unknown link": "/p/no-such-token/ws",
    }
    cookie = "; ".join(f"{name}={value}" for name, value in target.http.cookies.items())
    return connect(
        target.server.ws_url + paths[kind],
        origin=Origin(target.server.url),
        additional_headers={"cookie": cookie},
        proxy=None,
        max_queue=None,
        open_timeout=5,
    )


def close_code(socket: ClientConnection) -> int | None:
    """The code the server closed with, waiting for the close if it is coming."""
    try:
        while True:
            socket.recv(timeout=5)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def answers_ping(socket: ClientConnection) -> bool:
    try:
        return socket.ping().wait(PONG_SECONDS)
    except ConnectionClosed:
        return False


frames = st.one_of(
    st.text(max_size=3000).map(lambda text: (text.encode(), True)),
    st.binary(max_size=3000).map(lambda data: (data, False)),
    st.binary(max_size=50).map(lambda data: (b"\xff" + data, True)),  # text that is not UTF-8
)


@FUZZ
@given(
    kind=st.sampled_from(("facilitator", "participant", "unknown session", "unknown link")),
    sent=st.lists(frames, min_size=1, max_size=4),
)
def test_garbage_on_a_websocket_changes_nothing_and_is_dropped_or_closed_cleanly(
    target: Target, kind: str, sent: list[tuple[bytes, bool]]
) -> None:
    before = target.events()
    bad = [i for i, (data, as_text) in enumerate(sent) if as_text and data.startswith(b"\xff")]
    not_utf8 = bool(bad)
    # Nothing after a bad frame: data the server has not read when it closes makes its kernel
    # answer with a reset, which can discard the close frame before this client reads it.
    sent = sent[: bad[0] + 1] if bad else sent
    with open_socket(target, kind) as socket:
        try:
            for data, as_text in sent:
                socket.send(data, text=as_text)
        except ConnectionClosed:
            pass
        if kind.startswith("unknown"):
            assert close_code(socket) == 4404
        elif not_utf8:
            assert close_code(socket) == 1007  # invalid frame data
        else:  # whatever else it sent was read and dropped: the socket is still usable
            assert answers_ping(socket)
    assert target.events() == before
    assert_serving(target)


@pytest.mark.parametrize("kind", ["facilitator", "participant"])
def test_an_oversized_websocket_message_is_closed_with_1009(target: Target, kind: str) -> None:
    with open_socket(target, "facilitator") as bystander, open_socket(target, kind) as socket:
        socket.send("x" * WS_MAX_SIZE_BYTES)  # the limit itself is allowed
        assert answers_ping(socket)
        socket.send("x" * (WS_MAX_SIZE_BYTES + 1))
        assert close_code(socket) == 1009
        assert answers_ping(bystander)
    assert_serving(target, f"/s/{target.sid}")


@settings(max_examples=4, deadline=None, derandomize=True, database=None)
@given(script=steps)
def test_accepted_imports_show_on_a_real_server(
    importer: Target, script: list[tuple[Command, int]]
) -> None:
    log = lived(script)
    answer = importer.http.post("/import", content=to_json("lived", list(enumerate(log, 1))))
    assert answer.status_code in (200, 201), answer.text
    review = answer.json()["review"]
    sid = answer.json()["sid"]
    moments = [f"/s/{sid}/replay?at={ev.at}" for ev in log[:: max(1, len(log) // 5)]]
    pages = ("/", review, f"/s/{sid}", f"/s/{sid}/summary", f"/s/{sid}/export.csv")
    assert_serving(importer, *pages, f"/s/{sid}/export.json", *moments)
