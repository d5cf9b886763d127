"""Group commit: commands that arrive while a commit is in flight wait, then are decided in order
and written together in one transaction, so that one fsync serves all of them.

Each command is decided against the state with the batch's earlier commands folded in, exactly
as if they had been executed one after another: a refusal, a duplicate or a reused key concerns
its own command only, and a key retried within the batch is a duplicate. No caller is answered
before the batch's commit; if it fails, every command of the batch fails with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from roomlive.core.apply import apply
from roomlive.core.commandkeys import CommandKey
from roomlive.core.commands import Command
from roomlive.core.decide import decide
from roomlive.core.model import Session
from roomlive.live.answers import KeyReused, Outcome
from roomlive.live.publisher import Change
from roomlive.live.writer import CommandEvents

# Commands per transaction at most: what waits for the writer behind a batch (an import's next
# part, a purge's) waits for a bounded one.
MAX_BATCH_COMMANDS = 256


@dataclass(eq=False)
class Pending:
    """A command waiting for the writer, and the answer its caller awaits."""

    sid: str
    command: Command
    key: CommandKey
    answer: asyncio.Future[Outcome]


@dataclass(frozen=True)
class Decided:
    pending: Pending
    now: float
    outcome: Outcome
    refusal: Exception | None = None  # refused: its caller gets this, and nothing is written
    after: Session | None = None  # its session as its events leave it (if it has any)

    def change(self) -> Change:
        """What a recorded command changes, for the publisher to render."""
        if self.after is None:
            raise ValueError("a command that records nothing changes nothing")
        return Change(self.after, self.outcome.events, self.now)


class Batch:
    """The commands decided together, and the state they were decided against."""

    def __init__(
        self,
        state: Callable[[str], Session | None],
        asked_before: Callable[[str, CommandKey], Awaitable[str | None]],
        clock: Callable[[], float],
    ) -> None:
        self._state = state  # a session as the rules see it; raises if it cannot be read
        self._asked_before = asked_before
        self._clock = clock
        self._states: dict[str, Session | None] = {}  # sessions the batch changed
        self._keys: dict[tuple[str, str, str], str] = {}  # (sid, sender, key) -> asked
        self.decided: list[Decided] = []

    async def add(self, pending: Pending) -> None:
        now = self._clock()
        try:
            outcome, after = await self._decide(pending, now)
        except Exception as refusal:  # a DomainError, or a fault of this command: the rest go on
            self.decided.append(Decided(pending, now, Outcome(()), refusal))
        else:
            self.decided.append(Decided(pending, now, outcome, after=after))

    async def _decide(self, pending: Pending, now: float) -> tuple[Outcome, Session | None]:
        sid, key = pending.sid, pending.key
        before = self._states[sid] if sid in self._states else self._state(sid)
        asked = self._keys.get((sid, key.sender, key.key))
        if asked is None:
            asked = await self._asked_before(sid, key)
        if asked is not None:
            if asked != key.asked:
                raise KeyReused(key.key)
            return Outcome((), duplicate=True), None
        events = decide(before, pending.command, now)
        if not events:
            return Outcome(()), None
        after = before
        for event in events:
            after = apply(after, event)
        self._states[sid] = after
        self._keys[(sid, key.sender, key.key)] = key.asked
        return Outcome(tuple(events)), after

    def recorded(self) -> list[Decided]:
        """The commands that write events, in order."""
        return [d for d in self.decided if d.outcome.events]

    def writes(self) -> list[CommandEvents]:
        return [(d.pending.sid, d.pending.key.stored(), d.outcome.events) for d in self.recorded()]

    def answer(self) -> None:
        """Once committed (or with nothing to commit): every caller gets its own answer."""
        for d in self.decided:
            settle(d.pending, d.outcome, d.refusal)


def settle(pending: Pending, outcome: Outcome, error: BaseException | None = None) -> None:
    if pending.answer.done():  # its caller gave up waiting (cancelled)
        return
    if error is not None:
        pending.answer.set_exception(error)
    else:
        pending.answer.set_result(outcome)


class GroupCommit:
    """The queue in front of the one writer: `submit` waits for its command's batch; one task
    runs batch after batch while commands are waiting."""

    def __init__(self, run: Callable[[list[Pending]], Awaitable[None]]) -> None:
        self._run = run  # decides, commits, publishes and answers one batch
        self._waiting: list[Pending] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, sid: str, command: Command, key: CommandKey) -> Outcome:
        pending = Pending(sid, command, key, asyncio.get_running_loop().create_future())
        self._waiting.append(pending)
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        return await pending.answer

    async def _drain(self) -> None:
        batch: list[Pending] = []
        try:
            while self._waiting:
                batch = [p for p in self._waiting[:MAX_BATCH_COMMANDS] if not p.answer.done()]
                del self._waiting[:MAX_BATCH_COMMANDS]
                try:
                    await self._run(batch)
                except Exception as error:  # its commit failed: nothing of it was recorded
                    for pending in batch:
                        settle(pending, Outcome(()), error)
        except BaseException:  # cancelled (shutting down): nobody is left waiting forever
            for pending in batch + self._waiting:
                pending.answer.cancel()
            raise
        finally:
            self._drainer = None
