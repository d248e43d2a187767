"""Dispatch tables: which decoder reads the next layer, by link type, EtherType, IP protocol or port.

The decode loop (:mod:`analyzer.decode.packet`) is the only user; decoders return a table name and a key.
Every entry is written out here (no import-time registration): reading this file tells what is decoded.
"""

from __future__ import annotations

from typing import Any

from analyzer.decode.arp import decode_arp
from analyzer.decode.dns import decode_dns, decode_dns_tcp, decode_llmnr, decode_mdns
from analyzer.decode.icmp import decode_icmp, decode_icmpv6
from analyzer.decode.ipv4 import decode_ipv4
from analyzer.decode.ipv6 import decode_dstopts, decode_fraghdr, decode_hopopts, decode_ipv6, decode_routing
from analyzer.decode.link import (
    decode_eth,
    decode_ieee8021ad,
    decode_null,
    decode_raw,
    decode_sll,
    decode_sll2,
    decode_vlan,
)
from analyzer.decode.quic import decode_quic, decode_quic_heuristic
from analyzer.decode.tcp import decode_tcp
from analyzer.decode.udp import decode_udp

# LINKTYPE_* values of pcap/pcapng (https://www.tcpdump.org/linktypes.html) -> first decoder.
LINKTYPES: dict[int, Any] = {
    0: decode_null,      # LINKTYPE_NULL: BSD loopback, address family in host byte order
    1: decode_eth,       # LINKTYPE_ETHERNET
    12: decode_raw,      # DLT_RAW as written on most platforms; tshark reads it as raw IP
    14: decode_raw,      # DLT_RAW as written on OpenBSD
    101: decode_raw,     # LINKTYPE_RAW: IPv4 or IPv6 by version nibble
    113: decode_sll,     # LINKTYPE_LINUX_SLL
    228: decode_ipv4,    # LINKTYPE_IPV4
    229: decode_ipv6,    # LINKTYPE_IPV6
    276: decode_sll2,    # LINKTYPE_LINUX_SLL2
}

TABLES: dict[str, dict[Any, Any]] = {
    # EtherType -> decoder
    "ethertype": {
        0x0800: decode_ipv4,
        0x0806: decode_arp,
        0x8035: decode_arp,        # RARP: same message format, shown as arp by tshark
        0x8100: decode_vlan,       # IEEE 802.1Q
        0x86DD: decode_ipv6,
        0x88A8: decode_ieee8021ad,  # IEEE 802.1ad S-tag
        0x9100: decode_vlan,       # old Q-in-Q EtherType (Wireshark's default "vlan.qinq_ethertype")
    },
    # IP protocol number / IPv6 next header -> decoder
    "ip.proto": {
        0: decode_hopopts,
        1: decode_icmp,
        4: decode_ipv4,            # IPv4 in IP
        6: decode_tcp,
        17: decode_udp,
        41: decode_ipv6,           # IPv6 in IP
        43: decode_routing,
        44: decode_fraghdr,
        58: decode_icmpv6,
        60: decode_dstopts,
    },
    # UDP port -> application decoder (DNS on 53, QUIC 443, mDNS 5353, LLMNR 5355)
    "udp.port": {
        53: decode_dns,
        443: decode_quic,          # QUIC (HTTP/3): a datagram that is not QUIC stays UDP
        5353: decode_mdns,         # multicast DNS: dns.* fields, layer "mdns"
        5355: decode_llmnr,        # link-local multicast name resolution: dns.* fields, layer "llmnr"
    },
    # TCP port -> application decoder for whole messages in one segment
    "tcp.port": {
        53: decode_dns_tcp,        # whole length-prefixed messages; split ones come from reassembly
    },
    # Linux cooked capture protocol type (<= 1536: ARPHRD-specific, e.g. 0x0004 802.2 LLC) -> decoder
    "sll.ltype": {},
    # BSD loopback address family -> decoder
    "null.family": {
        2: decode_ipv4,            # AF_INET everywhere
        10: decode_ipv6,           # AF_INET6 on Linux
        24: decode_ipv6,           # AF_INET6 on NetBSD, OpenBSD, BSD/OS
        28: decode_ipv6,           # AF_INET6 on FreeBSD, DragonFly BSD
        30: decode_ipv6,           # AF_INET6 on macOS
    },
}

# A table's heuristic decoder, run when no entry of the table matches the key (it adds nothing when it declines):
# tshark's heuristic dissectors, which run after its port registrations.
HEURISTICS: dict[str, Any] = {
    "udp.port": decode_quic_heuristic,     # QUIC on any port: a long header of a known version, IDs <= 20 bytes
}
