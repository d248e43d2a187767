"""Headers-only reading for flow accounting: link -> IPv4/IPv6 -> TCP/UDP with struct, no Packet objects.

``analyzer conversations`` needs, per frame, only the 4-tuple, TCP flags, sequence numbers, window and
lengths. :func:`quick_headers` reads exactly those from the common shapes (Ethernet with up to two VLAN tags,
Linux cooked v1/v2, BSD loopback, raw IP; IPv4 without fragmentation; IPv6 without extension headers) and
returns None for anything else, which the pipeline then sends through the full decoder — so the result is
the same, only faster. Addresses are the decoders' text (``socket.inet_ntop``), cached.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

_U16 = struct.Struct("!H").unpack_from
_IPV4 = struct.Struct("!BxHxxHxB").unpack_from          # vhl, total length, flags+offset, protocol
_TCP = struct.Struct("!HHIIBBH").unpack_from
_UDP = struct.Struct("!HHH").unpack_from
_ntop = socket.inet_ntop
_AF4, _AF6 = socket.AF_INET, socket.AF_INET6
_VLAN = (0x8100, 0x88A8, 0x9100)
_NULL_V4 = (2,)
_NULL_V6 = (10, 24, 28, 30)

# Address text by pair (the per-packet lookup) and by single address, so that every pair and every
# connection holding an address shares one string: a capture has far fewer hosts than host pairs.
_cache: dict[bytes, tuple[str, str]] = {}
_CACHE_MAX = 1 << 14
_one: dict[bytes, str] = {}
_ONE_MAX = 1 << 16


def _text(raw: bytes) -> str:
    t = _one.get(raw)
    if t is None:
        if len(_one) >= _ONE_MAX:
            _one.clear()
        t = _one[raw] = _ntop(_AF4 if len(raw) == 4 else _AF6, raw)
    return t


def address_pair(raw: bytes) -> tuple[str, str]:
    """Text of a (source, destination) address pair given as their concatenated bytes (cached)."""
    t = _cache.get(raw)
    if t is None:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        half = len(raw) >> 1
        t = _cache[raw] = (_text(raw[:half]), _text(raw[half:]))
    return t


def _network_offset(data: bytes, linktype: int) -> tuple[int, int] | None:
    """(offset of the IP header, 4 or 6) for the link types read here, else None."""
    n = len(data)
    if linktype == 1:
        if n < 14:
            return None
        et = data[12] << 8 | data[13]
        off = 14
        while et in _VLAN:
            if n < off + 4:
                return None
            et = data[off + 2] << 8 | data[off + 3]
            off += 4
    elif linktype == 113:
        if n < 16:
            return None
        et, off = data[14] << 8 | data[15], 16
    elif linktype == 276:
        if n < 20:
            return None
        et, off = data[0] << 8 | data[1], 20
    elif linktype == 0:
        if n < 4:
            return None
        fam = int.from_bytes(data[:4], "little")
        if fam > 0xFFFF:
            fam = int.from_bytes(data[:4], "big")
        off = 4
        et = 0x0800 if fam in _NULL_V4 else (0x86DD if fam in _NULL_V6 else 0)
    elif linktype in (101, 12, 14, 228, 229):
        if not data:
            return None
        v = data[0] >> 4
        et, off = (0x0800 if v == 4 else 0x86DD if v == 6 else 0), 0
    else:
        return None
    if et == 0x0800:
        return off, 4
    if et == 0x86DD:
        return off, 6
    return None


def quick_headers(data: bytes, linktype: int, payload: bool = False,
                  origlen: int | None = None) -> tuple[Any, ...] | None:
    """``("tcp", src, sport, dst, dport, seq, ack, flags, window, seglen, options)`` or
    ``("udp", src, sport, dst, dport, payload_len)``; None when the frame needs the full decoder.
    ``payload``: a TCP tuple gets a twelfth item, the captured payload bytes (the decoder's).
    ``origlen``: the frame's length on the wire; an IP length that runs past it is cut to it, as the decoder
    and tshark cut it (a lying total length; a snaplen cut keeps its length). Without it nothing is cut: give
    it whenever the frame is at hand."""
    where = _network_offset(data, linktype)
    if where is None:
        return None
    off, version = where
    n = len(data)
    if version == 4:
        if n < off + 20:
            return None
        vhl, total, frag, proto = _IPV4(data, off)
        ihl = (vhl & 0x0F) << 2
        if vhl >> 4 != 4 or ihl < 20 or frag & 0x3FFF or total < ihl:
            return None
        addrs = data[off + 12:off + 20]
        t = off + ihl
        ip_end = off + total
    else:
        if n < off + 40 or data[off] >> 4 != 6:
            return None
        plen = _U16(data, off + 4)[0]
        proto = data[off + 6]
        if not plen:
            return None
        addrs = data[off + 8:off + 40]
        t = off + 40
        ip_end = t + plen
    if origlen is not None and ip_end > origlen:
        ip_end = origlen
    if proto == 6:
        if n < t + 20:
            return None
        sport, dport, seq, ack, offres, flagbyte, window = _TCP(data, t)
        hl = (offres >> 4) << 2
        if hl < 20 or ip_end < t + hl or n < t + hl:
            return None
        src, dst = address_pair(addrs)
        if payload:
            return ("tcp", src, sport, dst, dport, seq, ack, ((offres & 0x0F) << 8) | flagbyte,
                    window, ip_end - t - hl, data[t + 20:t + hl] if hl > 20 else b"",
                    data[t + hl:min(ip_end, n)] if ip_end > t + hl else b"")
        return ("tcp", src, sport, dst, dport, seq, ack, ((offres & 0x0F) << 8) | flagbyte,
                window, ip_end - t - hl, data[t + 20:t + hl] if hl > 20 else b"")
    if proto == 17:
        if n < t + 8:
            return None
        sport, dport, length = _UDP(data, t)
        src, dst = address_pair(addrs)
        return ("udp", src, sport, dst, dport, max(length - 8, 0))
    return None
