"""SIGKILL in the middle of a burst of taps, claims and check-ins; restart on the same file.

Every command a client saw answered, and every fragment a tablet saw pushed, must be in the log;
nothing is recorded twice, even when clients retry after the restart; the restarted server shows
the fold of the log, and the journey clock kept running in wall time.
"""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from roomlive.core import codec
from roomlive.core import events as e
from roomlive.core.apply import fold
from roomlive.core.commandkeys import CommandKey
from roomlive.core.model import CHECK_STATUSES, OUTCOMES
from roomlive.live.presence import Attendance
from roomlive.web import TEMPLATES_DIR
from roomlive.web.render import Views
from tests.support.clients import Room, Socket, key
from tests.support.server import Server
from tests.web.test_web import clock_elapsed, without_moving_times

pytestmark = pytest.mark.anyio

KILL_AFTER_ACKNOWLEDGED = 25  # the server is killed once this many commands were answered
PRESSERS = 6  # participants tapping their own buttons
FACILITATORS = ("Sam", "Kim", "Lee")  # each checks mats and claims open requests


@dataclass(frozen=True)
class Sent:
    """One command as a client sent it: enough to send exactly the same again."""

    client: httpx.AsyncClient
    path: str
    form: dict[str, str]
    key: str


@dataclass
class Burst:
    acknowledged: list[Sent] = field(default_factory=list)
    unanswered: list[Sent] = field(default_factory=list)  # in flight when the server died
    killed: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, sent: Sent) -> httpx.Response | None:
        """Send once; None once the server is gone (the command stays unanswered)."""
        try:
            response = await post(sent)
        except httpx.TransportError:
            self.unanswered.append(sent)
            self.killed.set()
            return None
        if response.is_success:
            self.acknowledged.append(sent)
        return response


async def post(sent: Sent) -> httpx.Response:
    return await sent.client.post(sent.path, data=sent.form, headers={"idempotency-key": sent.key})


@dataclass(frozen=True)
class Logged:
    seq: int
    session_id: str
    command_key: str
    part: int
    event: e.Event


def read_log(server: Server) -> list[Logged]:
    """The whole log, read-only (EventStore.open would run its schema DDL on the live file)."""
    with sqlite3.connect(server.db_path) as db:
        rows = db.execute(
            "SELECT seq, session_id, command_key, part, type, data FROM events ORDER BY seq"
        ).fetchall()
    return [Logged(seq, sid, k, part, codec.decode(t, data)) for seq, sid, k, part, t, data in rows]


async def collect(tablet: Socket, into: list[str]) -> None:
    """Keep every message a tablet is pushed until its socket dies with the server."""
    try:
        while True:
            into.append(await tablet.socket.recv(decode=True))
    except ConnectionClosed:
        return


async def press_repeatedly(room: Room, token: str, burst: Burst) -> None:
    phone = room.client(origin=room.server.url)
    while not burst.killed.is_set():
        action = "cancel" if random.random() < 0.2 else "assist"
        await burst.send(Sent(phone, f"/p/{token}/{action}", {}, key()))
        await asyncio.sleep(random.uniform(0, 0.01))


async def facilitate(
    client: httpx.AsyncClient, sid: str, pids: list[str], seen: list[str], burst: Burst
) -> None:
    """Check a random mat, then claim and resolve a request that looks open on this tablet."""
    path = f"/s/{sid}/commands"
    while not burst.killed.is_set():
        status = random.choice(CHECK_STATUSES)
        check = {"action": "check", "pid": random.choice(pids), "status": status}
        await burst.send(Sent(client, path, check, key()))
        unclaimed = open_requests(seen)
        if not unclaimed:
            continue
        rid = random.choice(unclaimed)
        claim = await burst.send(Sent(client, path, {"action": "claim", "rid": rid}, key()))
        if claim is not None and claim.status_code == 204:
            outcome = random.choice(("", *OUTCOMES))
            form = {"action": "resolve", "rid": rid, "outcome": outcome}
            await burst.send(Sent(client, path, form, key()))


PUSHED_ITEM = r'<li id="request-([^"]+)" class="request request-(open|claimed)\b'


def open_requests(seen: list[str]) -> list[str]:
    """The unclaimed requests this tablet shows: its last full list, then the items pushed since
    (each removed by id, then placed again if it changed)."""
    shown: dict[str, bool] = {}
    for message in seen:
        if 'id="requests"' in message:
            shown = {}
        for rid in re.findall(r'delete:#request-([^"]+)"', message):
            shown.pop(rid, None)
        for rid, state in re.findall(PUSHED_ITEM, message):
            shown[rid] = state == "open"
    return [rid for rid, unclaimed in shown.items() if unclaimed]


def request_items(messages: list[str]) -> list[tuple[str, str, int]]:
    """(rid, claimed by, times asked) for every request list item any tablet was shown."""
    items = []
    for message in messages:
        for item in re.findall(r'<li id="request-.*?</li>', message, re.S):
            rid = re.search(r'id="request-([^"]+)"', item)
            claimed = re.search(r'data-claimed-by="([^"]+)"', item)  # none while unclaimed
            asks = re.search(r"asked (\d+)×", item)
            assert rid
            by = claimed.group(1) if claimed else ""
            items.append((rid.group(1), by, int(asks.group(1)) if asks else 1))
    return items


