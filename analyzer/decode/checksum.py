"""Internet checksums (RFC 1071) and the network context a transport decoder needs to verify its own.

Theory of operation
-------------------
The one's-complement sum of 16-bit big-endian words is, modulo 0xFFFF, the same as the whole byte string
read as one big-endian integer, because 2**16 is 1 modulo 0xFFFF. CPython turns a byte string into an int
and takes it modulo 0xFFFF in C, so ``int.from_bytes(data[a:b], "big") % 0xFFFF`` sums a 1500-byte
segment far faster than a Python loop over words. Two details make it exact:

* an odd number of bytes is padded with one zero byte at the end (the integer is shifted left by 8);
* the residue 0 stands for two one's-complement values: 0x0000 (every word zero) and 0xFFFF ("negative
  zero", any other sum that wraps to it). :func:`fold` tells them apart by whether the integer is zero.

A received checksum is correct when the sum over the covered bytes, checksum field included, is 0xFFFF
(RFC 1071 4.1): the residue is 0 and the bytes are not all zero. The value the sender should have written
follows from the residue without re-reading the bytes: the sum of everything but the checksum field is
``total - field`` (mod 0xFFFF), and the checksum is its complement.

Transport checksums also cover an IPv4 or IPv6 pseudo-header. :func:`transport_context` finds the
enclosing network layer of the transport layer being decoded, so TCP, UDP and ICMPv6 need no extra
argument beyond the decoder contract: it returns the pseudo-header addresses' sum, the reported end of
the datagram (how long the packet was on the wire, which may be past the captured end when the capture
was cut by snaplen), whether the datagram is a fragment, and whether it is quoted inside an ICMP error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from analyzer.decode.packet import Packet


class _HexText(dict):
    """value -> the text tshark prints for a hex field of this width ("0x0f41"), made on first use."""

    def __init__(self, digits: int):
        super().__init__()
        self._format = f"0x{{:0{digits}x}}"

    def __missing__(self, value: int) -> str:
        text = self[value] = self._format.format(value)
        return text


# The text of 8- and 16-bit hex fields (ids, checksums, flags, EtherTypes): HEX2[2] == "0x02".
HEX2 = tuple(f"0x{i:02x}" for i in range(0x100))
HEX4: dict[int, str] = _HexText(4)

GOOD = "Good"
BAD = "Bad"
UNVERIFIED = "Unverified"
NOT_PRESENT = "Not present"
ILLEGAL = "Illegal"

_from_bytes = int.from_bytes


def fold(total: int) -> int:
    """The 16-bit one's-complement sum whose words add up to the integer ``total``."""
    r = total % 0xFFFF
    if r == 0 and total:
        return 0xFFFF
    return r


def sum_bytes(data: bytes, start: int, end: int) -> int:
    """``data[start:end]`` as one big integer congruent to its one's-complement sum (zero-padded if odd)."""
    v = _from_bytes(data[start:end], "big")
    if (end - start) & 1:
        v <<= 8
    return v


def internet_checksum(data: bytes) -> int:
    """The checksum a sender writes for ``data`` (with its checksum field zeroed): ~sum & 0xFFFF."""
    return 0xFFFF - fold(sum_bytes(data, 0, len(data)))


def is_good(total: int) -> bool:
    """Does a sum over covered bytes, checksum field included, verify (equal negative zero)?"""
    return total % 0xFFFF == 0 and total != 0


def expected(total: int, field: int) -> int:
    """The checksum that would have made ``total`` verify, given the ``field`` value it contains."""
    rest = (total - field) % 0xFFFF
    # rest == 0 here means the other words summed to 0xFFFF (they are never all zero: the pseudo-header
    # or the header itself has non-zero words), whose complement is 0.
    return 0xFFFF - rest if rest else 0


def bad_checksum_text(field: int, should_be: int) -> str:
    """The note for a checksum that does not verify (often the capturing host's NIC fills it in later)."""
    return f"checksum 0x{field:04x} incorrect, should be 0x{should_be:04x} (maybe caused by checksum offload)"


