"""The addresses a tablet on the room's network can reach this server at."""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import socket
import struct

SIOCGIFADDR = 0x8915
IFNAMSIZ = 16


def lan_addresses() -> list[str]:
    """IPv4 addresses of this machine other than loopback, found without sending anything."""
    found: set[str] = set()
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    found.update(_interface_addresses())
    return sorted(a for a in found if not ipaddress.ip_address(a).is_loopback)


def _interface_addresses() -> set[str]:
    found: set[str] = set()
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[: IFNAMSIZ - 1])
            with contextlib.suppress(OSError):
                reply = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
                found.add(socket.inet_ntoa(reply[20:24]))
    return found
