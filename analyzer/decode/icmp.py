"""ICMP (RFC 792) and ICMPv6 (RFC 4443): type, code, checksum, echo identifiers, quoted datagrams, and the
Neighbor Discovery messages (RFC 4861: router and neighbor solicitations and advertisements, redirects) with
their options, under tshark's field names.

An error message (destination unreachable, time exceeded, ...) quotes the start of the datagram that
caused it; as tshark does, the quote is decoded as an inner IP layer through the ``ethertype`` table, so a
packet can hold two ``ip`` layers and ``pkt["ip.src"]`` becomes a list, outer first.

The checksum covers the whole message (ICMPv6 adds the IPv6 pseudo-header, RFC 4443 2.3). A message cut
short by the capture cannot be verified and is reported "Unverified".
"""

from __future__ import annotations

import socket
from typing import Any

from analyzer.decode.checksum import (
    BAD,
    GOOD,
    HEX4,
    UNVERIFIED,
    bad_checksum_text,
    expected,
    transport_context,
)
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import Packet

_from_bytes = int.from_bytes
_inet_ntoa = socket.inet_ntoa

# RFC 792 and later: messages carrying identifier and sequence number in bytes 4-7.
_ICMP_IDENT_TYPES = frozenset({0, 8, 13, 14, 15, 16, 17, 18})
# Messages quoting the offending datagram after their 8-byte header.
_ICMP_ERROR_TYPES = frozenset({3, 4, 5, 11, 12})
_ICMPV6_ERROR_TYPES = frozenset({1, 2, 3, 4})
IPPROTO_ICMPV6 = 58


def _verify(pkt: Packet, layer: str, data: bytes, off: int, end: int, reported_end: int,
            pseudo: int, cksum: int) -> str:
    if end < reported_end:
        if pkt.frame.caplen < pkt.frame.origlen:
            pkt.note(layer, "note", f"{layer.upper()} message cut by snaplen: {end - off} of "
                                    f"{reported_end - off} bytes captured, checksum not verified")
        return UNVERIFIED
    total = _from_bytes(data[off:end], "big")
    if (end - off) & 1:
        total <<= 8
    total += pseudo
    if total % 0xFFFF == 0 and total:
        return GOOD
    pkt.note(layer, "warning", bad_checksum_text(cksum, expected(total, cksum)))
    return BAD


def decode_icmp(pkt: Packet, data: bytes, off: int, end: int):
    if end - off < 8:
        raise DecodeError("icmp", off, f"truncated ICMP header: need 8 bytes, have {max(end - off, 0)}")
    icmp_type = data[off]
    code = data[off + 1]
    cksum = (data[off + 2] << 8) | data[off + 3]
    _pseudo, reported_end, fragmented, in_error, _ipv6 = transport_context(pkt, data)
    if fragmented:
        status = UNVERIFIED
    else:
        status = _verify(pkt, "icmp", data, off, end, reported_end, 0, cksum)
    fields: dict[str, Any] = {
        "icmp.type": icmp_type,
        "icmp.code": code,
        "icmp.checksum": HEX4[cksum],
        "icmp.checksum.status": status,
    }
    nxt = None
    if icmp_type in _ICMP_IDENT_TYPES:
        ident = (data[off + 4] << 8) | data[off + 5]
        seq = (data[off + 6] << 8) | data[off + 7]
        fields["icmp.ident"] = ident
        fields["icmp.ident_le"] = ((ident & 0xFF) << 8) | (ident >> 8)
        fields["icmp.seq"] = seq
        fields["icmp.seq_le"] = ((seq & 0xFF) << 8) | (seq >> 8)
        if icmp_type in (13, 14) and end - off >= 20:
            fields["icmp.originate_timestamp"] = _from_bytes(data[off + 8:off + 12], "big")
            fields["icmp.receive_timestamp"] = _from_bytes(data[off + 12:off + 16], "big")
            fields["icmp.transmit_timestamp"] = _from_bytes(data[off + 16:off + 20], "big")
        elif icmp_type in (17, 18) and end - off >= 12:
            fields["icmp.address_mask"] = _inet_ntoa(data[off + 8:off + 12])
    elif icmp_type in _ICMP_ERROR_TYPES:
        if icmp_type == 3 and code == 4:
            fields["icmp.mtu"] = (data[off + 6] << 8) | data[off + 7]
        elif icmp_type == 5:
            fields["icmp.redir_gw"] = _inet_ntoa(data[off + 4:off + 8])
        elif icmp_type == 12:
            fields["icmp.pointer"] = data[off + 4]
        if end > off + 8 and not in_error:
            nxt = ("ethertype", 0x0800, off + 8, end)  # the quoted datagram (never an error in an error)
    pkt.add("icmp", off, 8, fields)
    return nxt


