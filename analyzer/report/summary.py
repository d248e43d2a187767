"""One line per frame, as tshark prints it by default: number, time, source, destination, protocol, length, info.

Theory of operation
-------------------
:class:`Summary` is fed the packets of one capture in order and returns each frame's line. It keeps the
little state tshark's single pass keeps for the columns: the first frame's time (the time column is
relative to it) and the ICMP/ICMPv6 echo requests seen so far (a reply says ``(request in N)``).

The columns follow tshark's layout (``tshark.c: print_columns``): number right-aligned in 5, time in 10,
source right-aligned in 12, `` → ``, destination left-aligned in 12, then protocol, length and info
separated by single spaces. Source and destination are the innermost IP addresses, or the link-layer
addresses when the frame has no IP layer (ARP, unknown EtherTypes). The protocol column names the highest
decoded layer; the info text is that layer's, worded as Wireshark's dissector words it.

Speed: most frames of a capture are a link layer, IPv4/IPv6 and TCP/UDP with nothing or one HTTP or DNS message
above; :meth:`Summary.line` makes their line directly (the same text, tests/test_report_summary_fast.py) and
every other frame goes the general way (:meth:`Summary.columns`). A DNS layer the decoder made carries its parsed message, which the DNS
info text summarizes instead of parsing the frame again.

Deliberate differences from tshark (see also the tests):

- MAC addresses are printed as plain ``00:1d:09:f0:92:ab``; tshark resolves the vendor part
  (``Dell_f0:92:ab``) and ``Broadcast`` from its OUI and ethers files, which we do not ship. Compare with
  ``tshark -n``, which prints them plainly too.
- The time column has the capture file's precision when the caller gives it (``Summary(digits_of=
  reader.time_digits)``: 9 decimals for nanosecond files, as tshark), else 6; truncated, as tshark does.
- Only layers we decode get their own protocol and info: NBNS, SMB, ... show as TCP or UDP lines, and
  no ``[TCP segment of a reassembled PDU]``.
- TLS is decoded on any port (tshark only on its registered TLS ports, 443, 853, 993, ...), and a Client
  Hello's info names its server as Wireshark 4.2 and later do: ``Client Hello (SNI=www.example.com)``
  (tshark 4.0 prints ``Client Hello``).
- A decode failure appends ``[Packet size limited during capture]`` when the frame was cut by the snap
  length and ``[Malformed Packet]`` otherwise, to the info of the last layer that decoded (tshark's text
  may include part of the failed layer's info).
"""

from __future__ import annotations

import struct
from typing import Any

from analyzer.apps.http2 import info_text as http2_info_text
from analyzer.apps.http2 import protocol_text as http2_protocol_text
from analyzer.compiled import compiled
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import Layer, Packet
from analyzer.decode.tables import TABLES
from analyzer.report.http import info_text as http_info_text
from analyzer.report.safe import visible
from analyzer.tcp.options import MALFORMED
from analyzer.tcp.options import walk as walk_options

# Wireshark's protocol column name for each layer we decode (highest layer wins).
PROTOCOL_NAMES = {
    "eth": "Ethernet", "vlan": "802.1Q", "ieee8021ad": "IEEE 802.1ad", "sll": "SLL", "null": "NULL",
    "arp": "ARP", "ip": "IPv4", "ipv6": "IPv6", "icmp": "ICMP", "icmpv6": "ICMPv6", "udp": "UDP",
    "tcp": "TCP", "ipv6.fraghdr": "IPv6", "dns": "DNS", "mdns": "MDNS", "llmnr": "LLMNR", "http": "HTTP",
    "tls": "TLS",
    "http2": "HTTP2",
    "ssdp": "SSDP",
    "quic": "QUIC",
    "http3": "HTTP3",
    "websocket": "WebSocket",
}
_APP_BY_PORT = {5353: "MDNS", 5355: "LLMNR"}
DNS_PORT = 53

IP_PROTOCOLS = {
    0: "IPv6 Hop-by-Hop Option", 1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 17: "UDP", 41: "IPv6",
    43: "IPv6 Routing", 44: "IPv6 Fragment", 47: "GRE", 50: "ESP", 51: "AH", 58: "ICMPv6",
    59: "IPv6 no next header", 60: "IPv6 Destination Options", 89: "OSPF IGP", 103: "PIM", 112: "VRRP",
    132: "SCTP",
}

TCP_FLAG_NAMES = ("FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE")
TCP_ACK, TCP_URG = 0x010, 0x020
_TSVAL_TSECR = struct.Struct("!II").unpack_from
_TCP_PORT_DECODERS = TABLES["tcp.port"]      # the same dict Decode As (-d) adds to
TCP_RESERVED = 0xE00

# tshark prepends these to a TCP line's info, in reverse of this order (packet-tcp.c
# tcp_print_sequence_number_analysis: reused ports, then retransmissions, lost segments, window, keep-alive,
# duplicate ACKs, zero window): the last one that applies ends up first ("[TCP Window Full] [TCP Retransmission]").
_TCP_ANALYSIS_PREFIXES = (
    ("tcp.analysis.reused_ports", "[TCP Port numbers reused] "),
    ("tcp.analysis.spurious_retransmission", "[TCP Spurious Retransmission] "),
    ("tcp.analysis.retransmission", "[TCP Retransmission] "),
    ("tcp.analysis.fast_retransmission", "[TCP Fast Retransmission] "),
    ("tcp.analysis.out_of_order", "[TCP Out-Of-Order] "),
    ("tcp.analysis.lost_segment", "[TCP Previous segment not captured] "),
    ("tcp.analysis.ack_lost_segment", "[TCP ACKed unseen segment] "),
    ("tcp.analysis.keep_alive", "[TCP Keep-Alive] "),
    ("tcp.analysis.window_update", "[TCP Window Update] "),
    ("tcp.analysis.window_full", "[TCP Window Full] "),
    ("tcp.analysis.keep_alive_ack", "[TCP Keep-Alive ACK] "),
    ("tcp.analysis.duplicate_ack", None),  # "[TCP Dup ACK {frame}#{n}] "
    ("tcp.analysis.zero_window_probe", "[TCP ZeroWindowProbe] "),
    ("tcp.analysis.zero_window", "[TCP ZeroWindow] "),
    ("tcp.analysis.zero_window_probe_ack", "[TCP ZeroWindowProbeAck] "),
)

