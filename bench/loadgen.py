"""The load generator: tablets and buttons in reader processes, presses from a tapper process.

One run = one fresh server, set up as a clinic would (every tablet joins with the code; the
sessions are created with their participants), then:

- reader processes (`--readers`, default 4) each hold a share of the tablets' websockets — the
  tablets of one room are spread over different processes — and of the button pages' websockets,
  and note when each mat's press count `id="mat-<pid>" ... data-asks="N"` first arrives on each
  tablet (roomlive's tile request band `id="mat-<pid>-request"`, the baseline's tile): (session,
  pid, N) names one press;
- one tapper process presses the buttons at the planned total rate for the planned duration,
  round-robin over the devices (interleaved over the rooms), each device one press at a time;
- the parent waits until every expected delivery arrived (or a drain timeout), and reads the
  server's CPU time over that window and its peak RSS.

All timestamps are `time.monotonic()`, which is CLOCK_MONOTONIC, shared by all processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import re
import resource
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Protocol

from . import wire
from .profile import Recorder
from .servers import (
    CLOCK_TICKS,
    HOST,
    PROJECT_DIR,
    Kind,
    ServerProcess,
    Session,
    Setup,
    die_with_parent,
)
from .stats import summary_ms

TILE = re.compile(r'<[a-z]+ id="mat-([^"]+?)(?:-request)?"[^>]*?data-asks="(\d+)"')
READY_TIMEOUT_SECONDS = 120.0
READER_READY_SECONDS = 60.0
PRESS_TIMEOUT_SECONDS = 10.0
START_DELAY_SECONDS = 0.3
CONNECT_BATCH = 25


@dataclass(frozen=True)
class Size:
    name: str
    rooms: int
    tablets: int  # in total, spread evenly over the rooms
    participants: int  # in total, spread evenly over the rooms
    rate: float  # taps per second, in total

    @property
    def tablets_per_room(self) -> int:
        return self.tablets // self.rooms

    @property
    def participants_per_room(self) -> int:
        return self.participants // self.rooms


ROOM = Size("room", rooms=1, tablets=4, participants=12, rate=2.0)
CLINIC = Size("clinic", rooms=25, tablets=100, participants=300, rate=20.0)
SMOKE = Size("smoke", rooms=2, tablets=4, participants=6, rate=10.0)
SIZES = {size.name: size for size in (ROOM, CLINIC, SMOKE)}

# Other work on the same server while the taps go out: (server, facilitator cookie) -> context.
Alongside = Callable[[ServerProcess, str], contextlib.AbstractContextManager[Any]]


@dataclass(frozen=True)
class Plan:
    size: Size
    rate: float
    duration: float
    readers: int = 4
    buttons: bool = True  # each device also holds its button page's websocket, as phones do
    drain_seconds: float = 5.0
    idle_seconds: float = 0.0  # first measure the server's CPU with everyone connected, no taps
    rss_every_seconds: float = 0.0  # > 0: sample the server's resident memory this often (soak)

    @property
    def taps(self) -> int:
        return max(1, round(self.rate * self.duration))


# --- reader processes ----------------------------------------------------------------------


@dataclass(frozen=True)
class TabletSpec:
    index: int
    sid: str
    cookie: str


@dataclass(frozen=True)
class ReaderSpec:
    port: int
    tablets: tuple[TabletSpec, ...]
    buttons: tuple[str, ...]  # participant tokens


@dataclass
class ReaderResult:
    arrivals: dict[int, list[tuple[str, int, float]]]  # tablet -> (pid, N, monotonic time)
    messages: int = 0
    button_messages: int = 0
    received_bytes: int = 0
    cpu_seconds: float = 0.0
    closed_early: list[str] = field(default_factory=list)


class Counter(Protocol):
    value: int


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def idle_cpu_seconds(server: ServerProcess, seconds: float) -> float:
    """The server's CPU seconds per second while everything is connected and nobody taps."""
    if seconds <= 0:
        return math.nan
    before, started = server.cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    return (server.cpu_seconds() - before) / (time.monotonic() - started)


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all CPUs, /proc/stat), in seconds."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def reader_main(spec: ReaderSpec, counter: Counter, conn: Connection) -> None:
    die_with_parent()
    try:
        asyncio.run(_reader(spec, conn, counter))
    except Exception as error:  # reported to the parent, which fails the run
        conn.send(("error", f"reader: {type(error).__name__}: {error}"))


