"""Where the server's CPU goes: py-spy samples the server process during a run.

`Recorder` runs `py-spy record --format raw` on the server for the run's tapping window (on-CPU
samples only, every thread); `top` reads the collapsed stacks and lists the functions with the
most samples, by self time and including what they call.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

SAMPLES_PER_SECOND = 100
FRAME_LINE = re.compile(r":\d+\)$")


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise RuntimeError("py-spy is not installed: pip install py-spy (in the test extras)")
    return found


class Recorder:
    def __init__(self, pid: int, seconds: float, out: Path) -> None:
        self.out = out
        self.process = subprocess.Popen(
            [
                py_spy(), "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))),
                "--rate", str(SAMPLES_PER_SECOND), "--format", "raw", "--output", str(out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip

    def wait(self, timeout: float = 30.0) -> None:
        try:
            _, errors = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise RuntimeError("py-spy did not finish in time") from None
        if self.process.returncode != 0 or not self.out.exists():
            raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace')[-2000:]}")


def top(collapsed: Path, count: int = 25) -> str:
    """The busiest functions of the event loop's thread in py-spy's collapsed stacks.

    Samples of other threads (aiosqlite's) are only counted: py-spy takes a thread blocked in
    fsync for an active one, so their share overstates their CPU (the run's per-thread CPU
    times from /proc say how much it really is)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    loop = others = 0
    for line in collapsed.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = [FRAME_LINE.sub(")", frame.strip()) for frame in stack.split(";")]
        if any(f.startswith("Thread._bootstrap ") for f in frames):
            others += int(number)
            continue
        loop += int(number)
        own[frames[-1]] += int(number)
        for frame in set(frames):
            total[frame] += int(number)
    if not loop:
        return "no samples of the event loop's thread\n"

    def table(counter: Counter[str], title: str) -> list[str]:
        rows = [f"{title} (% of the event loop thread's {loop} samples)"]
        rows += [f"{100 * n / loop:6.1f}%  {frame}" for frame, n in counter.most_common(count)]
        return rows

    head = f"samples: event loop thread {loop}, other threads {others} (blocked time included)"
    return "\n".join([head, "", *table(own, "self"), "", *table(total, "including callees")]) + "\n"