# A transport decoder's view of its network layer, as returned by transport_context():
#   (pseudo, reported_end, fragmented, in_error, ipv6)
# pseudo        sum of the pseudo-header's two addresses (protocol and length are added by the caller);
#               None when no IP layer encloses the transport layer
# reported_end  frame offset where the datagram ended on the wire (past the captured end if snaplen cut it)
# fragmented    the datagram is a fragment: its checksum covers bytes that are not here
# in_error      the datagram is quoted inside an ICMP/ICMPv6 error message
# ipv6          the network layer is IPv6
TransportContext = tuple

# Layers that can sit below the network layer; a packet made only of these and one IP layer takes the
# fast path of transport_context().
_LINK_LAYERS = frozenset({"frame", "eth", "vlan", "ieee8021ad", "sll", "null", "raw"})


def transport_context(pkt: Packet, data: bytes) -> TransportContext:
    """Context for the transport layer about to be added to ``pkt`` (pseudo is None without an IP layer)."""
    layers = pkt.layers
    n = len(layers)
    net = layers[-1]
    if net.name == "ip" and n <= 4 and layers[-2].name in _LINK_LAYERS and layers[1].name in _LINK_LAYERS:
        # The common case: link layer(s), one IPv4 header, this transport header.
        fields = net.fields
        off = net.offset
        reported = off + fields["ip.len"]
        origlen = pkt.frame.origlen
        reported = min(reported, origlen)
        return (_from_bytes(data[off + 12:off + 20], "big"), reported,
                fields["ip.flags.mf"] or fields["ip.frag_offset"], False, False)
    return _transport_context_walk(pkt, data)


def _transport_context_walk(pkt: Packet, data: bytes) -> TransportContext:
    layers = pkt.layers
    i = len(layers) - 1
    fragmented = False
    routing = None
    net = None
    while i >= 0:
        layer = layers[i]
        name = layer.name
        if name == "ip" or name == "ipv6":
            net = layer
            break
        if name == "ipv6.fraghdr":
            fragmented = True
        elif name == "ipv6.routing":
            routing = layer
        i -= 1
    if net is None:
        return (None, pkt.frame.origlen, False, False, False)
    off = net.offset
    fields = net.fields
    if net.name == "ip":
        pseudo = _from_bytes(data[off + 12:off + 20], "big")
        if fields.get("ip.flags.mf") or fields.get("ip.frag_offset"):
            fragmented = True
        ipv6 = False
    else:
        src = _from_bytes(data[off + 8:off + 24], "big")
        final = off + 24
        if routing is not None and routing.fields.get("ipv6.routing.segleft"):
            # RFC 8200 8.1: with a Routing header the pseudo-header holds the final destination.
            final = final_destination_offset(routing, final)
        pseudo = src + _from_bytes(data[final:final + 16], "big")
        ipv6 = True
    # The datagram's reported end: the tightest of every enclosing IP length and the wire length.
    reported = pkt.frame.origlen
    in_error = False
    j = i
    while j >= 0:
        layer = layers[j]
        name = layer.name
        if name == "ip":
            ip_len = layer.fields.get("ip.len", 0)
            if ip_len and layer.offset + ip_len < reported:
                reported = layer.offset + ip_len
        elif name == "ipv6":
            plen = layer.fields.get("ipv6.plen", 0)
            if plen and layer.offset + 40 + plen < reported:
                reported = layer.offset + 40 + plen
        elif name == "icmp" or name == "icmpv6":
            in_error = True
        j -= 1
    return (pseudo, reported, fragmented, in_error, ipv6)


def final_destination_offset(routing, default: int) -> int:
    """Frame offset of the final destination listed in an IPv6 Routing header layer (else ``default``)."""
    fields = routing.fields
    rtype = fields["ipv6.routing.type"]
    base = routing.offset + 8
    if rtype == 4 or rtype == 2:
        # SRH (RFC 8754 4.1): Segment List[0] is the final segment; type 2 (RFC 6275 6.4): home address.
        return base
    if rtype == 0:  # deprecated type 0 (RFC 2460 4.4): the last address of the list
        count = fields["ipv6.routing.len"] // 2
        if count:
            return base + 16 * (count - 1)
    return default
