"""Exports and the import: CSV text, the JSON round trip (pure, and through two real servers)."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from roomlive.core import codec
from roomlive.core import commands as c
from roomlive.core import events as e
from roomlive.core.apply import fold
from roomlive.core.decide import DomainError, decide
from roomlive.core.model import OUTCOMES, DoseKind, ParticipantSpec, Phase, RequestKind, Status
from roomlive.live.presence import Attendance
from roomlive.review.export import safe_cell, to_csv, to_json
from roomlive.review.figures import figures
from roomlive.review.importing import BadExport, digest, parse_export, rebrand
from roomlive.review.timeline import layout
from roomlive.web.render import Views
from roomlive.web.unshowable import listed
from roomlive.web.worker import HELPERS, review_context, state_at, summary_context
from tests.support.clients import Room, cookie_header
from tests.support.realistic import realistic_session
from tests.support.server import JOIN_CODE, Server

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


def later(item: dict[str, object]) -> dict[str, object]:
    """The item an hour after the end of `late_session`, so that its time is in order."""
    data = {**item["data"], "at": BEFORE_MIDNIGHT + 3600}  # type: ignore[dict-item]
    return {**item, "at": data["at"], "data": data}


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
        (document([*good_items(), later(good_items()[0])]), "session 'late' already exists"),
        ('{"schema": "roomlive-events", "version": true}', "version true is not supported"),
        ('{"schema": "roomlive-events", "version": 1.0}', "version 1.0 is not supported"),
        ('{"schema": "roomlive-events", "version": "1"}', 'version "1" is not supported'),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(BadExport, match=re.escape(message)):
        parse_export(text)


def test_events_that_do_not_fit_or_are_mistyped_are_refused_by_number() -> None:
    items = good_items()
    items[2]["data"] = {**items[2]["data"], "pid": "p9"}  # type: ignore[dict-item]
    with pytest.raises(BadExport, match=r"event 3 \(ParticipantChecked\): there is no such parti"):
        parse_export(document(items))
    items = good_items()
    items[1]["data"] = {"at": "yesterday", "by": "Sam"}
    with pytest.raises(BadExport, match=r"event 2 \(ClockStarted\): at has the wrong type"):
        parse_export(document(items))
    items = good_items()
    items[2]["data"] = {**items[2]["data"], "status": "dancing"}  # type: ignore[dict-item]
    with pytest.raises(BadExport, match="event 3 cannot be read"):
        parse_export(document(items))


def exported(events: list[e.Event]) -> str:
    return to_json("late", list(enumerate(events, start=1)))


def refusal(events: list[e.Event]) -> str:
    with pytest.raises(BadExport) as caught:
        parse_export(exported(events))
    return str(caught.value)


def inserted(position: int, event: e.Event) -> list[e.Event]:
    events = late_session()
    return [*events[:position], event, *events[position:]]


def swapped(position: int, **changes: object) -> list[e.Event]:
    events = late_session()
    events[position] = dataclasses.replace(events[position], **changes)  # type: ignore[arg-type]
    return events


T = BEFORE_MIDNIGHT
TWO_PHASES = (Phase("Peak", 30), Phase("Return", 20))
OVER_A_LIMIT: dict[str, tuple[list[e.Event], str]] = {
    "a phase that is not in the plan": (
        [
            dataclasses.replace(late_session()[0], phases=TWO_PHASES),  # type: ignore[call-arg]
            *inserted(2, e.PhaseAdvanced(at=T + 100, by="Sam", index=99))[1:],
        ],
        "event 3 (PhaseAdvanced): index is 99, but the rules record 1 here",
    ),
    "an advance past the last phase": (
        inserted(2, e.PhaseAdvanced(at=T + 100, by="Sam", index=1)),
        "event 3 (PhaseAdvanced): 'Peak' is the last phase; there is none after it",
    ),
    "a plan with no phases": (
        inserted(2, e.PlanChanged(at=T + 100, by="Sam", phases=())),
        "event 3 (PlanChanged): a plan has between 1 and 16 phases",
    ),
    "a 5 MB note": (
        swapped(3, text="x" * 5_000_000),
        "event 4 (NoteSet): the note is longer than 200 characters",
    ),
    "an unknown flag": (
        inserted(2, e.FlagSet(at=T + 100, by="Kim", pid="p1", flag="glitter", on=True)),
        "event 3 (FlagSet): unknown flag 'glitter'; this session's flags are water",
    ),
    "a flag turned off that was never on": (
        inserted(2, e.FlagSet(at=T + 100, by="Kim", pid="p1", flag="water", on=False)),
        "event 3 (FlagSet): on is False, but the rules record True here",
    ),
    "a heart rate of -5": (
        inserted(2, e.VitalsRecorded(at=T + 100, by="Kim", pid="p1", hr=-5)),
        "event 3 (VitalsRecorded): hr must be between 20 and 250",
    ),
    "a pause before the start": (
        inserted(1, e.ClockPaused(at=T - 30, by="Sam")),
        "event 2 (ClockPaused): the journey clock is not running",
    ),
    "a duplicate participant id": (
        swapped(0, participants=(PEOPLE[0], dataclasses.replace(PEOPLE[1], pid="p1"))),
        "event 1 (SessionCreated): two participants share an id",
    ),
    "a mat number of 0": (
        swapped(0, participants=(dataclasses.replace(PEOPLE[0], mat=0), PEOPLE[1])),
        "event 1 (SessionCreated): mat numbers go from 1 to 99",
    ),
    "an unknown time zone": (
        swapped(0, timezone="Mars/Olympus"),
        "event 1 (SessionCreated): unknown time zone 'Mars/Olympus'",
    ),
    "a sender's name no one could join with": (
        swapped(1, by="x" * 41),
        "event 2 (ClockStarted): the sender's name must be 1 to 40 printable characters",
    ),
    "an escalation before it was due": (
        inserted(5, e.AssistEscalated(at=T + 321, rid="r1")),
        "event 6 (AssistEscalated): the escalation ladder or auto-advance was not due",
    ),
    "a second raise while one is open": (
        inserted(5, e.AssistRaised(at=T + 321, by="participant", rid="r2", pid="p1")),
        "event 6 (AssistRaised): the rules record AssistRepeated here, not AssistRaised",
    ),
    "a claim of a request never raised": (
        inserted(2, e.AssistClaimed(at=T + 100, by="Sam", rid="r9")),
        "event 3 (AssistClaimed): there is no such request in this session",
    ),
    "an event after the end": (
        [*late_session(), e.ClockPaused(at=T + 700, by="Sam")],
        "event 10 (ClockPaused): this session has ended and is read-only",
    ),
    "a time out of order": (
        swapped(2, at=T - 10),
        "event 3 (ParticipantChecked): it is earlier than the event before it",
    ),
}


@pytest.mark.parametrize(("events", "message"), OVER_A_LIMIT.values(), ids=OVER_A_LIMIT.keys())
def test_an_import_is_held_to_the_rules_of_the_live_commands(
    events: list[e.Event], message: str
) -> None:
    assert refusal(events).startswith(message)


def test_an_import_holds_what_the_live_commands_would_have_recorded() -> None:
    back = parse_export(exported(late_session()))[1]
    kept = [ev for ev in late_session()[1:] if not isinstance(ev, e.TokenReissued)]
    assert [ev for ev in back[1:] if not isinstance(ev, e.TokenReissued)] == kept
    assert digest(back) == digest(parse_export(exported(late_session()))[1])
    assert digest(back) != digest(back[:-1])


# --- through real servers ---------------------------------------------------------------------


def logged_events(db: Path, sid: str) -> list[e.Event]:
    with sqlite3.connect(db) as conn:
        found = conn.execute(
            "SELECT type, data FROM events WHERE session_id = ? ORDER BY seq", (sid,)
        ).fetchall()
    return [codec.decode(type_name, data) for type_name, data in found]


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
    replay = await stranger.get(f"/s/{sid}/replay?at=0", headers={"hx-request": "true"})
    assert replay.status_code == 401  # the scrubber asks through htmx: a toast, not a page
    assert (await sam.get("/s/nope/review")).status_code == 404
    assert JOIN_CODE not in (await sam.get(f"/s/{sid}/export.json")).text


# --- what an import accepts, every page shows -------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
VIEWS = Views(TEMPLATES)
TEAM = ("Sam", "Kim", "auto", "participant")
PIDS = ("p1", "p2", "p3")
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, database=None)

pids = st.sampled_from(PIDS)
rids = st.sampled_from(("r1", "r2", "r4"))
flag_lists = st.lists(st.sampled_from(("water", "ride")), max_size=2).map(tuple)
kinds = st.sampled_from(RequestKind)
names = st.sampled_from(TEAM)
small = st.integers(-5, 300)
phases = st.lists(
    st.builds(Phase, st.sampled_from(("Peak", "Return", " ", "Dosing")), small), max_size=3
).map(tuple)
commands = st.one_of(
    st.builds(c.StartClock, names),
    st.builds(c.PauseClock, names),
    st.builds(c.ResumeClock, names),
    st.builds(c.AdvancePhase, names),
    st.builds(c.ReturnPhase, names),
    st.builds(c.ExtendPhase, names, small),
    st.builds(c.SetPlan, names, phases),
    st.builds(c.SetAutoAdvance, names, st.booleans()),
    st.builds(c.CheckParticipant, names, pids, st.sampled_from(Status)),
    st.builds(c.ToggleFlag, names, pids, st.sampled_from(("water", "ride", "x"))),
    st.builds(c.RecordDose, names, pids, st.sampled_from(DoseKind)),
    st.builds(c.RecordVitals, names, pids, small, small, small, small),
    st.builds(c.SetNote, names, pids, st.text(max_size=30)),
    st.builds(
        c.SetFlags, names, st.lists(st.sampled_from(("water", "ride")), max_size=2).map(tuple)
    ),
    st.builds(c.SetCheckinInterval, names, small),
    st.builds(c.PressButton, pids, st.sampled_from(("r1", "r2", "r3"))),
    st.builds(
        c.RaiseAssist, names, pids, st.sampled_from(("r4", "r5")), st.sampled_from(RequestKind)
    ),
    st.builds(c.CancelAssist, pids),
    st.builds(c.ClaimAssist, names, rids),
    st.builds(c.ReleaseAssist, names, rids),
    st.builds(c.ResolveAssist, names, rids, st.sampled_from(("", "water"))),
    st.builds(c.ReopenAssist, names, rids),
    st.just(c.Tick()),
    st.builds(c.SetLadder, names, small, small, small),
    st.builds(c.StartButtonTest, names),
    st.builds(c.EndButtonTest, names),
    st.builds(c.EndSession, names),
)
steps = st.lists(st.tuples(commands, st.integers(0, 900)), max_size=25)


def lived(script: list[tuple[c.Command, int]]) -> list[e.Event]:
    """The log a server would have written for these commands, refused ones left out."""
    people = tuple(ParticipantSpec(pid, f"Name {pid}", n, "") for n, pid in enumerate(PIDS, 1))
    create = c.CreateSession("s1", "Group", "Room", people, TWO_PHASES, ("water", "ride"), 15, ZONE)
    log = decide(None, create, T)
    now = T
    for command, seconds in script:
        now += seconds
        with contextlib.suppress(DomainError):
            log += decide(fold(log), command, now)
    return log


def mutated(log: list[e.Event], data: st.DataObject) -> list[e.Event]:
    """The log with one field of one event changed to a value of its kind."""
    index = data.draw(st.integers(0, len(log) - 1))
    event = log[index]
    field = data.draw(st.sampled_from([f.name for f in dataclasses.fields(event)]))
    value = getattr(event, field)
    if isinstance(value, bool):
        new: object = not value
    elif isinstance(value, int | float):
        new = data.draw(st.one_of(small, st.just(value + 60)))
    elif isinstance(value, str):
        new = data.draw(st.one_of(st.sampled_from((*TEAM, *PIDS, "r1", "water", "")), st.text()))
    else:
        return log
    changed = dataclasses.replace(event, **{field: new})  # type: ignore[arg-type]
    return [*log[:index], changed, *log[index + 1 :]]


def shown_everywhere(events: list[e.Event]) -> None:
    """Every page and export of the session renders, as the import would store it."""
    stored = rebrand(events, "s1", lambda: "token", "Kim")
    state = fold(stored)
    assert state is not None
    end = stored[-1].at
    VIEWS.page("home.html", facilitator="Kim", sessions=[listed(state)], unreadable=[])
    VIEWS.page(
        "dashboard.html",
        session=state,
        now=end,
        presence=Attendance(frozenset(), ()),
        facilitator="Kim",
        base_url="http://room",
        outcomes=OUTCOMES,
    )
    VIEWS.page("review.html", **review_context(stored), **HELPERS)
    VIEWS.page("summary.html", **summary_context(stored), **HELPERS)
    for pid in state.participants:
        VIEWS.sheet(state, pid, end)
    for ev in stored:
        VIEWS.snapshot(state_at(stored, ev.at), ev.at, None)
    to_csv(stored)
    parse_export(to_json("s1", list(enumerate(stored, start=1))))


@PROPERTY
@given(script=steps, data=st.data())
def test_whatever_an_import_accepts_every_page_shows(
    script: list[tuple[c.Command, int]], data: st.DataObject
) -> None:
    log = lived(script)
    shown_everywhere(log)  # what the rules record is always accepted
    assert parse_export(exported(log))
    changed = mutated(log, data)
    try:
        accepted = parse_export(exported(changed))[1]
    except BadExport:
        event("a changed log: refused")
        return
    event("a changed log: accepted")
    shown_everywhere(accepted)
