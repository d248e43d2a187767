"""``-V``: each frame's layers as an indented tree, like ``tshark -V``, annotated for a learner.

Theory of operation
-------------------
A frame renders as one block: per layer a title line (``Internet Protocol Version 4, Src: ..., Dst: ...``)
and one line per field, ``label: value``, labels being Wireshark's where we know them (else the field
name). Some fields get an explanation on the line below, in brackets as Wireshark shows generated
information::

    Source Address: 10.1.1.13
        [Class A; private network (RFC 1918: 10.0.0.0/8)]
    Destination Port: 80
        [Well-known port (0-1023); service: http]

- IPv4 addresses: the historical class (A-E) and the special range (private RFC 1918, loopback, link-local,
  multicast, broadcast, documentation, CGN shared space, ...) or "public".
- IPv6 addresses: the kind and the scope (link-local, unique local, global, multicast scope, ...).
- MAC addresses: unicast/multicast/broadcast and globally unique vs locally administered.
- ports: the range (well-known 0-1023, registered 1024-49151, dynamic 49152-65535) and service name.
- TCP flags spelled out bit by bit, checksum status, DNS queries and records grouped as sections.
- the packet's notes (bad checksum, ...) as ``[Expert Info (Warning): ...]`` lines under their layer, and a
  decode failure as ``[Malformed Packet: ...]`` or ``[Packet size limited during capture: ...]``.

Every line goes through :func:`analyzer.report.safe.visible` before it is returned.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import Any

from analyzer.decode.packet import Layer, Packet
from analyzer.decode.protocols import frame_protocols
from analyzer.report import http2_tree
from analyzer.report.safe import visible
from analyzer.report.summary import (
    ARP_OPCODES,
    DNS_OPCODES,
    DNS_RCODES,
    DNS_TYPES,
    ICMP_TYPES,
    ICMPV6_TYPES,
    IP_PROTOCOLS,
    app_protocol,
    as_int,
    as_list,
    tcp_flags_text,
)

INDENT = "    "

# ---------------------------------------------------------------------------------------------------------
# Annotations
# ---------------------------------------------------------------------------------------------------------

# Special IPv4 ranges, most specific first (RFC 6890 registry and the RFCs named).
_IPV4_RANGES = [(ipaddress.IPv4Network(net), text) for net, text in (
    ("0.0.0.0/32", "unspecified address (\"this host\", used before a host has an address)"),
    ("255.255.255.255/32", "limited broadcast (every host on this link, never routed)"),
    ("224.0.0.1/32", "multicast: all hosts on this link"),
    ("224.0.0.2/32", "multicast: all routers on this link"),
    ("224.0.0.251/32", "multicast: mDNS (RFC 6762)"),
    ("224.0.0.252/32", "multicast: LLMNR (RFC 4795)"),
    ("239.255.255.250/32", "multicast: SSDP / UPnP"),
    ("0.0.0.0/8", "\"this network\" (RFC 791), not a valid destination"),
    ("10.0.0.0/8", "private network (RFC 1918: 10.0.0.0/8), not routed on the Internet"),
    ("100.64.0.0/10", "shared address space for carrier-grade NAT (RFC 6598: 100.64.0.0/10)"),
    ("127.0.0.0/8", "loopback (127.0.0.0/8): never leaves the host"),
    ("169.254.0.0/16", "link-local (RFC 3927: 169.254.0.0/16), self-assigned, not routed"),
    ("172.16.0.0/12", "private network (RFC 1918: 172.16.0.0/12), not routed on the Internet"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890: 192.0.0.0/24)"),
    ("192.0.2.0/24", "documentation range TEST-NET-1 (RFC 5737: 192.0.2.0/24)"),
    ("192.88.99.0/24", "6to4 relay anycast (deprecated, RFC 7526)"),
    ("192.168.0.0/16", "private network (RFC 1918: 192.168.0.0/16), not routed on the Internet"),
    ("198.18.0.0/15", "benchmarking (RFC 2544: 198.18.0.0/15)"),
    ("198.51.100.0/24", "documentation range TEST-NET-2 (RFC 5737: 198.51.100.0/24)"),
    ("203.0.113.0/24", "documentation range TEST-NET-3 (RFC 5737: 203.0.113.0/24)"),
    ("224.0.0.0/24", "multicast, local network control block (224.0.0.0/24, never forwarded)"),
    ("224.0.0.0/4", "multicast (RFC 5771: 224.0.0.0/4)"),
    ("240.0.0.0/4", "reserved for future use (RFC 1112: 240.0.0.0/4)"),
)]


def ipv4_class(addr: str) -> str:
    """The historical class of an IPv4 address, from its first octet (classful addressing, pre-CIDR)."""
    first = int(addr.split(".", 1)[0])
    if first < 128:
        return "A"
    if first < 192:
        return "B"
    if first < 224:
        return "C"
    if first < 240:
        return "D"
    return "E"


def ipv4_note(addr: str) -> str:
    """``Class A; private network (RFC 1918: 10.0.0.0/8), ...`` for an IPv4 address text."""
    try:
        ip = ipaddress.IPv4Address(addr)
    except ValueError:
        return ""
    cls = ipv4_class(addr)
    kind = "public (globally routable)"
    for net, text in _IPV4_RANGES:
        if ip in net:
            kind = text
            break
    suffix = {"D": " (multicast)", "E": " (reserved)"}.get(cls, "")
    return f"Class {cls}{suffix}; {kind}"


_IPV6_RANGES = [(ipaddress.IPv6Network(net), text) for net, text in (
    ("::/128", "unspecified address"),
    ("::1/128", "loopback; scope: host"),
    ("ff02::1/128", "multicast: all nodes on this link; scope: link-local"),
    ("ff02::2/128", "multicast: all routers on this link; scope: link-local"),
    ("ff02::16/128", "multicast: MLDv2-capable routers; scope: link-local"),
    ("ff02::fb/128", "multicast: mDNS (RFC 6762); scope: link-local"),
    ("ff02::1:3/128", "multicast: LLMNR (RFC 4795); scope: link-local"),
    ("ff02::1:ff00:0/104", "multicast: solicited-node address (neighbor discovery); scope: link-local"),
    ("::ffff:0:0/96", "IPv4-mapped address (RFC 4291)"),
    ("64:ff9b::/96", "NAT64 well-known prefix (RFC 6052)"),
    ("2001:db8::/32", "documentation range (RFC 3849: 2001:db8::/32)"),
    ("2001::/32", "Teredo tunneling (RFC 4380); scope: global"),
    ("2002::/16", "6to4 (RFC 3056); scope: global"),
    ("fe80::/10", "link-local unicast (fe80::/10); scope: link-local, never routed"),
    ("fec0::/10", "site-local unicast (deprecated, RFC 3879)"),
    ("fc00::/7", "unique local address (RFC 4193: fc00::/7), private, not routed on the Internet"),
    ("2000::/3", "global unicast (2000::/3); scope: global"),
)]
_MULTICAST_SCOPES = {1: "interface-local", 2: "link-local", 3: "realm-local", 4: "admin-local",
                     5: "site-local", 8: "organization-local", 0xE: "global"}


def ipv6_note(addr: str) -> str:
    """Kind and scope of an IPv6 address text: ``link-local unicast (fe80::/10); scope: link-local``."""
    try:
        ip = ipaddress.IPv6Address(addr)
    except ValueError:
        return ""
    for net, text in _IPV6_RANGES:
        if ip in net:
            return text[0].upper() + text[1:]
    if ip.is_multicast:
        scope = ip.packed[1] & 0x0F
        return f"Multicast; scope: {_MULTICAST_SCOPES.get(scope, f'reserved ({scope})')}"
    return "Reserved or unassigned IPv6 range"


SERVICES = {
    20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "domain", 67: "bootps",
    68: "bootpc", 69: "tftp", 80: "http", 88: "kerberos", 110: "pop3", 119: "nntp", 123: "ntp",
    137: "netbios-ns", 138: "netbios-dgm", 139: "netbios-ssn", 143: "imap", 161: "snmp", 162: "snmptrap",
    179: "bgp", 389: "ldap", 443: "https", 445: "microsoft-ds", 465: "submissions", 500: "isakmp",
    514: "syslog", 520: "router", 521: "ripng", 546: "dhcpv6-client", 547: "dhcpv6-server",
    587: "submission", 631: "ipp", 636: "ldaps", 853: "domain-s", 873: "rsync", 993: "imaps",
    995: "pop3s", 1080: "socks", 1194: "openvpn", 1433: "ms-sql-s", 1723: "pptp", 1812: "radius",
    1900: "ssdp", 2049: "nfs", 3128: "squid-http", 3306: "mysql", 3389: "ms-wbt-server (RDP)",
    3478: "stun", 4500: "ipsec-nat-t", 5060: "sip", 5061: "sips", 5222: "xmpp-client",
    5353: "mdns", 5355: "llmnr", 5432: "postgresql", 5900: "vnc", 6379: "redis", 6443: "kubernetes-api",
    8000: "http-alt (irdmi)", 8080: "http-alt", 8443: "https-alt", 9418: "git", 27017: "mongodb",
}


def port_range(port: int) -> str:
    if port <= 1023:
        return "Well-known port (0-1023)"
    if port <= 49151:
        return "Registered port (1024-49151)"
    return "Dynamic/ephemeral port (49152-65535)"


def port_note(port: int) -> str:
    """``Well-known port (0-1023); service: http`` (the service only when the built-in table knows it)."""
    note = port_range(port)
    service = SERVICES.get(port)
    return f"{note}; service: {service}" if service else note


def mac_note(mac: str) -> str:
    """What a MAC address's first octet says: unicast/multicast/broadcast, global/local."""
    try:
        first = int(mac[:2], 16)
    except ValueError:
        return ""
    if mac.lower() == "ff:ff:ff:ff:ff:ff":
        return "Broadcast (every station on the link)"
    if first & 1:
        low = mac.lower()
        if low.startswith("01:00:5e"):
            return "Multicast (group) address: IPv4 multicast mapping 01:00:5e"
        if low.startswith("33:33"):
            return "Multicast (group) address: IPv6 multicast mapping 33:33"
        if low.startswith("01:80:c2:00:00"):
            return "Multicast (group) address: IEEE 802.1 link-local (STP, LLDP, ...)"
        return "Multicast (group) address"
    if first & 2:
        return "Unicast; locally administered (not the factory address)"
    return f"Unicast; globally unique (factory-assigned, vendor OUI {mac[:8]})"


