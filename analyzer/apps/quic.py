"""QUIC packet headers read in clear (RFC 8999 invariants, RFC 9000 17, RFC 9369 for version 2): enough to tell
a QUIC connection (HTTP/3's transport, over UDP), who opened it, its version and where its handshake ends, from
the datagrams alone (sans-IO: bytes in, values out). What the packets carry is encrypted and not decoded here.

A client opens a connection with an Initial packet (long header, its type Initial for the version) in a datagram
of at least 1200 bytes (RFC 9000 14.1: it pads it so); long-header packets carry the handshake; once a side has
its 1-RTT keys it sends short-header packets (the first bit 0)."""

from __future__ import annotations

from typing import NamedTuple

V1, V2 = 0x00000001, 0x6B3343CF
MIN_INITIAL_DATAGRAM = 1200                 # RFC 9000 14.1: a client's Initial datagram, at least
# the long-header packet type of Initial, by version (RFC 9000 17.2: 0b00; RFC 9369 3.2: 0b01)
_INITIAL_TYPE = {V1: 0, V2: 1}
_RETRY_TYPE = {V1: 3, V2: 0}                # Retry: no Length field, nothing coalesced after it


class LongHeader(NamedTuple):
    version: int
    initial: bool           # an Initial packet (the version's type for it)
    dcid: bytes
    scid: bytes


def known_version(version: int) -> bool:
    """Version 1, version 2, or an IETF draft version (0xff0000xx) that the Initial type rule of version 1 fits."""
    return version in _INITIAL_TYPE or version >> 8 == 0xFF0000


def long_header(data: bytes) -> LongHeader | None:
    """The long header at the start of ``data`` (a UDP payload), or None: not a long header, the fixed bit
    clear, an unknown version (0: version negotiation), or connection IDs longer than 20 bytes or cut short."""
    if len(data) < 7 or data[0] & 0xC0 != 0xC0:
        return None
    version = int.from_bytes(data[1:5], "big")
    if not known_version(version):
        return None
    dlen = data[5]
    if dlen > 20 or len(data) < 7 + dlen:
        return None
    dcid = bytes(data[6:6 + dlen])
    slen = data[6 + dlen]
    if slen > 20 or len(data) < 7 + dlen + slen:
        return None
    scid = bytes(data[7 + dlen:7 + dlen + slen])
    kind = (data[0] >> 4) & 0x03
    return LongHeader(version, kind == _INITIAL_TYPE.get(version, 0), dcid, scid)


def client_initial(data: bytes) -> LongHeader | None:
    """The long header of a datagram that opens a QUIC connection: an Initial packet of a known version in a
    datagram of at least :data:`MIN_INITIAL_DATAGRAM` bytes; None for anything else."""
    if len(data) < MIN_INITIAL_DATAGRAM:
        return None
    h = long_header(data)
    return h if h is not None and h.initial else None


def short_header(data: bytes) -> bool:
    """A 1-RTT packet (short header: first bit 0, fixed bit 1) is in the datagram: first, or after the
    long-header packets coalesced before it (RFC 9000 12.2; a short-header packet is always last)."""
    pos, n = 0, len(data)
    for _ in range(8):                          # coalesced packets: a few at most (Initial, 0-RTT, Handshake)
        if pos >= n:
            return False
        first = data[pos]
        if first & 0xC0 == 0x40:
            return True
        if first & 0xC0 != 0xC0:
            return False
        h = long_header(data[pos:pos + 48])
        if h is None:
            return False
        kind = (first >> 4) & 0x03
        at = pos + 7 + len(h.dcid) + len(h.scid)
        if kind == _INITIAL_TYPE.get(h.version, 0):
            token, at = _varint(data, at)
            if token is None:
                return False
            at += token
        elif kind == _RETRY_TYPE.get(h.version, 3):
            return False
        length, at = _varint(data, at)
        if length is None:
            return False
        pos = at + length
    return False


def _varint(data: bytes, at: int) -> tuple[int | None, int]:
    """A variable-length integer (RFC 9000 16) at ``at``: (value, the position after it), (None, at) if cut."""
    if at >= len(data):
        return None, at
    size = 1 << (data[at] >> 6)
    if at + size > len(data):
        return None, at
    value = data[at] & 0x3F
    for b in data[at + 1:at + size]:
        value = value << 8 | b
    return value, at + size


def version_name(version: int) -> str:
    if version == V1:
        return "1"
    if version == V2:
        return "2"
    if version >> 8 == 0xFF0000:
        return f"draft-{version & 0xFF}"
    return f"0x{version:08x}"
