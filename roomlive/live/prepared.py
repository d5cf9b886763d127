"""An import made ready to write: everything but the session id, worked out away from the rooms
(in the worker process, `roomlive/web/offload.py`), so that the server only writes it.

The rows go in parts of `PART_ROWS`, each pickled on its own: what crosses back from the worker
is a list of byte strings (cheap to receive), and the server unpickles one part just before it
writes it. The session id is chosen by the rooms (the one wanted, unless it is taken), so the
creation — the only event that names it — is kept as an event and encoded last, by the rooms.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass, replace

from roomlive.core import codec
from roomlive.core import events as e
from roomlive.live.folding import SUMMARY_TYPES
from roomlive.live.ids import new_token
from roomlive.live.store import ImportRow
from roomlive.live.writer import PART_ROWS
from roomlive.review.importing import rebrand


@dataclass(frozen=True)
class PreparedImport:
    digest: str  # the file's events' content hash (`review.importing.digest`)
    summary: tuple[e.Event, ...]  # the events an ended session's shell folds; the creation first
    parts: tuple[bytes, ...]  # pickled lists of ImportRow, PART_ROWS each; row 0 is the creation
    count: int

    def creation(self, sid: str) -> e.SessionCreated:
        created = self.summary[0]
        assert isinstance(created, e.SessionCreated)
        return replace(created, sid=sid)

    def summary_as(self, sid: str) -> list[e.Event]:
        return [self.creation(sid), *self.summary[1:]]

    def part(self, index: int, sid: str) -> list[ImportRow]:
        """Part `index` as rows of session `sid` (only the creation names it)."""
        rows: list[ImportRow] = pickle.loads(self.parts[index])
        if index == 0:
            created = self.creation(sid)
            rows[0] = (float(created.at), *codec.encode(created))
        return rows


def prepare(events: Sequence[e.Event], hashed: str, by: str) -> PreparedImport:
    """Pure but for fresh link tokens: `events` (checked by `parse_export`) rebranded as a new,
    ended session whose id the rooms fill in, encoded for the log, in parts."""
    rebranded = rebrand(events, "", new_token, by)
    rows = [(float(ev.at), *codec.encode(ev)) for ev in rebranded]
    parts = tuple(
        pickle.dumps(rows[i : i + PART_ROWS], pickle.HIGHEST_PROTOCOL)
        for i in range(0, len(rows), PART_ROWS)
    )
    summary = tuple(ev for ev in rebranded if type(ev).__name__ in SUMMARY_TYPES)
    return PreparedImport(hashed, summary, parts, len(rows))
