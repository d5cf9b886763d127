"""Domain defaults from published clinic practice (see the product brief)."""

from __future__ import annotations

from roomlive.core.model import Phase

CHECKIN_MINUTES = 15

DEFAULT_FLAGS = (
    "dosed",
    "nausea",
    "water",
    "blanket",
    "bathroom",
    "vitals",
    "returned",
    "ride",
)

PRESETS: dict[str, tuple[Phase, ...]] = {
    "im-group": (
        Phase("Arrival", 15),
        Phase("Opening circle", 25),
        Phase("Dosing", 10),
        Phase("Onset", 5),
        Phase("Peak", 35),
        Phase("Return", 20),
        Phase("Rest", 15),
        Phase("Integration circle", 40),
    ),
    "lozenge-group": (
        Phase("Arrival", 15),
        Phase("Opening circle", 20),
        Phase("Dosing (hold)", 12),
        Phase("Onset", 15),
        Phase("Peak", 35),
        Phase("Return", 30),
        Phase("Rest", 20),
        Phase("Integration circle", 40),
    ),
}

PRESET_LABELS = {"im-group": "IM group", "lozenge-group": "Lozenge group"}

DEMO_PARTICIPANTS = ("Ana", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana")
