"""The layers stay layers: what each package of roomlive may import, and how long a module may
grow before it is split (a module of a few hundred lines at most)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "roomlive"
MAX_PYTHON_LINES = 300
MAX_SCRIPT_LINES = 250

SHELL_LIBRARIES = {"asyncio", "aiosqlite", "sqlite3", "starlette", "uvicorn", "websockets"}
# package -> what its modules must not import (top-level names, or roomlive's own packages)
FORBIDDEN = {
    "core": SHELL_LIBRARIES | {"roomlive.review", "roomlive.live", "roomlive.web"},
    "review": SHELL_LIBRARIES | {"roomlive.live", "roomlive.web"},
    "live": {"roomlive.web", "roomlive.app", "roomlive.cli"},
}


def imported(path: Path) -> set[str]:
    """Every module `path` imports, as written (absolute: roomlive uses no relative imports)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            found.add(node.module or "")
    return found


def breaks(module: str, forbidden: set[str]) -> bool:
    return any(module == f or module.startswith(f"{f}.") for f in forbidden)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_it_must_not(layer: str) -> None:
    found = {
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for module in imported(path)
        if breaks(module, FORBIDDEN[layer])
    }
    assert found == set()


def test_the_contract_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.py"
    leaky.write_text("import asyncio\nfrom roomlive.web.render import Views\n")
    assert {m for m in imported(leaky) if breaks(m, FORBIDDEN["core"])} == {
        "asyncio",
        "roomlive.web.render",
    }


def test_no_module_is_longer_than_a_few_hundred_lines() -> None:
    too_long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_PYTHON_LINES
    }
    scripts = (PACKAGE / "static").rglob("*.js")
    too_long |= {
        str(path.relative_to(PACKAGE)): lines
        for path in scripts
        if "vendor" not in path.parts
        and (lines := len(path.read_text().splitlines())) > MAX_SCRIPT_LINES
    }
    assert too_long == {}
