"""ICMP (RFC 792) and ICMPv6 (RFC 4443): type, code, checksum, echo identifiers, quoted datagrams.

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
        if end > off + 8 and not in_error:
            nxt = ("ethertype", 0x86DD, off + 8, end)
    pkt.add("icmpv6", off, 8 if end - off >= 8 else 4, fields)
    return nxt
