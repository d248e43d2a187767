"""Byte builders for the capture tests: classic pcap files and pcapng blocks, in either byte order.

Written independently of analyzer.capture (straight from the format descriptions) so that the reader is
checked against bytes it did not produce. ``order`` is "<" (little-endian) or ">" (big-endian).
"""

from __future__ import annotations

import struct

PCAP_US = 0xA1B2C3D4
PCAP_NS = 0xA1B23C4D


def pcap_header(order: str = "<", nanosecond: bool = False, linktype: int = 1, snaplen: int = 65535) -> bytes:
    magic = PCAP_NS if nanosecond else PCAP_US
    return struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)


def pcap_record(sec: int, frac: int, data: bytes, origlen: int | None = None, order: str = "<",
                caplen: int | None = None) -> bytes:
    """A record; ``caplen`` overrides the length field (to build corrupt records)."""
    caplen = len(data) if caplen is None else caplen
    origlen = len(data) if origlen is None else origlen
    return struct.pack(order + "IIII", sec, frac, caplen, origlen) + data


def pcap_file(records: list[tuple[int, int, bytes]], order: str = "<", nanosecond: bool = False,
              linktype: int = 1) -> bytes:
    """A whole pcap file from (sec, frac, data) triples."""
    return pcap_header(order, nanosecond, linktype) + b"".join(
        pcap_record(sec, frac, data, order=order) for sec, frac, data in records)


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def option(code: int, value: bytes, order: str = "<") -> bytes:
    return struct.pack(order + "HH", code, len(value)) + _pad(value)


def end_of_options(order: str = "<") -> bytes:
    return struct.pack(order + "HH", 0, 0)


def block(btype: int, body: bytes, order: str = "<", length: int | None = None,
          trailer: int | None = None) -> bytes:
    """A pcapng block; ``length``/``trailer`` override the two length fields (to build corrupt blocks)."""
    body = _pad(body)
    total = len(body) + 12
    head = total if length is None else length
    tail = total if trailer is None else trailer
    return struct.pack(order + "II", btype, head) + body + struct.pack(order + "I", tail)


def shb(order: str = "<", options: bytes = b"", major: int = 1) -> bytes:
    body = struct.pack(order + "IHHq", 0x1A2B3C4D, major, 0, -1)
    if options:
        body += options + end_of_options(order)
    return block(0x0A0D0D0A, body, order)


def idb(linktype: int = 1, snaplen: int = 0, order: str = "<", tsresol: int | None = None,
        tsoffset: int | None = None, name: str | None = None) -> bytes:
    body = struct.pack(order + "HHI", linktype, 0, snaplen)
    options = b""
    if name is not None:
        options += option(2, name.encode(), order)
    if tsresol is not None:
        options += option(9, bytes([tsresol]), order)
    if tsoffset is not None:
        options += option(14, struct.pack(order + "q", tsoffset), order)
    if options:
        body += options + end_of_options(order)
    return block(1, body, order)


def epb(iface: int, ts: int, data: bytes, origlen: int | None = None, order: str = "<",
        caplen: int | None = None) -> bytes:
    caplen = len(data) if caplen is None else caplen
    origlen = len(data) if origlen is None else origlen
    body = struct.pack(order + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, caplen, origlen) + _pad(data)
    return block(6, body, order)


def opb(iface: int, ts: int, data: bytes, origlen: int | None = None, order: str = "<") -> bytes:
    origlen = len(data) if origlen is None else origlen
    body = struct.pack(order + "HHIIII", iface, 0, ts >> 32, ts & 0xFFFFFFFF, len(data), origlen)
    return block(2, body + _pad(data), order)


def spb(data: bytes, origlen: int | None = None, order: str = "<") -> bytes:
    origlen = len(data) if origlen is None else origlen
    return block(3, struct.pack(order + "I", origlen) + _pad(data), order)


def nrb(order: str = "<") -> bytes:
    """A Name Resolution Block with one IPv4 record and the end-of-records marker."""
    value = b"\xc0\xa8\x00\x01host.example\0"
    record = struct.pack(order + "HH", 1, len(value)) + _pad(value)
    return block(4, record + struct.pack(order + "HH", 0, 0), order)


def isb(iface: int = 0, order: str = "<") -> bytes:
    return block(5, struct.pack(order + "III", iface, 0, 0), order)


def custom_block(order: str = "<") -> bytes:
    return block(0x00000BAD, struct.pack(order + "I", 32473) + b"custom data", order)


def packet(n: int, size: int = 60) -> bytes:
    """Recognisable frame bytes: ``n`` repeated."""
    return bytes([n & 0xFF]) * size
