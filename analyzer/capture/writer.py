"""Writing frames to capture files: classic pcap (us or ns) and pcapng, chosen by the file's extension.

Used for exporting filtered frames and, later, by live capture: every record goes out with a single
``write`` call after the headers it depends on, so after :meth:`CaptureWriter.flush` the file on disk is a
valid capture up to its last complete record. Files are written in little-endian byte order.

Given the capture being read (``source``, a :class:`~analyzer.capture.reader.CaptureReader`), a writer keeps
what describes it, as editcap and ``tshark -w`` do: the timestamp resolution (a nanosecond source gives a
nanosecond pcap, and pcapng interfaces keep their if_tsresol, so no digit is lost or invented), and in
pcapng the interfaces' if_name, if_description, if_filter and if_os and the section's shb_hardware, shb_os
and shb_userappl.
"""

from __future__ import annotations

import contextlib
import os
import struct
from typing import Self

from analyzer.capture.frame import Frame
from analyzer.capture.pcap import MAGIC_NS, MAGIC_US
from analyzer.capture.pcapng import (
    BLOCK_DSB,
    BLOCK_EPB,
    BLOCK_IDB,
    BLOCK_SHB,
    BYTE_ORDER_MAGIC,
    OPT_IF_FILTER,
    OPT_IF_NAME,
    OPT_IF_TSRESOL,
    OPT_SHB_USERAPPL,
    tsresol_units,
)
from analyzer.capture.reader import CaptureError

PCAPNG_EXTENSIONS = (".pcapng", ".ntar")
DEFAULT_SNAPLEN = 262144
LINKTYPE_ETHERNET = 1
APPLICATION = b"analyzer"

_PCAP_HEADER = struct.Struct("<IHHiIII")
_PCAP_RECORD = struct.Struct("<IIII")
_BLOCK_HEAD = struct.Struct("<II")
_U32 = struct.Struct("<I")
_SHB_BODY = struct.Struct("<IHHq")
_IDB_BODY = struct.Struct("<HHI")
_EPB_HEAD = struct.Struct("<IIIIIII")  # type, length, iface, ts high, ts low, caplen, origlen
_PADDING = (b"", b"\0", b"\0\0", b"\0\0\0")
_OPT_HEAD = struct.Struct("<HH")
_U32_MAX = 0xFFFFFFFF


def _option(code: int, value: bytes) -> bytes:
    return _OPT_HEAD.pack(code, len(value)) + value + b"\0" * (-len(value) % 4)


def _block(btype: int, body: bytes) -> bytes:
    """A pcapng block: type, total length, body padded to 4 bytes, total length again."""
    body += b"\0" * (-len(body) % 4)
    length = len(body) + 12
    return _BLOCK_HEAD.pack(btype, length) + body + _U32.pack(length)


class _File:
    """The writer's open file: an OSError while writing, flushing or closing becomes the writer's
    CaptureError naming the file (one line for the CLI, never a traceback)."""

    __slots__ = ("_f", "_writer")

    def __init__(self, f, writer: CaptureWriter):
        self._f = f
        self._writer = writer

    @property
    def closed(self) -> bool:
        return self._f.closed

    def write(self, data: bytes) -> int:
        try:
            return self._f.write(data)
        except OSError as exc:
            raise self._writer._io_error(exc) from None

    def flush(self) -> None:
        try:
            self._f.flush()
        except OSError as exc:
            raise self._writer._io_error(exc) from None

    def close(self) -> None:
        try:
            self._f.close()
        except OSError as exc:
            if not self._writer._failed:
                raise self._writer._io_error(exc) from None
            with contextlib.suppress(OSError):
                self._f.close()