ICMP_TYPES = {
    0: "Echo (ping) reply", 3: "Destination unreachable", 4: "Source quench (flow control)", 5: "Redirect",
    8: "Echo (ping) request", 9: "Router advertisement", 10: "Router solicitation",
    11: "Time-to-live exceeded", 12: "Parameter problem", 13: "Timestamp request", 14: "Timestamp reply",
    15: "Information request", 16: "Information reply", 17: "Address mask request",
    18: "Address mask reply",
}
ICMP_CODES = {
    3: {0: "Network unreachable", 1: "Host unreachable", 2: "Protocol unreachable", 3: "Port unreachable",
        4: "Fragmentation needed", 5: "Source route failed", 6: "Destination network unknown",
        7: "Destination host unknown", 8: "Source host isolated", 9: "Network administratively prohibited",
        10: "Host administratively prohibited", 11: "Network unreachable for TOS",
        12: "Host unreachable for TOS", 13: "Communication administratively filtered",
        14: "Host precedence violation", 15: "Precedence cutoff in effect"},
    5: {0: "Redirect for network", 1: "Redirect for host", 2: "Redirect for TOS and network",
        3: "Redirect for TOS and host"},
    11: {0: "Time to live exceeded in transit", 1: "Fragment reassembly time exceeded"},
    12: {0: "Pointer indicates the error", 1: "Required option missing", 2: "Bad length"},
}
_ICMP_WITH_ID = {0, 8, 13, 14, 15, 16, 17, 18}

ICMPV6_TYPES = {
    1: "Destination Unreachable", 2: "Packet Too Big", 3: "Time Exceeded", 4: "Parameter Problem",
    128: "Echo (ping) request", 129: "Echo (ping) reply", 130: "Multicast Listener Query",
    131: "Multicast Listener Report", 132: "Multicast Listener Done", 133: "Router Solicitation",
    134: "Router Advertisement", 135: "Neighbor Solicitation", 136: "Neighbor Advertisement",
    137: "Redirect", 143: "Multicast Listener Report Message v2",
}
ICMPV6_CODES = {
    1: {0: "no route to destination", 1: "Administratively prohibited", 2: "Beyond scope of source address",
        3: "Address unreachable", 4: "Port unreachable", 5: "Source address failed ingress/egress policy",
        6: "Reject route to destination"},
    3: {0: "hop limit exceeded in transit", 1: "fragment reassembly time exceeded"},
    4: {0: "erroneous header field encountered", 1: "unrecognized Next Header type encountered",
        2: "unrecognized IPv6 option encountered"},
}

ARP_OPCODES = {1: "request", 2: "reply", 3: "reverse request", 4: "reverse reply", 8: "inverse request",
               9: "inverse reply"}

DNS_OPCODES = {0: "Standard query", 1: "Inverse query", 2: "Server status request",
               4: "Zone change notification", 5: "Dynamic update"}
DNS_RCODES = {1: "Format error", 2: "Server failure", 3: "No such name", 4: "Not implemented", 5: "Refused",
              6: "Name exists", 7: "RRset exists", 8: "RRset does not exist", 9: "Not authoritative",
              10: "Name out of zone"}
DNS_TYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT", 28: "AAAA",
             29: "LOC", 33: "SRV", 35: "NAPTR", 41: "OPT", 43: "DS", 46: "RRSIG", 47: "NSEC",
             48: "DNSKEY", 64: "SVCB", 65: "HTTPS", 99: "SPF", 255: "ANY", 257: "CAA"}


def as_list(value: Any) -> list:
    """A field's values as a list: a repeated field already is one, a single value becomes [value]."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def first(value: Any) -> Any:
    """The first value of a possibly repeated field."""
    return value[0] if isinstance(value, list) else value


def as_int(value: Any, default: int = 0) -> int:
    """An int from a field value that may be tshark's hex text ("0x0012") or a bool."""
    if type(value) is int:
        return value
    value = first(value)
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            return default
    return int(value)


def relative_time(ts_ns: int, t0_ns: int, digits: int = 6) -> str:
    """Seconds from the first frame with ``digits`` decimals (6, or the file's precision: 9 for nanosecond
    captures), truncated as tshark truncates."""
    delta = ts_ns - t0_ns
    sign = "-" if delta < 0 else ""
    secs, ns = divmod(abs(delta), 1_000_000_000)
    if digits == 6:
        return f"{sign}{secs}.{ns // 1000:06d}"
    if digits <= 0:
        return f"{sign}{secs}"
    return f"{sign}{secs}.{ns // 10 ** (9 - digits):0{digits}d}"


def tcp_flags_text(flags: int) -> str:
    """tshark's flag list for the info column: ``SYN, ACK``; ``<None>`` when no flag is set."""
    names = [name for bit, name in enumerate(TCP_FLAG_NAMES) if flags & (1 << bit)]
    if flags & TCP_RESERVED:
        names.append("Reserved")
    return ", ".join(names) if names else "<None>"


_FLAGS_TEXT: dict[int, str] = {}
_HEX_INT: dict[str, int] = {}     # tcp.flags as the decoder gives it ("0x0012") -> int, remembered
_PLAIN_LINKS = frozenset(("eth", "sll", "null"))


def _flags_text(flags: int) -> str:
    """tcp_flags_text, remembered per flags value (12 bits: at most 4096 entries)."""
    text = _FLAGS_TEXT[flags] = tcp_flags_text(flags)
    return text


