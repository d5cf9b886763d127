"""The mat's hardware link, `/api/button/<token>`: off-the-shelf buttons, not browsers.

GET or POST, query or body (JSON or a form), no cookie and no same-origin check. A press with a
per-press id (`id`, or an `Idempotency-Key` header) is recorded once per (device, id); one without
is the same press as the device's last within a few seconds. A hub that held a press says how old
it is (`press_age` seconds, or `at` epoch seconds). Link previews and prefetches do nothing. The
answer is one short line of plain text, 2xx when the press was recorded, so a button's LED shows
delivery (docs/BUTTONS.md).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from roomlive.core import events as e
from roomlive.core.commandkeys import CommandKey, participant_sender
from roomlive.core.commands import PressButton
from roomlive.core.model import Participant, Session
from roomlive.core.shared import DomainError
from roomlive.live.ids import new_id
from roomlive.web.common import services
from roomlive.web.inputs import IDEMPOTENCY_HEADER, BadInput

MAX_BODY_BYTES = 4096
LATE_AFTER_SECONDS = 5.0  # a press delivered later than this is shown as "delivered late"
FUTURE_SKEW_SECONDS = 5.0  # a button's clock this far ahead counts as now
MAX_AGE_SECONDS = 3600.0
FIELD = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
PREVIEW_AGENTS = re.compile(
    r"slackbot|facebookexternalhit|facebot|twitterbot|whatsapp|telegrambot|discordbot|"
    r"linkedinbot|skypeuripreview|applebot|bingpreview|mattermost|signal|viber|embedly|"
    r"iframely|pinterest|redditbot|google-pagerenderer|googlebot",
    re.I,
)


def preview(request: Request) -> bool:
    """A link preview or a prefetch: never a press."""
    headers = request.headers
    purpose = f"{headers.get('purpose', '')} {headers.get('sec-purpose', '')}".lower()
    agent = headers.get("user-agent", "")
    return request.method == "HEAD" or "prefetch" in purpose or bool(PREVIEW_AGENTS.search(agent))


def answer(text: str, status: int = 200) -> Response:
    return PlainTextResponse(text + "\n", status, headers={"cache-control": "no-store"})


async def fields(request: Request) -> dict[str, str]:
    """The query, then the body over it: a JSON object, or a form (any content type)."""
    found = dict(request.query_params)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise BadInput(f"the body is longer than {MAX_BODY_BYTES} bytes")
    text = body.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise BadInput("the body starts like JSON but is not JSON") from None
        if not isinstance(data, dict):
            raise BadInput("the JSON body must be an object")
        found.update({k: str(v) for k, v in data.items() if isinstance(v, str | int | float)})
    elif text:
        found.update(parse_qsl(text))
    return found


def _name(given: Mapping[str, str], names: tuple[str, ...], default: str | None) -> str | None:
    value = next((given[n] for n in names if given.get(n)), default)
    if value is not None and not FIELD.fullmatch(value):
        raise BadInput(f"{names[0]} must be 1 to 64 letters, digits, '.', ':', '-' or '_'")
    return value


def _number(given: Mapping[str, str], name: str) -> float | None:
    raw = given.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadInput(f"{name} must be a number of seconds") from None
    if not math.isfinite(value):
        raise BadInput(f"{name} must be a number of seconds")
    return value


def pressed_at(given: Mapping[str, str], now: float) -> float | None:
    """When a late press was made (None: just now, or too little late to say)."""
    age, at = _number(given, "press_age"), _number(given, "at")
    if age is not None:
        if not 0 <= age <= MAX_AGE_SECONDS:
            raise BadInput(f"press_age must be 0 to {MAX_AGE_SECONDS:.0f} seconds")
        at = now - age
    if at is None:
        return None
    if at > now + FUTURE_SKEW_SECONDS:
        raise BadInput("at is later than the server's time: check the hub's clock")
    if now - at > MAX_AGE_SECONDS:
        raise BadInput(f"at is more than {MAX_AGE_SECONDS:.0f} seconds ago")
    return at if now - at >= LATE_AFTER_SECONDS else None


def _link(request: Request) -> tuple[Session, Participant] | Response:
    """The session and mat the link names, or the answer that it names none (or is a preview)."""
    if preview(request):
        return answer("preview: nothing was sent", 200)
    found = services(request).rooms.by_button_token(request.path_params["token"])
    if found is None:
        return answer("unknown or revoked button link", 404)
    return found


async def button_press(request: Request) -> Response:
    """`GET|POST|HEAD /api/button/<token>`: one press of the mat's hardware button."""
    found = _link(request)
    if isinstance(found, Response):
        return found
    session, participant = found
    rooms = services(request).rooms
    now = rooms.clock()
    try:
        given = await fields(request)
        device = _name(given, ("device", "mac"), "button") or "button"
        press_id = request.headers.get(IDEMPOTENCY_HEADER) or _name(
            given, ("id", "press_id", "key"), None
        )
        if press_id is not None and not FIELD.fullmatch(press_id):
            raise BadInput("the Idempotency-Key must be 1 to 64 letters, digits, '.', ':', '-'")
        late = pressed_at(given, now)
    except BadInput as error:
        return answer(f"not sent: {error}", 400)
    sid, pid = session.sid, participant.pid
    rooms.buttons.heard(sid, pid, now)
    if press_id is None and rooms.buttons.repeat(sid, pid, device, now):
        return answer(_state(session, pid, "ok, the same press again"))
    unique = hashlib.sha256(f"{device}\0{press_id or new_id()}".encode()).hexdigest()[:40]
    key = CommandKey(participant_sender(pid), f"hw-{unique}", "press")
    command = PressButton(pid=pid, rid=new_id(), pressed_at=late, hardware=True)
    try:
        outcome = await rooms.execute(sid, command, key)
    except DomainError as error:
        rooms.buttons.not_pressed(sid, pid, device)
        return answer(f"not sent: {error}", 409)
    except BaseException:  # not recorded (the disk): the button's retry must be tried again
        rooms.buttons.not_pressed(sid, pid, device)
        raise
    if any(isinstance(event, e.ButtonPaired) for event in outcome.events):
        return answer("ok: paired")
    if any(isinstance(event, e.ButtonTested) for event in outcome.events):
        return answer("ok: tested")
    said = "ok, the same press again" if outcome.duplicate else "ok"
    return answer(_state(rooms.session(sid) or session, pid, said))


def _state(session: Session, pid: str, said: str) -> str:
    request = session.live_request_for(pid)
    return f"{said}: {request.state}" if request is not None else said


async def button_checkin(request: Request) -> Response:
    """`GET|POST /api/button/<token>/checkin`: the button is alive; nothing is recorded."""
    found = _link(request)
    if isinstance(found, Response):
        return found
    session, participant = found
    rooms = services(request).rooms
    rooms.buttons.heard(session.sid, participant.pid, rooms.clock())
    return answer("ok: checked in")
