"""The region partials (templates/regions/*.html) called from Python: one typed function per
macro, so mypy checks every call, and every call names its arguments.

A macro is loaded when first called; if its parameters are no longer the ones its function
passes, that first call fails at once, naming both.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

from roomlive.core.model import AssistRequest, Participant, Session
from roomlive.live.presence import Attendance
from roomlive.web.markup import PhoneStatus

# Which file holds each macro (the file is named for its region).
MACRO_FILES = {
    "topbar": "regions/topbar.html",
    "tile": "regions/tile.html",
    "tile_request": "regions/tile.html",
    "requests": "regions/requests.html",
    "alert_banner": "regions/requests.html",
    "requests_head": "regions/requests.html",
    "request_item": "regions/requests.html",
    "recent_requests": "regions/requests.html",
    "tools": "regions/tools.html",
    "sheet": "regions/sheet.html",
    "assist_status": "regions/assist_status.html",
    "assist_not_sent": "regions/assist_status.html",
}


class Partials:
    def __init__(self, env: Environment) -> None:
        self._env = env
        self._macros: dict[str, Any] = {}

    def topbar(self, *, session: Session, now: float, oob: bool) -> str:
        return self._call("topbar", session=session, now=now, oob=oob)

    def tile(
        self,
        *,
        session: Session,
        participant: Participant,
        index: int,
        count: int,
        now: float,
        online: frozenset[str] | None,
        oob: bool,
        silent: frozenset[str] = frozenset(),
    ) -> str:
        """`index` of `count` mats on the ring; `online` None where buttons are not known."""
        return self._call(
            "tile",
            session=session,
            participant=participant,
            index=index,
            count=count,
            now=now,
            online=online,
            oob=oob,
            silent=silent,
        )

    def tile_request(
        self, *, participant: Participant, request: AssistRequest | None, oob: bool
    ) -> str:
        """A tile's request band alone: `request` the mat's live one, if any."""
        return self._call("tile_request", participant=participant, request=request, oob=oob)

    def requests(self, *, session: Session, now: float, oob: bool) -> str:
        return self._call("requests", session=session, now=now, oob=oob)

    def alert_banner(
        self, *, session: Session, request: AssistRequest, now: float, oob: bool
    ) -> str:
        return self._call("alert_banner", session=session, request=request, now=now, oob=oob)

    def requests_head(self, *, session: Session, oob: bool) -> str:
        return self._call("requests_head", session=session, oob=oob)

    def request_item(
        self, *, session: Session, request: AssistRequest, now: float, oob: bool
    ) -> str:
        return self._call("request_item", session=session, request=request, now=now, oob=oob)

    def recent_requests(self, *, session: Session, oob: bool) -> str:
        return self._call("recent_requests", session=session, oob=oob)

    def tools(self, *, session: Session, presence: Attendance | None, oob: bool) -> str:
        return self._call("tools", session=session, presence=presence, oob=oob)

    def sheet(
        self, *, session: Session, participant: Participant, now: float, base_url: str = ""
    ) -> str:
        return self._call(
            "sheet", session=session, participant=participant, now=now, base_url=base_url
        )

    def assist_status(self, *, status: PhoneStatus, oob: bool) -> str:
        return self._call("assist_status", status=status, oob=oob)

    def assist_not_sent(self) -> str:
        return self._call("assist_not_sent")

    def _call(self, name: str, /, **arguments: object) -> str:
        macro = self._macros.get(name)
        if macro is None:
            macro = self._load(name, tuple(arguments))
        return str(macro(**arguments))

    def _load(self, name: str, passed: tuple[str, ...]) -> Any:
        macro = getattr(self._env.get_template(MACRO_FILES[name]).module, name)
        if set(macro.arguments) != set(passed):
            raise TypeError(
                f"macro {name} in {MACRO_FILES[name]} takes {', '.join(macro.arguments)}; "
                f"its function passes {', '.join(passed)}"
            )
        self._macros[name] = macro
        return macro