def app_protocol(pkt: Packet, layer_name: str) -> str:
    """Protocol column name of a layer; mDNS and LLMNR are DNS on their own ports, RARP is ARP's opcodes 3-4."""
    name = PROTOCOL_NAMES.get(layer_name, layer_name.upper())
    if name == "ARP":
        arp = pkt.layer("arp")
        op = as_int(arp.fields.get("arp.opcode")) if arp is not None else 0
        return {3: "RARP", 4: "RARP", 8: "Inverse ARP", 9: "Inverse ARP"}.get(op, name)
    if name == "DNS":
        udp = pkt.layer("udp")
        if udp is not None:
            # tshark tries the lower port first: 53 -> 5353 is DNS, 49152 -> 5353 mDNS
            for port in sorted(p for p in (udp.fields.get("udp.srcport"), udp.fields.get("udp.dstport"))
                               if isinstance(p, int)):
                if port == DNS_PORT:
                    return name
                if port in _APP_BY_PORT:
                    return _APP_BY_PORT[port]
    return name


class Summary:
    """Per-capture state for summary lines; call :meth:`line` for each packet in capture order.

    ``interface_width`` > 0 adds the frame's interface name (``frame.interface_name``) after the time, in a
    column that wide: for several captures read as one, or a capture on several interfaces. ``digits_of``:
    frame -> decimals of the time column (the file's precision; else 6)."""

    def __init__(self, interface_width: int = 0, digits_of=None) -> None:
        self.t0_ns: int | None = None
        self.interface_width = interface_width
        self.digits_of = digits_of
        self._echo_requests: dict[tuple, int] = {}

    # -- the line ------------------------------------------------------------------------------------
    def columns(self, pkt: Packet) -> tuple[int, str, str, str, str, int, str]:
        """(number, time, source, destination, protocol, length, info) of one frame, before escaping."""
        frame = wire_frame(pkt)
        if self.t0_ns is None:
            self.t0_ns = frame.ts_ns
        src, dst = addresses(pkt)
        protocol, info = self.protocol_and_info(pkt)
        digits = 6 if self.digits_of is None else self.digits_of(frame)
        return (frame.number, relative_time(frame.ts_ns, self.t0_ns, digits), src, dst, protocol,
                frame.origlen, info)

    def line(self, pkt: Packet) -> str:
        """The frame's line as tshark lays it out, safe to print (no newline)."""
        layers = pkt.layers
        n = len(layers)
        if ((n == 4 or n == 5) and pkt.failure is None and not self.interface_width and type(pkt) is Packet
                and layers[1].name in _PLAIN_LINKS):
            # The common shapes, a link layer, IPv4/IPv6 and TCP/UDP with nothing decoded above or one HTTP or
            # DNS message: the same line as the general path below, without its walks over the layers
            # (tests/test_report_summary_fast.py)
            net, top = layers[2], layers[-1]
            tname = top.name
            nf = net.fields
            if net.name == "ip":
                if nf["ip.flags.mf"] or nf["ip.frag_offset"]:
                    return self._line(pkt)
                src, dst = nf["ip.src"], nf["ip.dst"]
            elif net.name == "ipv6":
                src, dst = nf["ipv6.src"], nf["ipv6.dst"]
            else:
                return self._line(pkt)
            if n == 5:
                if layers[3].name != "tcp" and layers[3].name != "udp":
                    return self._line(pkt)
                if tname == "http":
                    # TCP's analysis text is fenced in tshark's Info column: HTTP's text follows it
                    protocol, info = "HTTP", tcp_analysis_prefix(layers[3].fields) + http_info_text(pkt)
                elif tname in _DNS_FAMILY:
                    protocol, info = app_protocol(pkt, tname), dns_info(pkt, top)
                else:
                    return self._line(pkt)
            elif tname == "tcp":
                protocol, info = "TCP", self._tcp_info(pkt, top)
            elif tname == "udp":
                f = top.fields
                protocol = "UDP"
                info = f"{f['udp.srcport']} \u2192 {f['udp.dstport']} Len={max(f['udp.length'] - 8, 0)}"
            else:
                return self._line(pkt)
            frame = pkt.frame
            return visible(f"{frame.number:>5} {self._time(frame):>10} {src:>12} \u2192 {dst:<12} {protocol} "
                           f"{frame.origlen} {info}")
        return self._line(pkt)

    def header_line(self, res: Any) -> str | None:
        """The line of a TCP segment the pipeline ran from its headers alone, not decoded
        (:class:`analyzer.pipeline.HeaderOnly`: the frame, its ``quick_headers`` tuple and the tracker's fields;
        well-formed options without a SACK block, no message of a reassembled protocol ending in it): the text
        :meth:`line` gives its decoded packet, a link layer, IP and TCP (tests/test_read_headers_only.py), or
        None for a shape whose line needs the packet (a link layer other than untagged Ethernet, Linux cooked
        or BSD loopback; URG set; a payload the decoder reads by port; an option of a known kind with another
        length than its own, or a SACK block; an interface column)."""
        frame = res.frame
        if _TCP_LINE is not None and not self.interface_width:
            # the compiled writer of the same text (analyzer/columnar/_speedups.c), None where it declines
            t0 = self.t0_ns
            if t0 is None:
                t0 = self.t0_ns = frame.ts_ns
            line = _TCP_LINE(frame, t0, 6 if self.digits_of is None else self.digits_of(frame), res.headers,
                             res.fields, _FLAGS_TEXT, _TCP_PORT_DECODERS, _ANALYSIS_KEY_TUPLE)
            if line is not None:
                return line
        return self._header_line_py(res)

    def _header_line_py(self, res: Any) -> str | None:
        """:meth:`header_line` in Python (every case; the compiled ``tcp_line`` writes the commonest)."""
        frame = res.frame
        h = res.headers
        flags = h[7]
        if flags & TCP_URG or self.interface_width:
            return None
        lt = frame.linktype
        if lt == 1:
            if frame.data[12] != 0x08 and frame.data[12] != 0x86:   # 0x0800 or 0x86DD, not a VLAN tag
                return None
        elif lt != 113 and lt != 276 and lt != 0:
            return None
        if h[9] and (h[2] in _TCP_PORT_DECODERS or h[4] in _TCP_PORT_DECODERS):
            return None         # the decoder reads this payload (-d tcp.port==N,dns): the packet's line
        f = res.fields
        text = (f"{h[2]} \u2192 {h[4]} [{_FLAGS_TEXT.get(flags) or _flags_text(flags)}] "
                f"Seq={f['tcp.seq'] if 'tcp.seq' in f else h[5]}")
        if flags & TCP_ACK:
            text += f" Ack={f['tcp.ack'] if 'tcp.ack' in f else h[6]}"
        text += f" Win={f['tcp.window_size'] if 'tcp.window_size' in f else h[8]} Len={h[9]}"
        opts = h[10]
        if opts:
            if len(opts) == 12 and opts[:4] == _NOP_NOP_TS_BYTES:
                tsval, tsecr = _TSVAL_TSECR(opts, 4)
                text += f" TSval={tsval} TSecr={tsecr}"
            else:
                options = _option_text(opts)
                if options is None:
                    return None
                if options:
                    text += " " + options
        return visible(f"{frame.number:>5} {self._time(frame):>10} {h[1]:>12} \u2192 {h[3]:<12} TCP "
                       f"{frame.origlen} {tcp_analysis_prefix(f)}{text}")

    def dns_line(self, res: Any) -> str:
        """The line of a DNS datagram read without a decode (:class:`analyzer.report.dns_lines.DnsLine`): what
        :meth:`line` gives its decoded packet (tests/test_read_fast_dns.py). No interface column."""
        frame = res.frame
        return visible(f"{frame.number:>5} {self._time(frame):>10} {res.src:>12} \u2192 {res.dst:<12} DNS "
                       f"{frame.origlen} {_dns_summarize(res.message)}")

    def _time(self, frame: Any) -> str:
        """The time column of ``frame`` (the first frame's time becomes the reference)."""
        ts = frame.ts_ns
        t0 = self.t0_ns
        if t0 is None:
            t0 = self.t0_ns = ts
        digits = 6 if self.digits_of is None else self.digits_of(frame)
        if ts >= t0:
            if digits == 6:
                secs, ns = divmod(ts - t0, 1_000_000_000)
                return f"{secs}.{ns // 1000:06d}"
            if digits == 9:         # a nanosecond file
                secs, ns = divmod(ts - t0, 1_000_000_000)
                return f"{secs}.{ns:09d}"
        return relative_time(ts, t0, digits)

    def _line(self, pkt: Packet) -> str:
        """:meth:`line` by the general path (every shape of frame)."""
        number, time, src, dst, protocol, length, info = self.columns(pkt)
        if self.interface_width:
            name = wire_frame(pkt).iface_name or "unknown"
            return visible(f"{number:>5} {time:>10} {name:<{self.interface_width}} {src:>12} \u2192 {dst:<12} "
                           f"{protocol} {length} {info}")
        return visible(f"{number:>5} {time:>10} {src:>12} \u2192 {dst:<12} {protocol} {length} {info}")

    # -- protocol and info ---------------------------------------------------------------------------
    def protocol_and_info(self, pkt: Packet) -> tuple[str, str]:
        layers = display_layers(pkt)
        failure = pkt.failure
        wire = wire_frame(pkt)
        cut = wire.caplen < wire.origlen
        protocol, info = "", ""
        top = layers[-1] if layers else None
        partial = (failure is not None and top is not None and top is pkt.layers[-1]
                   and _same_protocol(failure.layer, top.name))
        if top is not None:
            protocol = app_protocol(pkt, top.name) if top.name != "tls" else top.protocol
            if partial and top.name != "tls" and _KEY_FIELD.get(top.name, "") not in top.fields:
                # The layer stopped before its first fields: a message cut inside its header shows only the
                # marker (as tshark does); a lower layer's reason says what is wrong with it.
                if top.name in _DNS_FAMILY:
                    return protocol, "[Packet size limited during capture]" if cut else "[Malformed Packet]"
                info = failure.reason[:1].upper() + failure.reason[1:]
                return protocol, info + ("[Packet size limited during capture]" if cut else "")
            info = _INFO[top.name](self, pkt, top)
            if top.name == "http2":
                protocol = http2_protocol_text(pkt)     # "HTTP2/JSON" when a body's dissector says so
            if top.name in _ETHERTYPE_FIELD and failure is None:
                # Nothing decoded above the link layer: tshark names the EtherType (0x88cc, ...).
                protocol = str(top.fields.get(_ETHERTYPE_FIELD[top.name]) or protocol)
        if failure is not None:
            if not partial and failure.layer in PROTOCOL_NAMES:
                protocol = app_protocol(pkt, failure.layer)
            info += "[Packet size limited during capture]" if cut else "[Malformed Packet]"
        elif not protocol:
            protocol = "Frame"
        return protocol, info

    def _eth_info(self, pkt: Packet, layer: Layer) -> str:
        return "Ethernet II"

    def _link_info(self, pkt: Packet, layer: Layer) -> str:
        return ""

    def _arp_info(self, pkt: Packet, layer: Layer) -> str:
        f = layer.fields
        op = as_int(f.get("arp.opcode"))
        sha, spa = f.get("arp.src.hw_mac"), f.get("arp.src.proto_ipv4")
        tha, tpa = f.get("arp.dst.hw_mac"), f.get("arp.dst.proto_ipv4")
        if op == 1 and spa is not None:
            if spa == tpa:
                return f"ARP Announcement for {spa}"
            if spa == "0.0.0.0" and tha in (None, "00:00:00:00:00:00"):
                return f"Who has {tpa}? (ARP Probe)"
            return f"Who has {tpa}? Tell {spa}"
        if op == 2 and spa is not None:
            if spa == tpa:
                return f"Gratuitous ARP for {spa} (Reply)"
            return f"{spa} is at {sha}"
        if op == 3:
            return f"Who is {tha}? Tell {sha}"
        if op == 4:
            return f"{tha} is at {tpa}"
        if op == 9:
            return f"{sha} is at {spa}"
        return f"ARP {ARP_OPCODES.get(op, 'opcode')} ({op})"

    def _ip_info(self, pkt: Packet, layer: Layer) -> str:
        f = layer.fields
        proto = as_int(f.get("ip.proto"))
        name = IP_PROTOCOLS.get(proto, "Unknown")
        if as_int(f.get("ip.flags.mf")) or as_int(f.get("ip.frag_offset")):
            ident = str(f.get("ip.id", "")).removeprefix("0x")
            offset = as_int(f.get("ip.frag_offset")) * 8  # the field counts 8-byte units
            return (f"Fragmented IP protocol (proto={name} {proto}, off={offset}, "
                    f"ID={ident})")
        return f"{name} ({proto})"

    def _ipv6_fragment_info(self, pkt: Packet, layer: Layer) -> str:
        f = layer.fields
        more = "y" if as_int(f.get("ipv6.fraghdr.more")) else "n"
        return (f"IPv6 fragment (off={as_int(f.get('ipv6.fraghdr.offset')) * 8} more={more} "
                f"ident=0x{as_int(f.get('ipv6.fraghdr.ident')):08x} nxt={as_int(f.get('ipv6.fraghdr.nxt'))})")

    def _ipv6_info(self, pkt: Packet, layer: Layer) -> str:
        f = layer.fields
        nxt = as_int(f.get("ipv6.nxt"))
        if nxt == 59:
            return "IPv6 no next header"
        return f"{IP_PROTOCOLS.get(nxt, 'Unknown')} ({nxt})"

    def _icmp_info(self, pkt: Packet, layer: Layer) -> str:
        f = layer.fields
        icmp_type, code = as_int(f.get("icmp.type")), as_int(f.get("icmp.code"))
        type_text = ICMP_TYPES.get(icmp_type)
        if type_text is None:
            return "Unknown ICMP (obsolete or malformed?)"
        info = f"{type_text:<20}"
        code_text = ICMP_CODES.get(icmp_type, {}).get(code, "")
        if icmp_type in ICMP_CODES:
            info += f" ({code_text or 'Unknown code'})"
        if icmp_type in _ICMP_WITH_ID and "icmp.ident" in f:
            ident = as_int(f.get("icmp.ident"))
            seq = as_int(f.get("icmp.seq"))
            seq_le = as_int(f.get("icmp.seq_le"), ((seq & 0xFF) << 8) | (seq >> 8))
            info += f" id=0x{ident:04x}, seq={seq}/{seq_le}"
            ttl = _ip_ttl(pkt, layer)
            if ttl is not None:
                info += f", ttl={ttl}"
            info += self._echo_match(pkt, icmp_type, 8, 0, ident, seq)
        return info

    def _icmpv6_info(self, pkt: Packet, layer: Layer) -> str:
        f = layer.fields
        icmp_type, code = as_int(f.get("icmpv6.type")), as_int(f.get("icmpv6.code"))
        info = ICMPV6_TYPES.get(icmp_type, f"Unknown ICMPv6 type ({icmp_type})")
        if icmp_type in ICMPV6_CODES:
            info += f" ({ICMPV6_CODES[icmp_type].get(code, 'Unknown')})"
        if icmp_type in (128, 129):
            ident = as_int(f.get("icmpv6.echo.identifier"))
            seq = as_int(f.get("icmpv6.echo.sequence_number"))
            info += f" id=0x{ident:04x}, seq={seq}"
            hlim = _ip_ttl(pkt, layer)
            if hlim is not None:
                info += f", hop limit={hlim}"
            info += self._echo_match(pkt, icmp_type, 128, 129, ident, seq)
        elif icmp_type == 135:
            target = f.get("icmpv6.nd.ns.target_address")
            if target is not None:
                info += f" for {target}"
            mac = first(f.get("icmpv6.opt.linkaddr"))
            if mac is not None:
                info += f" from {mac}"
        elif icmp_type == 136:
            target = f.get("icmpv6.nd.na.target_address")
            if target is not None:
                info += f" {target}"
            flags = [name for key, name in (("icmpv6.nd.na.flag.r", "rtr"), ("icmpv6.nd.na.flag.s", "sol"),
                                            ("icmpv6.nd.na.flag.o", "ovr")) if as_int(f.get(key))]
            if flags:
                info += f" ({', '.join(flags)})"
            mac = first(f.get("icmpv6.opt.linkaddr"))
            if mac is not None:
                info += f" is at {mac}"
        elif icmp_type == 137:
            mac = first(f.get("icmpv6.opt.linkaddr"))
            if mac is not None:
                info += f" is at {mac}"
        elif icmp_type in (133, 134):
            mac = first(f.get("icmpv6.opt.linkaddr"))
            if mac is not None:
                info += f" from {mac}"
        return info

    def _echo_match(self, pkt: Packet, icmp_type: int, request: int, reply: int, ident: int,
                    seq: int) -> str:
        """Remember echo requests; a reply names its request's frame, as tshark's first pass does."""
        src, dst = network_addresses(pkt)
        if icmp_type == request:
            self._echo_requests[(src, dst, ident, seq)] = wire_frame(pkt).number
        elif icmp_type == reply:
            number = self._echo_requests.get((dst, src, ident, seq))
            if number is not None:
                return f" (request in {number})"
        return ""

    def _udp_info(self, pkt: Packet, layer: Layer) -> str:
        f = layer.fields
        return (f"{f.get('udp.srcport')} \u2192 {f.get('udp.dstport')} "
                f"Len={max(as_int(f.get('udp.length')) - 8, 0)}")

    def _tcp_info(self, pkt: Packet, layer: Layer) -> str:
        f = layer.fields
        get = f.get
        value = get("tcp.flags")
        flags = _HEX_INT.get(value) if type(value) is str else None
        if flags is None:
            flags = as_int(value)
            if type(value) is str and len(_HEX_INT) < 8192:
                _HEX_INT[value] = flags
        flags_text = _FLAGS_TEXT.get(flags) or _flags_text(flags)
        seq = f["tcp.seq"] if "tcp.seq" in f else get("tcp.seq_raw")
        text = f"{get('tcp.srcport')} \u2192 {get('tcp.dstport')} [{flags_text}] Seq={seq}"
        if flags & TCP_ACK:
            text += f" Ack={f['tcp.ack'] if 'tcp.ack' in f else get('tcp.ack_raw')}"
        text += f" Win={f['tcp.window_size'] if 'tcp.window_size' in f else get('tcp.window_size_value')}"
        if flags & TCP_URG:
            text += f" Urg={get('tcp.urgent_pointer')}"
        text += f" Len={get('tcp.len')}"
        options = _tcp_option_texts(pkt, layer)
        if options:
            text += " " + " ".join(options)
        return tcp_analysis_prefix(f) + text

    def _dns_info(self, pkt: Packet, layer: Layer) -> str:
        return dns_info(pkt, layer)

    def _http_info(self, pkt: Packet, layer: Layer) -> str:
        return _fenced_tcp_prefix(pkt) + http_info_text(pkt)

    def _tls_info(self, pkt: Packet, layer: Layer) -> str:
        return ", ".join(layer.info)

    def _http2_info(self, pkt: Packet, layer: Layer) -> str:
        prefix = _fenced_tcp_prefix(pkt)      # HTTP/2 clears the column: the fenced words stay, a comma follows
        info = http2_info_text(pkt)
        return f"{prefix}, {info}" if prefix else info

    def _quic_info(self, pkt: Packet, layer: Layer) -> str:
        return layer.info       # analyzer.decode.quic: the packet's text (a datagram's last packet shows)

    def _websocket_info(self, pkt: Packet, layer: Layer) -> str:
        # each WebSocket frame sets the column anew after TCP's fenced words, and after the text of an HTTP
        # message that ended in the same segment (the 101, fenced too): the packet's last frame shows
        http = http_info_text(pkt) if pkt.layer("http") is not None else ""
        return _fenced_tcp_prefix(pkt) + http + layer.info

    def _ssdp_info(self, pkt: Packet, layer: Layer) -> str:
        return getattr(layer, "info", "")      # HTTP over UDP: one message per datagram


