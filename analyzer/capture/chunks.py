"""A large capture file cut into chunks at record boundaries, each read on its own (for parallel analysis).

:func:`plan_chunks` finds the cuts; :func:`open_chunk` reads one chunk as frames, exactly the frames a
:class:`~analyzer.capture.reader.CaptureReader` yields for that stretch of the file (same numbers relative to
the chunk, same times, same interfaces, warnings with the file's own byte offsets).

* pcap: records have no marker, so a cut is re-synchronised by header sanity: from the byte where the cut
  falls, the first offset at which :data:`CHAIN` consecutive record headers are plausible (caplen within the
  snapshot length and the format's bound and not above origlen, a sub-second part below one second, a time
  within a day before and ten years after the first record) and follow one another exactly, or reach the end
  of the file exactly. A chunk is read as the 24-byte file header followed by its bytes.
* pcapng: blocks say their length, so the planner walks the block headers from the start (reading only the
  8-byte headers) and cuts at a block boundary; a chunk is read as the Section Header Block and Interface
  Description Blocks in force where it starts, followed by its bytes — the interfaces keep their ids.
* gzip-compressed files and standard input cannot be cut: they are one chunk.

A walk that meets damage (a pcapng block whose length cannot be right) stops cutting there: the last chunk
runs to the end of the file and its reader reports the damage as the whole-file reader would.
"""

from __future__ import annotations

import itertools
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Self

from analyzer.capture import pcap, pcapng
from analyzer.capture.frame import Frame
from analyzer.capture.reader import GZIP_MAGIC, STDIN, CaptureError, CaptureWarning

CHAIN = 8                       # consecutive plausible pcap records that make a re-synchronisation point
RESYNC_WINDOW = 8 << 20         # bytes searched after a cut for that point
WALK_BUFFER = 1 << 20
_DAY = 86_400
_TEN_YEARS = 10 * 366 * _DAY


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes ``start``..``end`` of the capture at ``path``; ``prefix`` is read before them (the pcap file
    header, or the pcapng section header and interfaces in force at ``start``). ``index`` counts the file's
    chunks from 0."""

    path: str
    index: int
    start: int
    end: int
    prefix: bytes
    format: str


def splittable(path: str) -> bool:
    """Can this capture be cut (an uncompressed regular file)?"""
    if path == STDIN:
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return head[:2] != GZIP_MAGIC and os.path.isfile(path)


def plan_chunks(path: str, chunk_size: int) -> list[Chunk]:
    """Cut ``path`` into chunks of about ``chunk_size`` bytes (one chunk when it cannot or need not be cut).
    CaptureError when it is not a capture at all."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(4)
    if head in pcap.MAGIC_BYTES:
        return _plan_pcap(path, size, chunk_size)
    if head == pcapng.SHB_TYPE_BYTES:
        return _plan_pcapng(path, size, chunk_size)
    if head[:2] == GZIP_MAGIC:
        return [Chunk(path, 0, 0, size, b"", "whole")]
    raise CaptureError(f"{path}: not a capture file")


# -- pcap ------------------------------------------------------------------------------------------------------
def _plan_pcap(path: str, size: int, chunk_size: int) -> list[Chunk]:
    with open(path, "rb") as f:
        header_bytes = f.read(pcap.FILE_HEADER_LEN)
        try:
            header = pcap.parse_file_header(header_bytes)
        except ValueError as exc:
            raise CaptureError(f"{path}: {exc}") from None
        first = f.read(pcap.RECORD_HEADER_LEN)
        if len(first) < pcap.RECORD_HEADER_LEN:
            return [Chunk(path, 0, pcap.FILE_HEADER_LEN, size, header_bytes, "pcap")]
        rec = struct.Struct(header.byteorder + "IIII")
        first_sec = rec.unpack(first)[0]
        cuts = [pcap.FILE_HEADER_LEN]
        target = pcap.FILE_HEADER_LEN + chunk_size
        while target < size - chunk_size // 4:
            cut = _resync(f, target, size, header, rec, first_sec)
            if cut is None or cut <= cuts[-1]:
                break
            cuts.append(cut)
            target = cut + chunk_size
    cuts.append(size)
    return [Chunk(path, i, a, b, header_bytes, "pcap") for i, (a, b) in enumerate(itertools.pairwise(cuts))]


def _plausible(fields: tuple[int, int, int, int], header: pcap.PcapHeader, first_sec: int) -> int | None:
    """The record's caplen when its header is plausible, else None."""
    sec, frac, caplen, origlen = fields
    limit = min(header.snaplen, pcap.MAX_CAPLEN) if header.snaplen else pcap.MAX_CAPLEN
    if caplen > limit or caplen > origlen or origlen > 0x7FFFFFFF:
        return None
    if frac >= (1_000_000_000 if header.nanosecond else 1_000_000):
        return None
    if not first_sec - _DAY <= sec <= first_sec + _TEN_YEARS:
        return None
    return caplen


def _resync(f, target: int, size: int, header: pcap.PcapHeader, rec: struct.Struct, first_sec: int) -> int | None:
    """The first offset at or after ``target`` where records re-synchronise (see the module docstring)."""
    f.seek(target)
    window = f.read(min(RESYNC_WINDOW, size - target))
    hl = pcap.RECORD_HEADER_LEN
    for off in range(len(window) - hl + 1):
        pos = off
        ok = True
        for _ in range(CHAIN):
            if target + pos == size:
                break                               # the chain reached the end of the file exactly
            if pos + hl > len(window):
                if target + pos + hl > size:
                    ok = False
                break                               # the window ends inside the chain: trust what was seen
            caplen = _plausible(rec.unpack_from(window, pos), header, first_sec)
            if caplen is None:
                ok = False
                break
            pos += hl + caplen
            if target + pos > size:
                ok = False
                break
        if ok and pos > off:
            return target + off
    return None


