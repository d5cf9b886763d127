"""Parsing what clients send: clear messages for bad input."""

from __future__ import annotations

import pytest

from roomlive.core import commands as c
from roomlive.core.commandkeys import CommandKey
from roomlive.core.model import Status
from roomlive.web.inputs import (
    BadInput,
    command_key,
    facilitator_command,
    new_session_command,
    parse_participants,
)


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"action": "start"}, c.StartClock("Sam")),
        ({"action": "pause"}, c.PauseClock("Sam")),
        ({"action": "resume"}, c.ResumeClock("Sam")),
        ({"action": "advance"}, c.AdvancePhase("Sam")),
        (
            {"action": "check", "pid": "p1", "status": "watch"},
            c.CheckParticipant("Sam", "p1", Status.WATCH),
        ),
        ({"action": "flag", "pid": "p1", "flag": "water"}, c.ToggleFlag("Sam", "p1", "water")),
        ({"action": "claim", "rid": "abc"}, c.ClaimAssist("Sam", "abc")),
        (
            {"action": "resolve", "rid": "abc", "outcome": "water"},
            c.ResolveAssist("Sam", "abc", "water"),
        ),
    ],
)
def test_facilitator_forms_become_commands(form: dict[str, str], expected: c.Command) -> None:
    assert facilitator_command(form, "Sam") == expected


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "'action' is required"),
        ({"action": "dance"}, "action must be one of"),
        ({"action": "check", "pid": "p1", "status": "great"}, "status must be one of"),
        ({"action": "check", "pid": "../x", "status": "ok"}, "'pid' must be an id"),
        ({"action": "claim"}, "'rid' is required"),
        ({"action": "flag", "pid": "p1", "flag": "x" * 201}, "at most 200"),
        ({"action": "raise", "pid": "p1", "kind": "support"}, "kind must be one of: watch, backup"),
        ({"action": "ladder", "realert": "-1", "escalate": "4", "stale": "9"}, "whole number"),
        ({"action": "ladder", "realert": "1e9", "escalate": "4", "stale": "9"}, "whole number"),
    ],
)
def test_bad_facilitator_forms_say_what_was_expected(form: dict[str, str], message: str) -> None:
    with pytest.raises(BadInput, match=message):
        facilitator_command(form, "Sam")


def test_participant_lines_accept_common_separators() -> None:
    specs = parse_participants("1 Ana\n\n2. Ben\n 3, Cleo D.\n4 - Dev")
    assert [(s.mat, s.name) for s in specs] == [(1, "Ana"), (2, "Ben"), (3, "Cleo D."), (4, "Dev")]
    assert len({s.token for s in specs}) == 4 and all(len(s.token) >= 20 for s in specs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Ana", "line 1: expected a mat number"),
        ("0 Ana", "mat numbers go from 1"),
        ("\n \n", "at least one"),
    ],
)
def test_bad_participant_lists_name_the_line(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_participants(text)


def test_a_new_session_form_uses_the_chosen_preset() -> None:
    command = new_session_command(
        {"name": "Tue", "room": "2", "preset": "lozenge-group", "participants": "1 A"}
    )
    assert command.phases[2].name == "Dosing (hold)"
    with pytest.raises(BadInput, match="preset must be one of"):
        new_session_command({"name": "Tue", "preset": "x", "participants": "1 A"})


def test_idempotency_keys_are_checked_or_made() -> None:
    given = command_key("participant:p1", "press", {"idempotency-key": "abcdef12"})
    assert given == CommandKey("participant:p1", "abcdef12", "press")
    assert command_key("tablet:t1", "x", {}).key.startswith("server-")
    with pytest.raises(BadInput, match="idempotency key must be 8 to 64"):
        command_key("tablet:t1", "x", {"idempotency-key": "short"})
    assert command_key("s", "x", {}, {"key": "from-the-query"}).key == "from-the-query"
    with pytest.raises(BadInput, match="idempotency key"):
        command_key("s", "x", {"idempotency-key": ""})  # an empty key is a mistake, not "no key"


def test_facilitator_raises_and_reissues_get_fresh_ids() -> None:
    raised = facilitator_command({"action": "raise", "pid": "p1", "kind": "backup"}, "Sam")
    assert isinstance(raised, c.RaiseAssist) and raised.kind == "backup" and raised.rid
    first = facilitator_command({"action": "reissue", "pid": "p1"}, "Sam")
    second = facilitator_command({"action": "reissue", "pid": "p1"}, "Sam")
    assert isinstance(first, c.ReissueToken) and isinstance(second, c.ReissueToken)
    assert first.token != second.token and len(first.token) >= 20
