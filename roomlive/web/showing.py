"""Session pages that answer "cannot be shown: <reason>" when that session's state cannot be
rendered, instead of failing with a bare 500 (see roomlive/web/unshowable.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from roomlive.live.records import NotRecorded
from roomlive.web.common import error_page, services
from roomlive.web.offload import Unshown, WorkerLost
from roomlive.web.refusals import ANSWERED

UNSHOWABLE = 500

# Failures that have their own handlers (refusals.py, failures.py, Starlette's).
PASSED_ON: tuple[type[Exception], ...] = (HTTPException, NotRecorded, WorkerLost, *ANSWERED)

Endpoint = Callable[[Request], Awaitable[Response]]


def showable(endpoint: Endpoint) -> Endpoint:
    """A session page that answers "cannot be shown: <reason>" if rendering its state fails."""

    async def shown_or_explained(request: Request) -> Response:
        try:
            return await endpoint(request)
        except PASSED_ON:
            raise  # their own handlers answer these
        except Exception as error:  # this session's state; other sessions are not touched
            sid = str(request.path_params.get("sid", ""))
            svc = services(request)
            known = error.reason if isinstance(error, Unshown) else None  # the worker's own
            reason = svc.unshowable.reason(sid, svc.rooms.session(sid), error, known)
            message = f"This session cannot be shown: {reason}."
            return error_page(request, UNSHOWABLE, "Cannot be shown", message)

    return shown_or_explained
