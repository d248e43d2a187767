"""Frames in batches for the columnar core: one buffer of capture bytes per batch and numpy arrays of each
frame's offset, captured and original length, timestamp (integer ns) and link type.

Classic pcap is walked record by record over large buffers without making a :class:`Frame` per record
(:func:`pcap_batches`); so are the runs of well-formed Enhanced Packet Blocks of a pcapng file
(:func:`pcapng_batches`: every other block, and every block the fast path of
:meth:`analyzer.capture.pcapng.PcapngParser.frames` would not take, goes through the parser's own
block-by-block path); other sources go through their frame iterator and are packed into the same shape
(:func:`frame_batches`). Warnings and stopping rules are those of the frame iterators, so a batch
reader sees exactly the frames ``for frame in reader`` sees.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator

import numpy as np

from analyzer.capture.frame import Frame
from analyzer.capture.pcap import FILE_HEADER_LEN, MAX_CAPLEN
from analyzer.compiled import compiled

BATCH_BYTES = 1 << 22      # capture bytes per batch (about 6,000 frames of a web capture)
BATCH_FRAMES = 8192        # frames per batch when packing frames from an iterator
MAX_BATCH_FRAMES = 32768   # at most this many frames per batch (so ids of a batch's addresses fit 16 bits)


class FrameBatch:
    """Consecutive frames: ``data`` holds their bytes (``buf`` is a uint8 view of it), frame ``i`` is
    ``data[offset[i]:offset[i] + caplen[i]]`` and has number ``first_number + i``."""

    __slots__ = ("buf", "caplen", "data", "first_number", "iface", "iface_name", "linktype", "offset", "origlen",
                 "ts_ns")

    def __init__(self, data: bytes, offset: np.ndarray, caplen: np.ndarray, origlen: np.ndarray,
                 ts_ns: np.ndarray, linktype: np.ndarray, iface: list | None, first_number: int,
                 iface_name: list | None = None):
        self.data = data
        self.buf = np.frombuffer(data, dtype=np.uint8)
        self.offset = offset
        self.caplen = caplen
        self.origlen = origlen
        self.ts_ns = ts_ns
        self.linktype = linktype
        self.iface = iface
        self.first_number = first_number
        self.iface_name = iface_name    # per frame (pcapng if_name, None without one); None: no names at all

    def __len__(self) -> int:
        return len(self.offset)

    def frame(self, i: int) -> Frame:
        """Frame ``i`` of the batch as the frame iterator would have made it."""
        off = int(self.offset[i])
        return Frame(self.first_number + i, int(self.ts_ns[i]), int(self.origlen[i]),
                     None if self.iface is None else self.iface[i], int(self.linktype[i]),
                     self.data[off:off + int(self.caplen[i])],
                     None if self.iface_name is None else self.iface_name[i])


def _walk_py(buf: bytes, pos: int, limit: int, big_endian: bool, max_caplen: int) -> tuple[bytes, int, int, int]:
    """The record walk (the contract of ``walk`` in analyzer/columnar/_speedups.c, its compiled twin):
    offsets of the complete records from ``pos`` on as int64 bytes, the offset after them, a status (0: no
    further complete record in ``buf``, 1: ``limit`` records found, 2: the next record's caplen is above
    ``max_caplen``) and the last caplen read."""
    cap_at = _CAP_BE if big_endian else _CAP_LE
    end = len(buf)
    last = end - 16
    starts = []
    add = starts.append
    cap = 0
    status = 1
    for _ in range(limit):
        if pos > last:
            status = 0
            break
        cap = cap_at(buf, pos + 8)[0]
        if cap > max_caplen:
            status = 2
            break
        if pos + 16 + cap > end:
            status = 0
            break
        add(pos)
        pos += 16 + cap
    return np.array(starts, dtype=np.int64).tobytes(), pos, status, cap


_CAP_LE = struct.Struct("<I").unpack_from
_CAP_BE = struct.Struct(">I").unpack_from


def _compiled_walk():
    """The compiled walk, unless it was not built or ANALYZER_PURE_PYTHON is set (then the Python one)."""
    return compiled("walk") or _walk_py


walk_records = _compiled_walk()


def _compiled_heads():
    """The compiled record-header reader (``_speedups.pcap_heads``), unless it was not built or
    ANALYZER_PURE_PYTHON is set (then None: numpy reads them)."""
    return compiled("pcap_heads")


record_heads = _compiled_heads()


def _joined_py(tail: bytes, read, n: int) -> bytes:
    """``tail`` and the next bytes ``read(n)`` gives, as one bytes (the fallback of :func:`_joiner`'s)."""
    return tail + read(n)


def _joiner(read):
    """How :func:`pcap_batches` joins the partial record left at the end of its buffer to the next bytes:
    ``join(tail, n) -> tail + read(n)``. Where the source can read into a buffer (``readinto``: an
    uncompressed file) and the compiled ``_speedups.read_joined`` is there, the bytes are read straight into
    the new buffer after the tail (no second buffer and copy per batch: ~0.1-0.2 s per GB measured); else
    :func:`_joined_py`."""
    readinto = getattr(getattr(read, "__self__", None), "readinto", None)
    pooled = compiled("read_joined_pool")
    if pooled is not None and readinto is not None:
        # (into one of two buffers used again once nothing refers to it: _speedups.c's read_joined_pool)
        pool: list = []
        return lambda tail, n: pooled(tail, readinto, n, pool)
    c = compiled("read_joined")
    if c is None or readinto is None:
        return lambda tail, n: _joined_py(tail, read, n)
    return lambda tail, n: c(tail, readinto, n)


def pcap_batches(parser, first_number: int = 1, target: int = BATCH_BYTES) -> Iterator[FrameBatch]:
    """The records of a classic pcap file (an :class:`analyzer.capture.pcap.PcapParser` whose header was
    read) in batches; the same frames and warnings as ``parser.frames()``."""
    header = parser.header
    order = header.byteorder
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
    join = _joiner(read)
    while True:
        if not eof and len(buf) - pos < target:
            tail = buf[pos:]
            more = join(tail, target)
            if len(more) > len(tail):
                buf = more
                base += pos
                pos = 0
                if len(buf) < target:
                    continue
            else:
                eof = True
        starts, p, status, cap = walk_records(buf, pos, MAX_BATCH_FRAMES, order == ">", MAX_CAPLEN)
        if starts:
            at = np.frombuffer(starts, dtype=np.int64)
            heads = record_heads
            if heads is not None:
                # the record headers read in C (the same values as below)
                k = len(at)
                ts, caplen, origlen = np.empty(k, np.int64), np.empty(k, np.int64), np.empty(k, np.int64)
                heads(buf, starts, order == ">", frac_ns, ts, caplen, origlen)
            else:
                heads = np.frombuffer(buf, dtype=np.uint8)[at[:, None] + lanes].view(hdr_dtype)
                heads = heads.reshape(len(at), 4).astype(np.int64)
                ts, caplen, origlen = heads[:, 0] * 1_000_000_000 + heads[:, 1] * frac_ns, heads[:, 2], heads[:, 3]
            yield FrameBatch(buf, at + 16, caplen, origlen, ts, np.full(len(at), linktype, dtype=np.int32), None,
                             number)
            number += len(at)
            pos = p
        if status == 2:
            warn(base + p, f"record {number}: caplen {cap} is absurd (more than {MAX_CAPLEN}); corrupt record "
                           f"header, stopping")
            return
        if eof and status == 0:
            break
    left = len(buf) - pos
    if left == 0:
        return
    if left < 16:
        warn(base + pos, f"record {number}: file ends inside the record header ({left} of 16 bytes); "
                         f"the capture was cut short")
    else:
        warn(base + pos, f"record {number}: file ends in the middle of a packet ({left - 16} of "
                         f"{(_CAP_BE if order == '>' else _CAP_LE)(buf, pos + 8)[0]} bytes); the capture was cut short")


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
                         [f.iface for f in chunk], chunk[0].number, [f.iface_name for f in chunk])
        if len(chunk) < size:
            return


