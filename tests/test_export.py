"""Exports and the import: CSV text, the JSON round trip (pure, and through two real servers)."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from roomlive import events as e
from roomlive.export import BadExport, parse_export, rebrand, safe_cell, to_csv, to_json
from roomlive.model import ParticipantSpec, Phase, Status
from roomlive.review import figures
from roomlive.timeline import layout
from tests.clients import Room, cookie_header
from tests.realistic import realistic_session
from tests.server import JOIN_CODE, Server

ZONE = "America/New_York"
BEFORE_MIDNIGHT = datetime(2026, 1, 9, 23, 58, 30, tzinfo=ZoneInfo(ZONE)).timestamp()
PEOPLE = (ParticipantSpec("p1", "@Ana", 1, "secret-1"), ParticipantSpec("p2", "Ben", 2, "secret-2"))


def late_session() -> list[e.Event]:
    t = BEFORE_MIDNIGHT
    return [
        e.SessionCreated(
            at=t - 60,
            sid="late",
            name="Late group",
            room="Room 3",
            participants=PEOPLE,
            phases=(Phase("Peak", 30),),
            flags=("water",),
            checkin_minutes=15,
            timezone=ZONE,
        ),
        e.ClockStarted(at=t, by="Sam"),
        e.ParticipantChecked(at=t + 300, by="Kim", pid="p2", status=Status.OK),
        e.NoteSet(at=t + 310, by="Kim", pid="p2", text='=HYPERLINK("http://x","y")'),
        e.AssistRaised(at=t + 320, by="participant", rid="r1", pid="p1"),
        e.AssistClaimed(at=t + 335, by="-Sam", rid="r1"),
        e.AssistResolved(at=t + 400, by="Kim", rid="r1", outcome="water", note="+1 cup"),
        e.TokenReissued(at=t + 500, by="Kim", pid="p1", token="secret-3"),
        e.SessionEnded(at=t + 600, by="Sam"),
    ]


def test_csv_has_one_readable_row_per_event_in_local_time_across_midnight() -> None:
    table = list(csv.reader(io.StringIO(to_csv(late_session()))))
    header, rows = table[0], table[1:]

    assert header[:3] == [f"local time ({ZONE})", "journey clock", "event"]
    assert len(rows) == len(late_session())
    assert [row[0] for row in rows[:3]] == [
        "2026-01-09 23:57:30",
        "2026-01-09 23:58:30",
        "2026-01-10 00:03:30",  # past midnight: the next day, in New York time
    ]
    assert rows[2][1:] == ["0:05:00", "checked", "2", "Ben", "Kim", "ok"]
    assert rows[4][2:6] == ["request raised", "1", "'@Ana", "participant"]
    assert rows[6][2:] == ["request resolved", "1", "'@Ana", "Kim", "water · +1 cup"]


def test_no_csv_cell_starts_like_a_formula() -> None:
    cells = [cell for row in csv.reader(io.StringIO(to_csv(late_session()))) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    assert '\'=HYPERLINK("http://x","y")' in cells and "'-Sam" in cells
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@a", "\tx", "a=b", "")] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@a",
        "'\tx",
        "a=b",
        "",
    ]


def test_csv_and_json_leave_out_the_link_tokens() -> None:
    events = late_session()
    exported = to_json("late", list(enumerate(events, start=1)))
    assert "secret-" not in to_csv(events) and "secret-" not in exported


def test_json_round_trip_gives_the_same_events_figures_and_timeline() -> None:
    events = realistic_session()
    document = json.loads(to_json("evening", list(enumerate(events, start=1))))
    assert (document["schema"], document["version"], document["session"]) == (
        "roomlive-events",
        1,
        "evening",
    )
    assert [item["seq"] for item in document["events"]] == list(range(1, len(events) + 1))

    sid, back = parse_export(json.dumps(document))

    assert sid == "evening" and len(back) == len(events)
    assert [type(ev) for ev in back] == [type(ev) for ev in events]
    assert figures(back) == figures(events)
    assert layout(back) == layout(events)


def test_an_import_gets_new_tokens_and_is_ended() -> None:
    events = late_session()[:-1]  # not ended when exported
    tokens = iter(f"new-{n}" for n in range(10))
    moved = rebrand(events, "s9", lambda: next(tokens), "Rae")

    first = moved[0]
    assert isinstance(first, e.SessionCreated) and first.sid == "s9"
    assert [p.token for p in first.participants] == ["new-0", "new-1"]
    assert [ev.token for ev in moved if isinstance(ev, e.TokenReissued)] == ["new-2"]
    assert moved[-1] == e.SessionEnded(at=events[-1].at, by="Rae")


def document(events: list[dict[str, object]], **top: object) -> str:
    return json.dumps({"schema": "roomlive-events", "version": 1, "events": events, **top})


def good_items() -> list[dict[str, object]]:
    return json.loads(to_json("late", list(enumerate(late_session(), start=1))))["events"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ('{"schema": "other"}', "not a roomlive export"),
        ('{"schema": "roomlive-events", "version": 2}', "version 2 is not supported"),
        (document([]), "holds no events"),
        (document([{"type": "Nope", "data": {"at": 1}}]), "unknown event type 'Nope'"),
        (document(good_items()[1:]), "first event must be the session's creation"),
        (document([*good_items(), good_items()[0]]), "creates a second session"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(BadExport, match=re.escape(message)):
        parse_export(text)


def test_events_that_do_not_fit_or_are_mistyped_are_refused_by_number() -> None:
    items = good_items()
    items[2]["data"] = {**items[2]["data"], "pid": "p9"}  # type: ignore[dict-item]
    with pytest.raises(BadExport, match=r"event 3 \(ParticipantChecked\) does not fit"):
        parse_export(document(items))
    items = good_items()
    items[1]["data"] = {"at": "yesterday", "by": "Sam"}
    with pytest.raises(BadExport, match=r"event 2 \(ClockStarted\): at has the wrong type"):
        parse_export(document(items))
    items = good_items()
    items[2]["data"] = {**items[2]["data"], "status": "dancing"}  # type: ignore[dict-item]
    with pytest.raises(BadExport, match="event 3 cannot be read"):
        parse_export(document(items))


# --- through real servers ---------------------------------------------------------------------


def logged_events(db: Path, sid: str) -> list[e.Event]:
    with sqlite3.connect(db) as conn:
        found = conn.execute(
            "SELECT type, data FROM events WHERE session_id = ? ORDER BY seq", (sid,)
        ).fetchall()
    return [e.decode(type_name, data) for type_name, data in found]


def svg_of(page: str) -> str:
    found = re.search(r'<svg id="timeline".*?</svg>', page, re.S)
    assert found, "no timeline on the page"
    return found.group(0)


def figures_of(page: str) -> str:
    found = re.search(r'<section class="figures".*?</section>', page, re.S)
    assert found, "no figures on the page"
    return found.group(0)


@pytest.mark.anyio
async def test_export_then_import_into_a_fresh_server_keeps_timeline_and_figures(
    room: Room, server: Server, tmp_path: Path
) -> None:
    sam = await room.facilitator("Sam")
    session = await room.demo_session(sam)
    sid, token = session["sid"], session["participants"][1]["token"]
    await room.command(sam, sid, action="start")
    await room.command(sam, sid, action="check", pid="p1", status="watch")
    await room.press(token)
    await room.advance_clock(40)
    rid = await room.open_request_id(sam, sid)
    await room.command(sam, sid, action="claim", rid=rid)
    await room.advance_clock(100)
    await room.command(sam, sid, action="resolve", rid=rid, outcome="", note="=1+1")
    assert (await room.command(sam, sid, action="end")).status_code == 204
    review = (await sam.get(f"/s/{sid}/review")).text
    exported = await sam.get(f"/s/{sid}/export.json")
    spreadsheet = await sam.get(f"/s/{sid}/export.csv")
    assert exported.status_code == spreadsheet.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    assert spreadsheet.headers["content-type"].startswith("text/csv")
    assert "'=1+1" in spreadsheet.text

    fresh = Server(db_path=tmp_path / "fresh.db", extra_args=("--no-demo",)).start()
    try:
        other = Room(fresh)
        try:
            kim = await other.facilitator("Kim")
            answer = await kim.post(
                "/import", content=exported.content, headers={"content-type": "application/json"}
            )
            assert answer.status_code == 201, answer.text
            assert answer.json() == {"sid": sid, "review": f"/s/{sid}/review"}  # id was free
            imported_review = (await kim.get(f"/s/{sid}/review")).text
            imported_csv = (await kim.get(f"/s/{sid}/export.csv")).text
            refused = await other.command(kim, sid, action="start")
        finally:
            await other.close()
    finally:
        fresh.stop()

    assert svg_of(imported_review) == svg_of(review)
    assert figures_of(imported_review) == figures_of(review)
    assert imported_csv == spreadsheet.text
    original = logged_events(server.db_path, sid)
    copy = logged_events(fresh.db_path, sid)
    assert figures(copy) == figures(original) and layout(copy) == layout(original)
    assert refused.status_code == 409 and "ended and is read-only" in refused.text


@pytest.mark.anyio
async def test_an_import_whose_id_is_taken_gets_a_new_one_and_bad_files_are_refused(
    room: Room,
) -> None:
    sam = await room.facilitator("Sam")
    sid = (await room.demo_session(sam))["sid"]
    exported = (await sam.get(f"/s/{sid}/export.json")).content  # a live session: not ended
    headers = {"content-type": "application/json"}

    answer = await sam.post("/import", content=exported, headers=headers)
    bad = await sam.post("/import", content=b'{"schema": "x"}', headers=headers)
    anonymous = await room.client(origin=room.server.url).post(
        "/import", content=exported, headers=headers
    )
    foreign = await room.client(origin="http://evil.example", cookie=cookie_header(sam)).post(
        "/import", content=exported, headers=headers
    )

    assert answer.status_code == 201
    copy = answer.json()["sid"]
    assert copy != sid
    sessions = {s["sid"]: s for s in (await sam.get("/api/sessions")).json()}
    assert sessions.keys() == {sid, copy}
    assert sessions[copy]["participants"][0]["token"] != sessions[sid]["participants"][0]["token"]
    assert 'href="/s/' + copy + '/review"' in (await sam.get("/")).text  # listed as past
    assert (await room.command(sam, sid, action="start")).status_code == 204  # original lives on
    assert bad.status_code == 400 and "not a roomlive export" in bad.json()["error"]
    assert anonymous.status_code == 401 and foreign.status_code == 403


@pytest.mark.anyio
async def test_exports_and_the_review_need_the_facilitator_cookie(room: Room) -> None:
    sam = await room.facilitator("Sam")
    sid = (await room.demo_session(sam))["sid"]
    stranger = room.client()
    for path in ("review", "export.csv", "export.json", "summary", "purge"):
        answer = await stranger.get(f"/s/{sid}/{path}")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/join")
    assert (await stranger.get(f"/s/{sid}/replay?at=0")).status_code == 401
    assert (await sam.get("/s/nope/review")).status_code == 404
    assert JOIN_CODE not in (await sam.get(f"/s/{sid}/export.json")).text