_NOP_NOP_TS_BYTES = b"\x01\x01\x08\x0a"


def _option_text(opts: bytes) -> str | None:
    """The info column's option text of raw TCP option bytes, as :func:`_tcp_option_texts` words the decoder's
    fields of them (MSS, WS, SACK_PERM, TSval/TSecr in packet order; NOP, EOL and other kinds say nothing);
    None when unsure: a SACK block, an option of a known kind with another length than its own (the decoder
    then keeps no value), a length past the end."""
    texts = []
    for kind, i, length in walk_options(opts):
        if kind == _OPT_MSS:
            if length != 4:
                return None
            texts.append(f"MSS={opts[i + 2] << 8 | opts[i + 3]}")
        elif kind == _OPT_WS:
            if length != 3:
                return None
            texts.append(f"WS={1 << min(opts[i + 2], 14)}")
        elif kind == _OPT_SACK_PERM:
            if length != 2:
                return None
            texts.append("SACK_PERM")
        elif kind == _OPT_TS:
            if length != 10:
                return None
            tsval, tsecr = _TSVAL_TSECR(opts, i + 2)
            texts.append(f"TSval={tsval} TSecr={tsecr}")
        elif kind == _OPT_SACK or kind == MALFORMED:
            return None
    return " ".join(texts)


