"""Command line: parse the flags, print where tablets connect, run uvicorn."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import socket
import sys
import time
from pathlib import Path

import uvicorn

from roomlive.app import Settings, create_app
from roomlive.core.timing import is_time_zone
from roomlive.live.backup import RestoreRefused, restore
from roomlive.live.presence import BUTTON_OFFLINE_GRACE_SECONDS
from roomlive.live.startcheck import ACCEPT_SHORTER_FLAG, why_not_start
from roomlive.web.auth import load_or_create_credentials
from roomlive.web.lan import lan_addresses
from roomlive.web.limits import (
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_ADDRESS,
    PROXY_ADDRESSES,
    Gate,
    QuietAcceptErrors,
    guarded_protocols,
    plan_connections,
    raise_open_file_limit,
)
from roomlive.web.tls import ensure_certificate

TOKEN_IN_PATH = re.compile(r"/(p|api/assist|api/button)/[^/\s\"?]+")


class RedactTokens(logging.Filter):
    """Participant links are credentials: keep them out of uvicorn's connection log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/p/" in message or "/api/" in message:
            record.msg, record.args = TOKEN_IN_PATH.sub(r"/\1/<token>", message), None
        return True


DEFAULT_DB = Path("data") / "roomlive.db"  # in the folder it is started from
DEFAULT_PORT = 8000
WS_MAX_SIZE_BYTES = 64 * 1024
WS_PING_SECONDS = 10.0  # tablets; button sockets are pinged more often (wsproto.py)
EXIT_LOG_NOT_FIT = 4  # start-up refused: the log is damaged or shorter than its backup
EXIT_RESTORE_REFUSED = 5
GIL_SWITCH_SECONDS = 0.001


def build_parser() -> argparse.ArgumentParser:
    """The server's flags: README's "Configuration" lists each one (a test holds it to that)."""
    parser = argparse.ArgumentParser(prog="run.py", description="Start the roomlive server.")
    parser.add_argument(
        "--host", default="0.0.0.0", help="address to listen on (default: all, for the LAN)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default: 8000)")
    parser.add_argument(
        "--db", type=Path, default=DEFAULT_DB, help="SQLite file; its folder keeps the secret"
    )
    parser.add_argument(
        "--join-code", help="facilitator join code (default: made on first run and kept)"
    )
    parser.add_argument(
        "--https",
        action="store_true",
        help="serve HTTPS with a certificate made on first run (tablets get Wake Lock)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another host name tablets use to reach this server (repeatable)",
    )
    parser.add_argument(
        "--button-checkin-after",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="how long a paired hardware button may go unheard before tiles say so (0: off)",
    )
    parser.add_argument(
        "--button-offline-after",
        type=float,
        default=BUTTON_OFFLINE_GRACE_SECONDS,
        metavar="SECONDS",
        help="how long a participant's button may be disconnected before tiles say so (default 5)",
    )
    parser.add_argument(
        "--test-clock",
        action="store_true",
        help="for automated tests only: POST /_test/clock moves the server's clock forward",
    )
    parser.add_argument(
        "--test-wall-offset",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="for automated tests only, with --test-clock: start as if the system clock were off",
    )
    parser.add_argument(
        "--behind-proxy",
        action="store_true",
        help="trust X-Forwarded-For/-Proto from a reverse proxy on this machine (default: off)",
    )
    parser.add_argument(
        "--max-connections-per-address",
        type=at_least_one,
        default=MAX_CONNECTIONS_PER_ADDRESS,
        metavar="N",
        help="connections one client address may hold open (default 64; raise behind a NAT)",
    )
    parser.add_argument(
        "--max-connections",
        type=at_least_one,
        default=MAX_CONNECTIONS,
        metavar="N",
        help="connections all clients may hold open together (default 1024, ~16 rooms)",
    )
    parser.add_argument(
        "--backup-dir",
        type=Path,
        metavar="DIR",
        help="copy the log here every 5 min and at every session's end (another disk, a USB stick)",
    )
    parser.add_argument(
        ACCEPT_SHORTER_FLAG,
        action="store_true",
        help="start even though the newest backup holds events the log does not",
    )
    parser.add_argument("--no-demo", action="store_true", help="do not create the demo session")
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def build_restore_parser() -> argparse.ArgumentParser:
    """`run.py restore`'s flags (docs/OPERATIONS.md, "Restore: one command")."""
    parser = argparse.ArgumentParser(
        prog="run.py restore",
        description="Put a backup in place of the log (stop the server first). The current log "
        "and its -wal/-shm files are kept beside it, renamed *.damaged-<time>.",
    )
    parser.add_argument(
        "--from", dest="backup", type=Path, required=True, metavar="FILE", help="the backup file"
    )
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="the log to replace")
    return parser


def parse_restore_args(argv: list[str]) -> argparse.Namespace:
    return build_restore_parser().parse_args(argv)