async def _reader(spec: ReaderSpec, conn: Connection, counter: Counter) -> None:
    result = ReaderResult(arrivals={t.index: [] for t in spec.tablets})
    waiting: set[str] = set()  # sockets whose first message (the snapshot) has not come yet
    all_first = asyncio.Event()

    def got_first(name: str) -> None:
        if name in waiting:
            waiting.discard(name)
            if not waiting:
                all_first.set()

    def tablet_handler(index: int, name: str) -> wire.OnMessage:
        seen: set[tuple[str, int]] = set()
        arrivals = result.arrivals[index]

        def on_message(now: float, text: str) -> None:
            result.messages += 1
            result.received_bytes += len(text)
            for found in TILE.finditer(text):
                pid, asks = found.group(1), int(found.group(2))
                if asks and (pid, asks) not in seen:
                    seen.add((pid, asks))
                    arrivals.append((pid, asks, now))
                    counter.value += 1
            got_first(name)

        return on_message

    def button_handler(name: str) -> wire.OnMessage:
        def on_message(now: float, text: str) -> None:
            result.button_messages += 1
            got_first(name)

        return on_message

    openers = [
        (
            f"/s/{t.sid}/ws",
            t.cookie,
            tablet_handler(t.index, f"tablet {t.index}"),
            f"tablet {t.index}",
        )
        for t in spec.tablets
    ] + [
        (f"/p/{token}/ws", "", button_handler(f"button {k}"), f"button {k}")
        for k, token in enumerate(spec.buttons)
    ]
    waiting.update(name for *_, name in openers)
    if not waiting:
        all_first.set()
    sockets: list[tuple[str, wire.Socket]] = []
    try:
        async with asyncio.timeout(READER_READY_SECONDS):
            for batch in chunks(openers, CONNECT_BATCH):
                opened = await asyncio.gather(
                    *(wire.open_socket(HOST, spec.port, path, c, h) for path, c, h, _ in batch)
                )
                sockets += zip((name for *_, name in batch), opened, strict=True)
        await _until_first_messages(sockets, waiting, all_first)
        started = cpu_seconds()
        conn.send(("ready", None))
        await _until_told_to_stop(conn)
        result.cpu_seconds = cpu_seconds() - started
        result.closed_early = [
            f"{name} closed with {s.close_code}" for name, s in sockets if s.closed.done()
        ]
    finally:
        await asyncio.gather(*(s.close() for _, s in sockets), return_exceptions=True)
    conn.send(("result", result))


