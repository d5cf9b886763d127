"""The code stays ruff- and mypy-clean: checked here so CI enforces it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=PROJECT, capture_output=True, text=True, check=False
    )


def test_ruff_finds_nothing() -> None:
    lint = run("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    style = run("ruff", "format", "--check", ".")
    assert style.returncode == 0, style.stdout + style.stderr


def test_mypy_strict_finds_nothing() -> None:
    types = run("mypy")
    assert types.returncode == 0, types.stdout + types.stderr
