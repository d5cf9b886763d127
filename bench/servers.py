"""The two servers under test, each in its own process on 127.0.0.1, and how to set them up.

`ServerProcess` starts roomlive (`python -m roomlive`) or the bare baseline (`python -m
bench.baseline`) on a free port with a fresh data directory, reads its CPU time and peak RSS from
/proc, and always stops it. `Setup` does what a facilitator does before a session, over plain
HTTP (stdlib only): join, create sessions, list them with their participants' tokens.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

PROJECT_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
JOIN_CODE = "BENCH-CODE"
STARTUP_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1

# Every simulated tablet and phone comes from 127.0.0.1: both limits are lifted (clinic size
# opens a few hundred connections, bench.scale's 100 rooms about 2,800, 200 rooms 5,600).
BENCH_MAX_CONNECTIONS = 8192
Kind = Literal["roomlive", "baseline"]
KINDS: tuple[Kind, ...] = ("roomlive", "baseline")


def die_with_parent() -> None:
    """Have the kernel send this process SIGTERM when its parent dies (Linux), so nothing the
    benchmark started outlives it, even if the benchmark itself is killed."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerProcess:
    """One server process. `roomlive_dir` is the checkout whose `roomlive` package is run."""

    kind: Kind
    workdir: Path
    roomlive_dir: Path = PROJECT_DIR
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.kind}-{self.port}.log"

    def command(self) -> list[str]:
        common = ["--host", HOST, "--port", str(self.port), "--join-code", JOIN_CODE]
        if self.kind == "roomlive":
            db = self.workdir / "roomlive.db"
            cap = ["--max-connections-per-address", str(BENCH_MAX_CONNECTIONS)]
            if '"--max-connections"' in (self.roomlive_dir / "roomlive" / "cli.py").read_text():
                cap += ["--max-connections", str(BENCH_MAX_CONNECTIONS)]  # not in older ones
            return [sys.executable, "-m", "roomlive", *common, "--db", str(db), "--no-demo", *cap]
        return [sys.executable, "-m", "bench.baseline", *common]

    def start(self) -> ServerProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = os.environ.copy()
        # The roomlive checkout comes first on sys.path (it is the cwd); bench comes from here.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PROJECT_DIR), env.get("PYTHONPATH", "")) if p
        )
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.roomlive_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                preexec_fn=die_with_parent,  # the kernel stops the server if we die
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited early:\n{self.log()}")
            try:
                status, _, _ = request(self.port, "GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} server did not start in time:\n{self.log()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process (all its threads) so far."""
        return proc_cpu_seconds(Path(f"/proc/{self.pid}/stat"))

    def main_thread_cpu_seconds(self) -> float:
        """The same for the event loop's thread alone (the rest: SQLite's thread, if any)."""
        return proc_cpu_seconds(Path(f"/proc/{self.pid}/task/{self.pid}/stat"))

    def peak_rss_bytes(self) -> int:
        """The process's peak resident set size (VmHWM) since it started."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("VmHWM not found in /proc/<pid>/status")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def proc_cpu_seconds(stat_file: Path) -> float:
    stat = stat_file.read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def request(
    port: int,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request on a fresh connection: (status, lower-cased headers, body)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10.0)
    try:
        sent = {"Origin": f"http://{HOST}:{port}", **(headers or {})}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        found = {name.lower(): value for name, value in response.getheaders()}
        return response.status, found, data
    finally:
        connection.close()


def idempotency_key() -> str:
    return "bench-" + secrets.token_hex(12)


@dataclass(frozen=True)
class Participant:
    pid: str
    token: str


@dataclass(frozen=True)
class Session:
    sid: str
    participants: tuple[Participant, ...]


class Setup:
    """What a lead facilitator does before the session, against either server."""

    def __init__(self, port: int) -> None:
        self.port = port

    def join(self, name: str) -> str:
        """Join with the code; return the Cookie header value a browser would then send."""
        status, headers, body = request(
            self.port, "POST", "/join", {"name": name, "code": JOIN_CODE, "next": "/"}
        )
        if status != 303 or "set-cookie" not in headers:
            raise RuntimeError(f"join failed: {status} {body[:200]!r}")
        return headers["set-cookie"].split(";", 1)[0]

    def create_session(self, cookie: str, name: str, participants: int) -> str:
        lines = "\n".join(f"{mat} P{mat}" for mat in range(1, participants + 1))
        form = {"name": name, "room": name, "preset": "im-group", "participants": lines}
        headers = {"Cookie": cookie, "Idempotency-Key": idempotency_key()}
        status, found, body = request(self.port, "POST", "/sessions", form, headers)
        location = found.get("location", "")
        if status != 303 or not location.startswith("/s/"):
            raise RuntimeError(f"creating a session failed: {status} {body[:300]!r}")
        return location.removeprefix("/s/")

    def sessions(self, cookie: str) -> dict[str, Session]:
        status, _, body = request(self.port, "GET", "/api/sessions", headers={"Cookie": cookie})
        if status != 200:
            raise RuntimeError(f"listing sessions failed: {status} {body[:200]!r}")
        listed: list[dict[str, Any]] = json.loads(body)
        return {
            s["sid"]: Session(
                s["sid"], tuple(Participant(p["pid"], p["token"]) for p in s["participants"])
            )
            for s in listed
        }

    def rooms(self, cookie: str, count: int, participants: int) -> list[Session]:
        """Create `count` sessions of `participants` each; return them in creation order."""
        sids = [
            self.create_session(cookie, f"Bench room {i + 1}", participants) for i in range(count)
        ]
        listed = self.sessions(cookie)
        return [listed[sid] for sid in sids]
