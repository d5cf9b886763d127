"""`python -m bench`: the standard benchmark (see bench/run.py and bench/README.md)."""

from __future__ import annotations

import sys

from .run import main

if __name__ == "__main__":
    sys.exit(main())