class CaptureWriter:
    """Base of the writers: ``write(frame)``, ``flush()``, ``close()``, context manager.

    ``path`` is the file, ``format`` "pcap" or "pcapng", ``frames_written`` counts frames. Data longer
    than ``snaplen`` is cut to it (origlen is kept).
    """

    format = ""

    def __init__(self, path: str | os.PathLike, snaplen: int = DEFAULT_SNAPLEN):
        self.path = os.fspath(path)
        # what error messages call the file: the path, or the name the user gave when ``path`` is a temporary
        # file renamed onto it at the end (``-w``)
        self.name = self.path
        self.snaplen = snaplen
        self.frames_written = 0
        self._failed = False
        try:
            self._file = _File(open(self.path, "wb"), self)  # noqa: SIM115 - the writer owns it until close()
        except IsADirectoryError:
            raise CaptureError(f"{self.path}: cannot write: is a directory") from None
        except OSError as exc:
            raise CaptureError(f"{self.path}: cannot write: {exc.strerror or exc}") from None

    def write(self, frame: Frame) -> None:
        """Append one frame; raise CaptureError if this format cannot hold it."""
        raise NotImplementedError

    def write_secrets(self, kind: int, data: bytes) -> bool:
        """Keep decryption secrets (a TLS key log, ...) for the frames written after them; False when the
        format cannot hold them (classic pcap)."""
        return False

    def _put(self, frame: Frame, data: bytes) -> None:
        """Write the bytes of one record (with any headers it needs) in one call."""
        try:
            self._file.write(data)
        except ValueError:  # I/O on a closed file
            raise self._error(frame, "the writer is closed") from None

    def _error(self, frame: Frame, what: str) -> CaptureError:
        return CaptureError(f"{self.name}: cannot write frame {frame.number}: {what}")

    def _io_error(self, exc: OSError) -> CaptureError:
        """A failed write (a full disk, a device error) as the CaptureError that names the file; after it,
        closing the writer no longer complains (the error was told once)."""
        self._failed = True
        after = f" after {self.frames_written} frame{'s' if self.frames_written != 1 else ''}"
        return CaptureError(f"{self.name}: cannot write{after}: {exc.strerror or exc}")

    def flush(self) -> None:
        """Push everything written so far to the operating system (the file is then valid on disk)."""
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        """Flush and close; safe to call twice. CaptureError when what was still buffered cannot be written
        (unless a write already failed: that error was raised then)."""
        self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r}, frames_written={self.frames_written})"