CHECKSUM_STATUS = {0: "Bad", 1: "Good", 2: "Unverified", 3: "Not present", 4: "Illegal"}

ETHERTYPES = {
    0x0800: "IPv4", 0x0806: "ARP", 0x8035: "RARP", 0x86DD: "IPv6", 0x8100: "802.1Q Virtual LAN",
    0x88A8: "802.1ad Provider Bridge (Q-in-Q)", 0x88CC: "LLDP", 0x8863: "PPPoE Discovery",
    0x8864: "PPPoE Session", 0x888E: "802.1X Authentication", 0x8847: "MPLS unicast", 0x88E5: "MACsec",
    0x0842: "Wake-on-LAN", 0x9000: "Loopback",
}

_TCP_OPTION_KINDS = {0: "End of Option List", 1: "No-Operation (NOP)", 2: "Maximum segment size",
                     3: "Window scale", 4: "SACK permitted", 5: "SACK", 8: "Timestamps", 30: "Multipath TCP",
                     34: "TCP Fast Open"}

# ---------------------------------------------------------------------------------------------------------
# Labels and value texts
# ---------------------------------------------------------------------------------------------------------

LABELS = {
    "eth.dst": "Destination", "eth.src": "Source", "eth.type": "Type", "eth.len": "Length",
    "eth.padding": "Padding", "eth.trailer": "Trailer", "eth.fcs": "Frame check sequence",
    "vlan.priority": "Priority", "vlan.dei": "DEI", "vlan.id": "ID", "vlan.etype": "Type",
    "vlan.len": "Length", "ieee8021ad.priority": "Priority", "ieee8021ad.dei": "DEI",
    "ieee8021ad.id": "ID", "ieee8021ad.etype": "Type",
    "sll.pkttype": "Packet type", "sll.hatype": "Link-layer address type",
    "sll.halen": "Link-layer address length", "sll.src.eth": "Source", "sll.ltype": "Protocol",
    "sll.etype": "Protocol", "sll.ifindex": "Interface index", "sll.unused": "Unused",
    "null.family": "Family",
    "arp.hw.type": "Hardware type", "arp.proto.type": "Protocol type", "arp.hw.size": "Hardware size",
    "arp.proto.size": "Protocol size", "arp.opcode": "Opcode", "arp.isgratuitous": "[Is gratuitous]",
    "arp.isannouncement": "[Is announcement]", "arp.isprobe": "[Is probe]",
    "arp.src.hw_mac": "Sender MAC address", "arp.src.proto_ipv4": "Sender IP address",
    "arp.dst.hw_mac": "Target MAC address", "arp.dst.proto_ipv4": "Target IP address",
    "ip.version": "Version", "ip.hdr_len": "Header Length", "ip.dsfield": "Differentiated Services Field",
    "ip.dsfield.dscp": "Differentiated Services Codepoint", "ip.dsfield.ecn": "Explicit Congestion Notification",
    "ip.len": "Total Length", "ip.id": "Identification", "ip.flags": "Flags", "ip.flags.rb": "Reserved bit",
    "ip.flags.df": "Don't fragment", "ip.flags.mf": "More fragments", "ip.frag_offset": "Fragment Offset",
    "ip.ttl": "Time to Live", "ip.proto": "Protocol", "ip.checksum": "Header Checksum",
    "ip.checksum.status": "[Header checksum status]", "ip.src": "Source Address",
    "ip.dst": "Destination Address", "ip.opt.type": "Option type", "ip.opt.len": "Option length",
    "ipv6.version": "Version", "ipv6.tclass": "Traffic Class", "ipv6.flow": "Flow Label",
    "ipv6.plen": "Payload Length", "ipv6.nxt": "Next Header", "ipv6.hlim": "Hop Limit",
    "ipv6.src": "Source Address", "ipv6.dst": "Destination Address",
    "icmp.type": "Type", "icmp.code": "Code", "icmp.checksum": "Checksum",
    "icmp.checksum.status": "[Checksum Status]", "icmp.ident": "Identifier",
    "icmp.seq": "Sequence Number (BE)", "icmp.seq_le": "Sequence Number (LE)",
    "icmpv6.type": "Type", "icmpv6.code": "Code", "icmpv6.checksum": "Checksum",
    "icmpv6.checksum.status": "[Checksum Status]", "icmpv6.echo.identifier": "Identifier",
    "icmpv6.echo.sequence_number": "Sequence", "icmpv6.nd.ns.target_address": "Target Address",
    "icmpv6.nd.na.target_address": "Target Address", "icmpv6.opt.linkaddr": "Link-layer address",
    "udp.srcport": "Source Port", "udp.dstport": "Destination Port", "udp.length": "Length",
    "udp.checksum": "Checksum", "udp.checksum.status": "[Checksum Status]", "udp.stream": "[Stream index]",
    "tcp.srcport": "Source Port", "tcp.dstport": "Destination Port", "tcp.stream": "[Stream index]",
    "tcp.len": "[TCP Segment Len]", "tcp.seq": "Sequence Number (relative)",
    "tcp.seq_raw": "Sequence Number (raw)", "tcp.nxtseq": "[Next Sequence Number (relative)]",
    "tcp.ack": "Acknowledgment Number (relative)", "tcp.ack_raw": "Acknowledgment number (raw)",
    "tcp.hdr_len": "Header Length", "tcp.flags": "Flags", "tcp.window_size_value": "Window",
    "tcp.window_size": "[Calculated window size]",
    "tcp.window_size_scalefactor": "[Window size scaling factor]", "tcp.checksum": "Checksum",
    "tcp.checksum.status": "[Checksum Status]", "tcp.urgent_pointer": "Urgent Pointer",
    "tcp.options.mss_val": "MSS Value", "tcp.options.wscale.shift": "Window scale shift count",
    "tcp.options.wscale.multiplier": "[Window scale multiplier]",
    "tcp.options.sack_perm": "SACK permitted", "tcp.options.timestamp.tsval": "Timestamp value",
    "tcp.options.timestamp.tsecr": "Timestamp echo reply", "tcp.options.sack_le": "SACK left edge",
    "tcp.options.sack_re": "SACK right edge", "tcp.option_kind": "Options (in order)",
    "tcp.options": "Options", "tcp.options.sack.count": "[Number of SACK blocks]",
    "tcp.analysis.bytes_in_flight": "[Bytes in flight]",
    "tcp.analysis.push_bytes_sent": "[Bytes sent since last PSH flag]", "tcp.analysis.acks_frame": "[This is an ACK to frame]",
    "tcp.analysis.ack_rtt": "[Round-trip time to ACK, seconds]",
    "tcp.analysis.initial_rtt": "[Initial round-trip time, seconds]",
    "tcp.time_relative": "[Time since first frame in this TCP stream, seconds]",
    "tcp.time_delta": "[Time since previous frame in this TCP stream, seconds]",
    "udp.time_relative": "[Time since first frame, seconds]", "udp.time_delta": "[Time since previous frame, seconds]",
    "tcp.analysis.flags": "[Sequence analysis flags]", "dns.count.labels": "[Name label count]",
    "dns.length": "Length (DNS over TCP)", "dns.qry.name.len": "[Name length]",
    "dns.id": "Transaction ID", "dns.flags": "Flags", "dns.flags.response": "Response",
    "dns.flags.opcode": "Opcode", "dns.flags.authoritative": "Authoritative",
    "dns.flags.truncated": "Truncated", "dns.flags.recdesired": "Recursion desired",
    "dns.flags.recavail": "Recursion available", "dns.flags.z": "Z (reserved)",
    "dns.flags.authenticated": "Answer authenticated", "dns.flags.checkdisable": "Non-authenticated data",
    "dns.flags.rcode": "Reply code", "dns.count.queries": "Questions", "dns.count.answers": "Answer RRs",
    "dns.count.auth_rr": "Authority RRs", "dns.count.add_rr": "Additional RRs",
}