def _walk_epb_py(buf: bytes, pos: int, limit: int, big_endian: bool, interfaces: int, max_caplen: int,
                 max_block: int) -> tuple[bytes, int]:
    """The EPB walk (the contract of ``walk_epb`` in analyzer/columnar/_speedups.c, its compiled twin): the
    offsets of the consecutive well-formed Enhanced Packet Blocks from ``pos`` on, as int64 bytes, and the
    offset after them. Well-formed is what the fast path of ``PcapngParser.frames`` takes."""
    order = ">" if big_endian else "<"
    head = struct.Struct(order + "II").unpack_from
    body = struct.Struct(order + "IIIII").unpack_from
    u32 = struct.Struct(order + "I").unpack_from
    end = len(buf)
    starts = []
    add = starts.append
    while len(starts) < limit and pos + 32 <= end:
        btype, length = head(buf, pos)
        if btype != 6 or length < 32 or length > max_block or length & 3 or pos + length > end:
            break
        iface, _hi, _lo, caplen, _orig = body(buf, pos + 8)
        if caplen > length - 32 or caplen > max_caplen or iface >= interfaces or u32(buf, pos + length - 4)[0] != length:
            break
        add(pos)
        pos += length
    return np.array(starts, dtype=np.int64).tobytes(), pos


def _compiled_walk_epb():
    return compiled("walk_epb") or _walk_epb_py


walk_epbs = _compiled_walk_epb()
_TS_NS_MAX = (1 << 63) - 1