class PcapWriter(CaptureWriter):
    """Classic pcap, one link type per file; microsecond timestamps unless ``nanosecond``.

    With ``linktype`` given the file header is written at once; otherwise it is written with the first
    frame's link type (or Ethernet, if the writer is closed without frames).
    """

    format = "pcap"

    def __init__(self, path: str | os.PathLike, linktype: int | None = None, snaplen: int = DEFAULT_SNAPLEN,
                 nanosecond: bool | None = False, source=None):
        super().__init__(path, snaplen)
        self.source = source
        self.nanosecond = bool(nanosecond)
        self._ns_per_unit = 1 if nanosecond else 1000
        self.linktype = linktype
        self._resolution_open = nanosecond is None      # decided by the first frame's interface
        if linktype is not None:
            self._file.write(self._header(linktype))
            self._resolution_open = False

    def _header(self, linktype: int) -> bytes:
        magic = MAGIC_NS if self.nanosecond else MAGIC_US
        return _PCAP_HEADER.pack(magic, 2, 4, 0, 0, self.snaplen, linktype)

    def write(self, frame: Frame) -> None:
        header = b""
        if frame.linktype != self.linktype:
            if self.linktype is not None:
                raise self._error(frame, f"its link type {frame.linktype} differs from the file's link type "
                                         f"{self.linktype}; classic pcap holds one link type (write .pcapng)")
            if self._resolution_open:
                self._resolution_open = False
                self.nanosecond = _source_digits(self.source, frame) > 6
                self._ns_per_unit = 1 if self.nanosecond else 1000
            header = self._header(frame.linktype)
        sec, ns = divmod(frame.ts_ns, 1_000_000_000)
        data = frame.data
        if len(data) > self.snaplen:
            data = data[:self.snaplen]
        try:
            record = _PCAP_RECORD.pack(sec, ns // self._ns_per_unit, len(data), frame.origlen)
        except struct.error:
            raise self._error(frame, f"timestamp {frame.ts_ns} ns or length {frame.origlen} does not fit "
                                     f"classic pcap") from None
        self._put(frame, header + record + data)
        if header:
            self.linktype = frame.linktype
        self.frames_written += 1

    def close(self) -> None:
        if not self._file.closed and self.linktype is None:
            self.linktype = LINKTYPE_ETHERNET
            self._file.write(self._header(LINKTYPE_ETHERNET))
        super().close()


class PcapngWriter(CaptureWriter):
    """pcapng: one section; an IDB (with the frame's if_name) per distinct (iface, linktype) as they appear;
    EPBs.

    Interface ids are renumbered in order of first appearance, so frames from several sections or files
    can be merged into one file. Without a ``source`` the interfaces get if_tsresol 9 (nanoseconds); with
    one, each keeps its source interface's resolution and text options (see the module docstring).
    """

    format = "pcapng"

    def __init__(self, path: str | os.PathLike, snaplen: int = DEFAULT_SNAPLEN, source=None,
                 capture_filter: str | None = None):
        super().__init__(path, snaplen)
        self.source = source
        self.capture_filter = capture_filter    # a live capture's BPF text: each IDB's if_filter, as dumpcap writes
        self.interfaces: dict[tuple[int, int], int] = {}
        self._units: list[int] = []       # interface id -> timestamp units per second
        kept = list(getattr(source, "section_options", None) or ())
        if not any(code == OPT_SHB_USERAPPL for code, _ in kept):
            kept.append((OPT_SHB_USERAPPL, APPLICATION))
        options = b"".join(_option(code, value) for code, value in kept)
        shb = _SHB_BODY.pack(BYTE_ORDER_MAGIC, 1, 0, -1) + options + _option(0, b"")
        self._file.write(_block(BLOCK_SHB, shb))

    def write_secrets(self, kind: int, data: bytes) -> bool:
        """A Decryption Secrets Block (type, length, the secrets), before the frames that follow."""
        try:
            self._file.write(_block(BLOCK_DSB, _U32.pack(kind) + _U32.pack(len(data)) + data))
        except ValueError:
            raise CaptureError(f"{self.name}: cannot write decryption secrets: the writer is closed") from None
        return True

    def _interface(self, frame: Frame) -> int:
        """Write the IDB for the frame's (iface, linktype) and return its new interface id."""
        if not 0 <= frame.linktype <= 0xFFFF:
            raise self._error(frame, f"link type {frame.linktype} does not fit pcapng (16 bits)")
        resol, options = 9, b""
        interface = getattr(self.source, "interface", None)
        origin = interface(frame) if interface is not None else None
        if origin is not None:
            resol = origin.tsresol if origin.tsresol is not None else 6
            options = b"".join(_option(code, value) for code, value in origin.options)
        else:
            if self.source is not None:
                resol = _source_digits(self.source, frame)
            if frame.iface_name:
                options = _option(OPT_IF_NAME, frame.iface_name.encode("utf-8"))
            if self.capture_filter:         # type 0: a libpcap filter string
                options += _option(OPT_IF_FILTER, b"\x00" + self.capture_filter.encode("utf-8"))
        body = (_IDB_BODY.pack(frame.linktype, 0, self.snaplen) + options
                + _option(OPT_IF_TSRESOL, bytes([resol])) + _option(0, b""))
        self._put(frame, _block(BLOCK_IDB, body))
        iface = self.interfaces[(frame.iface, frame.linktype)] = len(self.interfaces)
        self._units.append(tsresol_units(resol))
        return iface

    def write(self, frame: Frame) -> None:
        iface = self.interfaces.get((frame.iface, frame.linktype))
        if iface is None:
            iface = self._interface(frame)
        units = self._units[iface]
        ts = frame.ts_ns if units == 1_000_000_000 else frame.ts_ns * units // 1_000_000_000
        data = frame.data
        if len(data) > self.snaplen:
            data = data[:self.snaplen]
        size = len(data)
        pad = -size % 4
        length = 32 + size + pad
        try:
            head = _EPB_HEAD.pack(BLOCK_EPB, length, iface, ts >> 32, ts & _U32_MAX, size, frame.origlen)
        except struct.error:
            raise self._error(frame, f"timestamp {frame.ts_ns} ns or length {frame.origlen} does not fit "
                                     f"pcapng") from None
        self._put(frame, head + data + _PADDING[pad] + _U32.pack(length))
        self.frames_written += 1


def _source_digits(source, frame: Frame) -> int:
    """Decimals of the frame's time in the source capture (9 when there is no source: nothing is lost)."""
    digits = getattr(source, "time_digits", None)
    return digits(frame) if digits is not None else 9


def open_writer(path: str | os.PathLike, linktype: int | None = None, snaplen: int = DEFAULT_SNAPLEN,
                nanosecond: bool = False, source=None, capture_filter: str | None = None) -> CaptureWriter:
    """A writer for ``path``: ``.pcapng``/``.ntar`` -> pcapng, anything else -> classic pcap.

    ``linktype`` fixes a classic pcap file's link type up front (pcapng takes it from each frame);
    ``nanosecond`` asks for a nanosecond-resolution classic pcap. ``source``: the capture being copied (a
    CaptureReader): the resolution of the first frame's interface decides a classic pcap's, and pcapng
    keeps each interface's resolution and descriptions and the section's application. ``capture_filter``: the
    BPF text a live capture ran with, kept as pcapng's if_filter (classic pcap has no place for it).
    """
    if os.fspath(path).lower().endswith(PCAPNG_EXTENSIONS):
        return PcapngWriter(path, snaplen, source, capture_filter)
    return PcapWriter(path, linktype, snaplen, None if source is not None and not nanosecond else nanosecond,
                      source)