def _ip_ttl(pkt: Packet, below: Layer) -> int | None:
    """TTL / hop limit of the IP layer right before ``below``."""
    ttl = None
    for layer in pkt.layers:
        if layer is below:
            break
        if layer.name == "ip":
            ttl = layer.fields.get("ip.ttl")
        elif layer.name == "ipv6":
            ttl = layer.fields.get("ipv6.hlim")
    return ttl


def tcp_analysis_prefix(f: dict[str, Any]) -> str:
    """tshark's bracketed TCP analysis words that begin a TCP segment's Info ("[TCP ACKed unseen segment] ") from
    its tcp.analysis.* fields; "" when none applies."""
    if _ANALYSIS_KEYS.isdisjoint(f):
        return ""       # (only these keys make a prefix: no other tcp.analysis.* field is looked at)
    prefix = ""
    fast_or_spurious = "tcp.analysis.fast_retransmission" in f or "tcp.analysis.spurious_retransmission" in f
    for key, text in _TCP_ANALYSIS_PREFIXES:
        if key not in f or f[key] in (0, False, None):
            continue
        if key == "tcp.analysis.retransmission" and fast_or_spurious:
            continue  # tshark sets the retransmission field too but shows only the specific kind
        if text is None:
            frame = first(f.get("tcp.analysis.duplicate_ack_frame"))
            num = first(f.get("tcp.analysis.duplicate_ack_num"))
            text = f"[TCP Dup ACK {frame}#{num}] "
        prefix = text + prefix
    return prefix