def restore_command(argv: list[str]) -> int:
    args = parse_restore_args(argv)
    try:
        done = restore(args.backup.resolve(), args.db.resolve(), time.time())
    except RestoreRefused as refused:
        print(f"roomlive: restore refused: {refused}", file=sys.stderr, flush=True)
        return EXIT_RESTORE_REFUSED
    for aside in done.moved_aside:
        print(f"roomlive: kept the previous file as {aside}", flush=True)
    print(
        f"roomlive: restored {done.backup} (events up to {done.extent}) to {args.db.resolve()}; "
        "start the server as usual",
        flush=True,
    )
    return 0


def serve(argv: list[str]) -> int:
    if argv[:1] == ["restore"]:
        return restore_command(argv[1:])
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    args = parse_args(argv)
    db_path = args.db.resolve()
    backup_dir = args.backup_dir.resolve() if args.backup_dir else None
    refusal = why_not_start(db_path, backup_dir, args.accept_shorter_log)
    if refusal is not None:
        logging.getLogger(__name__).error("not started: %s", refusal)
        print(f"roomlive: NOT STARTED: {refusal}", file=sys.stderr, flush=True)
        return EXIT_LOG_NOT_FIT
    credentials = load_or_create_credentials(db_path.parent, args.join_code)
    hosts = lan_addresses() if args.host in ("0.0.0.0", "::") else [args.host]
    scheme = "https" if args.https else "http"
    urls = [f"{scheme}://{host}:{args.port}" for host in hosts or ["127.0.0.1"]]
    cert_file = key_file = None
    if args.https:
        cert_file, key_file = ensure_certificate(db_path.parent, hosts)
        print(f"roomlive: HTTPS certificate (trust it on each tablet): {cert_file}", flush=True)
    settings = Settings(
        db_path=db_path,
        credentials=credentials,
        base_url=urls[0],
        create_demo=not args.no_demo,
        test_clock=args.test_clock,
        test_wall_offset=args.test_wall_offset if args.test_clock else 0.0,
        button_offline_after=args.button_offline_after,
        button_checkin_after=args.button_checkin_after or None,
        backup_dir=backup_dir,
        default_timezone=server_time_zone(),
        allowed_hosts=allowed_hosts(hosts, args.allow_host),
    )
    if args.test_clock:
        print("roomlive: TEST CLOCK ON: anyone can move this server's clock; never use in a room")
    print(f"roomlive: open on a tablet: {'  '.join(urls)}", flush=True)
    print(f"roomlive: facilitator join code: {credentials.join_code}", flush=True)
    print(f"roomlive: event log: {db_path}", flush=True)
    files_were, files = raise_open_file_limit()
    backlog, total = plan_connections(files, args.max_connections)
    gate = Gate(
        per_address=args.max_connections_per_address,
        total=total,
        exempt=PROXY_ADDRESSES if args.behind_proxy else frozenset(),
    )
    print(
        f"roomlive: connections: at most {gate.per_address} per address and {gate.total} in all;"
        f" open-file limit {files_were}" + (f", raised to {files}" if files != files_were else ""),
        flush=True,
    )
    http_protocol, ws_protocol = guarded_protocols(gate)
    if backup_dir is not None:
        print(f"roomlive: backups: {backup_dir}", flush=True)
    config = uvicorn.Config(
        create_app(settings),
        host=args.host,
        port=args.port,
        http=http_protocol,
        ws=ws_protocol,
        backlog=backlog,
        ws_max_size=WS_MAX_SIZE_BYTES,
        ws_per_message_deflate=False,
        ws_ping_interval=WS_PING_SECONDS,
        ws_ping_timeout=WS_PING_SECONDS,
        access_log=False,
        # Off unless asked: otherwise any local process could name its own address and slip
        # past the join throttle by changing X-Forwarded-For on every guess.
        proxy_headers=args.behind_proxy,
        log_level="info",
        ssl_certfile=cert_file,
        ssl_keyfile=key_file,
    )
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(RedactTokens())
    logging.getLogger("asyncio").addFilter(QuietAcceptErrors())
    # A worker thread folding a long log holds the GIL for up to the switch interval each time
    # the event loop asks for it back: 1 ms instead of Python's 5 keeps taps moving meanwhile.
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    uvicorn.Server(config).run()
    return 0


def at_least_one(text: str) -> int:
    """A count of connections: a whole number, 1 or more."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return number


def allowed_hosts(addresses: list[str], extra: list[str]) -> tuple[str, ...]:
    """Host names a browser may use to reach us; others are refused (DNS-rebinding guard)."""
    name = socket.gethostname()
    return tuple(
        dict.fromkeys([*addresses, "127.0.0.1", "localhost", "::1", name, f"{name}.local", *extra])
    )


def server_time_zone() -> str:
    """This machine's IANA time zone name (TZ, /etc/timezone or /etc/localtime), else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    with contextlib.suppress(OSError):
        candidates.append(str(Path("/etc/localtime").readlink()).split("zoneinfo/")[-1])
    return next((name for name in candidates if name and is_time_zone(name)), "UTC")


def main() -> None:
    sys.exit(serve(sys.argv[1:]))
