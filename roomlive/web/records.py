"""After the session: the review (timeline, figures, replay), exports, import and purge.

Every endpoint needs the facilitator cookie; every POST must come from a roomlive page.
"""

from __future__ import annotations

import codecs
import itertools
import math
import re
from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from roomlive.core import events as e
from roomlive.core.apply import fold
from roomlive.core.decide import DomainError
from roomlive.core.model import Session
from roomlive.core.timing import local_or_utc
from roomlive.review.export import Row, rows, to_csv, to_json
from roomlive.review.figures import clock_time, duration, figures, final_state
from roomlive.review.importing import BadExport, parse_export
from roomlive.review.timeline import layout
from roomlive.web.common import page, page_off_loop, path_to, read_form, sentence, services
from roomlive.web.guards import session_in_path, signed_in
from roomlive.web.inputs import BadInput
from roomlive.web.refusals import NoSuchSession

MAX_IMPORT_BYTES = 64 * 1024 * 1024
SAFE_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")
HELPERS: dict[str, Any] = {"duration": duration, "clock_time": clock_time, "local": local_or_utc}


async def _log(request: Request) -> tuple[str, list[e.Event]]:
    """The session's id and events (NoSuchSession if it is not here or cannot be read)."""
    sid = (await session_in_path(request)).sid
    events = await services(request).rooms.session_log(sid)
    if not events:  # purged meanwhile
        raise NoSuchSession(sid)
    return sid, events


async def review(request: Request) -> Response:
    _, events = await _log(request)
    context = await run_in_threadpool(_review_context, events)  # a long log: not on the loop
    return await page_off_loop(request, "review.html", **context, **HELPERS)


def _review_context(events: Sequence[e.Event]) -> dict[str, Any]:
    timeline = layout(events)
    return {
        "session": final_state(events),
        "timeline": timeline,
        "figures": figures(events),
        "moments": sorted({math.ceil(ev.at) for ev in events if timeline.start <= ev.at}),
    }


async def replay(request: Request) -> Response:
    """The dashboard's regions as they were at `at` (epoch seconds), folded from the log."""
    _, events = await _log(request)
    try:
        at = float(request.query_params.get("at", ""))
    except ValueError:
        raise BadInput("`at` must be a time in epoch seconds") from None
    state = await run_in_threadpool(_state_at, events, at)
    moment = max(at, state.created_at)
    html = services(request).views.snapshot(state, moment, None)
    return Response(html, media_type="text/html", headers={"cache-control": "no-store"})


def _state_at(events: Sequence[e.Event], at: float) -> Session:
    """The state folded from the log's prefix up to `at` (a prefix: a claim needs its request)."""
    return fold(itertools.takewhile(lambda ev: ev.at <= at, events)) or final_state(events[:1])


def _attachment(sid: str, events: Sequence[e.Event], suffix: str) -> dict[str, str]:
    state = final_state(events)
    day = local_or_utc(state.created_at, state.timezone).strftime("%Y-%m-%d")
    name = f"roomlive-{day}-{sid}.{suffix}"
    return {"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"}


async def export_csv(request: Request) -> Response:
    sid, events = await _log(request)
    headers = await run_in_threadpool(_attachment, sid, events, "csv")
    text = await run_in_threadpool(to_csv, events)
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


async def export_json(request: Request) -> Response:
    sid, events = await _log(request)
    records = await services(request).rooms.session_records(sid)
    headers = await run_in_threadpool(_attachment, sid, events, "json")
    text = await run_in_threadpool(to_json, sid, records)
    return Response(text, media_type="application/json", headers=headers)


async def summary(request: Request) -> Response:
    """The printable per-participant summary for the clinic's records."""
    _, events = await _log(request)
    context = await run_in_threadpool(_summary_context, events)
    return await page_off_loop(request, "summary.html", **context, **HELPERS)


def _summary_context(events: Sequence[e.Event]) -> dict[str, Any]:
    state = final_state(events)
    by_pid: dict[str, list[Row]] = {pid: [] for pid in state.participants}
    for row in rows(events):
        if row.pid in by_pid:
            by_pid[row.pid].append(row)
    return {"session": state, "rows": by_pid, "figures": figures(events)}


async def purge_page(request: Request) -> Response:
    _, events = await _log(request)
    return await _purge_form(request, events, "")


async def _purge_form(request: Request, events: Sequence[e.Event], error: str) -> Response:
    state = await run_in_threadpool(final_state, events)
    status = 400 if error else 200
    return page(
        request, "purge.html", status, session=state, count=len(events), error=error, **HELPERS
    )


async def purge(request: Request) -> Response:
    who = signed_in(request).name
    sid, events = await _log(request)
    try:
        form = await read_form(request)
    except BadInput as error:
        return await _purge_form(request, events, sentence(error))
    state = await run_in_threadpool(final_state, events)
    if " ".join(form.get("confirm", "").split()).casefold() != state.name.casefold():
        return await _purge_form(request, events, "Type the session's name exactly to confirm.")
    try:
        count = await services(request).rooms.purge(sid, who)
    except DomainError as error:
        return await _purge_form(request, events, sentence(error))
    message = f"{count} events of “{state.name}” were deleted. The audit log records the purge."
    home = path_to(request, "home")
    return page(request, "error.html", title="Session purged", message=message, link=home)


async def import_page(request: Request) -> Response:
    return page(request, "import.html")


async def import_export(request: Request) -> Response:
    """A JSON export in the body; answers 201 {"sid", "review"}, 200 with "already": true if
    this file was imported before, or {"error"}."""
    who = signed_in(request).name
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_IMPORT_BYTES:
            return JSONResponse({"error": f"the file is larger than {MAX_IMPORT_BYTES} bytes"}, 413)
    try:  # decoding, parsing and checking 200 000 events: a worker thread, in short steps
        wanted, events = await run_in_threadpool(_parse_body, bytes(body))
    except UnicodeDecodeError:
        return JSONResponse({"error": "the file is not UTF-8 text"}, 400)
    except BadExport as error:
        return JSONResponse({"error": str(error)}, 400)
    wanted = wanted if SAFE_SID.fullmatch(wanted) else ""
    imported = await services(request).rooms.import_session(wanted, events, who)
    answer = {"sid": imported.sid, "review": path_to(request, "review", sid=imported.sid)}
    if imported.already:  # a retry, or the same file twice: still one session
        return JSONResponse({**answer, "already": True}, 200)
    return JSONResponse(answer, 201)


def _parse_body(body: bytes) -> tuple[str, list[e.Event]]:
    """The body as UTF-8 text (a megabyte at a time: the GIL is let go between), parsed."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1 << 20
    parts = [decoder.decode(body[i : i + step]) for i in range(0, len(body), step)]
    parts.append(decoder.decode(b"", final=True))
    return parse_export("".join(parts))