def _fenced_tcp_prefix(pkt: Packet) -> str:
    """The TCP analysis words of ``pkt``'s TCP layer: fenced in tshark's Info column, they stay before the text
    a protocol above TCP (HTTP, HTTP/2) puts there."""
    tcp = pkt.layer("tcp")
    return tcp_analysis_prefix(tcp.fields) if tcp is not None else ""


_ANALYSIS_KEYS = frozenset(key for key, _text in _TCP_ANALYSIS_PREFIXES)
_ANALYSIS_KEY_TUPLE = tuple(sorted(_ANALYSIS_KEYS))
_TCP_LINE = compiled("tcp_line")     # Summary.header_line's commonest lines, compiled (None: not built)

# TCP option kinds; EOL and NOP say nothing in the info column.
_OPT_MSS, _OPT_WS, _OPT_SACK_PERM, _OPT_SACK, _OPT_TS = 2, 3, 4, 5, 8
_NOP_NOP_TS = [1, 1, _OPT_TS]      # tcp.option_kind of NOP, NOP, Timestamps


def _tcp_option_kinds(pkt: Packet, layer: Layer) -> list[int]:
    """Option kinds in packet order: the decoder's ``tcp.option_kind``, else read from the header bytes."""
    kinds = layer.fields.get("tcp.option_kind")
    if kinds is not None:
        return [as_int(k) for k in as_list(kinds)]
    data = pkt.frame.data
    off, end = layer.offset + 20, min(layer.offset + layer.length, len(data))
    kinds = []
    while off < end:
        kind = data[off]
        if kind == 0:
            break
        kinds.append(kind)
        if kind == 1:
            off += 1
            continue
        if off + 1 >= end or data[off + 1] < 2:
            break
        off += data[off + 1]
    return kinds