def _epb_run(parser, buf: bytes, pos: int, first_number: int) -> tuple[FrameBatch | None, int]:
    """The batch of the well-formed EPBs at ``pos`` whose timestamps the parser's fast path converts (interface
    usable, 10^-6 or 10^-9 units, in range), and the offset after them; (None, pos) when there is none."""
    from analyzer.capture.pcapng import MAX_BLOCK_LEN, MAX_CAPLEN

    order = parser.byteorder
    interfaces = parser.interfaces
    starts, _end = walk_epbs(buf, pos, MAX_BATCH_FRAMES, order == ">", len(interfaces), MAX_CAPLEN, MAX_BLOCK_LEN)
    if not starts:
        return None, pos
    at = np.frombuffer(starts, dtype=np.int64)
    body = np.frombuffer(buf, dtype=np.uint8)[(at + 8)[:, None] + np.arange(20, dtype=np.int64)]
    body = body.view(np.dtype(order + "u4")).reshape(len(at), 5).astype(np.int64)
    ids = body[:, 0]
    raw = (body[:, 1] << 32) | body[:, 2]       # below 2**63 when ts_high < 2**31 (checked below)
    # per interface: usable, its units, offset, link type; any frame the fast path would not take ends the run
    nif = len(interfaces)
    usable = np.zeros(nif, dtype=bool)
    scale = np.zeros(nif, dtype=np.int64)
    offset_ns = np.zeros(nif, dtype=np.int64)
    linktypes = np.zeros(nif, dtype=np.int32)
    names: list = [None] * nif
    for k, iface in enumerate(interfaces):
        if iface is None or iface.units_per_second not in (1_000_000, 1_000_000_000):
            continue
        if not -(1 << 62) <= iface.tsoffset_ns <= 1 << 62:
            continue
        usable[k] = True
        scale[k] = 1000 if iface.units_per_second == 1_000_000 else 1
        offset_ns[k] = iface.tsoffset_ns
        linktypes[k] = iface.linktype
        names[k] = iface.name or None
    # in range without overflow: raw * scale + offset within int64 (a conservative bound; frames beyond it
    # take the block-by-block path, which clamps and warns as the parser does)
    good = usable[ids] & (body[:, 1] < (1 << 31)) & (raw <= (1 << 62) // np.maximum(scale[ids], 1))
    if not good.all():
        cut = int(np.argmin(good))
        if cut == 0:
            return None, pos
        at, body, ids, raw = at[:cut], body[:cut], ids[:cut], raw[:cut]
    ts = raw * scale[ids] + offset_ns[ids]
    n = len(at)
    new_pos = int(at[-1]) + int(np.frombuffer(buf, dtype=np.dtype(order + "u4"), count=1, offset=int(at[-1]) + 4)[0])
    id_list = ids.tolist()
    batch = FrameBatch(buf, at + 28, body[:, 3], body[:, 4], ts, linktypes[ids], id_list, first_number,
                       [names[k] for k in id_list])
    return batch if n else None, new_pos


def pcapng_batches(parser, first_number: int = 1, target: int = BATCH_BYTES) -> Iterator[FrameBatch]:
    """The packets of a pcapng file (an :class:`analyzer.capture.pcapng.PcapngParser` whose first section
    header was read) in batches; the same frames, warnings and secrets callbacks as ``parser.frames()``."""
    number = first_number
    last_ts = 0
    pending: list[Frame] = []   # frames of the block-by-block path, packed when a run of EPBs comes
    eof = False
    join = _joiner(parser._read)        # (into pooled buffers, as pcap_batches)
    while True:
        buf, pos = parser._buf, parser._pos
        if not eof and len(buf) - pos < target:
            tail = buf[pos:]
            more = join(tail, target)
            if len(more) > len(tail):
                parser._base += pos
                parser._buf = buf = more
                parser._pos = pos = 0
                if len(buf) < target:
                    continue
            else:
                eof = True
        batch, new_pos = _epb_run(parser, buf, pos, number)
        if batch is not None:
            if pending:
                yield from frame_batches(pending)
                pending = []
            parser._pos = new_pos
            number += len(batch)
            last_ts = int(batch.ts_ns[-1])
            yield batch
            continue
        go_on, frame = parser._next_block(number, last_ts)
        if frame is not None:
            pending.append(frame)
            number += 1
            last_ts = frame.ts_ns
            if len(pending) >= BATCH_FRAMES:
                yield from frame_batches(pending)
                pending = []
        if not go_on:
            break
    if pending:
        yield from frame_batches(pending)


def source_batches(frames: Iterator[Frame], pcap=None, pcapng=None) -> Iterator[FrameBatch]:
    """The batches of a reader (a whole file's, a chunk's) whose frame iterator ``frames`` reads from ``pcap``
    (a classic pcap parser) or ``pcapng`` (a pcapng parser), given when the reader has one: the parser's own
    batches when it can still give them all (classic pcap always: it reads records from where the file
    header ended; pcapng only before any frame was taken from ``frames``), else ``frames`` packed into
    batches. ``frames`` is closed when the parser takes over. The one place the readers choose."""
    import inspect

    if pcap is not None:
        frames.close()
        return pcap_batches(pcap)
    if pcapng is not None and inspect.getgeneratorstate(frames) == inspect.GEN_CREATED:
        frames.close()
        return pcapng_batches(pcapng)
    return frame_batches(frames)

