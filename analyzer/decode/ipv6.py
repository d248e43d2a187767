"""IPv6 (RFC 8200) and its extension headers: Hop-by-Hop, Routing, Fragment and Destination Options.

As in tshark each extension header is a layer of its own (``ipv6.hopopts``, ``ipv6.routing``,
``ipv6.fraghdr``, ``ipv6.dstopts``), reached through the ``ip.proto`` table like any upper protocol, so a
chain of them needs no loop here. The fixed header trims ``end`` to the payload length (Ethernet padding
excluded); a payload length of 0 (a jumbogram, RFC 2675) keeps what the frame carries.

A fragment with a non-zero offset ends decoding: its payload is the middle of a datagram, and reassembly is
a later stage's work. A first fragment goes on to the transport header, whose checksum cannot be verified.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from analyzer.decode.checksum import HEX2
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import Packet, add_field

_HEADER = struct.Struct("!IHBB16s16s")
_unpack_header = _HEADER.unpack_from
_FRAG = struct.Struct("!BBHI")
_inet_ntop = socket.inet_ntop
_AF_INET6 = socket.AF_INET6
_TCLASS = tuple(f"0x{i:08x}" for i in range(0x100))

OPT_PAD1 = 0x00
OPT_ROUTER_ALERT = 0x05
OPT_JUMBO = 0xC2


def decode_ipv6(pkt: Packet, data: bytes, off: int, end: int):
    if end - off < 40 or data[off] >> 4 != 6:
        if end > off and data[off] >> 4 != 6:
            version = data[off] >> 4
            pkt.add("ipv6", off, 0, {"ip.version": version, "ipv6.version": version})
            pkt.note("ipv6", "error", f"bogus IP version ({version}, must be 6)")
            raise DecodeError("ipv6", off, f"bogus IP version ({version}, must be 6)")
        raise DecodeError("ipv6", off, f"truncated IPv6 header: need 40 bytes, have {max(end - off, 0)}")
    vtf, plen, nxt, hlim, src, dst = _unpack_header(data, off)
    tclass = (vtf >> 20) & 0xFF
    src_text = _inet_ntop(_AF_INET6, src)
    dst_text = _inet_ntop(_AF_INET6, dst)
    pkt.add("ipv6", off, 40, {
        "ip.version": 6,  # tshark adds the IPv4 field too (hidden), so "ip.version == 6" matches IPv6
        "ipv6.version": 6,
        "ipv6.tclass": _TCLASS[tclass],
        "ipv6.tclass.dscp": tclass >> 2,
        "ipv6.tclass.ecn": tclass & 3,
        "ipv6.flow": f"0x{vtf & 0xFFFFF:06x}",
        "ipv6.plen": plen,
        "ipv6.nxt": nxt,
        "ipv6.hlim": hlim,
        "ipv6.src": src_text,
        "ipv6.addr": [src_text, dst_text],
        "ipv6.dst": dst_text,
    })
    payload_end = off + 40 + plen
    if plen == 0:
        if nxt != 0:
            pkt.note("ipv6", "note", "IPv6 payload length 0 without a Hop-by-Hop header (no jumbo option)")
    elif payload_end < end:
        end = payload_end
    elif payload_end > end and pkt.frame.caplen >= pkt.frame.origlen and not _quoted(pkt):
        pkt.note("ipv6", "warning",
                 f"IPv6 payload length {plen} exceeds the {end - off - 40} bytes the frame carries")
    return ("ip.proto", nxt, off + 40, end)


def _quoted(pkt: Packet) -> bool:
    for layer in reversed(pkt.layers):
        if layer.name == "icmp" or layer.name == "icmpv6":
            return True
    return False


def _ext_start(name: str, data: bytes, off: int, end: int) -> tuple[int, int, int]:
    """Next header, length field and total length of an extension header; DecodeError if not all there."""
    if end - off < 2:
        raise DecodeError(name, off, f"truncated {name} header: need 2 bytes, have {max(end - off, 0)}")
    nxt = data[off]
    hlen = data[off + 1]
    total = (hlen + 1) << 3
    if end - off < total:
        raise DecodeError(name, off, f"truncated {name} header: need {total} bytes, have {end - off}")
    return nxt, hlen, total


def _options(pkt: Packet, name: str, fields: dict[str, Any], data: bytes, off: int, end: int) -> None:
    """The TLV options of a Hop-by-Hop or Destination Options header (RFC 8200 4.2)."""
    types: list[str] = []
    lens: list[int] = []
    while off < end:
        kind = data[off]
        types.append(HEX2[kind])
        if kind == OPT_PAD1:
            off += 1
            continue
        if off + 2 > end:
            pkt.note(name, "warning", f"IPv6 option {HEX2[kind]}: length byte past end of header")
            break
        length = data[off + 1]
        lens.append(length)
        if off + 2 + length > end:
            pkt.note(name, "warning", f"IPv6 option {HEX2[kind]}: length {length} runs past end of header")
            break
        if kind == OPT_ROUTER_ALERT and length == 2:
            add_field(fields, "ipv6.opt.router_alert", (data[off + 2] << 8) | data[off + 3])
        elif kind == OPT_JUMBO and length == 4:
            add_field(fields, "ipv6.opt.jumbo", int.from_bytes(data[off + 2:off + 6], "big"))
        off += 2 + length
    if types:
        fields["ipv6.opt.type"] = types if len(types) > 1 else types[0]
    if lens:
        fields["ipv6.opt.length"] = lens if len(lens) > 1 else lens[0]


def _decode_opts_header(name: str, pkt: Packet, data: bytes, off: int, end: int):
    nxt, hlen, total = _ext_start(name, data, off, end)
    fields: dict[str, Any] = {name + ".nxt": nxt, name + ".len": hlen, name + ".len_oct": total}
    _options(pkt, name, fields, data, off + 2, off + total)
    pkt.add(name, off, total, fields)
    return ("ip.proto", nxt, off + total, end)


def decode_hopopts(pkt: Packet, data: bytes, off: int, end: int):
    """Hop-by-Hop Options header (next header 0)."""
    return _decode_opts_header("ipv6.hopopts", pkt, data, off, end)


def decode_dstopts(pkt: Packet, data: bytes, off: int, end: int):
    """Destination Options header (next header 60)."""
    return _decode_opts_header("ipv6.dstopts", pkt, data, off, end)


def decode_routing(pkt: Packet, data: bytes, off: int, end: int):
    """Routing header (next header 43): types 0 (deprecated), 2 (Mobile IPv6) and 4 (Segment Routing)."""
    name = "ipv6.routing"
    nxt, hlen, total = _ext_start(name, data, off, end)
    if total < 8:
        raise DecodeError(name, off, "routing header shorter than 8 bytes")
    rtype = data[off + 2]
    fields: dict[str, Any] = {
        "ipv6.routing.nxt": nxt,
        "ipv6.routing.len": hlen,
        "ipv6.routing.len_oct": total,
        "ipv6.routing.type": rtype,
        "ipv6.routing.segleft": data[off + 3],
    }
    addrs = [_inet_ntop(_AF_INET6, data[a:a + 16]) for a in range(off + 8, off + total - 15, 16)]
    if rtype == 0:
        pkt.note(name, "warning", "Routing header type 0 is deprecated (RFC 5095)")
        if addrs:
            fields["ipv6.routing.src.addr"] = addrs if len(addrs) > 1 else addrs[0]
    elif rtype == 2:
        if addrs:
            fields["ipv6.routing.mipv6.home_address"] = addrs[0]
    elif rtype == 4:
        fields["ipv6.routing.srh.last_entry"] = data[off + 4]
        fields["ipv6.routing.srh.flags"] = HEX2[data[off + 5]]
        fields["ipv6.routing.srh.tag"] = data[off + 6:off + 8].hex()
        if addrs:
            fields["ipv6.routing.srh.addr"] = addrs if len(addrs) > 1 else addrs[0]
    pkt.add(name, off, total, fields)
    return ("ip.proto", nxt, off + total, end)


def decode_fraghdr(pkt: Packet, data: bytes, off: int, end: int):
    """Fragment header (next header 44); only a first fragment (offset 0) goes on to its next header."""
    if end - off < 8:
        raise DecodeError("ipv6.fraghdr", off, f"truncated fragment header: need 8 bytes, have {max(end - off, 0)}")
    nxt, reserved, offlg, ident = _FRAG.unpack_from(data, off)
    frag_offset = offlg >> 3
    pkt.add("ipv6.fraghdr", off, 8, {
        "ipv6.fraghdr.nxt": nxt,
        "ipv6.fraghdr.reserved_octet": HEX2[reserved],
        "ipv6.fraghdr.offset": frag_offset,
        "ipv6.fraghdr.reserved_bits": (offlg >> 1) & 3,
        "ipv6.fraghdr.more": offlg & 1,
        "ipv6.fraghdr.ident": f"0x{ident:08x}",
    })
    if frag_offset:
        return None  # the middle or end of a datagram: reassembly comes later
    return ("ip.proto", nxt, off + 8, end)