# Every tcp.option* field the TCP decoder (and the tracker's relative SACK edges) can give a layer: a layer
# with none of them has no option text (a set lookup, not a scan of the layer's keys, on every TCP line).
_OPTION_KEYS = frozenset((
    "tcp.options", "tcp.option_kind", "tcp.option_len", "tcp.options.mss_val", "tcp.options.wscale.shift",
    "tcp.options.wscale.multiplier", "tcp.options.sack_perm", "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr", "tcp.options.sack_le", "tcp.options.sack_re", "tcp.options.sack.count",
    "tcp.options.sack.dsack_le", "tcp.options.sack.dsack_re", "tcp.options.unknown.payload"))


def _tcp_option_texts(pkt: Packet, layer: Layer) -> list[str]:
    f = layer.fields
    if _OPTION_KEYS.isdisjoint(f):
        return []
    if f.get("tcp.option_kind") == _NOP_NOP_TS:
        # the usual options of an established connection's segment (Linux, macOS): the loop below, unrolled
        tsval, tsecr = f.get("tcp.options.timestamp.tsval"), f.get("tcp.options.timestamp.tsecr")
        if tsval is not None and type(tsval) is not list and type(tsecr) is not list:
            return [f"TSval={tsval} TSecr={tsecr}"]
    used: dict[str, int] = {}

    def take(key: str) -> Any:
        """The next value of an option field (the fields of a repeated option are lists in packet order)."""
        index = used.get(key, 0)
        used[key] = index + 1
        vals = f.get(key)
        if type(vals) is not list:
            return vals if index == 0 else None
        return vals[index] if index < len(vals) else None

    # SACK edges are in the acknowledgment number's space: relative exactly when tcp.ack is (the tracker
    # makes both relative; the decoder alone leaves both raw).
    texts = []
    for kind in _tcp_option_kinds(pkt, layer):
        if kind == _OPT_MSS:
            mss = take("tcp.options.mss_val")
            if mss is not None:
                texts.append(f"MSS={mss}")
        elif kind == _OPT_WS:
            shift = take("tcp.options.wscale.shift")
            if shift is not None:
                texts.append(f"WS={1 << min(as_int(shift), 14)}")
        elif kind == _OPT_SACK_PERM:
            texts.append("SACK_PERM")
        elif kind == _OPT_TS:
            tsval, tsecr = take("tcp.options.timestamp.tsval"), take("tcp.options.timestamp.tsecr")
            if tsval is not None:
                texts.append(f"TSval={tsval} TSecr={tsecr}")
        elif kind == _OPT_SACK:
            count = take("tcp.options.sack.count")
            blocks = as_int(count) if count is not None else len(as_list(f.get("tcp.options.sack_le")))
            for _ in range(blocks):
                le, re_ = take("tcp.options.sack_le"), take("tcp.options.sack_re")
                if le is None:
                    break
                texts.append(f"SLE={le} SRE={re_}")
    return texts


def dns_info(pkt: Packet, layer: Layer) -> str:
    """The DNS info text, worded by the DNS decoder's ``summarize``; built from the fields otherwise.

    The decoder's layer (:class:`analyzer.decode.dns.DnsLayer`) keeps the message it parsed; a layer made
    elsewhere keeps fields only, and the message is parsed again from the frame (leniently: a malformed
    message keeps what was read before the problem, as tshark's info does). Over
    TCP the layer starts at the 2-byte length prefix (``dns.length``). A message reassembled from several
    TCP segments is not in this frame's bytes at the layer's offset: when the re-read header does not match
    the layer's ``dns.id`` and counts, the text is built from the fields.
    """
    api = _dns_api()
    f = layer.fields
    if api is not None:
        parse_message, summarize = api
        msg = getattr(layer, "message", None)    # the decoder's (analyzer.decode.dns.DnsLayer): the same parse
        if msg is not None and _same_message(msg, f):
            return summarize(msg, layer.name)
        data = pkt.frame.data
        start, end = layer.offset, min(layer.offset + layer.length, len(data))
        if "dns.length" in f:
            start += 2
        try:
            msg = parse_message(data, start, end, lenient=True)
        except DecodeError:
            msg = None
        if msg is not None and _same_message(msg, f):
            return summarize(msg, layer.name)
    return _dns_info_from_fields(f, layer.name)


def _same_message(msg: Any, f: dict[str, Any]) -> bool:
    header = msg.header
    return (f"0x{header.id:04x}" == f.get("dns.id") and len(msg.questions) == len(as_list(f.get("dns.qry.name")))
            and len(msg.answers) == as_int(f.get("dns.count.answers")))


_DNS_API: list = []


def _dns_summarize(msg: Any) -> str:
    from analyzer.decode.dns import summarize

    return summarize(msg, "dns")


def _dns_api():
    if not _DNS_API:
        try:
            from analyzer.decode.dns import parse_message, summarize
        except ImportError:
            _DNS_API.append(None)
        else:
            _DNS_API.append((parse_message, summarize))
    return _DNS_API[0]


# Record type -> the fields whose next values make its info text (as the DNS decoder's summarize words it).
_RR_INFO_FIELDS = {
    1: ("dns.a",), 28: ("dns.aaaa",), 5: ("dns.cname",), 2: ("dns.ns",), 12: ("dns.ptr.domain_name",),
    39: ("dns.dname",), 15: ("dns.mx.preference", "dns.mx.mail_exchange"), 6: ("dns.soa.mname",),
    33: ("dns.srv.priority", "dns.srv.weight", "dns.srv.port", "dns.srv.target"),
    47: ("dns.nsec.next_domain_name",), 13: ("dns.hinfo.cpu", "dns.hinfo.os"),
}