def decode_icmpv6(pkt: Packet, data: bytes, off: int, end: int):
    if end - off < 4:
        raise DecodeError("icmpv6", off, f"truncated ICMPv6 header: need 4 bytes, have {max(end - off, 0)}")
    icmp_type = data[off]
    code = data[off + 1]
    cksum = (data[off + 2] << 8) | data[off + 3]
    pseudo, reported_end, fragmented, in_error, ipv6 = transport_context(pkt, data)
    if pseudo is None or not ipv6 or fragmented:
        status = UNVERIFIED  # no IPv6 pseudo-header to check against, or only part of the message
    else:
        status = _verify(pkt, "icmpv6", data, off, end, reported_end,
                         pseudo + (reported_end - off) + IPPROTO_ICMPV6, cksum)
    fields: dict[str, Any] = {
        "icmpv6.type": icmp_type,
        "icmpv6.code": code,
        "icmpv6.checksum": HEX4[cksum],
        "icmpv6.checksum.status": status,
    }
    nxt = None
    if icmp_type == 128 or icmp_type == 129:
        if end - off < 8:
            pkt.add("icmpv6", off, 4, fields)
            raise DecodeError("icmpv6", off, f"truncated ICMPv6 echo: need 8 bytes, have {end - off}")
        fields["icmpv6.echo.identifier"] = HEX4[(data[off + 4] << 8) | data[off + 5]]
        fields["icmpv6.echo.sequence_number"] = (data[off + 6] << 8) | data[off + 7]
    elif icmp_type in _ICMPV6_ERROR_TYPES:
        if end - off < 8:
            pkt.add("icmpv6", off, 4, fields)
            raise DecodeError("icmpv6", off, f"truncated ICMPv6 error: need 8 bytes, have {end - off}")
        if icmp_type == 2:
            fields["icmpv6.mtu"] = _from_bytes(data[off + 4:off + 8], "big")
        elif icmp_type == 4:
            fields["icmpv6.pointer"] = _from_bytes(data[off + 4:off + 8], "big")
        else:                   # destination unreachable, time exceeded: 4 unused bytes
            fields["icmpv6.reserved"] = data[off + 4:off + 8].hex()
        if end > off + 8 and not in_error:
            nxt = ("ethertype", 0x86DD, off + 8, end)
    elif icmp_type == 143 and end - off >= 6:       # MLDv2 report: 2 reserved bytes before the count
        fields["icmpv6.reserved"] = data[off + 4:off + 6].hex()
    elif 133 <= icmp_type <= 137:
        length = _neighbor_discovery(pkt, fields, icmp_type, data, off, end)
        pkt.add("icmpv6", off, length, fields)
        return None
    pkt.add("icmpv6", off, 8 if end - off >= 8 else 4, fields)
    return nxt


# -- Neighbor Discovery (RFC 4861): RS 133, RA 134, NS 135, NA 136, Redirect 137 ----------------------------
_ND_FIXED = {133: 8, 134: 16, 135: 24, 136: 24, 137: 40}   # bytes before the options
_inet_ntop6 = socket.inet_ntop


def _ipv6(b: bytes) -> str:
    return _inet_ntop6(socket.AF_INET6, b)


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def _neighbor_discovery(pkt: Packet, fields: dict[str, Any], icmp_type: int, data: bytes, off: int,
                        end: int) -> int:
    """The ND message's fields and options as tshark names them; returns the bytes read."""
    fixed = _ND_FIXED[icmp_type]
    if end - off < fixed:
        pkt.add("icmpv6", off, min(end - off, 8) if end - off >= 4 else 4, fields)
        raise DecodeError("icmpv6", off, f"truncated ICMPv6 {icmp_type} message: need {fixed} bytes, "
                                         f"have {end - off}")
    if icmp_type in (133, 135, 137):
        fields["icmpv6.reserved"] = data[off + 4:off + 8].hex()
    if icmp_type == 134:
        flags = data[off + 5]
        fields["icmpv6.nd.ra.cur_hop_limit"] = data[off + 4]
        fields["icmpv6.nd.ra.flag"] = f"0x{flags:02x}"
        fields["icmpv6.nd.ra.flag.m"] = flags >> 7
        fields["icmpv6.nd.ra.flag.o"] = (flags >> 6) & 1
        fields["icmpv6.nd.ra.flag.h"] = (flags >> 5) & 1
        fields["icmpv6.nd.ra.flag.prf"] = (flags >> 3) & 3
        fields["icmpv6.nd.ra.flag.p"] = (flags >> 2) & 1
        fields["icmpv6.nd.ra.flag.rsv"] = flags & 3
        fields["icmpv6.nd.ra.router_lifetime"] = _from_bytes(data[off + 6:off + 8], "big")
        fields["icmpv6.nd.ra.reachable_time"] = _from_bytes(data[off + 8:off + 12], "big")
        fields["icmpv6.nd.ra.retrans_timer"] = _from_bytes(data[off + 12:off + 16], "big")
    elif icmp_type == 135:
        fields["icmpv6.nd.ns.target_address"] = _ipv6(data[off + 8:off + 24])
    elif icmp_type == 136:
        flags = _from_bytes(data[off + 4:off + 8], "big")
        fields["icmpv6.nd.na.flag"] = f"0x{flags:08x}"
        fields["icmpv6.nd.na.flag.r"] = flags >> 31
        fields["icmpv6.nd.na.flag.s"] = (flags >> 30) & 1
        fields["icmpv6.nd.na.flag.o"] = (flags >> 29) & 1
        fields["icmpv6.nd.na.flag.rsv"] = flags & 0x1FFFFFFF
        fields["icmpv6.nd.na.target_address"] = _ipv6(data[off + 8:off + 24])
    elif icmp_type == 137:
        fields["icmpv6.nd.rd.target_address"] = _ipv6(data[off + 8:off + 24])
        fields["icmpv6.nd.rd.destination_address"] = _ipv6(data[off + 24:off + 40])
    _nd_options(pkt, fields, data, off + fixed, end)
    return end - off


