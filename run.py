#!/usr/bin/env python3
"""roomlive's one entry point.

    python3 run.py            install (first time) and start the server with a demo session
    python3 run.py test       install (first time) and run the whole test suite
    python3 run.py restore --from BACKUP [--db LOG]
                              put a backup in place of the log (server stopped)

Both first make a virtual environment in .venv with what pyproject.toml asks for, then re-run
themselves inside it; later runs reuse it until pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent
VENV_DIR = PROJECT_DIR / ".venv"
VENV_PYTHON = VENV_DIR / "bin" / "python"
INSTALL_MARKER = VENV_DIR / ".roomlive-installed"


def main(argv: list[str]) -> int:
    testing = bool(argv) and argv[0] == "test"
    ensure_installed(extras="test" if testing else "")
    if testing:
        return subprocess.call([sys.executable, "-m", "pytest", *argv[1:]], cwd=PROJECT_DIR)
    from roomlive.cli import serve

    return serve(with_project_data(argv))


def with_project_data(argv: list[str]) -> list[str]:
    """The log in this checkout's data/ folder unless --db says otherwise (a later flag wins);
    the `roomlive` console script keeps it in ./data of wherever it is started."""
    db = ["--db", str(PROJECT_DIR / "data" / "roomlive.db")]
    if argv[:1] == ["restore"]:
        return ["restore", *db, *argv[1:]]
    return [*db, *argv]


def _marker(spec: str) -> str:
    return hashlib.sha256((PROJECT_DIR / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()


def ensure_installed(extras: str) -> None:
    """Make .venv and install the project into it, then continue inside it."""
    spec = f".[{extras}]" if extras else "."
    installed = set(INSTALL_MARKER.read_text().split()) if INSTALL_MARKER.exists() else set()
    if _marker(spec) not in installed:
        if not VENV_PYTHON.exists():
            print("roomlive: creating .venv", flush=True)
            venv.EnvBuilder(with_pip=True).create(VENV_DIR)
        print(f"roomlive: installing {spec} into .venv", flush=True)
        pip = [str(VENV_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "-e", spec], cwd=PROJECT_DIR, check=True)
        installed |= {_marker(spec), _marker(".")}  # every install includes the plain one
        INSTALL_MARKER.write_text("\n".join(sorted(installed)) + "\n")
    if Path(sys.prefix).resolve() != VENV_DIR.resolve():
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