def _dns_info_from_fields(f: dict[str, Any], proto: str) -> str:
    opcode = as_int(f.get("dns.flags.opcode"))
    response = as_int(f.get("dns.flags.response"))
    ident = f.get("dns.id", "")
    if isinstance(ident, int):
        ident = f"0x{ident:04x}"
    info = f"{DNS_OPCODES.get(opcode, f'Unknown operation ({opcode})')}{' response' if response else ''} {ident}"
    rcode = as_int(f.get("dns.flags.rcode"))
    if response and rcode:
        info += f" {DNS_RCODES.get(rcode, f'Unknown error ({rcode})')}"
    mdns = proto == "mdns"
    unicast = as_list(f.get("dns.qry.qu"))
    for i, (qtype, name) in enumerate(zip(as_list(f.get("dns.qry.type")), as_list(f.get("dns.qry.name")))):
        info += f" {_type_name(qtype)} {name}"
        if mdns:
            info += ', "QU" question' if i < len(unicast) and as_int(unicast[i]) else ', "QM" question'
    taken: dict[str, int] = {}
    values = {key: as_list(f.get(key)) for keys in _RR_INFO_FIELDS.values() for key in keys}
    flushes = as_list(f.get("dns.resp.cache_flush"))
    for i, rtype in enumerate(as_list(f.get("dns.resp.type"))):
        rtype = as_int(rtype)
        info += f" {_type_name(rtype)}"
        if mdns and i < len(flushes) and as_int(flushes[i]):
            info += ", cache flush"
        for key in _RR_INFO_FIELDS.get(rtype, ()):
            index = taken.get(key, 0)
            taken[key] = index + 1
            if index < len(values[key]):
                info += f" {values[key][index]}"
    return info


def _type_name(rtype: Any) -> str:
    number = as_int(rtype, -1)
    return DNS_TYPES.get(number, f"Unknown ({number})")


_QUOTING = frozenset(("icmp", "icmpv6"))
_DNS_FAMILY = frozenset(("dns", "mdns", "llmnr"))
# A partly decoded layer with this field has enough for its usual info text (the rest is cut off).
_KEY_FIELD = {"http2": "http2.stream", "tcp": "tcp.flags",
              "udp": "udp.length", "ip": "ip.src", "ipv6": "ipv6.src", "arp": "arp.opcode",
              "icmp": "icmp.type", "icmpv6": "icmpv6.type", "dns": "dns.id", "mdns": "dns.id", "llmnr": "dns.id",
              "websocket": "websocket.opcode"}


def _same_protocol(failed: str, layer: str) -> bool:
    return failed == layer or (failed in _DNS_FAMILY and layer in _DNS_FAMILY)


def is_ip_fragment(layer: Layer) -> bool:
    """An IPv4 datagram or IPv6 fragment header that is part of a fragmented packet."""
    f = layer.fields
    if layer.name == "ip":
        return bool(as_int(f.get("ip.flags.mf")) or as_int(f.get("ip.frag_offset")))
    if layer.name == "ipv6.fraghdr":
        return bool(as_int(f.get("ipv6.fraghdr.more")) or as_int(f.get("ipv6.fraghdr.offset")))
    return False


def display_layers(pkt: Packet) -> list[Layer]:
    """The layers that can name the protocol column, outermost first, up to the highest that counts.

    Decoding stops counting at an ICMP error (the rest is the quoted packet) and at an IP fragment (tshark
    shows the fragment; the layers above it belong to the reassembled packet, which we do not build).
    """
    reassembled = getattr(pkt, "wire_frame", None) is not None
    layers = []
    for layer in pkt.layers:
        name = layer.name
        if name in _INFO:
            layers.append(layer)
            if name in _QUOTING or (not reassembled and name in _FRAGMENTABLE and is_ip_fragment(layer)):
                break
    return layers


_FRAGMENTABLE = frozenset(("ip", "ipv6.fraghdr"))


def wire_frame(pkt: Packet) -> Any:
    """The frame as captured: a packet decoded from a reassembled IP datagram keeps it as ``wire_frame``."""
    return getattr(pkt, "wire_frame", None) or pkt.frame


_ETHERTYPE_FIELD = {"eth": "eth.type", "vlan": "vlan.etype", "ieee8021ad": "ieee8021ad.etype"}


_INFO = {
    "eth": Summary._eth_info, "sll": Summary._link_info, "null": Summary._link_info,
    "vlan": Summary._eth_info, "ieee8021ad": Summary._eth_info,
    "arp": Summary._arp_info, "ip": Summary._ip_info, "ipv6": Summary._ipv6_info,
    "ipv6.fraghdr": Summary._ipv6_fragment_info,
    "icmp": Summary._icmp_info, "icmpv6": Summary._icmpv6_info, "udp": Summary._udp_info,
    "tcp": Summary._tcp_info, "dns": Summary._dns_info, "mdns": Summary._dns_info,
    "llmnr": Summary._dns_info, "http": Summary._http_info, "tls": Summary._tls_info,
    "http2": Summary._http2_info,
    "ssdp": Summary._ssdp_info,
    "quic": Summary._quic_info,
    "http3": Summary._quic_info,        # analyzer.apps.http3: the QUIC text, HTTP/3 frame names included
    "websocket": Summary._websocket_info,   # analyzer.apps.websocket, after a 101 (analyzer.apps.http.sink)
}


def network_addresses(pkt: Packet) -> tuple[str, str]:
    """Source and destination of the innermost IP layer that carries the frame (not one quoted in ICMP)."""
    src = dst = ""
    for layer in pkt.layers:
        name = layer.name
        if name == "ip":
            src, dst = layer.fields.get("ip.src", ""), layer.fields.get("ip.dst", "")
        elif name == "ipv6":
            src, dst = layer.fields.get("ipv6.src", ""), layer.fields.get("ipv6.dst", "")
        elif name in ("icmp", "icmpv6"):
            break
    return src, dst


def link_addresses(pkt: Packet) -> tuple[str, str]:
    """Link-layer source and destination (Ethernet, or Linux cooked capture's source only)."""
    for layer in pkt.layers:
        f = layer.fields
        if layer.name == "eth":
            return f.get("eth.src", ""), f.get("eth.dst", "")
        if layer.name == "sll":
            return f.get("sll.src.eth", ""), ""
    return "", ""


def addresses(pkt: Packet) -> tuple[str, str]:
    """The source and destination columns: network addresses, else link-layer addresses."""
    src, dst = network_addresses(pkt)
    if src or dst:
        return src, dst
    return link_addresses(pkt)
