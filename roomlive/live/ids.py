"""Fresh ids and link tokens, made by the shell and passed into the rules (which make none)."""

from __future__ import annotations

import secrets

ID_BYTES = 6  # 12 hex digits: a session, request or tablet, unique within one server
TOKEN_BYTES = 18  # a button link's secret: unguessable


def new_id() -> str:
    return secrets.token_hex(ID_BYTES)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)
