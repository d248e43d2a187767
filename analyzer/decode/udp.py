"""UDP (RFC 768): ports, length, checksum; hands the payload to a port decoder, lower port first.

Length checks follow tshark: a length below 8 ends the layer; a length beyond the IP payload is noted and
the payload is what the IP layer carries; a length below it trims the payload. A checksum of 0 means "not
computed" over IPv4 and is illegal over IPv6 (RFC 8200 8.1). A datagram that is a fragment, quotes only a
part (inside an ICMP error) or was cut by snaplen cannot be verified.
"""

from __future__ import annotations

import struct
from typing import Any

from analyzer.decode.checksum import (
    BAD,
    GOOD,
    HEX4,
    ILLEGAL,
    NOT_PRESENT,
    UNVERIFIED,
    bad_checksum_text,
    expected,
    transport_context,
)
from analyzer.decode.errors import DecodeError
from analyzer.decode.packet import Packet

_HEADER = struct.Struct("!HHHH")
_unpack_header = _HEADER.unpack_from
_from_bytes = int.from_bytes
IPPROTO_UDP = 17


def decode_udp(pkt: Packet, data: bytes, off: int, end: int):
    if end - off < 8:
        raise DecodeError("udp", off, f"truncated UDP header: need 8 bytes, have {max(end - off, 0)}")
    sport, dport, length, cksum = _unpack_header(data, off)
    fields: dict[str, Any] = {
        "udp.srcport": sport,
        "udp.dstport": dport,
        "udp.port": [sport, dport],
        "udp.length": length,
    }
    pseudo, reported_end, fragmented, in_error, ipv6 = transport_context(pkt, data)
    if length == 0 and ipv6:
        length = reported_end - off  # RFC 2675 jumbogram: the length comes from the IPv6 layer
    if length < 8:
        pkt.add("udp", off, 8, fields)
        reason = f"bad UDP length value {length} < 8"
        pkt.note("udp", "error", reason)
        raise DecodeError("udp", off, reason)

    fields["udp.checksum"] = HEX4[cksum]
    datagram_end = off + length
    verifiable = True
    if datagram_end > reported_end:
        verifiable = False
        if not in_error:
            pkt.note("udp", "error", f"bad UDP length value {length} > IP payload length {reported_end - off}")
        datagram_end = reported_end
    elif datagram_end < end:
        end = datagram_end  # bytes past the UDP length are not UDP payload
    reported_end = min(reported_end, datagram_end)

    if cksum == 0:
        if ipv6:
            status = ILLEGAL
            pkt.note("udp", "error", "illegal UDP checksum value 0 over IPv6")
        else:
            status = NOT_PRESENT
    elif pseudo is None or fragmented or not verifiable or end < reported_end:
        status = UNVERIFIED
    else:
        total = _from_bytes(data[off:end], "big")
        if (end - off) & 1:
            total <<= 8
        total += pseudo + IPPROTO_UDP + length
        if total % 0xFFFF == 0 and total:
            status = GOOD
        else:
            status = BAD
            should = expected(total, cksum)
            # RFC 768: a computed checksum of zero is transmitted as all ones.
            pkt.note("udp", "warning", bad_checksum_text(cksum, should if should else 0xFFFF))
    fields["udp.checksum.status"] = status
    pkt.add("udp", off, 8, fields)

    payload_off = off + 8
    if end < reported_end and not in_error and pkt.frame.caplen < pkt.frame.origlen:
        pkt.note("udp", "note", f"UDP payload cut by snaplen: {max(end - payload_off, 0)} of "
                                f"{reported_end - payload_off} bytes captured")
    if not in_error:  # a quoted datagram's bytes are not this packet's payload
        pkt.payload = (payload_off, end)
    if end <= payload_off:
        return None
    if sport <= dport:
        return ("udp.port", (sport, dport), payload_off, end)
    return ("udp.port", (dport, sport), payload_off, end)