# QUIC (analyzer.decode.quic), Wireshark's labels
LABELS.update({
    "quic.connection.number": "[Connection Number]", "quic.packet_length": "[Packet Length]", "quic.header_form": "Header Form", "quic.fixed_bit": "Fixed Bit",
    "quic.long.packet_type": "Packet Type", "quic.long.packet_type_v2": "Packet Type",
    "quic.long.reserved": "Reserved", "quic.packet_number_length": "Packet Number Length",
    "quic.version": "Version", "quic.dcil": "Destination Connection ID Length",
    "quic.dcid": "Destination Connection ID", "quic.scil": "Source Connection ID Length",
    "quic.scid": "Source Connection ID", "quic.token_length": "Token Length", "quic.token": "Token",
    "quic.length": "Length", "quic.packet_number": "Packet Number", "quic.payload": "Payload",
    "quic.remaining_payload": "Remaining Payload", "quic.short": "QUIC Short Header",
    "quic.spin_bit": "Spin Bit", "quic.frame_type": "Frame Type", "quic.padding_length": "Padding Length",
    "quic.crypto.offset": "CRYPTO Offset", "quic.crypto.length": "CRYPTO Length",
    "quic.ack.largest_acknowledged": "Largest Acknowledged", "quic.ack.ack_delay": "ACK Delay",
    "quic.ack.ack_range_count": "ACK Range Count", "quic.ack.first_ack_range": "First ACK Range",
    # opened with a key log (analyzer.apps.http3)
    "quic.short.reserved": "Reserved", "quic.key_phase": "Key Phase Bit", "quic.protected_payload": "Protected Payload",
    "quic.ack.gap": "Gap", "quic.ack.ack_range": "ACK Range", "quic.ack.ect0_count": "ECT(0) Count",
    "quic.ack.ect1_count": "ECT(1) Count", "quic.ack.ecn_ce_count": "ECN-CE Count",
    "quic.stream.fin": "Fin", "quic.stream.len": "Len(gth)", "quic.stream.off": "Off(set)",
    "quic.stream.stream_id": "Stream ID", "quic.stream.initiator": "Stream initiator",
    "quic.stream.direction": "Stream direction", "quic.stream.offset": "Offset", "quic.stream.length": "Length",
    "quic.stream_data": "Stream Data", "quic.rsts.stream_id": "Stream ID",
    "quic.rsts.application_error_code": "Application Error code", "quic.rsts.final_size": "Final Size",
    "quic.ss.stream_id": "Stream ID", "quic.ss.application_error_code": "Application Error code",
    "quic.nt.length": "(Token) Length", "quic.nt.token": "Token", "quic.md.maximum_data": "Maximum Data",
    "quic.msd.stream_id": "Stream ID", "quic.msd.maximum_stream_data": "Maximum Stream Data",
    "quic.ms.max_streams": "Max Streams", "quic.nci.sequence": "Sequence", "quic.nci.retire_prior_to": "Retire Prior To",
    "quic.nci.connection_id.length": "Connection ID Length", "quic.nci.connection_id": "Connection ID",
    "quic.nci.stateless_reset_token": "Stateless Reset Token", "quic.rci.sequence": "Sequence",
    "quic.path_challenge.data": "Data", "quic.path_response.data": "Data", "quic.cc.error_code": "Error code",
    "quic.cc.error_code.app": "Error code", "quic.cc.frame_type": "Frame Type",
    "quic.cc.reason_phrase.length": "Reason phrase Length", "quic.cc.reason_phrase": "Reason phrase",
    "quic.dg.length": "Datagram Length", "quic.dg": "Datagram",
})
# HTTP/3 (analyzer.apps.http3), Wireshark's labels
LABELS.update({
    "http3.stream_type": "Stream Type", "http3.frame_type": "Type", "http3.frame_length": "Length",
    "http3.frame_payload": "Frame Payload", "http3.settings.id": "Settings Identifier",
    "http3.settings.value": "Settings Value", "http3.settings.qpack.max_table_capacity": "Max Table Capacity",
    "http3.settings.qpack.blocked_streams": "Blocked Streams", "http3.settings.extended_connect": "Extended CONNECT",
    "http3.settings.max_field_section_size": "Max header list size",
})

