"""Frames in batches for the columnar core: one buffer of capture bytes per batch and numpy arrays of each
frame's offset, captured and original length, timestamp (integer ns) and link type.

Classic pcap is walked record by record over large buffers without making a :class:`Frame` per record
(:func:`pcap_batches`); pcapng and gzip go through the ordinary frame iterator and are packed into the same
shape (:func:`frame_batches`). Warnings and stopping rules are those of the frame iterators, so a batch
reader sees exactly the frames ``for frame in reader`` sees.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

import numpy as np

from analyzer.capture.frame import Frame
from analyzer.capture.pcap import FILE_HEADER_LEN, MAX_CAPLEN

BATCH_BYTES = 1 << 22      # capture bytes per batch (about 6,000 frames of a web capture)
BATCH_FRAMES = 8192        # frames per batch when packing frames from an iterator
MAX_BATCH_FRAMES = 32768   # at most this many frames per batch (so ids of a batch's addresses fit 16 bits)


class FrameBatch:
    """Consecutive frames: ``data`` holds their bytes (``buf`` is a uint8 view of it), frame ``i`` is
    ``data[offset[i]:offset[i] + caplen[i]]`` and has number ``first_number + i``."""

    __slots__ = ("buf", "caplen", "data", "first_number", "iface", "linktype", "offset", "origlen", "ts_ns")

    def __init__(self, data: bytes, offset: np.ndarray, caplen: np.ndarray, origlen: np.ndarray,
                 ts_ns: np.ndarray, linktype: np.ndarray, iface: list | None, first_number: int):
        self.data = data
        self.buf = np.frombuffer(data, dtype=np.uint8)
        self.offset = offset
        self.caplen = caplen
        self.origlen = origlen
        self.ts_ns = ts_ns
        self.linktype = linktype
        self.iface = iface
        self.first_number = first_number

    def __len__(self) -> int:
        return len(self.offset)

    def frame(self, i: int) -> Frame:
        """Frame ``i`` of the batch as the frame iterator would have made it."""
        off = int(self.offset[i])
        return Frame(self.first_number + i, int(self.ts_ns[i]), int(self.origlen[i]),
                     None if self.iface is None else self.iface[i], int(self.linktype[i]),
                     self.data[off:off + int(self.caplen[i])])


def pcap_batches(parser, first_number: int = 1, target: int = BATCH_BYTES) -> Iterator[FrameBatch]:
    """The records of a classic pcap file (an :class:`analyzer.capture.pcap.PcapParser` whose header was
    read) in batches; the same frames and warnings as ``parser.frames()``."""
    header = parser.header
    order = header.byteorder
    cap_at = struct.Struct(order + "I").unpack_from
    read = parser._read
    warn = parser._warn
    linktype = header.linktype
    frac_ns = 1 if header.nanosecond else 1000
    hdr_dtype = np.dtype(order + "u4")
    lanes = np.arange(16, dtype=np.int64)
    buf = parser._buf
    parser._buf = b""
    base = FILE_HEADER_LEN
    pos = 0
    number = first_number
    eof = False
    while True:
        if not eof and len(buf) - pos < target:
            more = read(target)
            if more:
                buf = buf[pos:] + more
                base += pos
                pos = 0
                if len(buf) < target:
                    continue
            else:
                eof = True
        end = len(buf)
        last = end - 16
        starts = []
        add = starts.append
        p = pos
        cap = 0
        full = True         # stopped at the frame limit: more complete records may follow in the buffer
        for _ in range(MAX_BATCH_FRAMES):
            if p > last:
                full = False
                break
            cap = cap_at(buf, p + 8)[0]
            if p + 16 + cap > end or cap > MAX_CAPLEN:
                full = False
                break
            add(p)
            p += 16 + cap
        if starts:
            at = np.array(starts, dtype=np.int64)
            heads = np.frombuffer(buf, dtype=np.uint8)[at[:, None] + lanes].copy().view(hdr_dtype)
            heads = heads.reshape(len(starts), 4).astype(np.int64)
            yield FrameBatch(buf, at + 16, heads[:, 2], heads[:, 3], heads[:, 0] * 1_000_000_000 + heads[:, 1] * frac_ns,
                             np.full(len(starts), linktype, dtype=np.int32), None, number)
            number += len(starts)
            pos = p
        if p <= last and cap > MAX_CAPLEN:
            warn(base + p, f"record {number}: caplen {cap} is absurd (more than {MAX_CAPLEN}); corrupt record "
                           f"header, stopping")
            return
        if eof and not full:
            break
    left = len(buf) - pos
    if left == 0:
        return
    if left < 16:
        warn(base + pos, f"record {number}: file ends inside the record header ({left} of 16 bytes); "
                         f"the capture was cut short")
    else:
        warn(base + pos, f"record {number}: file ends in the middle of a packet ({left - 16} of "
                         f"{cap_at(buf, pos + 8)[0]} bytes); the capture was cut short")


def frame_batches(frames: Iterable[Frame], size: int = BATCH_FRAMES) -> Iterator[FrameBatch]:
    """Any frame iterator packed into batches of up to ``size`` frames."""
    it = iter(frames)
    while True:
        chunk = []
        for frame in it:
            chunk.append(frame)
            if len(chunk) >= size:
                break
        if not chunk:
            return
        datas = [f.data for f in chunk]
        caplen = np.fromiter(map(len, datas), dtype=np.int64, count=len(datas))
        offset = np.zeros(len(chunk), dtype=np.int64)
        np.cumsum(caplen[:-1], out=offset[1:])
        yield FrameBatch(b"".join(datas), offset, caplen,
                         np.fromiter((f.origlen for f in chunk), dtype=np.int64, count=len(chunk)),
                         np.fromiter((f.ts_ns for f in chunk), dtype=np.int64, count=len(chunk)),
                         np.fromiter((f.linktype for f in chunk), dtype=np.int32, count=len(chunk)),
                         [f.iface for f in chunk], chunk[0].number)
        if len(chunk) < size:
            return
