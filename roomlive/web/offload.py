"""The server's one worker process, for the heavy, pure work of long logs: an import's parsing,
checking and encoding, and the review's, summary's and exports' folding and rendering.

In threads of the server's own process that work held the GIL against the event loop; in a
process of its own it only shares the machine's cores. The worker reads the log itself, on a
read-only connection of its own (WAL lets it read beside the writer), and sends back finished
text or, for an import, encoded rows in parts (`roomlive/live/prepared.py`): what crosses the
process boundary stays small or is plain bytes. It never writes: the rooms remain the one writer.

The pool (one worker, started by `forkserver`, never a fork of the running event loop) lives in
the app's lifespan state. A worker that dies (killed, out of memory) fails only the request it
was serving, with `WorkerLost` (503), and the next request starts a new one.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from starlette.requests import HTTPConnection

log = logging.getLogger(__name__)
T = TypeVar("T")

START_METHOD = "forkserver"


class WorkerLost(Exception):
    """The worker process died while doing this request's work; the next request gets a new one."""


class Unshown(Exception):
    """The worker could not show this session's state: the reason, names already taken out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Gone(Exception):
    """The session has no rows in the log (purged meanwhile)."""


class BadLog(Exception):
    """A row of the session cannot be read, or does not fold: the rooms should fold it
    themselves, which marks the session unreadable and names the row."""


class Offload:
    """Runs pure functions in the worker process; the worker reads the log at `db_path`."""

    def __init__(self, db_path: Path, test_clock: bool = False) -> None:
        self._init_args = (str(db_path.resolve()), test_clock)
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            from roomlive.web import worker  # here: it imports the routes

            context = multiprocessing.get_context(START_METHOD)
            context.set_forkserver_preload(["roomlive.web.worker"])  # a new worker starts fast
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=context,
                initializer=worker.start,
                initargs=self._init_args,
            )
        return self._pool

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        pool = self._executor()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, function, *args)
        except BrokenProcessPool:
            log.error("the worker process stopped; a new one is started for the next request")
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise WorkerLost() from None

    def worker_pids(self) -> list[int]:
        """The worker's process id, if it is running (for tests and operators)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return list(processes)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)


def offload(conn: HTTPConnection) -> Offload:
    found: Offload = conn.state.offload
    return found