async def _until_first_messages(
    sockets: list[tuple[str, wire.Socket]], waiting: set[str], all_first: asyncio.Event
) -> None:
    """Wait until every socket has had its snapshot; fail at once if one closes without it."""
    deadline = time.monotonic() + READER_READY_SECONDS
    while not all_first.is_set():
        dead = [
            f"{n} (code {s.close_code})" for n, s in sockets if n in waiting and s.closed.done()
        ]
        if dead:
            raise RuntimeError(f"closed before sending a snapshot: {', '.join(dead[:5])}")
        if time.monotonic() > deadline:
            missing = ", ".join(sorted(waiting)[:5])
            raise RuntimeError(f"no snapshot after {READER_READY_SECONDS:.0f} s on {missing}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_first.wait(), 0.1)


async def _until_told_to_stop(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    told: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        with contextlib.suppress(EOFError):  # the parent is gone: stop as well
            conn.recv()
        if not told.done():
            told.set_result(None)

    loop.add_reader(conn.fileno(), readable)
    try:
        await told
    finally:
        loop.remove_reader(conn.fileno())


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the tapper process ----------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceSpec:
    sid: str
    pid: str
    token: str


@dataclass(frozen=True)
class TapperSpec:
    port: int
    devices: tuple[DeviceSpec, ...]
    rate: float
    taps: int


@dataclass(frozen=True)
class Tap:
    sid: str
    pid: str
    n: int  # the device's press count: the server's data-asks for this press
    scheduled: float
    sent: float
    answered: float
    status: int  # HTTP status, or 0 if the press failed


@dataclass
class TapperResult:
    taps: list[Tap]
    errors: list[str]
    cpu_seconds: float


def tapper_main(spec: TapperSpec, conn: Connection) -> None:
    die_with_parent()
    try:
        asyncio.run(_tapper(spec, conn))
    except Exception as error:
        conn.send(("error", f"tapper: {type(error).__name__}: {error}"))


async def _tapper(spec: TapperSpec, conn: Connection) -> None:
    devices = [wire.Device(HOST, spec.port, d.token) for d in spec.devices]
    presses = [0] * len(devices)
    taps: list[Tap] = []
    errors: list[str] = []
    prefix = secrets.token_hex(4)

    async def press(index: int, scheduled: float) -> None:
        device, spec_ = devices[index], spec.devices[index]
        async with device.lock:
            presses[index] += 1
            n = presses[index]
            sent = [0.0]
            status = 0

            def mark(at: float) -> None:
                sent[0] = at

            try:
                key = f"{prefix}-{index}-{n}"
                status = await asyncio.wait_for(device.press(key, mark), PRESS_TIMEOUT_SECONDS)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, wire.HttpError) as error:
                errors.append(f"press {spec_.sid}/{spec_.pid} #{n}: {type(error).__name__}")
                device.close()
            taps.append(Tap(spec_.sid, spec_.pid, n, scheduled, sent[0], time.monotonic(), status))

    for batch in chunks(devices, CONNECT_BATCH):
        await asyncio.gather(*(d.connect() for d in batch))
    conn.send(("ready", None))
    start: float = conn.recv()
    started = cpu_seconds()
    pending: set[asyncio.Task[None]] = set()
    for i in range(spec.taps):
        scheduled = start + i / spec.rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(press(i % len(devices), scheduled))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)
    cpu = cpu_seconds() - started
    for device in devices:
        device.close()
    conn.send(("result", TapperResult(taps, errors, cpu)))


# --- one run ---------------------------------------------------------------------------------


@dataclass
class RunResult:
    kind: Kind
    size: str
    rooms: int
    tablets: int
    participants: int
    rate: float
    duration: float
    taps: int
    taps_ok: int
    expected: int
    received: int
    lost: int
    unexpected: int
    tap_all_ms: dict[str, float]  # sending a press -> it has arrived at every tablet of its room
    delivery_ms: dict[str, float]  # sending a press -> it arrives at one tablet
    answer_ms: dict[str, float]  # sending a press -> its HTTP response
    send_lag_ms: dict[str, float]  # scheduled -> actually sent (the generator keeping up)
    achieved_rate: float
    server_cpu_seconds: float
    server_cpu_percent: float
    server_loop_cpu_percent: float  # the event loop's thread alone
    server_cpu_us_per_tap: float
    server_cpu_us_per_delivery: float
    server_idle_cpu_percent: float  # everyone connected, nobody tapping (NaN: not measured)
    server_cpu_us_per_tap_net: float  # per tap, less what the server spends when idle
    server_peak_rss_mb: float
    tablet_message_bytes: float  # mean size of a message pushed to a tablet
    tapper_cpu_us_per_tap: float
    reader_cpu_us_per_delivery: float
    other_cpu_percent: float  # the machine's busy CPU not spent by the server or the generator
    window_seconds: float
    errors: list[str]
    rss_samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MB)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.taps_ok == self.taps and not self.errors


