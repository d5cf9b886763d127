"""What a phone shows under its button, from the session's rules: each status drawn once, the
same bytes for every phone in it."""

from __future__ import annotations

from roomlive.core import commands as c
from roomlive.core import events as e
from roomlive.core.apply import fold
from roomlive.core.model import ParticipantSpec, Phase, Session
from roomlive.web import TEMPLATES_DIR
from roomlive.web.markup import PhoneStatus, phone_status
from roomlive.web.render import Views

T0 = 1_800_000_000.0
PEOPLE = (ParticipantSpec("p1", "Ana", 1, "tok-1"), ParticipantSpec("p2", "Ben", 2, "tok-2"))
CREATE = c.CreateSession("s1", "Tuesday group", "Room 1", PEOPLE, (Phase("Peak", 35),), (), 15)


def after(*history: e.Event) -> Session:
    state = fold([e.SessionCreated(at=T0, **vars(CREATE)), *history])
    assert state is not None
    return state


def raised(rid: str, pid: str) -> e.AssistRaised:
    return e.AssistRaised(at=T0 + 5, by="participant", rid=rid, pid=pid)


def test_the_status_follows_the_request_and_the_button_test() -> None:
    asked_twice = after(raised("r1", "p1"), e.AssistRepeated(at=T0 + 6, rid="r1"))
    claimed = after(raised("r1", "p1"), e.AssistClaimed(at=T0 + 9, by="Sam", rid="r1"))
    testing = after(e.ButtonTestStarted(at=T0 + 1, by="Sam"))
    tested = after(e.ButtonTestStarted(at=T0 + 1, by="Sam"), e.ButtonTested(at=T0 + 2, pid="p1"))
    ana = PEOPLE[0].pid

    assert phone_status(after(), after().participants[ana]) == PhoneStatus("idle")
    assert phone_status(asked_twice, asked_twice.participants[ana]) == PhoneStatus("open", True)
    assert phone_status(claimed, claimed.participants[ana]) == PhoneStatus("claimed", False, "Sam")
    assert phone_status(testing, testing.participants[ana]) == PhoneStatus("test")
    assert phone_status(tested, tested.participants[ana]) == PhoneStatus("tested")


def test_phones_in_the_same_status_get_the_same_bytes_drawn_once() -> None:
    views = Views(TEMPLATES_DIR)
    both = after(raised("r1", "p1"), raised("r2", "p2"))
    claimed = after(
        raised("r1", "p1"), raised("r2", "p2"), e.AssistClaimed(at=T0 + 9, by="Sam", rid="r2")
    )

    ana, ben = views.participant_status(both, "p1"), views.participant_status(both, "p2")
    assert ana is ben and 'data-state="open"' in ana and "A facilitator will come" in ana
    coming = views.participant_status(claimed, "p2")
    assert 'data-state="claimed"' in coming and "Sam is coming" in coming
    assert views.participant_status(claimed, "p1") is ana  # Ana's own request is still open
