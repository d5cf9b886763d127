"""Finding a mat's parts in what a tablet was pushed."""

from __future__ import annotations

import re


def tile(message: str, pid: str) -> str:
    """The mat's whole tile (its request band inside)."""
    found = re.search(rf'<article id="mat-{pid}".*?</article>', message, re.S)
    assert found, f"no tile for {pid} in the push"
    return found.group(0)


def band(message: str, pid: str) -> str:
    """The mat's request band: pushed alone when only its request changed, or inside its tile."""
    inner = r"(?:[^<]|<span[^>]*>[^<]*</span>)*"  # its text and its one-level spans
    found = re.search(rf'<span id="mat-{pid}-request"[^>]*>{inner}</span>', message)
    assert found, f"no request band for {pid} in the push"
    return found.group(0)