# A tile and its "last checked" counter, which counts from the check-in.
CHECKED_TILE = re.compile(
    r'<article id="mat-([^"]+)"(?:(?!</article>).)*?'
    r'<span class="sr-only">last checked </span><span data-since="([^"]+)"',
    re.S,
)


def checks_seen(messages: list[str]) -> set[tuple[str, float]]:
    """(participant, check-in time) for every tile any tablet was shown as checked."""
    found = re.findall(CHECKED_TILE, "".join(messages))
    return {(pid, float(at)) for pid, at in found}


async def test_sigkill_mid_burst_loses_nothing_seen_and_doubles_nothing(
    room: Room, server: Server
) -> None:
    people = [await room.facilitator(name) for name in FACILITATORS]
    session = await room.demo_session(people[0])
    sid, mats = session["sid"], session["participants"]
    started_before = time.time()
    assert (await room.command(people[0], sid, action="start")).status_code == 204
    started_after = time.time()
    seen: list[list[str]] = [[] for _ in people]
    tablets = [await room.tablet(client, sid) for client in people]
    collectors = [asyncio.create_task(collect(t, s)) for t, s in zip(tablets, seen, strict=True)]

    burst = Burst()
    pids = [m["pid"] for m in mats]
    workers = [
        *(press_repeatedly(room, m["token"], burst) for m in mats[:PRESSERS]),
        *(facilitate(c, sid, pids, s, burst) for c, s in zip(people, seen, strict=True)),
    ]
    running = [asyncio.create_task(worker) for worker in workers]
    async with asyncio.timeout(60):  # mid-burst however slow the machine is, and never stuck
        while len(burst.acknowledged) < KILL_AFTER_ACKNOWLEDGED:
            await asyncio.sleep(0.01)
    server.kill()
    async with asyncio.timeout(10):
        await asyncio.gather(*running, *collectors)
    server.start()

    log = read_log(server)
    assert f"replayed {len(log)} events" in server.log().rsplit("Started server process", 1)[1]
    ours = [row for row in log if row.session_id == sid]
    logged_keys = {CommandKey.parse(row.command_key).key for row in ours}
    assert len(burst.acknowledged) > 20 and burst.unanswered, "the kill was not mid-burst"
    assert not [s.key for s in burst.acknowledged if s.key not in logged_keys]
    parts = Counter((row.session_id, row.command_key, row.part) for row in log)
    assert [part for part, count in parts.items() if count > 1] == []

    pushed = [message for messages in seen for message in messages]
    assert_every_pushed_fact_is_logged(pushed, [row.event for row in ours])

    # The restarted server shows exactly the fold of the log, and the clock kept wall time.
    before_snapshot = time.time()
    tablet = await room.tablet(people[1], sid)
    snapshot = await tablet.receive()
    after_snapshot = time.time()
    state = fold(row.event for row in ours)
    assert state is not None
    local = Views(TEMPLATES_DIR).snapshot(state, after_snapshot, Attendance(frozenset(), ()))
    assert without_moving_times(snapshot) == without_moving_times(local)
    elapsed = clock_elapsed(snapshot)
    assert before_snapshot - started_after <= elapsed <= after_snapshot - started_before

    # Clients retry what they sent: answered commands and those whose answer died with the server.
    committed_unanswered = [s for s in burst.unanswered if s.key in logged_keys]
    print(
        f"\n{len(burst.acknowledged)} commands answered, {len(burst.unanswered)} in flight at the"
        f" kill ({len(committed_unanswered)} of them committed), {len(ours)} events logged,"
        f" {len(pushed)} messages pushed to tablets"
    )
    for sent in burst.acknowledged + committed_unanswered:
        assert (await post(sent)).is_success
    assert len(read_log(server)) == len(log)


def assert_every_pushed_fact_is_logged(pushed: list[str], events: list[e.Event]) -> None:
    """What a tablet was shown happened: requests, their asks and claims, and check-ins."""
    raised = {ev.rid for ev in events if isinstance(ev, e.AssistRaised)}
    repeats = Counter(ev.rid for ev in events if isinstance(ev, e.AssistRepeated))
    claims = {(ev.rid, ev.by) for ev in events if isinstance(ev, e.AssistClaimed)}
    checks = {(ev.pid, ev.at) for ev in events if isinstance(ev, e.ParticipantChecked)}
    items = request_items(pushed)
    assert items, "no tablet was shown any request"
    for rid, claimed_by, asks in items:
        assert rid in raised
        assert asks <= 1 + repeats[rid]
        assert not claimed_by or (rid, claimed_by) in claims
    shown_checks = checks_seen(pushed)
    assert shown_checks, "no tablet was shown a check-in"
    assert shown_checks <= checks