def _add(fields: dict[str, Any], key: str, value: Any) -> None:
    old = fields.get(key)
    if old is None:
        fields[key] = value
    elif type(old) is list:
        old.append(value)
    else:
        fields[key] = [old, value]


def _nd_options(pkt: Packet, fields: dict[str, Any], data: bytes, p: int, end: int) -> None:
    """ND options (RFC 4861 4.6, RFC 8106 RDNSS/DNSSL, RFC 4191 route information), each in 8-byte units."""
    while end - p >= 2:
        kind, units = data[p], data[p + 1]
        _add(fields, "icmpv6.opt.type", kind)
        _add(fields, "icmpv6.opt.length", units)
        if units == 0:
            pkt.note("icmpv6", "error", f"ND option {kind} with length 0 (RFC 4861 4.6: silently discarded)")
            return
        stop = p + units * 8
        if stop > end:
            pkt.note("icmpv6", "warning", f"ND option {kind} runs past the message")
            return
        body = data[p + 2:stop]
        if kind in (1, 2):                      # source / target link-layer address
            mac = _mac(body)
            _add(fields, "icmpv6.opt.linkaddr", mac)
            _add(fields, "icmpv6.opt.src_linkaddr" if kind == 1 else "icmpv6.opt.target_linkaddr", mac)
        elif kind == 3 and len(body) >= 30:     # prefix information
            flags = body[1]
            _add(fields, "icmpv6.opt.prefix.length", body[0])
            _add(fields, "icmpv6.opt.prefix.flag", f"0x{flags:02x}")
            _add(fields, "icmpv6.opt.prefix.flag.l", flags >> 7)
            _add(fields, "icmpv6.opt.prefix.flag.a", (flags >> 6) & 1)
            _add(fields, "icmpv6.opt.prefix.flag.r", (flags >> 5) & 1)
            _add(fields, "icmpv6.opt.prefix.flag.reserved", flags & 0x1F)
            _add(fields, "icmpv6.opt.prefix.valid_lifetime", _from_bytes(body[2:6], "big"))
            _add(fields, "icmpv6.opt.prefix.preferred_lifetime", _from_bytes(body[6:10], "big"))
            _add(fields, "icmpv6.opt.prefix", _ipv6(body[14:30]))
        elif kind == 5 and len(body) >= 6:      # MTU
            _add(fields, "icmpv6.opt.mtu", _from_bytes(body[2:6], "big"))
        elif kind == 24 and len(body) >= 6:     # route information
            flags = body[1]
            _add(fields, "icmpv6.opt.route_info.flag", f"0x{flags:02x}")
            _add(fields, "icmpv6.opt.route_info.flag.route_preference", (flags >> 3) & 3)
            _add(fields, "icmpv6.opt.route_info.flag.reserved", flags & 0xE7)
            _add(fields, "icmpv6.opt.route_lifetime", _from_bytes(body[2:6], "big"))
            _add(fields, "icmpv6.opt.prefix.length", body[0])
            _add(fields, "icmpv6.opt.prefix", _ipv6(body[6:22].ljust(16, b"\0")))
        elif kind == 25 and len(body) >= 6:     # recursive DNS servers
            _add(fields, "icmpv6.opt.rdnss.lifetime", _from_bytes(body[2:6], "big"))
            for i in range(6, len(body) - 15, 16):
                _add(fields, "icmpv6.opt.rdnss", _ipv6(body[i:i + 16]))
        elif kind == 31 and len(body) >= 6:     # DNS search list
            _add(fields, "icmpv6.opt.dnssl.lifetime", _from_bytes(body[2:6], "big"))
            for domain in _dns_names(body[6:]):
                _add(fields, "icmpv6.opt.dnssl", domain)
        p = stop


def _dns_names(data: bytes) -> list[str]:
    """The uncompressed domain names of a DNSSL option (RFC 8106 5.2), zero padding after the last."""
    names, labels, i = [], [], 0
    while i < len(data):
        n = data[i]
        if n == 0:
            if labels:
                names.append(".".join(labels))
                labels = []
            i += 1
            continue
        if n >= 64 or i + 1 + n > len(data):
            break
        labels.append(data[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    return names
