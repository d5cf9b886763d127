"""After the session: the review (timeline, figures, replay), exports, import and purge.

Every endpoint needs the facilitator cookie; every POST must come from a roomlive page. What a
long log costs — reading, folding, rendering, parsing an import — is done by the worker process
(`offload.py`, `worker.py`); these handlers check, answer and, for an import, write.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from roomlive.core.decide import DomainError
from roomlive.review.importing import BadExport
from roomlive.web import worker
from roomlive.web.common import page, path_to, read_form, sentence, services
from roomlive.web.guards import session_in_path, signed_in
from roomlive.web.inputs import BadInput
from roomlive.web.offload import BadLog, Gone, offload
from roomlive.web.refusals import NoSuchSession

MAX_IMPORT_BYTES = 64 * 1024 * 1024
SAFE_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")
NO_STORE = {"cache-control": "no-store"}
T = TypeVar("T")


async def _in_worker(request: Request, function: Callable[..., T], *args: Any) -> T:
    """`function(sid, *args)` in the worker, for the session in the path. It is not folded here
    (`session_in_path` would fold a long ended log in this process): only known to be here. If
    the worker finds a row it cannot read, the rooms fold the session, which marks it
    unreadable, and it is answered as `session_in_path` answers it."""
    sid = await _known(request)
    try:
        return await offload(request).run(function, sid, *args)
    except Gone:  # purged meanwhile
        raise NoSuchSession(sid) from None
    except BadLog:
        await session_in_path(request)
        raise NoSuchSession(sid) from None


async def _known(request: Request) -> str:
    """The session in the path, if it is here (NoSuchSession if not, or if it is unreadable)."""
    sid = str(request.path_params["sid"])
    if not services(request).rooms.known(sid):
        await session_in_path(request)  # an unreadable or unknown session: raises
    return sid


async def review(request: Request) -> Response:
    return HTMLResponse(await _in_worker(request, worker.review_page))


async def replay(request: Request) -> Response:
    """The dashboard's regions as they were at `at` (epoch seconds), folded from the log."""
    await _known(request)  # an unknown session is 404 whatever `at` says
    try:
        at = float(request.query_params.get("at", ""))
    except ValueError:
        raise BadInput("`at` must be a time in epoch seconds") from None
    html = await _in_worker(request, worker.replay_part, at)
    return Response(html, media_type="text/html", headers=NO_STORE)


def _attachment(name: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{name}"', **NO_STORE}


async def export_csv(request: Request) -> Response:
    text, name = await _in_worker(request, worker.export, "csv")
    return Response(text, media_type="text/csv; charset=utf-8", headers=_attachment(name))


async def export_json(request: Request) -> Response:
    text, name = await _in_worker(request, worker.export, "json")
    return Response(text, media_type="application/json", headers=_attachment(name))


async def summary(request: Request) -> Response:
    """The printable per-participant summary for the clinic's records."""
    return HTMLResponse(await _in_worker(request, worker.summary_page))


async def purge_page(request: Request) -> Response:
    facts = await _in_worker(request, worker.purge_facts)
    return _purge_form(request, facts, "")


def _purge_form(request: Request, facts: worker.PurgeFacts, error: str) -> Response:
    status = 400 if error else 200
    context = {"session": facts, "count": facts.count, "error": error, **worker.HELPERS}
    return page(request, "purge.html", status, **context)


async def purge(request: Request) -> Response:
    who = signed_in(request).name
    facts = await _in_worker(request, worker.purge_facts)
    try:
        form = await read_form(request)
    except BadInput as error:
        return _purge_form(request, facts, sentence(error))
    if " ".join(form.get("confirm", "").split()).casefold() != facts.name.casefold():
        return _purge_form(request, facts, "Type the session's name exactly to confirm.")
    try:
        count = await services(request).rooms.purge(facts.sid, who)
    except DomainError as error:
        return _purge_form(request, facts, sentence(error))
    message = f"{count} events of “{facts.name}” were deleted. The audit log records the purge."
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
    try:  # decoding, parsing, checking and encoding 200 000 events: the worker process
        wanted, ready = await offload(request).run(worker.prepared_import, bytes(body), who)
    except BadExport as error:
        return JSONResponse({"error": str(error)}, 400)
    wanted = wanted if SAFE_SID.fullmatch(wanted) else ""
    imported = await services(request).rooms.import_prepared(wanted, ready)
    answer = {"sid": imported.sid, "review": path_to(request, "review", sid=imported.sid)}
    if imported.already:  # a retry, or the same file twice: still one session
        return JSONResponse({**answer, "already": True}, 200)
    return JSONResponse(answer, 201)