_YES_NO = {"ip.flags.rb", "ip.flags.df", "ip.flags.mf", "dns.flags.authoritative", "dns.flags.truncated",
           "dns.flags.recdesired", "dns.flags.recavail", "dns.flags.authenticated",
           "dns.flags.checkdisable", "arp.isgratuitous", "arp.isannouncement", "arp.isprobe"}


def _named(table: dict[int, str], value: Any, hex_width: int = 0) -> str:
    number = as_int(value, -1)
    name = table.get(number, "Unknown")
    shown = value if hex_width == 0 else f"0x{number:0{hex_width}x}"
    return f"{name} ({shown})"


def _checksum_status(value: Any) -> str:
    if isinstance(value, str):
        return value
    return CHECKSUM_STATUS.get(as_int(value), str(value))


VALUE_TEXT: dict[str, Callable[[Any], str]] = {
    "eth.type": lambda v: _named(ETHERTYPES, v, 4), "vlan.etype": lambda v: _named(ETHERTYPES, v, 4),
    "ieee8021ad.etype": lambda v: _named(ETHERTYPES, v, 4), "sll.etype": lambda v: _named(ETHERTYPES, v, 4),
    "arp.proto.type": lambda v: _named(ETHERTYPES, v, 4), "arp.opcode": lambda v: _named(ARP_OPCODES, v),
    "arp.hw.type": lambda v: _named({1: "Ethernet", 6: "IEEE 802"}, v),
    "ip.proto": lambda v: _named(IP_PROTOCOLS, v), "ipv6.nxt": lambda v: _named(IP_PROTOCOLS, v),
    "ip.hdr_len": lambda v: f"{v} bytes ({as_int(v) // 4})", "ip.len": lambda v: f"{v} bytes",
    "ip.id": lambda v: f"{v} ({as_int(v)})", "ip.ttl": lambda v: f"{v} (hops left before the packet is dropped)",
    "ipv6.plen": lambda v: f"{v} bytes",
    "icmp.type": lambda v: f"{v} ({ICMP_TYPES.get(as_int(v), 'Unknown')})",
    "icmpv6.type": lambda v: f"{v} ({ICMPV6_TYPES.get(as_int(v), 'Unknown')})",
    "tcp.hdr_len": lambda v: f"{v} bytes ({as_int(v) // 4})",
    "tcp.window_size_scalefactor": lambda v: {-1: "-1 (unknown: the capture holds no SYN of this side)",
                                              -2: "-2 (no window scaling used)"}.get(as_int(v), str(v)),
    "tcp.flags": lambda v: f"{v} ({tcp_flags_text(as_int(v))})",
    "tcp.options.mss_val": lambda v: f"{v} bytes",
    "tcp.options": lambda v: f"({len(v) // 2 if isinstance(v, str) else len(v)} bytes)",
    "tcp.options.sack_perm": lambda v: "Set",
    "tcp.option_kind": lambda v: _named(_TCP_OPTION_KINDS, v),
    "dns.flags.response": lambda v: "Message is a response (1)" if as_int(v) else "Message is a query (0)",
    "dns.flags.opcode": lambda v: _named(DNS_OPCODES, v),
    "dns.flags.rcode": lambda v: _named({0: "No error", **DNS_RCODES}, v),
    "dns.qry.type": lambda v: _named(DNS_TYPES, v), "dns.resp.type": lambda v: _named(DNS_TYPES, v),
}
for _key in _YES_NO:
    VALUE_TEXT[_key] = lambda v: "Set (1)" if as_int(v) else "Not set (0)"