# -- pcapng ------------------------------------------------------------------------------------------------------
def _plan_pcapng(path: str, size: int, chunk_size: int) -> list[Chunk]:
    """Walk the block headers; cut at the first block boundary past each chunk's worth of bytes."""
    chunks: list[Chunk] = []
    start, start_prefix = 0, b""
    shb = b""
    idbs: list[bytes] = []
    order = "<"
    with open(path, "rb") as f:
        pos = 0
        buf, base = b"", 0              # buf holds the file from offset base
        while pos < size:
            if pos + 12 > base + len(buf):
                f.seek(pos)
                buf, base = f.read(WALK_BUFFER), pos
                if len(buf) < 12:
                    break
            at = pos - base
            if buf[at:at + 4] == pcapng.SHB_TYPE_BYTES:
                magic = buf[at + 8:at + 12]
                order = "<" if magic == b"\x4d\x3c\x2b\x1a" else ">" if magic == b"\x1a\x2b\x3c\x4d" else ""
                if not order:
                    break
            btype, length = struct.unpack_from(order + "II", buf, at)
            if length < 12 or length % 4 or length > pcapng.MAX_BLOCK_LEN or pos + length > size:
                break                           # damage: the reader will say so; no cut after it
            if btype in (pcapng.BLOCK_SHB, pcapng.BLOCK_IDB):
                if at + length > len(buf):
                    f.seek(pos)
                    buf, base = f.read(max(WALK_BUFFER, length)), pos
                    at = 0
                block = buf[at:at + length]
                if btype == pcapng.BLOCK_SHB:
                    shb, idbs = block, []
                else:
                    idbs.append(block)
            elif pos - start >= chunk_size and shb and size - pos >= chunk_size // 4:
                chunks.append(Chunk(path, len(chunks), start, pos, start_prefix, "pcapng"))
                start, start_prefix = pos, shb + b"".join(idbs)
            pos += length
    chunks.append(Chunk(path, len(chunks), start, size, start_prefix, "pcapng"))
    return chunks


# -- reading a chunk ------------------------------------------------------------------------------------------
class ChunkReader:
    """The frames of one chunk (a context manager, like a CaptureReader); ``warnings`` as found, with the
    file's byte offsets; ``bytes_read`` of the chunk's range; ``stopped`` True when damage ended reading
    before the chunk's end."""

    def __init__(self, chunk: Chunk, on_warning: Callable[[CaptureWarning], None] | None = None,
                 on_secrets: Callable[[int, bytes], None] | None = None):
        self.chunk = chunk
        self.path = chunk.path
        self.on_warning = on_warning
        self.on_secrets = on_secrets        # the chunk's own Decryption Secrets Blocks, as CaptureReader's
        self.warnings: list[CaptureWarning] = []
        self.bytes_read = 0
        try:
            self._file = open(chunk.path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise CaptureError(f"{chunk.path}: cannot open: {exc.strerror or exc}") from None
        self._file.seek(chunk.start)
        self._left = chunk.end - chunk.start
        self._prefix = chunk.prefix
        self._pcap = None
        self._pcapng = None     # kept for batches()
        self._frames = self._open()

    def _read(self, n: int) -> bytes:
        if self._prefix:
            out, self._prefix = self._prefix[:n], self._prefix[n:]
            return out
        if self._left <= 0:
            return b""
        data = self._file.read(min(n, self._left))
        self._left -= len(data)
        self.bytes_read += len(data)
        return data

    def _warn(self, offset: int, message: str) -> None:
        absolute = offset - len(self.chunk.prefix) + self.chunk.start
        warning = CaptureWarning(self.chunk.path, absolute, message)
        self.warnings.append(warning)
        if self.on_warning is not None:
            self.on_warning(warning)

    def _open(self) -> Iterator[Frame]:
        chunk = self.chunk
        if chunk.format == "whole":
            from analyzer.capture.reader import CaptureReader

            reader = CaptureReader(chunk.path, self.on_warning, self.on_secrets)
            self.warnings = reader.warnings
            return iter(reader)
        head = self._read(4)
        try:
            if chunk.format == "pcap":
                self._pcap = pcap.PcapParser(self._read, head, self._warn)
                return self._pcap.frames()
            self._pcapng = pcapng.PcapngParser(self._read, head, self._warn, self.on_secrets)
            return self._pcapng.frames()
        except ValueError as exc:
            raise CaptureError(f"{chunk.path}: {exc}") from None

    @property
    def stopped(self) -> bool:
        return self.chunk.format != "whole" and self._left > 0

    def __iter__(self) -> Iterator[Frame]:
        return self._frames

    def batches(self):
        """The chunk's frames in batches for the columnar core (numbered from 1, as iterating numbers them):
        a pcap chunk's records, a pcapng chunk's runs of packet blocks, straight from its bytes; use instead of
        iterating, not after it."""
        from analyzer.capture.batches import source_batches

        pcap, self._pcap = self._pcap, None
        pcapng, self._pcapng = self._pcapng, None
        return source_batches(self._frames, pcap, pcapng)

    def close(self) -> None:
        self._frames.close()
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
