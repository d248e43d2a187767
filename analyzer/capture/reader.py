"""Opening capture files: magic-number sniffing, gzip, error and warning reporting, the CaptureReader.

This is the only capture module that knows about paths and the file system. It picks the format from the
first bytes (never the extension), hands a ``read(n)`` and a ``warn(offset, message)`` callable to the
format parser (:mod:`analyzer.capture.pcap` or :mod:`analyzer.capture.pcapng`), and turns what goes wrong
into a :class:`CaptureError` (the file cannot be read as a capture at all) or a :class:`CaptureWarning`
(the file is damaged part-way; every frame before the damage was already yielded).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Self

from analyzer.capture import pcap, pcapng
from analyzer.capture.frame import Frame

GZIP_MAGIC = b"\x1f\x8b"
STDIN = "-"  # the path that means standard input (``tcpdump -w - | analyzer read -``)
CHUNK_SIZE = 1 << 17  # see analyzer.capture.pcap.CHUNK_SIZE
GZIP_PIECE = 1 << 13  # compressed bytes given to zlib at a time


class CaptureError(Exception):
    """The file cannot be read as a capture (missing, unreadable, not a capture); ``str()`` names it."""


@dataclass(frozen=True, slots=True)
class CaptureWarning:
    """Damage found part-way through a capture; ``offset`` counts bytes of (decompressed) capture data."""

    path: str
    offset: int
    message: str

    def __str__(self) -> str:
        if self.offset < 0:         # about the file as a whole
            return f"{self.path}: {self.message}"
        return f"{self.path}: offset {self.offset}: {self.message}"


class _PlainSource:
    """``read(n)`` over an uncompressed file; counts bytes for progress and closes the file at its end."""

    def __init__(self, file, reader: CaptureReader):
        self._file = file
        self._reader = reader

    def read(self, n: int) -> bytes:
        if self._file.closed:
            return b""
        try:
            data = self._file.read(n)
        except OSError as exc:  # an I/O error part-way: keep what was read, like a cut-short file
            self._reader._warn(self._reader.bytes_read, f"read error: {exc.strerror or exc}; stopping")
            data = b""
        if data:
            self._reader.bytes_read += len(data)
        else:
            self._file.close()
        return data

    def readinto(self, view) -> int:
        """As :meth:`read`, into ``view`` (a writable buffer of ``n`` bytes): how many bytes it wrote, 0 at the
        end (analyzer.capture.batches joins them to the bytes before without a second copy)."""
        if self._file.closed:
            return 0
        try:
            got = self._file.readinto(view) or 0
        except OSError as exc:  # as read
            self._reader._warn(self._reader.bytes_read, f"read error: {exc.strerror or exc}; stopping")
            got = 0
        if got:
            self._reader.bytes_read += got
        else:
            self._file.close()
        return got

    def close(self) -> None:
        self._file.close()


class _GzipSource:
    """``read(n)`` of the decompressed bytes of a gzip file (several members allowed).

    Decompression output is bounded per call so a small file cannot blow up memory. A corrupt or cut-short
    gzip stream becomes a warning and the end of the data; everything decompressed before it is kept.
    """

    def __init__(self, file, reader: CaptureReader, head: bytes):
        self._file = file
        self._reader = reader
        self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        self._pending = head  # compressed bytes not yet given to the inflater
        self._out = 0  # decompressed bytes delivered so far
        self._done = False

    def _raw(self) -> bytes:
        if self._file.closed:
            return b""
        try:
            data = self._file.read(CHUNK_SIZE)
        except OSError as exc:
            self._reader._warn(self._out, f"read error: {exc.strerror or exc}; stopping")
            return b""
        self._reader.bytes_read += len(data)
        return data

    def read(self, n: int) -> bytes:
        while not self._done:
            inflater = self._inflater
            if inflater.eof and not self._next_member():
                break
            data = self._inflater.unconsumed_tail
            if not data:
                data = self._pending or self._raw()
                # Small input pieces: on corrupt data, only the output of the failing piece is lost.
                data, self._pending = data[:GZIP_PIECE], data[GZIP_PIECE:]
            if not data:
                # No input left: zlib may still hold output from earlier input; else the file is cut.
                out = self._inflater.decompress(b"", n)
                if out:
                    self._out += len(out)
                    return out
                if self._inflater.eof:
                    continue
                self._finish("gzip: compressed data ends before the end of the stream; "
                             "the file was cut short")
                break
            try:
                out = self._inflater.decompress(data, n)
            except zlib.error as exc:
                self._finish(f"gzip: corrupt compressed data ({exc})")
                break
            if out:
                self._out += len(out)
                return out
        return b""

    def _next_member(self) -> bool:
        """After a member's end: start the next one (zero padding between is allowed); False at the end."""
        rest = (self._inflater.unused_data + self._pending).lstrip(b"\0")
        self._pending = b""
        while not rest:
            raw = self._raw()
            if not raw:
                self._finish()
                return False
            rest = raw.lstrip(b"\0")
        if not rest.startswith(GZIP_MAGIC[:len(rest)]):
            self._finish("gzip: trailing garbage after the compressed data; ignored")
            return False
        self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        self._pending = rest
        return True

    def _finish(self, problem: str | None = None) -> None:
        self._done = True
        self._file.close()
        if problem:
            self._reader._warn(self._out, problem)

    def close(self) -> None:
        self._file.close()