for _key in ("ip.checksum.status", "tcp.checksum.status", "udp.checksum.status", "icmp.checksum.status",
             "icmpv6.checksum.status"):
    VALUE_TEXT[_key] = _checksum_status


# QUIC (analyzer.decode.quic): values as Wireshark words them
VALUE_TEXT.update({
    "quic.header_form": lambda v: f"{'Long' if v else 'Short'} Header ({v})",
    "quic.long.packet_type": lambda v: f"{('Initial', '0-RTT', 'Handshake', 'Retry')[v]} ({v})",
    "quic.fixed_bit": lambda v: "True" if v else "False",
    "quic.spin_bit": lambda v: "True" if v else "False",
    "quic.key_phase": lambda v: "True" if v else "False",
    "quic.stream.fin": lambda v: "True" if v else "False",
    "quic.stream.len": lambda v: "True" if v else "False",
    "quic.stream.off": lambda v: "True" if v else "False",
    "quic.stream.initiator": lambda v: f"{'Server' if v else 'Client'}-initiated ({v})",
    "quic.stream.direction": lambda v: f"{'Unidirectional' if v else 'Bidirectional'} ({v})",
    "quic.version": lambda v: f"{int(v, 16)} ({v})" if int(v, 16) < 0x100 else str(v),
    "quic.packet_number_length": lambda v: f"{v + 1} bytes ({v})",
    "quic.frame_type": lambda v: f"{_QUIC_FRAMES.get(v, 'Unknown')} (0x{v:016x})",
    "http3.stream_type": lambda v: f"{_H3_STREAMS.get(v, 'Unknown')} (0x{v:016x})",
    "http3.frame_type": lambda v: f"{_H3_FRAMES.get(v, 'Unknown')} (0x{v:016x})",
})
_H3_STREAMS = {0: "Control Stream", 1: "Push Stream", 2: "QPACK Encoder Stream", 3: "QPACK Decoder Stream"}
_H3_FRAMES = {0: "DATA", 1: "HEADERS", 3: "CANCEL_PUSH", 4: "SETTINGS", 5: "PUSH_PROMISE", 7: "GOAWAY",
              0x0D: "MAX_PUSH_ID"}
_QUIC_FRAMES = {0: "PADDING", 1: "PING", 2: "ACK", 3: "ACK_ECN", 4: "RESET_STREAM", 5: "STOP_SENDING", 6: "CRYPTO",
                7: "NEW_TOKEN", **{t: "STREAM" for t in range(8, 16)}, 0x10: "MAX_DATA", 0x11: "MAX_STREAM_DATA",
                0x12: "MAX_STREAMS (BIDI)", 0x13: "MAX_STREAMS (UNI)", 0x14: "DATA_BLOCKED",
                0x15: "STREAM_DATA_BLOCKED", 0x16: "STREAMS_BLOCKED (BIDI)", 0x17: "STREAMS_BLOCKED (UNI)",
                0x18: "NEW_CONNECTION_ID", 0x19: "RETIRE_CONNECTION_ID", 0x1A: "PATH_CHALLENGE",
                0x1B: "PATH_RESPONSE", 0x1C: "CONNECTION_CLOSE (Transport)", 0x1D: "CONNECTION_CLOSE (Application)",
                0x1E: "HANDSHAKE_DONE", 0x30: "DATAGRAM", 0x31: "DATAGRAM"}

