"""How long a module may grow before it is split: a few hundred lines at most. (What each layer
may import is checked against the table in docs/ARCHITECTURE.md, by tests/test_docs.py.)"""

from __future__ import annotations

from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PACKAGE = PROJECT / "roomlive"
MAX_PYTHON_LINES = 300
MAX_SCRIPT_LINES = 250


def test_no_module_is_longer_than_a_few_hundred_lines() -> None:
    too_long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_PYTHON_LINES
    }
    scripts = (PROJECT / "static").rglob("*.js")
    too_long |= {
        str(path.relative_to(PROJECT)): lines
        for path in scripts
        if "vendor" not in path.parts
        and (lines := len(path.read_text().splitlines())) > MAX_SCRIPT_LINES
    }
    assert too_long == {}
