"""The timeline's drawing vocabulary: marks, spans, bars and lanes in SVG units.

The drawing has a fixed width (the browser and the printer scale it); x grows with time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

X = Callable[[float], float]  # time (epoch seconds) to x

WIDTH = 1200.0
LABEL_W = 150.0
PLOT_LEFT = LABEL_W + 10
PLOT_RIGHT = WIDTH - 16
CHAR_W = 6.3  # an average character at the label size, for fitting text


@dataclass(frozen=True)
class Mark:
    """A point item: `kind` picks its shape, `cls` its colour."""

    kind: str
    cls: str
    x: float
    y: float
    at: float
    detail: str
    label: str = ""


@dataclass(frozen=True)
class Span:
    """A stretch of time: a phase band, a pause, a button test or an overdue gap."""

    x: float
    w: float
    cls: str
    at: float
    detail: str
    label: str = ""
    sub: str = ""


@dataclass(frozen=True)
class Bar:
    """One request: segments waiting (open) and covered (claimed), then its label."""

    y: float
    h: float
    cls: str
    segments: tuple[Span, ...]
    escalations: tuple[float, ...]
    label: str
    label_x: float
    at: float
    detail: str


@dataclass(frozen=True)
class Lane:
    pid: str
    mat: int
    name: str
    y: float
    h: float
    sub: str
    over: bool
    marks: tuple[Mark, ...]
    flags: tuple[Mark, ...]
    bars: tuple[Bar, ...]
    gaps: tuple[Span, ...]


@dataclass(frozen=True)
class AxisTick:
    x: float
    label: str


def fit(text: str, width: float, char_w: float = CHAR_W) -> str:
    """The text, cut with an ellipsis to fit the width; empty if not even two characters fit."""
    room = int(width // char_w)
    if len(text) <= room:
        return text
    return text[: room - 1].rstrip() + "…" if room >= 2 else ""