def value_text(key: str, value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(value_text(key, v) for v in value)
    fmt = VALUE_TEXT.get(key)
    if fmt is not None:
        try:
            return fmt(value)
        except (TypeError, ValueError):
            pass
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex(":") if value else "(empty)"
    return str(value)


def _note_for(key: str, value: Any) -> str:
    """The explanation line for a field, or ""."""
    if isinstance(value, list):
        return ""
    if key in ("ip.src", "ip.dst", "arp.src.proto_ipv4", "arp.dst.proto_ipv4"):
        return ipv4_note(str(value))
    if key in ("ipv6.src", "ipv6.dst", "icmpv6.nd.ns.target_address", "icmpv6.nd.na.target_address"):
        return ipv6_note(str(value))
    if key in ("eth.src", "eth.dst", "arp.src.hw_mac", "arp.dst.hw_mac", "sll.src.eth"):
        return mac_note(str(value))
    if key in ("tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"):
        return port_note(as_int(value))
    if key == "ip.ttl":
        return ""
    if key.endswith(".checksum.status") and _checksum_status(value) == "Bad":
        return "Checksum is wrong: corrupted, or computed later by the sending NIC (checksum offload)"
    return ""


# ---------------------------------------------------------------------------------------------------------
# Layer titles
# ---------------------------------------------------------------------------------------------------------

def _title(pkt: Packet, layer: Layer) -> str:
    f = layer.fields
    name = layer.name
    if name == "eth":
        return f"Ethernet II, Src: {f.get('eth.src', '?')}, Dst: {f.get('eth.dst', '?')}"
    if name == "vlan":
        return (f"802.1Q Virtual LAN, PRI: {f.get('vlan.priority', '?')}, DEI: {f.get('vlan.dei', '?')}, "
                f"ID: {f.get('vlan.id', '?')}")
    if name == "ieee8021ad":
        return f"IEEE 802.1ad, ID: {f.get('ieee8021ad.id', '?')}"
    if name == "sll":
        return "Linux cooked capture v2" if "sll.ifindex" in f else "Linux cooked capture v1"
    if name == "null":
        return "Null/Loopback"
    if name == "arp":
        op = as_int(f.get("arp.opcode"))
        kind = "Reverse Address Resolution Protocol" if op in (3, 4) else "Address Resolution Protocol"
        return f"{kind} ({ARP_OPCODES.get(op, f'opcode {op}')})"
    if name == "ip":
        return f"Internet Protocol Version 4, Src: {f.get('ip.src', '?')}, Dst: {f.get('ip.dst', '?')}"
    if name == "ipv6":
        return f"Internet Protocol Version 6, Src: {f.get('ipv6.src', '?')}, Dst: {f.get('ipv6.dst', '?')}"
    if name == "icmp":
        return "Internet Control Message Protocol"
    if name == "icmpv6":
        return "Internet Control Message Protocol v6"
    if name == "udp":
        return f"User Datagram Protocol, Src Port: {f.get('udp.srcport')}, Dst Port: {f.get('udp.dstport')}"
    if name == "tcp":
        title = (f"Transmission Control Protocol, Src Port: {f.get('tcp.srcport')}, "
                 f"Dst Port: {f.get('tcp.dstport')}, Seq: {f.get('tcp.seq', f.get('tcp.seq_raw'))}")
        if as_int(f.get("tcp.flags")) & 0x010:
            title += f", Ack: {f.get('tcp.ack', f.get('tcp.ack_raw'))}"
        return title + f", Len: {f.get('tcp.len')}"
    if name == "tls":
        return "Transport Layer Security"
    if name == "quic":
        return "QUIC IETF"
    if name == "http3":
        return "Hypertext Transfer Protocol Version 3"
    if name == "http2":
        return http2_tree.TITLE
    if name == "websocket":
        return "WebSocket"
    if name in ("dns", "mdns", "llmnr"):
        kind = "response" if as_int(f.get("dns.flags.response")) else "query"
        long_name = {"MDNS": "Multicast Domain Name System", "LLMNR": "Link-local Multicast Name Resolution"}
        return f"{long_name.get(app_protocol(pkt, name), 'Domain Name System')} ({kind})"
    return name


# ---------------------------------------------------------------------------------------------------------
# Special bodies: TCP flags, DNS sections
# ---------------------------------------------------------------------------------------------------------

_TCP_FLAG_BITS = (
    (0xE00, "Reserved"), (0x100, "Accurate ECN"), (0x080, "Congestion Window Reduced"),
    (0x040, "ECN-Echo"), (0x020, "Urgent"), (0x010, "Acknowledgment"), (0x008, "Push"),
    (0x004, "Reset"), (0x002, "Syn"), (0x001, "Fin"),
)
_TCP_FLAG_MEANING = {
    0x020: "the urgent pointer is valid", 0x010: "the acknowledgment number is valid",
    0x008: "deliver the data to the application now", 0x004: "abort the connection",
    0x002: "synchronize sequence numbers: opening a connection", 0x001: "no more data from the sender",
}


def _bits(flags: int, mask: int, width: int = 12) -> str:
    """``.... ..1. ....`` for the bits of ``mask`` in a ``width``-bit value, in nibbles."""
    chars = []
    for bit in range(width - 1, -1, -1):
        chars.append(("1" if flags >> bit & 1 else "0") if mask >> bit & 1 else ".")
    text = "".join(chars)
    return " ".join(text[i:i + 4] for i in range(0, width, 4))


def _tcp_flag_lines(value: Any) -> list[str]:
    flags = as_int(value)
    lines = []
    for mask, name in _TCP_FLAG_BITS:
        state = "Set" if flags & mask else "Not set"
        line = f"{_bits(flags, mask)} = {name}: {state}"
        if flags & mask and mask in _TCP_FLAG_MEANING:
            line += f" ({_TCP_FLAG_MEANING[mask]})"
        lines.append(line)
    shown = "".join(c if flags & (1 << (8 - i)) else "\u00b7" for i, c in enumerate("ACEUAPRSF"))
    lines.append(f"[TCP Flags: \u00b7\u00b7\u00b7{shown}]")
    return lines


_RR_DATA_FIELDS = {
    1: ("dns.a",), 28: ("dns.aaaa",), 5: ("dns.cname",), 2: ("dns.ns",), 12: ("dns.ptr.domain_name",),
    15: ("dns.mx.preference", "dns.mx.mail_exchange"), 16: ("dns.txt",),
    6: ("dns.soa.mname", "dns.soa.rname", "dns.soa.serial_number", "dns.soa.refresh_interval",
        "dns.soa.retry_interval", "dns.soa.expire_limit", "dns.soa.minimum_ttl"),
    33: ("dns.srv.priority", "dns.srv.weight", "dns.srv.port", "dns.srv.target"),
}
_DNS_SECTIONS = (("dns.count.answers", "Answers"), ("dns.count.auth_rr", "Authoritative nameservers"),
                 ("dns.count.add_rr", "Additional records"))


def _dns_lines(layer: Layer) -> list[str]:
    """The DNS header fields, then Queries / Answers / Authority / Additional as Wireshark groups them."""
    f = layer.fields
    lines = []
    header = [(k, v) for k, v in f.items()
              if k in LABELS or not k.startswith(("dns.qry.", "dns.resp.", "dns.a", "dns.cname", "dns.ns",
                                                  "dns.ptr", "dns.mx", "dns.txt", "dns.soa", "dns.srv",
                                                  "dns.opt", "dns.rr", "dns.hinfo", "dns.nsec", "dns.data"))]
    for depth, key, value in _nested(header):
        lines.append(f"{INDENT * depth}{LABELS.get(key, key)}: {value_text(key, value)}")
    names, types = as_list(f.get("dns.qry.name")), as_list(f.get("dns.qry.type"))
    classes = as_list(f.get("dns.qry.class"))
    if names:
        lines.append("Queries")
        for i, name in enumerate(names):
            qtype = types[i] if i < len(types) else None
            qclass = classes[i] if i < len(classes) else None
            text = f"{name}: type {DNS_TYPES.get(as_int(qtype), qtype)}"
            if qclass is not None:
                text += f", class {'IN' if as_int(qclass) == 1 else qclass}"
            lines.append(INDENT + text)
    rr_names, rr_types = as_list(f.get("dns.resp.name")), as_list(f.get("dns.resp.type"))
    ttls = as_list(f.get("dns.resp.ttl"))
    taken: dict[str, int] = {}

    def take(key: str) -> Any:
        vals = as_list(f.get(key))
        i = taken.get(key, 0)
        taken[key] = i + 1
        return vals[i] if i < len(vals) else None

    index = 0
    for count_key, title in _DNS_SECTIONS:
        count = as_int(f.get(count_key))
        if not count or index >= len(rr_names):
            continue
        lines.append(title)
        for _ in range(count):
            if index >= len(rr_names):
                break
            rtype = as_int(rr_types[index]) if index < len(rr_types) else -1
            text = f"{rr_names[index]}: type {DNS_TYPES.get(rtype, rtype)}"
            if index < len(ttls):
                text += f", TTL {ttls[index]}"
            data = [take(key) for key in _RR_DATA_FIELDS.get(rtype, ())]
            data = [str(d) for d in data if d is not None]
            if data:
                text += ", " + " ".join(data)
            lines.append(INDENT + text)
            index += 1
    return lines


# ---------------------------------------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------------------------------------

def _frame_lines(pkt: Packet, tree: Tree) -> list[str]:
    frame = pkt.frame
    ts = frame.ts_ns
    secs, ns = divmod(ts, 1_000_000_000)
    arrival = time.strftime("%b %d, %Y %H:%M:%S", time.gmtime(secs)) + f".{ns:09d} UTC"
    t0 = tree.t0_ns if tree.t0_ns is not None else ts
    prev = tree.prev_ns if tree.prev_ns is not None else ts         # the previous frame shown
    captured = tree.times.get(frame.number - 1) if tree.times is not None else None
    prev_captured = prev if tree.times is None else (captured if captured is not None else ts)
    wire, captured = frame.origlen, frame.caplen
    title = (f"Frame {frame.number}: {wire} bytes on wire ({wire * 8} bits), {captured} bytes captured "
             f"({captured * 8} bits)" + (f" on interface {frame.iface}" if frame.iface is not None else ""))
    lines = []
    if frame.comments:      # pcapng packet comments, above the frame as tshark shows them
        lines.append("Packet comments")
        lines.extend(f"{INDENT}{visible(comment)}" for comment in frame.comments)
    lines += [title,
             f"{INDENT}Encapsulation type: {LINKTYPES.get(frame.linktype, 'Unknown')} ({frame.linktype})",
             f"{INDENT}Arrival Time: {arrival}",
             f"{INDENT}Epoch Time: {secs}.{ns:09d} seconds",
             f"{INDENT}[Time delta from previous captured frame: {_seconds(ts - prev_captured)} seconds]",
             f"{INDENT}[Time delta from previous displayed frame: {_seconds(ts - prev)} seconds]",
             f"{INDENT}[Time since reference or first frame: {_seconds(ts - t0)} seconds]",
             f"{INDENT}Frame Number: {frame.number}",
             f"{INDENT}Frame Length: {wire} bytes ({wire * 8} bits)",
             f"{INDENT}Capture Length: {captured} bytes ({captured * 8} bits)"]
    if captured < wire:
        lines.append(f"{INDENT}[The capture kept only the first {captured} of {wire} bytes (snap length)]")
    lines.append(f"{INDENT}[Protocols in frame: {frame_protocols(pkt)}]")
    return lines


def _seconds(delta_ns: int) -> str:
    sign = "-" if delta_ns < 0 else ""
    secs, ns = divmod(abs(delta_ns), 1_000_000_000)
    return f"{sign}{secs}.{ns:09d}"


LINKTYPES = {0: "NULL/Loopback", 1: "Ethernet", 12: "Raw IP", 101: "Raw IP", 113: "Linux cooked-mode capture v1",
             228: "Raw IPv4", 229: "Raw IPv6", 276: "Linux cooked-mode capture v2"}
_SEVERITY = {"error": "Error", "warning": "Warning", "note": "Note", "chat": "Chat"}


class Tree:
    """Per-capture state for ``-V`` (first and previous frame times); :meth:`render` one packet."""

    def __init__(self, times: dict[int, int] | None = None) -> None:
        self.t0_ns: int | None = None       # the capture's first frame (set by the caller under -Y)
        self.prev_ns: int | None = None     # the previous frame shown
        # frame number -> time of the frames read lately, when not every frame is shown (-Y): the previous
        # captured frame's time comes from there
        self.times = times

    def render(self, pkt: Packet) -> str:
        """The frame's tree as lines joined by newlines (no trailing newline), safe to print."""
        lines = _frame_lines(pkt, self)
        if self.t0_ns is None:
            self.t0_ns = pkt.frame.ts_ns
        self.prev_ns = pkt.frame.ts_ns
        notes: dict[str, list[tuple[str, str]]] = {}
        for layer_name, severity, text in pkt.notes:
            notes.setdefault(layer_name, []).append((severity, text))
        for layer in pkt.layers:
            if layer.name == "frame":
                continue
            lines.append(_title(pkt, layer))
            lines.extend(INDENT + line for line in layer_lines(layer))
            for severity, text in notes.pop(layer.name, ()):
                lines.append(f"{INDENT}[Expert Info ({_SEVERITY.get(severity, severity)}): {text}]")
        for layer_name, entries in notes.items():  # notes for a layer that did not make it into the tree
            for severity, text in entries:
                lines.append(f"[Expert Info ({_SEVERITY.get(severity, severity)}, {layer_name}): {text}]")
        failure = pkt.failure
        if failure is not None:
            name = app_protocol(pkt, failure.layer)
            if pkt.frame.caplen < pkt.frame.origlen:
                lines.append(f"[Packet size limited during capture: {name} truncated]")
                lines.append(f"{INDENT}[Expert Info (Warning): {failure.reason} "
                             f"(offset {failure.offset}); the capture kept {pkt.frame.caplen} of "
                             f"{pkt.frame.origlen} bytes]")
            else:
                lines.append(f"[Malformed Packet: {name}]")
                lines.append(f"{INDENT}[Expert Info (Error/Malformed): {failure.reason} "
                             f"(offset {failure.offset})]")
        return "\n".join(visible(line) for line in lines)


# TCP fields in Wireshark's tree order; the TCP analysis adds its fields to the layer after decoding.
_TCP_ORDER = {key: i for i, key in enumerate((
    "tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.len", "tcp.seq", "tcp.seq_raw", "tcp.nxtseq", "tcp.ack",
    "tcp.ack_raw", "tcp.hdr_len", "tcp.flags", "tcp.window_size_value", "tcp.window_size",
    "tcp.window_size_scalefactor", "tcp.checksum", "tcp.checksum.status", "tcp.urgent_pointer"))}
# the SEQ/ACK analysis fields first, in Wireshark's order; the other analysis fields (the flags) after them
_ANALYSIS_ORDER = {key: i for i, key in enumerate((
    "tcp.analysis.acks_frame", "tcp.analysis.ack_rtt", "tcp.analysis.initial_rtt", "tcp.analysis.bytes_in_flight",
    "tcp.analysis.push_bytes_sent"))}
_SKIPPED = frozenset(("ip.addr", "ipv6.addr", "tcp.port", "udp.port", "eth.addr", "tcp.option_len"))


def _ordered(layer: Layer) -> list[tuple[str, Any]]:
    items = list(layer.fields.items())
    if layer.name == "tcp":
        last = len(_TCP_ORDER)
        items.sort(key=lambda kv: _TCP_ORDER.get(kv[0], last + 1 + _ANALYSIS_ORDER.get(kv[0], len(_ANALYSIS_ORDER))
                                                if kv[0].startswith("tcp.analysis.") else last))
    return items


def _nested(items: list[tuple[str, Any]]) -> list[tuple[int, str, Any]]:
    """(depth, key, value): a field is shown under the field whose name prefixes it (ip.flags.df under
    ip.flags), as Wireshark nests bit fields under their byte."""
    out = []
    parents: list[str] = []
    for key, value in items:
        while parents and not key.startswith(parents[-1] + "."):
            parents.pop()
        out.append((len(parents), key, value))
        parents.append(key)
    return out


def layer_lines(layer: Layer) -> list[str]:
    """The field lines of one layer (without the title, not indented)."""
    f = layer.fields
    if layer.name in ("dns", "mdns", "llmnr"):
        return _dns_lines(layer)
    if layer.name == "tls" and hasattr(layer, "tree"):
        return [INDENT * depth + text for depth, text in layer.tree]
    if layer.name == "http2" and hasattr(layer, "frame"):
        return http2_tree.lines(layer)
    if layer.name == "websocket":
        return _websocket_lines(f)
    lines = []
    has_flags = "tcp.flags" in f
    items = [(k, v) for k, v in _ordered(layer)
             if k not in _SKIPPED and not (has_flags and k.startswith("tcp.flags."))]
    for depth, key, value in _nested(items):
        pad = INDENT * depth
        lines.append(f"{pad}{LABELS.get(key, key)}: {value_text(key, value)}")
        note = _note_for(key, value)
        if note:
            lines.append(f"{pad}{INDENT}[{note}]")
        if key == "tcp.flags":
            lines.extend(pad + INDENT + line for line in _tcp_flag_lines(value))
    return lines


# WebSocket (analyzer.apps.websocket), Wireshark's labels and value texts; a name alone for tshark's FT_NONE items
_WS_LABELS = {
    "websocket.fin": "Fin", "websocket.rsv": "Reserved", "websocket.pmc": "Per-Message Compressed",
    "websocket.opcode": "Opcode", "websocket.mask": "Mask",
    "websocket.payload_length": "Payload length", "websocket.payload_length_ext_16": "Extended Payload length (16 bits)",
    "websocket.payload_length_ext_64": "Extended Payload length (64 bits)", "websocket.masking_key": "Masking-Key",
    "websocket.masked_payload": "Masked payload", "websocket.payload": "Payload", "websocket.payload.text": "Text",
    "websocket.payload.continue": "Continue", "websocket.payload.ping": "Ping", "websocket.payload.pong": "Pong",
    "websocket.payload.unknown": "Unknown", "websocket.payload.close": "Close",
    "websocket.payload.close.status_code": "Status code", "websocket.payload.close.reason": "Reason",
}
_WS_NONE = frozenset(("websocket.masked_payload", "websocket.payload", "websocket.payload.close"))
_WS_DEPTH = {"websocket.payload.text": 1, "websocket.payload.ping": 1, "websocket.payload.pong": 1,
             "websocket.payload.unknown": 1, "websocket.payload.close": 1, "websocket.payload.close.status_code": 2,
             "websocket.payload.close.reason": 2}
_WS_CLOSE_CODES = {1000: "Normal Closure", 1001: "Going Away", 1002: "Protocol error", 1003: "Unsupported Data",
                   1005: "No Status Rcvd", 1006: "Abnormal Closure", 1007: "Invalid frame payload data",
                   1008: "Policy Violation", 1009: "Message Too Big", 1010: "Mandatory Ext.", 1011: "Internal Server",
                   1015: "TLS handshake"}


def _websocket_lines(f: dict[str, Any]) -> list[str]:
    from analyzer.apps.websocket import OPCODE_NAMES

    lines = []
    for key, value in f.items():
        label = _WS_LABELS.get(key, key)
        pad = INDENT * _WS_DEPTH.get(key, 0)
        if key in _WS_NONE:
            lines.append(pad + label)
            continue
        if key in ("websocket.fin", "websocket.mask", "websocket.pmc"):
            text = "True" if value else "False"
        elif key == "websocket.rsv":
            text = f"0x{int(value, 16):x}" if isinstance(value, str) else str(value)
        elif key == "websocket.opcode":
            text = f"{OPCODE_NAMES.get(value, 'Unknown')} ({value})"
        elif key == "websocket.payload.close.status_code":
            text = f"{_WS_CLOSE_CODES.get(value, 'Unknown')} ({value})"
        elif key == "websocket.payload_length" and value in (126, 127):
            text = f"{value} Extended Payload Length ({16 if value == 126 else 64} bits)"
        elif isinstance(value, (bytes, bytearray)):
            text = bytes(value).hex()
        else:
            text = str(value)
        lines.append(f"{pad}{label}: {text}")
    return lines


def render_tree(pkt: Packet, tree: Tree | None = None) -> str:
    """One packet's tree (a fresh :class:`Tree` when none is given: times relative to this frame)."""
    return (tree or Tree()).render(pkt)
