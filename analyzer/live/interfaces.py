"""The machine's network interfaces as a capture sees them: name, index, link type, loopback or not.

Read from ``/sys/class/net`` (Linux) with ``socket.if_nameindex()`` as the fallback, so listing needs no
privilege and no capture library.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

# Linux ARPHRD_* (include/uapi/linux/if_arp.h) -> pcap LINKTYPE_* (as libpcap's pcap-linux.c maps them)
ARPHRD_ETHER = 1
ARPHRD_LOOPBACK = 772
ARPHRD_NONE = 65534
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
ARPHRD_TO_LINKTYPE = {
    ARPHRD_ETHER: LINKTYPE_ETHERNET,
    ARPHRD_LOOPBACK: LINKTYPE_ETHERNET,   # lo frames carry an all-zero Ethernet header
    ARPHRD_NONE: LINKTYPE_RAW,            # tun, wireguard: the packet starts at the IP header
    776: LINKTYPE_RAW,                    # ARPHRD_SIT (IPv6-in-IPv4)
    778: LINKTYPE_RAW,                    # ARPHRD_IPGRE
}
LINKTYPE_NAMES = {LINKTYPE_ETHERNET: "EN10MB (Ethernet)", LINKTYPE_RAW: "RAW (Raw IP)"}
IFF_UP = 0x1
IFF_LOOPBACK = 0x8
_SYS = "/sys/class/net"


@dataclass(frozen=True)
class Interface:
    name: str
    index: int
    arphrd: int | None
    flags: int

    @property
    def loopback(self) -> bool:
        return bool(self.flags & IFF_LOOPBACK) or self.arphrd == ARPHRD_LOOPBACK

    @property
    def up(self) -> bool:
        return bool(self.flags & IFF_UP)

    @property
    def linktype(self) -> int | None:
        """The pcap link type a capture on this interface writes, or None when we cannot capture it."""
        return ARPHRD_TO_LINKTYPE.get(self.arphrd) if self.arphrd is not None else LINKTYPE_ETHERNET


def _read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            return int(f.read().strip(), 0)
    except (OSError, ValueError):
        return None


def list_interfaces() -> list[Interface]:
    """Every interface of this network namespace, in index order."""
    found = []
    try:
        pairs = socket.if_nameindex()
    except OSError:
        pairs = []
    for index, name in pairs:
        base = os.path.join(_SYS, name)
        arphrd = _read_int(os.path.join(base, "type"))
        flags = _read_int(os.path.join(base, "flags"))
        if flags is None:
            flags = IFF_LOOPBACK | IFF_UP if name == "lo" else 0
        found.append(Interface(name, index, arphrd, flags))
    return sorted(found, key=lambda i: i.index)


def find_interface(name: str) -> Interface | None:
    return next((i for i in list_interfaces() if i.name == name), None)


def interface_names() -> list[str]:
    return [i.name for i in list_interfaces()]
