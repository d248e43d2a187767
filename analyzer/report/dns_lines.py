"""``read``'s line of a DNS query or response over UDP without decoding the frame: the message parsed once, no
layers, no fields.

A DNS datagram in ``read``'s text output (``filter.apply.analyzed(dns_lines=True)``) needs only its addresses and
the DNS decoder's parse of the message for its summary line: :func:`dns_line_of` reads them from the frame
when the frame has the commonest shape and its decode could change nothing else in the run:

* untagged Ethernet, not cut by the snap length; IPv4 without options or fragmentation (or IPv6 whose next
  header is UDP), the datagram within the frame; a UDP length equal to the IP payload's, with a payload;
* the port the decoder picks (the lower port first, as ``decode.packet.run`` does) is decoded by
  ``decode_dns`` (Decode As left alone), and neither port is mDNS, LLMNR, SSDP or HTTP over UDP (their
  protocol column or the HTTP-over-UDP tracker differ);
* the message parses whole (``parse_message``, lenient, with no error): the decoded packet would carry no
  failure, and its DNS layer the same message.

Anything else returns None and the frame goes through the pipeline as before. The pipeline's state does not
depend on such a datagram in lines mode (no UDP conversations are kept there, no DNS transactions made, and
the HTTP trackers look at TCP frames and the HTTP-over-UDP ports only). The line is the one
``Summary.line`` gives the decoded packet (tests/test_read_fast_dns.py, on every capture and on damaged
frames).
"""

from __future__ import annotations

import struct
from typing import Any

from analyzer.apps.http.udp import SSDP_PORT
from analyzer.decode.decode_as import HTTP_UDP_PORTS
from analyzer.decode.dns import decode_dns, parse_message
from analyzer.decode.errors import DecodeError
from analyzer.decode.ipv4 import decode_ipv4
from analyzer.decode.ipv6 import decode_ipv6
from analyzer.decode.tables import TABLES
from analyzer.decode.udp import decode_udp
from analyzer.flows.quick import address_pair

_UDP = struct.Struct("!HHH").unpack_from
_U16 = struct.Struct("!H").unpack_from
_PORT_DECODERS = TABLES["udp.port"]
_IP_PROTO = TABLES["ip.proto"]
_ETHERTYPE = TABLES["ethertype"]
_OTHER_PORTS = frozenset((5353, 5355, SSDP_PORT))     # (HTTP_UDP_PORTS is filled by -d: read where used)


class DnsLine:
    """A DNS datagram not decoded: the frame, its address texts and the parsed message."""

    __slots__ = ("dst", "frame", "message", "src")

    def __init__(self, frame: Any, src: str, dst: str, message: Any):
        self.frame = frame
        self.src = src
        self.dst = dst
        self.message = message


def dns_line_of(frame: Any) -> DnsLine | None:
    """The frame as a :class:`DnsLine` when its line needs no decode (see the module docstring), else None."""
    data = frame.data
    n = len(data)
    if frame.linktype != 1 or n != frame.origlen or n < 42:
        return None
    if data[12] == 0x08 and data[13] == 0x00:
        if data[14] != 0x45 or data[23] != 17 or (data[20] & 0x3F) or data[21]:
            return None
        ip_end = 14 + _U16(data, 16)[0]
        t = 34
        addrs = data[26:34]
        if _ETHERTYPE.get(0x0800) is not decode_ipv4:
            return None
    elif data[12] == 0x86 and data[13] == 0xDD:
        if n < 62 or data[14] >> 4 != 6 or data[20] != 17:
            return None
        ip_end = 54 + _U16(data, 18)[0]
        t = 54
        addrs = data[22:54]
        if _ETHERTYPE.get(0x86DD) is not decode_ipv6:
            return None
    else:
        return None
    if ip_end > n or _IP_PROTO.get(17) is not decode_udp:
        return None
    sport, dport, length = _UDP(data, t)
    if length != ip_end - t or length <= 8 or sport in _OTHER_PORTS or dport in _OTHER_PORTS or (
            HTTP_UDP_PORTS and (sport in HTTP_UDP_PORTS or dport in HTTP_UDP_PORTS)):
        return None
    low, high = (sport, dport) if sport <= dport else (dport, sport)
    decoder = _PORT_DECODERS.get(low)
    if decoder is None:
        decoder = _PORT_DECODERS.get(high)
    if decoder is not decode_dns:
        return None
    try:
        msg = parse_message(data, t + 8, ip_end, lenient=True)
    except DecodeError:
        return None
    if msg.errors:      # (a lenient parse that read fewer records than counted has an error)
        return None
    src, dst = address_pair(addrs)
    return DnsLine(frame, src, dst, msg)