class CaptureReader:
    """An open capture file: iterate it for :class:`Frame` values, one at a time, in file order.

    Attributes: ``path`` (as given), ``format`` ("pcap" or "pcapng"), ``compressed`` (gzip), ``warnings``
    (list of CaptureWarning, filled during iteration), ``bytes_read`` (bytes of the file on disk consumed
    so far, compressed bytes for gzip; compare with ``size``), ``size`` (file size in bytes, 0 if unknown),
    and for pcap the header's ``linktype``, ``snaplen`` and ``nanosecond``.
    ``secrets`` lists the ``(type, bytes)`` of the pcapng Decryption Secrets Blocks read so far (type
    ``pcapng.SECRETS_TLS_KEY_LOG`` holds a TLS key log); ``on_secrets(type, bytes)`` is called as each is read,
    before the frames that follow it.
    Use as a context manager; the file is closed at the end of the data or on :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike, on_warning: Callable[[CaptureWarning], None] | None = None,
                 on_secrets: Callable[[int, bytes], None] | None = None):
        self.path = os.fspath(path)
        self.on_warning = on_warning
        self.on_secrets = on_secrets
        self.secrets: list[tuple[int, bytes]] = []
        self.warnings: list[CaptureWarning] = []
        self.bytes_read = 0
        self.compressed = False
        self.format = ""
        self.linktype: int | None = None
        self.snaplen: int | None = None
        self.nanosecond = False
        self._pcap: pcap.PcapParser | None = None   # kept for batches()
        self._pcapng: pcapng.PcapngParser | None = None     # kept for time_digits()
        file = self._open()
        try:
            self.size = _file_size(file)
            self._source, head = self._sniff_compression(file)
            self._frames = self._open_format(head)
        except BaseException:
            file.close()
            raise

    def time_digits(self, frame: Frame) -> int:
        """Decimals of the frame's timestamp as the file stores it (tshark's automatic time precision): 9 for
        a nanosecond pcap or a pcapng interface with if_tsresol 9, 6 for microseconds, and so on."""
        if self._pcapng is not None:
            interfaces = self._pcapng.interfaces
            iface = interfaces[frame.iface] if frame.iface is not None and frame.iface < len(interfaces) else None
            units = iface.units_per_second if iface is not None else 1_000_000
            return min(9, max(0, len(str(units)) - 1)) if units > 1 else 0
        return 9 if self.nanosecond else 6

    def interface(self, frame: Frame):
        """The pcapng interface (:class:`analyzer.capture.pcapng.Interface`) a frame came from, None for
        classic pcap (or an interface the section does not describe)."""
        if self._pcapng is None or frame.iface is None:
            return None
        interfaces = self._pcapng.interfaces
        return interfaces[frame.iface] if frame.iface < len(interfaces) else None

    def capture_filter(self) -> str | None:
        """The capture filter every interface described so far was recorded with (pcapng if_filter), None when
        one has none, they differ, or the format keeps none (classic pcap)."""
        if self._pcapng is None or not self._pcapng.interfaces:
            return None
        got = {i.capture_filter if i is not None else None for i in self._pcapng.interfaces}
        return got.pop() if len(got) == 1 else None

    @property
    def section_options(self) -> list[tuple[int, bytes]]:
        """The first pcapng section's shb_hardware, shb_os and shb_userappl options (code, raw value)."""
        return self._pcapng.section_options if self._pcapng is not None else []

    # -- opening --------------------------------------------------------------------------------------

    def _secret(self, kind: int, data: bytes) -> None:
        self.secrets.append((kind, data))
        if self.on_secrets is not None:
            self.on_secrets(kind, data)

    def _fail(self, what: str) -> CaptureError:
        return CaptureError(f"{_display(self.path)}: {what}")

    def _open(self):
        if self.path == STDIN:
            try:
                return open(os.dup(sys.stdin.fileno()), "rb", buffering=0)
            except (OSError, ValueError, AttributeError):
                raise self._fail("standard input cannot be read") from None
        try:
            return open(self.path, "rb", buffering=0)
        except FileNotFoundError:
            raise self._fail("no such file") from None
        except IsADirectoryError:
            raise self._fail("is a directory, not a capture file") from None
        except PermissionError:
            raise self._fail("permission denied") from None
        except OSError as exc:
            raise self._fail(f"cannot open: {exc.strerror or exc}") from None

    def _sniff_compression(self, file) -> tuple[_PlainSource | _GzipSource, bytes]:
        """The source of capture bytes, and the first bytes of it already read (for the parser)."""
        try:
            head = _read_upto(file.read, 2)
        except OSError as exc:
            if exc.errno == errno.EISDIR:
                raise self._fail("is a directory, not a capture file") from None
            raise self._fail(f"cannot read: {exc.strerror or exc}") from None
        self.bytes_read = len(head)
        if head == GZIP_MAGIC:
            self.compressed = True
            return _GzipSource(file, self, head), b""
        return _PlainSource(file, self), head

    def _open_format(self, head: bytes) -> Iterator[Frame]:
        """Read the magic number and the format's header; the frame generator of the right parser."""
        read = self._source.read
        try:
            head += _read_upto(read, 4 - len(head))
        except OSError as exc:
            raise self._fail(f"cannot read: {exc.strerror or exc}") from None
        zipped = "gzip-compressed data: " if self.compressed else ""
        if not head:
            if self.warnings:  # a gzip stream that is broken before its first byte
                raise self._fail(self.warnings[-1].message)
            raise self._fail(f"{zipped}empty file (not a capture file)")
        if len(head) < 4:
            raise self._fail(f"{zipped}not a capture file (only {len(head)} bytes)")
        try:
            if head in pcap.MAGIC_BYTES:
                self.format = "pcap"
                parser = pcap.PcapParser(read, head, self._warn)
                self._pcap = parser
                self.linktype = parser.header.linktype
                self.snaplen = parser.header.snaplen
                self.nanosecond = parser.header.nanosecond
                return parser.frames()
            if head == pcapng.SHB_TYPE_BYTES:
                self.format = "pcapng"
                self._pcapng = pcapng.PcapngParser(read, head, self._warn, self._secret)
                return self._pcapng.frames()
        except ValueError as exc:
            raise self._fail(f"{zipped}{exc}") from None
        except OSError as exc:
            raise self._fail(f"cannot read: {exc.strerror or exc}") from None
        raise self._fail(f"{zipped}not a capture file (unknown magic 0x{head.hex()}; "
                         f"expected pcap or pcapng)")

    def _warn(self, offset: int, message: str) -> None:
        warning = CaptureWarning(_display(self.path), offset, message)
        self.warnings.append(warning)
        if self.on_warning is not None:
            self.on_warning(warning)

    # -- iteration ------------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Frame]:
        return self._frames

    def __next__(self) -> Frame:
        return next(self._frames)

    def batches(self):
        """The frames in batches for the columnar core (:mod:`analyzer.capture.batches`); use instead of
        iterating, not after it."""
        from analyzer.capture.batches import source_batches

        pcap, self._pcap = self._pcap, None
        return source_batches(self._frames, pcap, self._pcapng)     # the pcapng parser stays (time_digits)

    def close(self) -> None:
        """Stop reading and close the file; safe to call twice."""
        self._frames.close()
        self._source.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"CaptureReader({self.path!r}, format={self.format!r}, compressed={self.compressed}, "
                f"warnings={len(self.warnings)})")


def open_capture(path: str | os.PathLike,
                 on_warning: Callable[[CaptureWarning], None] | None = None,
                 on_secrets: Callable[[int, bytes], None] | None = None) -> CaptureReader:
    """Open a pcap, pcapng or gzip-compressed capture (format by magic number); CaptureError if not one.
    ``on_secrets``: see :class:`CaptureReader`."""
    return CaptureReader(path, on_warning, on_secrets)


def is_capture_file(path: str | os.PathLike) -> bool:
    """Does the file start like a capture (pcap, pcapng or gzip magic)? False when it cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return head[:2] == GZIP_MAGIC or head in pcap.MAGIC_BYTES or head == pcapng.SHB_TYPE_BYTES


def _display(path: str) -> str:
    return "standard input" if path == STDIN else path


def _file_size(file) -> int:
    try:
        st = os.fstat(file.fileno())
    except OSError:
        return 0
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def _read_upto(read: Callable[[int], bytes], n: int) -> bytes:
    data = b""
    while len(data) < n:
        more = read(n - len(data))
        if not more:
            break
        data += more
    return data
