"""Who is connected: buttons go offline only after a grace period; tablets come and go."""

from __future__ import annotations

import asyncio

import pytest

from roomlive.presence import Presence, Tablet

pytestmark = pytest.mark.anyio
GRACE = 0.05


async def test_a_button_goes_offline_only_after_the_grace_period() -> None:
    changes: list[tuple[str, str | None]] = []
    presence = Presence(lambda sid, pid: changes.append((sid, pid)), grace=GRACE)

    presence.connected("s1", "p1")
    presence.connected("s2", "p1")
    presence.disconnected("s1", "p1")
    presence.connected("s1", "p1")  # a blip: back before the grace ran out
    presence.disconnected("s1", "p1")
    assert presence.online("s1") == {"p1"}
    await asyncio.sleep(GRACE * 3)

    assert presence.online("s1") == frozenset() and presence.online("s2") == {"p1"}
    assert changes == [("s1", "p1"), ("s2", "p1"), ("s1", "p1")]


async def test_tablets_are_listed_per_session() -> None:
    changes: list[tuple[str, str | None]] = []
    presence = Presence(lambda sid, pid: changes.append((sid, pid)), grace=GRACE)
    presence.tablet_connected("s1", "d2", "Kim")
    presence.tablet_connected("s1", "d1", "Sam")
    presence.tablet_disconnected("s1", "d2")
    assert presence.attendance("s1").tablets == (Tablet("d1", "Sam"),)
    assert presence.attendance("s9").tablets == ()
    assert changes == [("s1", None)] * 3
