"""The worker process (roomlive/web/offload.py): it gives the answers the server's own process
gave, and a worker that dies fails only the request it had; the next one gets a new worker."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import pytest

from roomlive.core import codec
from roomlive.review.export import to_csv, to_json
from roomlive.review.importing import BadExport, digest, parse_export
from roomlive.web import STATIC_DIR, TEMPLATES_DIR, routes, worker
from roomlive.web.offload import Gone, Offload, WorkerLost
from roomlive.web.render import Views
from tests.live.test_lazy import write
from tests.support.clients import Room
from tests.support.realistic import realistic_session

pytestmark = pytest.mark.anyio

SID = "evening-group"


async def test_the_worker_answers_as_the_server_did(tmp_path: Path) -> None:
    path = tmp_path / "roomlive.db"
    events = realistic_session(SID)
    await write(path, SID, events)
    here = Views(TEMPLATES_DIR, routes(str(STATIC_DIR)))
    offload = Offload(path)
    try:
        review = await offload.run(worker.review_page, SID)
        summary = await offload.run(worker.summary_page, SID)
        at = events[len(events) // 2].at
        replay = await offload.run(worker.replay_part, SID, at)
        csv, csv_name = await offload.run(worker.export, SID, "csv")
        exported, _ = await offload.run(worker.export, SID, "json")
        facts = await offload.run(worker.purge_facts, SID)
        with pytest.raises(Gone):
            await offload.run(worker.review_page, "nobody")
        wanted, ready = await offload.run(worker.prepared_import, exported, "Sam")
        with pytest.raises(BadExport, match="not UTF-8"):
            await offload.run(worker.prepared_import, b"\xff{", "Sam")
    finally:
        await offload.close()

    context = worker.review_context(events)
    assert review.decode() == here.page("review.html", **context, **worker.HELPERS)
    context = worker.summary_context(events)
    assert (facts.sid, facts.count, facts.ended) == (SID, len(events), context["session"].ended)
    assert summary.decode() == here.page("summary.html", **context, **worker.HELPERS)
    state = worker.state_at(events, at)
    assert replay.decode() == here.snapshot(state, max(at, state.created_at), None)
    assert csv.decode() == to_csv(events) and csv_name.endswith(f"-{SID}.csv")
    assert exported.decode() == to_json(SID, list(enumerate(events, start=1)))

    sid, parsed = parse_export(exported.decode())
    assert wanted == sid and ready.digest == digest(parsed)
    rows = [row for index in range(len(ready.parts)) for row in ready.part(index, "new")]
    assert len(rows) == ready.count >= len(parsed)
    decoded = [codec.decode(type_name, data) for _, type_name, data in rows]
    assert decoded[0].sid == "new"  # type: ignore[attr-defined]
    assert [type(ev) for ev in decoded[1 : len(parsed)]] == [type(ev) for ev in parsed[1:]]
    assert [at for at, _, _ in rows[: len(parsed)]] == [float(ev.at) for ev in parsed]


async def test_a_killed_worker_fails_its_request_and_the_next_one_works(tmp_path: Path) -> None:
    path = tmp_path / "roomlive.db"
    await write(path, SID, realistic_session(SID))
    offload = Offload(path)
    try:
        await offload.run(worker.purge_facts, SID)
        (pid,) = offload.worker_pids()
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerLost):
            await offload.run(worker.purge_facts, SID)
        facts = await offload.run(worker.purge_facts, SID)
        assert facts.sid == SID and offload.worker_pids() != [pid]
    finally:
        await offload.close()


def grandchildren(pid: int) -> list[int]:
    """Processes whose parent's parent is `pid` (the server's worker, under its forkserver)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return [child for child, parent in parents.items() if parents.get(parent) == pid]


async def test_a_server_whose_worker_was_killed_answers_503_then_serves_again(room: Room) -> None:
    sam = await room.facilitator("Sam")
    sid = (await room.demo_session(sam))["sid"]
    assert (await sam.get(f"/s/{sid}/review")).status_code == 200
    assert room.server.process is not None
    (pid,) = grandchildren(room.server.process.pid)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and pid in grandchildren(room.server.process.pid):
        await asyncio.sleep(0.05)

    lost = await sam.get(f"/s/{sid}/review")
    assert lost.status_code == 503 and "worker process stopped" in lost.text
    exported = await sam.get(f"/s/{sid}/export.json")
    assert exported.status_code == 200 and json.loads(exported.text)["session"] == sid
    assert (await sam.get("/healthz")).status_code == 200