def run(
    kind: Kind,
    plan: Plan,
    workdir: Path,
    roomlive_dir: Path = PROJECT_DIR,
    profile: Path | None = None,
    alongside: Alongside | None = None,
) -> RunResult:
    """Start a fresh server of that kind, run the plan against it, stop everything.

    With `profile`, py-spy samples the server while the taps go out and writes its collapsed
    stacks there. With `alongside`, its context (given the server and a facilitator's cookie)
    is open while the taps go out: other work on the same server (bench/heavy.py)."""
    size = plan.size
    with ServerProcess(kind, workdir, roomlive_dir) as server:
        setup = Setup(server.port)
        cookies = [setup.join(f"Tablet {i + 1}") for i in range(size.tablets)]
        sessions = setup.rooms(cookies[0], size.rooms, size.participants_per_room)
        per_room = size.tablets_per_room
        tablet_rooms = [sessions[i // per_room] for i in range(size.tablets)]
        devices = [
            DeviceSpec(s.sid, p.pid, p.token)
            for j in range(size.participants_per_room)
            for s in sessions
            for p in s.participants[j : j + 1]
        ]
        readers = max(1, min(plan.readers, size.tablets))
        specs = [
            ReaderSpec(
                server.port,
                tuple(
                    TabletSpec(i, tablet_rooms[i].sid, cookies[i])
                    for i in range(size.tablets)
                    if i % readers == r
                ),
                tuple(d.token for k, d in enumerate(devices) if plan.buttons and k % readers == r),
            )
            for r in range(readers)
        ]
        tapper = TapperSpec(server.port, tuple(devices), plan.rate, plan.taps)
        with Processes() as processes:
            counters = [processes.counter() for _ in specs]
            reader_conns = [
                processes.start(reader_main, spec, counter)
                for spec, counter in zip(specs, counters, strict=True)
            ]
            tapper_conn = processes.start(tapper_main, tapper)
            for conn in [*reader_conns, tapper_conn]:
                expect(conn, "ready", READY_TIMEOUT_SECONDS)
            idle = idle_cpu_seconds(server, plan.idle_seconds)
            recorder = Recorder(server.pid, plan.duration, profile) if profile else None
            machine_before, own_before = machine_busy_seconds(), cpu_seconds()
            cpu_before, loop_before = server.cpu_seconds(), server.main_thread_cpu_seconds()
            start = time.monotonic() + START_DELAY_SECONDS
            sampler = RssSampler(server.pid, plan.rss_every_seconds, start)
            beside = alongside(server, cookies[0]) if alongside else contextlib.nullcontext()
            with beside:
                tapper_conn.send(start)
                tapped: TapperResult = expect(
                    tapper_conn, "result", plan.duration + PRESS_TIMEOUT_SECONDS + 60
                )
            sampler.stop()
            if recorder is not None:
                recorder.wait()
            expected = len(tapped.taps) * per_room
            deadline = time.monotonic() + plan.drain_seconds
            while sum(c.value for c in counters) < expected and time.monotonic() < deadline:
                time.sleep(0.005)
            window = time.monotonic() - start
            cpu = server.cpu_seconds() - cpu_before
            loop_cpu = server.main_thread_cpu_seconds() - loop_before
            for conn in reader_conns:
                conn.send("stop")
            read: list[ReaderResult] = [expect(c, "result", 30.0) for c in reader_conns]
            machine = machine_busy_seconds() - machine_before
            ours = cpu + cpu_seconds() - own_before + tapped.cpu_seconds
            others = machine - ours - sum(r.cpu_seconds for r in read)
        peak_rss = server.peak_rss_bytes()
    cpu_split = (cpu, loop_cpu, others, idle)
    result = summarise(kind, plan, tapped, read, tablet_rooms, cpu_split, window, peak_rss)
    result.rss_samples = sampler.samples
    return result


class RssSampler:
    """Samples a process's resident memory (VmRSS) in a thread, for a soak run."""

    def __init__(self, pid: int, every: float, start: float) -> None:
        self.samples: list[tuple[float, float]] = []
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        if every > 0:
            self._thread = threading.Thread(target=self._run, args=(pid, every, start), daemon=True)
            self._thread.start()

    def _run(self, pid: int, every: float, start: float) -> None:
        status = Path(f"/proc/{pid}/status")
        while not self._done.wait(every):
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    megabytes = int(line.split()[1]) / 1024
                    self.samples.append((round(time.monotonic() - start, 1), megabytes))

    def stop(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()


def summarise(
    kind: Kind,
    plan: Plan,
    tapped: TapperResult,
    read: list[ReaderResult],
    tablet_rooms: list[Session],
    cpu_split: tuple[float, float, float, float],
    window: float,
    peak_rss: int,
) -> RunResult:
    """Match every press with its arrivals. `cpu_split`: the server's CPU seconds over the
    window, its event loop thread's, the rest of the machine's, and the server's idle CPU
    seconds per second (NaN if not measured)."""
    cpu, loop_cpu, others, idle = cpu_split
    busy = cpu - idle * window if not math.isnan(idle) else math.nan
    size = plan.size
    arrivals: dict[tuple[str, str, int], dict[int, float]] = defaultdict(dict)
    for result in read:
        for tablet, seen in result.arrivals.items():
            sid = tablet_rooms[tablet].sid
            for pid, n, at in seen:
                arrivals[(sid, pid, n)][tablet] = at
    room_tablets: dict[str, list[int]] = defaultdict(list)
    for tablet, session in enumerate(tablet_rooms):
        room_tablets[session.sid].append(tablet)
    deliveries: list[float] = []
    tap_all: list[float] = []
    lost = 0
    matched = 0
    for tap in tapped.taps:
        got = arrivals.get((tap.sid, tap.pid, tap.n), {})
        times = [got[t] - tap.sent for t in room_tablets[tap.sid] if t in got]
        matched += len(times)
        deliveries += times
        lost += len(room_tablets[tap.sid]) - len(times)
        if len(times) == len(room_tablets[tap.sid]):
            tap_all.append(max(times))
    received = sum(len(seen) for r in read for seen in r.arrivals.values())
    messages = sum(r.messages for r in read)
    expected = len(tapped.taps) * size.tablets_per_room
    sent = [t.sent for t in tapped.taps if t.sent]
    span = max(sent) - min(sent) if len(sent) > 1 else 0.0
    reader_cpu = sum(r.cpu_seconds for r in read)
    errors = tapped.errors + [e for r in read for e in r.closed_early]
    return RunResult(
        kind=kind,
        size=size.name,
        rooms=size.rooms,
        tablets=size.tablets,
        participants=size.participants,
        rate=plan.rate,
        duration=plan.duration,
        taps=len(tapped.taps),
        taps_ok=sum(1 for t in tapped.taps if t.status == 200),
        expected=expected,
        received=received,
        lost=lost,
        unexpected=received - matched,
        tap_all_ms=summary_ms(tap_all),
        delivery_ms=summary_ms(deliveries),
        answer_ms=summary_ms([t.answered - t.sent for t in tapped.taps if t.status]),
        send_lag_ms=summary_ms([t.sent - t.scheduled for t in tapped.taps if t.sent]),
        achieved_rate=(len(sent) - 1) / span if span else 0.0,
        server_cpu_seconds=cpu,
        server_cpu_percent=100 * cpu / window if window else 0.0,
        server_loop_cpu_percent=100 * loop_cpu / window if window else 0.0,
        server_cpu_us_per_tap=1e6 * cpu / max(1, len(tapped.taps)),
        server_cpu_us_per_delivery=1e6 * cpu / max(1, received),
        server_idle_cpu_percent=100 * idle,
        server_cpu_us_per_tap_net=1e6 * busy / max(1, len(tapped.taps)),
        server_peak_rss_mb=peak_rss / 2**20,
        tablet_message_bytes=sum(r.received_bytes for r in read) / max(1, messages),
        tapper_cpu_us_per_tap=1e6 * tapped.cpu_seconds / max(1, len(tapped.taps)),
        reader_cpu_us_per_delivery=1e6 * reader_cpu / max(1, received),
        other_cpu_percent=max(0.0, 100 * others / window) if window else 0.0,
        window_seconds=window,
        errors=errors[:20],
    )


# --- child processes -------------------------------------------------------------------------


class Processes:
    """Child processes (spawned, so nothing of the parent's state leaks in), always ended."""

    def __init__(self) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.children: list[BaseProcess] = []
        self.conns: list[Connection] = []

    def counter(self) -> Counter:
        found: Counter = self.context.RawValue("q", 0)
        return found

    def start(self, target: Any, *args: Any) -> Connection:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=target, args=(*args, child), daemon=True)
        process.start()
        child.close()
        self.children.append(process)
        self.conns.append(parent)
        return parent

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if exc_type is not None:  # interrupted or failed: no result is coming, stop them now
            for process in self.children:
                process.terminate()
        for process in self.children:
            process.join(5.0)
        for process in self.children:
            if process.is_alive():
                process.terminate()
                process.join(5.0)
            with contextlib.suppress(ValueError):
                process.close()
        for conn in self.conns:
            conn.close()


def expect(conn: Connection, kind: str, timeout: float) -> Any:
    if not conn.poll(timeout):
        raise RuntimeError(f"no {kind!r} from a load generator process within {timeout:.0f} s")
    try:
        got, value = conn.recv()
    except EOFError:
        raise RuntimeError(f"a load generator process ended before sending {kind!r}") from None
    if got != kind:
        raise RuntimeError(f"load generator: expected {kind!r}, got {got!r}: {value}")
    return value
