"""A wheel is a working install: templates and static files inside, a `roomlive` command that
serves from any working directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx

from tests.support.server import free_port

PROJECT_DIR = Path(__file__).resolve().parent.parent
BUILD_SECONDS = 120
START_SECONDS = 30
POLL_SECONDS = 0.1


def build_wheel(into: Path) -> Path:
    # No build isolation: the test extras hold setuptools and wheel, so nothing is downloaded.
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip_wheel, "--quiet", "--wheel-dir", str(into), str(PROJECT_DIR)],
        check=True,
        timeout=BUILD_SECONDS,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    (wheel,) = into.glob("roomlive-*.whl")
    return wheel


def test_the_wheel_holds_the_templates_static_files_and_the_command(tmp_path: Path) -> None:
    with zipfile.ZipFile(build_wheel(tmp_path)) as wheel:
        names = set(wheel.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "roomlive = roomlive.cli:main" in wheel.read(entry_points).decode()
    for shipped in (
        "roomlive/templates/base.html",
        "roomlive/templates/regions/tile.html",
        "roomlive/static/app.css",
        "roomlive/static/js/main.js",
        "roomlive/static/vendor/htmx-4.0.1.min.js",
        "roomlive/static/icons/roomlive.svg",
    ):
        assert shipped in names


def test_the_installed_command_serves_from_another_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(build_wheel(tmp_path / "dist")) as wheel:
        wheel.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}  # the wheel's copy, not the checkout's
    found = subprocess.run(
        [sys.executable, "-c", "import roomlive; print(roomlive.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(found.stdout.strip()).is_relative_to(site)
    port = free_port()
    command = "import sys; from roomlive.cli import main; sys.argv[0] = 'roomlive'; main()"
    server = subprocess.Popen(
        [sys.executable, "-c", command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=elsewhere,  # nothing of the checkout here: the package must find its own files
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                join = httpx.get(f"{base}/join", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "the installed server did not start"
                time.sleep(POLL_SECONDS)
        assert join.status_code == 200 and "join code" in join.text.lower()
        script = httpx.get(f"{base}/static/js/main.js", timeout=2)
        assert script.status_code == 200 and "import" in script.text
        assert (elsewhere / "data" / "roomlive.db").exists()  # its log where it was started
    finally:
        server.terminate()
        server.communicate(timeout=START_SECONDS)
