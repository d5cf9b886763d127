"""A real roomlive server in a subprocess on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PROJECT_DIR = Path(__file__).resolve().parents[2]
JOIN_CODE = "TEST-CODE"
STARTUP_TIMEOUT_SECONDS = 20.0
STOP_TIMEOUT_SECONDS = 10.0
BUTTON_OFFLINE_AFTER = 0.3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    db_path: Path
    port: int = field(default_factory=free_port)
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    scheme: str = "http"
    open_files: tuple[int, int] | None = None  # RLIMIT_NOFILE (soft, hard) of the server

    def _limit_open_files(self) -> None:  # in the child, before exec
        if self.open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, self.open_files)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"{self.scheme.replace('http', 'ws')}://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.log_path = self.db_path.parent / f"server-{self.port}.log"
        command = [
            sys.executable, "-m", "roomlive",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--db", str(self.db_path), "--join-code", JOIN_CODE,
            "--test-clock", "--button-offline-after", str(BUTTON_OFFLINE_AFTER), *self.extra_args,
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=os.environ.copy(),
                preexec_fn=self._limit_open_files if self.open_files is not None else None,
            )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                # verify=False: only to see that it is up; tests check the certificate themselves.
                if httpx.get(f"{self.url}/healthz", timeout=1.0, verify=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not start in time:\n{self.log()}")

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        self._end(signal.SIGKILL)

    def restart(self) -> Server:
        self.stop()
        return self.start()

    def _end(self, sig: signal.Signals) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""
