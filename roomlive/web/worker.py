"""The worker process's side (`offload.py` runs these): a session's log read on a read-only
connection of its own, folded and rendered here, and sent back as finished bytes; an import's
body parsed, checked and encoded here, and sent back as encoded rows in parts.

`start` runs once in the worker: its connection and its `Views` are the process's own.
"""

from __future__ import annotations

import codecs
import itertools
import math
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from roomlive.core import events as e
from roomlive.core.apply import fold
from roomlive.core.model import Session
from roomlive.core.timing import local_or_utc
from roomlive.live.folding import fold_records
from roomlive.live.prepared import PreparedImport, prepare
from roomlive.live.records import StoredEvent, read_row
from roomlive.review.export import Row, rows, to_csv, to_json
from roomlive.review.figures import clock_time, duration, figures, final_state
from roomlive.review.importing import BadExport, digest, parse_export
from roomlive.review.timeline import layout
from roomlive.web.offload import BadLog, Gone, Unshown
from roomlive.web.render import Views
from roomlive.web.unshowable import reason_of

WORKER_NICENESS = 10
HELPERS: dict[str, Any] = {"duration": duration, "clock_time": clock_time, "local": local_or_utc}


@dataclass
class _Worker:
    db: sqlite3.Connection
    views: Views


_here: list[_Worker] = []  # this worker process's connection and views (set by `start`)


def start(db_path: str, test_clock: bool) -> None:
    # The rooms come first: on a busy machine the scheduler gives the server's process the CPU
    # before this one (a review takes longer; a tap does not wait behind it).
    os.nice(WORKER_NICENESS)
    from roomlive.web import STATIC_DIR, TEMPLATES_DIR, routes  # the package, fully imported

    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
    _here[:] = [_Worker(db, Views(TEMPLATES_DIR, routes(str(STATIC_DIR), test_clock)))]


def _records(sid: str) -> tuple[list[StoredEvent], Session]:
    """The session's decoded rows and its final state; Gone or BadLog."""
    found = (
        _here[0]
        .db.execute(
            "SELECT seq, session_id, command_key, type, data FROM events "
            "WHERE session_id = ? ORDER BY seq",
            (sid,),
        )
        .fetchall()
    )
    if not found:
        raise Gone(sid)
    records = [read_row(*row) for row in found]
    folded = fold_records(sid, records)
    if folded.bad is not None or folded.session is None:
        raise BadLog(sid)
    return [r for r in records if isinstance(r, StoredEvent)], folded.session


def _shown(sid: str, make: Any) -> Any:
    """`make(events, state)`, or Unshown with the reason (no names) if it fails."""
    stored, state = _records(sid)
    try:
        return make([r.event for r in stored], state, stored)
    except Exception as error:  # this session's state cannot be shown: say why, as showing.py
        raise Unshown(reason_of(error, state)) from None


def _page(template: str, **context: Any) -> bytes:
    return _here[0].views.page(template, **context, **HELPERS).encode()


def review_context(events: Sequence[e.Event]) -> dict[str, Any]:
    timeline = layout(events)
    return {
        "session": final_state(events),
        "timeline": timeline,
        "figures": figures(events),
        "moments": sorted({math.ceil(ev.at) for ev in events if timeline.start <= ev.at}),
    }


def summary_context(events: Sequence[e.Event]) -> dict[str, Any]:
    state = final_state(events)
    by_pid: dict[str, list[Row]] = {pid: [] for pid in state.participants}
    for row in rows(events):
        if row.pid in by_pid:
            by_pid[row.pid].append(row)
    return {"session": state, "rows": by_pid, "figures": figures(events)}


def state_at(events: Sequence[e.Event], at: float) -> Session:
    """The state folded from the log's prefix up to `at` (a prefix: a claim needs its request)."""
    return fold(itertools.takewhile(lambda ev: ev.at <= at, events)) or final_state(events[:1])


def review_page(sid: str) -> bytes:
    result: bytes = _shown(sid, lambda events, *_: _page("review.html", **review_context(events)))
    return result


def summary_page(sid: str) -> bytes:
    result: bytes = _shown(sid, lambda events, *_: _page("summary.html", **summary_context(events)))
    return result


def replay_part(sid: str, at: float) -> bytes:
    """The dashboard's regions as they were at `at`, folded from the log."""

    def make(events: Sequence[e.Event], *_: object) -> bytes:
        state = state_at(events, at)
        return _here[0].views.snapshot(state, max(at, state.created_at), None).encode()

    result: bytes = _shown(sid, make)
    return result


def export(sid: str, suffix: str) -> tuple[bytes, str]:
    """The CSV or JSON export and its file name."""

    def make(events: Sequence[e.Event], state: Session, stored: list[StoredEvent]) -> Any:
        day = local_or_utc(state.created_at, state.timezone).strftime("%Y-%m-%d")
        if suffix == "csv":
            text = to_csv(events)
        else:
            text = to_json(sid, [(r.seq, r.event) for r in stored])
        return text.encode(), f"roomlive-{day}-{sid}.{suffix}"

    result: tuple[bytes, str] = _shown(sid, make)
    return result


@dataclass(frozen=True)
class PurgeFacts:
    """What the purge page shows of a session, and what its confirmation checks."""

    sid: str
    name: str
    ended: bool
    count: int


def purge_facts(sid: str) -> PurgeFacts:
    stored, state = _records(sid)
    return PurgeFacts(state.sid, state.name, state.ended, len(stored))


def prepared_import(body: bytes, by: str) -> tuple[str, PreparedImport]:
    """The body as UTF-8, parsed and checked (`parse_export`), hashed, rebranded and encoded:
    (the exported session id, the import ready to write); BadExport says what is wrong."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(body, final=True)
    except UnicodeDecodeError:
        raise BadExport("the file is not UTF-8 text") from None
    wanted, events = parse_export(text)
    return wanted, prepare(events, digest(events), by)
