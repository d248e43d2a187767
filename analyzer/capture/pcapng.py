"""pcapng file parsing: sections, interfaces and the packet blocks (EPB, SPB, OPB) turned into Frames.

Like :mod:`analyzer.capture.pcap` this module knows bytes, not files: :mod:`analyzer.capture.reader` hands
it a ``read(n)`` callable and a ``warn(offset, message)`` callable.

Theory of operation (the format: https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/):

- A file is a sequence of blocks ``type u32, total_length u32, body, total_length u32``; total_length is a
  multiple of 4 and at least 12. The byte order is set by each Section Header Block (SHB) through its
  byte-order magic 0x1A2B3C4D; the SHB's type 0x0A0D0D0A reads the same in both orders.
- Each SHB starts a new section: the byte order may change and the interface list is emptied. Interface
  Description Blocks (IDB) append interfaces (link type, snaplen, if_tsresol, if_tsoffset); packet blocks
  refer to them by their index in the section, which is also what Wireshark shows as frame.interface_id.
- Timestamps are 64-bit counts of 1/units_per_second since the epoch (default units 10^6); they become
  integer nanoseconds by floor division, as Wireshark does, plus if_tsoffset seconds.
- Simple Packet Blocks carry no timestamp and belong to interface 0; they get the timestamp of the frame
  before them (0 if none), so that time never runs backwards downstream.
- Bad input: a block whose framing is broken (length below 12, not a multiple of 4, absurdly large,
  trailer mismatch, file ends inside it) stops reading with a warning, since the next block cannot be
  found. A well-framed block with bad content (caplen beyond the block, absurd caplen, undefined
  interface, bad options) is skipped (or its options ignored) with a warning, and reading goes on.
- Speed: :meth:`PcapngParser.frames` reads runs of well-formed EPBs in an inlined loop; every other block,
  and every problem, goes through the general one-block-at-a-time path.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

from analyzer.capture.frame import Frame

SHB_TYPE_BYTES = b"\x0a\x0d\x0d\x0a"
BYTE_ORDER_MAGIC = 0x1A2B3C4D
BLOCK_IDB = 0x00000001
BLOCK_OPB = 0x00000002  # obsolete Packet Block
BLOCK_SPB = 0x00000003
BLOCK_EPB = 0x00000006
BLOCK_DSB = 0x0000000A  # Decryption Secrets Block (what editcap --inject-secrets writes)
SECRETS_TLS_KEY_LOG = 0x544C534B  # "TLSK": the NSS key log format
MAX_SECRETS = 16 * 1024 * 1024  # secrets bytes kept from one file
BLOCK_SHB = 0x0A0D0D0A

OPT_ENDOFOPT = 0
OPT_COMMENT = 1         # opt_comment, in any block; on a packet block tshark's frame.comment
OPT_IF_NAME = 2
OPT_IF_TSRESOL = 9
OPT_IF_TSOFFSET = 14
OPT_IF_DESCRIPTION, OPT_IF_FILTER, OPT_IF_OS = 3, 11, 12
OPT_SHB_HARDWARE, OPT_SHB_OS, OPT_SHB_USERAPPL = 2, 3, 4
KEPT_IF_OPTIONS = frozenset((OPT_IF_NAME, OPT_IF_DESCRIPTION, OPT_IF_FILTER, OPT_IF_OS))
KEPT_SHB_OPTIONS = frozenset((OPT_SHB_HARDWARE, OPT_SHB_OS, OPT_SHB_USERAPPL))

MAX_CAPLEN = 262144
# A block longer than this is taken as corrupt framing; this also bounds the memory a block can take.
MAX_BLOCK_LEN = 16 * 1024 * 1024
CHUNK_SIZE = 1 << 17  # see analyzer.capture.pcap.CHUNK_SIZE

_U32 = {"<": struct.Struct("<I"), ">": struct.Struct(">I")}
_BLOCK_HEAD = {"<": struct.Struct("<II"), ">": struct.Struct(">II")}
_SHB_BODY = {"<": struct.Struct("<IHHq"), ">": struct.Struct(">IHHq")}  # magic, major, minor, section len
_IDB_BODY = {"<": struct.Struct("<HHI"), ">": struct.Struct(">HHI")}  # linktype, reserved, snaplen
_EPB_BODY = {"<": struct.Struct("<IIIII"), ">": struct.Struct(">IIIII")}  # iface, ts hi, ts lo, cap, orig
_OPB_BODY = {"<": struct.Struct("<HHIIII"), ">": struct.Struct(">HHIIII")}  # iface u16, drops u16, as EPB
_OPT_HEAD = {"<": struct.Struct("<HH"), ">": struct.Struct(">HH")}
TS_MIN_NS, TS_MAX_NS = -(1 << 63), (1 << 63) - 1   # the range of Frame.ts_ns
_I64 = {"<": struct.Struct("<q"), ">": struct.Struct(">q")}

ReadFn = Callable[[int], bytes]
WarnFn = Callable[[int, str], None]
SecretsFn = Callable[[int, bytes], None]


class Interface:
    """One IDB of the current section: link type, snaplen and how to turn its timestamps into ns."""

    __slots__ = ("linktype", "name", "options", "snaplen", "tsoffset_ns", "tsresol", "units_per_second")

    def __init__(self, linktype: int, snaplen: int):
        self.linktype = linktype
        self.snaplen = snaplen
        self.units_per_second = 1_000_000
        self.tsoffset_ns = 0
        self.name = ""
        self.tsresol: int | None = None     # the if_tsresol byte as given, None when absent (10^-6)
        # the text options a writer keeps: if_name 2, if_description 3, if_filter 11, if_os 12 (raw values)
        self.options: list[tuple[int, bytes]] = []

    @property
    def capture_filter(self) -> str | None:
        """The capture filter the interface was recorded with (if_filter of type 0, a libpcap filter string, as
        dumpcap writes it), None when the IDB names none."""
        for code, value in self.options:
            if code == OPT_IF_FILTER and value[:1] == b"\x00" and len(value) > 1:
                return value[1:].rstrip(b"\x00").decode("utf-8", "replace") or None
        return None

    def ts_ns(self, ts: int) -> int:
        """Integer nanoseconds since the epoch for a raw 64-bit timestamp of this interface."""
        units = self.units_per_second
        if units == 1_000_000:
            ns = ts * 1000
        elif units == 1_000_000_000:
            ns = ts
        else:
            ns = ts * 1_000_000_000 // units
        return ns + self.tsoffset_ns


def tsresol_units(value: int) -> int:
    """Units per second for an if_tsresol byte: MSB clear -> 10^value, MSB set -> 2^(value & 0x7f)."""
    if value & 0x80:
        return 1 << (value & 0x7F)
    return 10 ** value


class PcapngParser:
    """Reads the first Section Header Block on construction, then :meth:`frames` streams the packets.

    ``buf`` holds bytes already read from the start of the capture; ``read(n)`` returns the next bytes
    (``b""`` at the end). Raises ValueError (message without the path) if the first SHB is unusable.
    """

    def __init__(self, read: ReadFn, buf: bytes, warn: WarnFn, secrets: SecretsFn | None = None):
        self._read = read
        self._warn = warn
        self._secrets = secrets     # called with (secrets type, data) for each Decryption Secrets Block
        self._secrets_kept = 0
        self._ts_warned = False     # one warning per section for timestamps out of range
        self._buf = buf
        self._pos = 0
        self._base = 0  # capture offset of _buf[0]
        self.byteorder = "<"
        self.interfaces: list[Interface | None] = []  # None: an unusable IDB
        self.sections = 0
        self.section_options: list[tuple[int, bytes]] = []
        if not self._fill(12):
            raise ValueError(f"truncated pcapng section header ({len(self._buf)} of 28 bytes)")
        error = self._start_section()
        if error:
            raise ValueError(error)

    # -- buffer ---------------------------------------------------------------------------------------

    def _fill(self, n: int) -> bool:
        """Make at least ``n`` bytes available at ``_pos``; False if the capture ends first."""
        while len(self._buf) - self._pos < n:
            chunk = self._read(max(CHUNK_SIZE, n))
            if not chunk:
                return False
            self._base += self._pos
            self._buf = self._buf[self._pos:] + chunk
            self._pos = 0
        return True

    def _offset(self) -> int:
        return self._base + self._pos

    # -- blocks ---------------------------------------------------------------------------------------

    def _start_section(self) -> str | None:
        """Parse the SHB at ``_pos`` (12 bytes available); return an error message if framing is broken.

        On success the SHB is consumed and a new section begins.
        """
        buf, pos = self._buf, self._pos
        magic_bytes = buf[pos + 8:pos + 12]
        if magic_bytes == b"\x4d\x3c\x2b\x1a":
            order = "<"
        elif magic_bytes == b"\x1a\x2b\x3c\x4d":
            order = ">"
        else:
            return f"section header block has bad byte-order magic 0x{magic_bytes.hex()}"
        length = _U32[order].unpack_from(buf, pos + 4)[0]
        error = self._check_length(length, minimum=28)
        if error:
            return f"section header block: {error}"
        if not self._fill(length):
            return (f"section header block: file ends inside the block "
                    f"({len(self._buf) - self._pos} of {length} bytes)")
        buf, pos = self._buf, self._pos
        if _U32[order].unpack_from(buf, pos + length - 4)[0] != length:
            return "section header block: trailing length does not match the leading length"
        _magic, major, minor, _section_len = _SHB_BODY[order].unpack_from(buf, pos + 8)
        if major != 1:
            return f"unsupported pcapng version {major}.{minor}"
        self.byteorder = order
        self.interfaces = []
        self.sections += 1
        if self.sections == 1:      # the first section's hardware, OS and application, for a writer to keep
            self.section_options = [(code, value) for code, value in
                                    self._options(buf, pos + 24, pos + length - 4, self._offset(), "section")
                                    if code in KEPT_SHB_OPTIONS]
        self._pos += length
        return None

    @staticmethod
    def _check_length(length: int, minimum: int = 12) -> str | None:
        if length < minimum:
            return f"block length {length} is less than {minimum}"
        if length % 4:
            return f"block length {length} is not a multiple of 4"
        if length > MAX_BLOCK_LEN:
            return f"block length {length} is absurd (more than {MAX_BLOCK_LEN})"
        return None

    def frames(self, first_number: int = 1) -> Iterator[Frame]:
        """Yield every packet of every section as a Frame, numbered from ``first_number``."""
        number = first_number
        last_ts = 0
        make = Frame
        while True:
            # Fast path: well-formed EPBs already in the buffer, on interfaces of this section. Anything
            # else (another block type, a damaged block, the end of the buffer) goes to _next_block.
            buf, pos, end = self._buf, self._pos, len(self._buf)
            order = self.byteorder
            block_head = _BLOCK_HEAD[order].unpack_from
            epb_body = _EPB_BODY[order].unpack_from
            u32 = _U32[order].unpack_from
            interfaces = self.interfaces
            count = len(interfaces)
            while pos + 32 <= end:
                btype, length = block_head(buf, pos)
                nxt = pos + length
                if btype != BLOCK_EPB or nxt > end or length < 32 or length > MAX_BLOCK_LEN or length & 3:
                    break
                iface_id, ts_high, ts_low, caplen, origlen = epb_body(buf, pos + 8)
                if (caplen > length - 32 or caplen > MAX_CAPLEN or iface_id >= count
                        or u32(buf, nxt - 4)[0] != length):
                    break
                iface = interfaces[iface_id]
                if iface is None:
                    break
                units = iface.units_per_second
                ts = (ts_high << 32) | ts_low
                if units == 1_000_000:
                    ts *= 1000
                elif units != 1_000_000_000:
                    ts = ts * 1_000_000_000 // units
                ts += iface.tsoffset_ns
                if not TS_MIN_NS <= ts <= TS_MAX_NS:
                    break               # out of range: the block-by-block path clamps it and warns
                last_ts = ts
                padded = 32 + ((caplen + 3) & ~3)
                yield make(number, last_ts, origlen, iface_id, iface.linktype, buf[pos + 28:pos + 28 + caplen],
                           iface.name or None,
                           None if length == padded else _comments(buf, pos + padded - 4, nxt - 4, order))
                number += 1
                pos = nxt
            self._pos = pos
            go_on, frame = self._next_block(number, last_ts)
            if frame is not None:
                last_ts = frame.ts_ns
                number += 1
                yield frame
            if not go_on:
                return

    def _next_block(self, number: int, last_ts: int) -> tuple[bool, Frame | None]:
        """Read one block of any kind at ``_pos``: (whether reading goes on, the frame it holds or None)."""
        if not self._fill(8):
            left = len(self._buf) - self._pos
            if left:
                self._warn(self._offset(), f"file ends inside a block header ({left} of 8 bytes); "
                                           f"the capture was cut short")
            return False, None
        buf, pos = self._buf, self._pos
        at = self._offset()
        if buf[pos:pos + 4] == SHB_TYPE_BYTES:
            error = None if self._fill(12) else "file ends inside a section header block"
            error = error or self._start_section()
            if error:
                self._warn(at, f"{error}; stopping")
                return False, None
            return True, None
        order = self.byteorder
        btype, length = _BLOCK_HEAD[order].unpack_from(buf, pos)
        error = self._check_length(length)
        if error:
            self._warn(at, f"corrupt block (type 0x{btype:08x}): {error}; stopping")
            return False, None
        if not self._fill(length):
            self._warn(at, f"block type 0x{btype:08x}: file ends inside the block "
                           f"({len(self._buf) - self._pos} of {length} bytes); the capture was cut short")
            return False, None
        buf, pos = self._buf, self._pos
        if _U32[order].unpack_from(buf, pos + length - 4)[0] != length:
            self._warn(at, f"corrupt block (type 0x{btype:08x}): trailing length does not match "
                           f"leading length {length}; stopping")
            return False, None
        self._pos = pos + length
        if btype in (BLOCK_EPB, BLOCK_OPB, BLOCK_SPB):
            return True, self._packet(btype, buf, pos, length, number, last_ts, at)
        if btype == BLOCK_IDB:
            self._interface(buf, pos, length, at)
        elif btype == BLOCK_DSB:
            self._decryption_secrets(buf, pos, length, at)
        # Everything else (NRB, ISB, custom and unknown blocks) carries no packets.
        return True, None

    def _decryption_secrets(self, buf: bytes, pos: int, length: int, at: int) -> None:
        """A Decryption Secrets Block: secrets type, length, the secrets (e.g. a TLS key log), options."""
        if length < 20:
            self._warn(at, f"decryption secrets block of {length} bytes is too short; ignored")
            return
        kind, size = _U32[self.byteorder].unpack_from(buf, pos + 8)[0], _U32[self.byteorder].unpack_from(
            buf, pos + 12)[0]
        if size > length - 20:
            self._warn(at, f"decryption secrets block: {size} bytes of secrets do not fit in the block; ignored")
            return
        if self._secrets_kept + size > MAX_SECRETS:
            self._warn(at, f"decryption secrets beyond {MAX_SECRETS} bytes are ignored")
            return
        self._secrets_kept += size
        if self._secrets is not None:
            self._secrets(kind, bytes(buf[pos + 16:pos + 16 + size]))

    def _interface(self, buf: bytes, pos: int, length: int, at: int) -> None:
        """Append the IDB at ``pos`` to the section's interfaces (bad options are ignored with a warning)."""
        order = self.byteorder
        index = len(self.interfaces)
        if length < 20:
            # Keep its place so later interfaces keep their numbers; its packets are skipped.
            self._warn(at, f"interface description block {index} is too short ({length} bytes); "
                           f"its packets will be skipped")
            self.interfaces.append(None)
            return
        linktype, _reserved, snaplen = _IDB_BODY[order].unpack_from(buf, pos + 8)
        iface = Interface(linktype, snaplen)
        self.interfaces.append(iface)
        for code, value in self._options(buf, pos + 16, pos + length - 4, at, f"interface {index}"):
            if code in KEPT_IF_OPTIONS:
                iface.options.append((code, value))
            if code == OPT_IF_TSRESOL and len(value) >= 1:
                iface.units_per_second = tsresol_units(value[0])
                iface.tsresol = value[0]
            elif code == OPT_IF_TSOFFSET and len(value) >= 8:
                iface.tsoffset_ns = _I64[order].unpack_from(value)[0] * 1_000_000_000
            elif code == OPT_IF_NAME:
                iface.name = value.decode("utf-8", "replace")

    def _options(self, buf: bytes, pos: int, end: int, at: int, what: str) -> list[tuple[int, bytes]]:
        """The (code, value) options between ``pos`` and ``end``; a malformed list ends with a warning."""
        head = _OPT_HEAD[self.byteorder]
        options = []
        while pos + 4 <= end:
            code, size = head.unpack_from(buf, pos)
            if code == OPT_ENDOFOPT:
                break
            if pos + 4 + size > end:
                self._warn(at, f"{what}: option {code} length {size} runs past the block; "
                               f"ignoring the remaining options")
                break
            options.append((code, buf[pos + 4:pos + 4 + size]))
            pos += 4 + ((size + 3) & ~3)
        return options

    def _lookup(self, iface_id: int, name: str, at: int) -> Interface | None:
        """The interface a packet block refers to; None (after a warning) if there is no usable one."""
        if iface_id >= len(self.interfaces):
            self._warn(at, f"{name} refers to undefined interface {iface_id} (the section has "
                           f"{len(self.interfaces)}); skipped")
            return None
        iface = self.interfaces[iface_id]
        if iface is None:
            self._warn(at, f"{name} refers to interface {iface_id}, whose description block is unusable; "
                           f"skipped")
        return iface

    def _packet(self, btype: int, buf: bytes, pos: int, length: int, number: int, last_ts: int,
                at: int) -> Frame | None:
        """Build the Frame for an EPB, OPB or SPB at ``pos``; None (after a warning) if its content is bad."""
        order = self.byteorder
        body = length - 12
        if btype == BLOCK_SPB:
            name, fixed = "simple packet block", 4
            if body < fixed:
                self._warn(at, f"{name}: block too short ({length} bytes); skipped")
                return None
            iface_id = 0
            origlen = _U32[order].unpack_from(buf, pos + 8)[0]
            iface = self._lookup(0, name, at)
            if iface is None:
                return None
            # The packet is cut to the interface's snaplen (0: no limit); the block must hold that much.
            caplen = min(origlen, iface.snaplen) if iface.snaplen else origlen
            if caplen > MAX_CAPLEN:
                self._warn(at, f"{name}: packet length {caplen} is absurd (more than {MAX_CAPLEN}); skipped")
                return None
            if caplen > body - fixed:
                self._warn(at, f"{name}: block too short for {caplen} bytes of packet data; skipped")
                return None
            ts_ns = last_ts
        else:
            name = "enhanced packet block" if btype == BLOCK_EPB else "packet block"
            fixed = 20
            if body < fixed:
                self._warn(at, f"{name}: block too short ({length} bytes); skipped")
                return None
            if btype == BLOCK_EPB:
                iface_id, ts_high, ts_low, caplen, origlen = _EPB_BODY[order].unpack_from(buf, pos + 8)
            else:
                fields = _OPB_BODY[order].unpack_from(buf, pos + 8)
                iface_id, _drops, ts_high, ts_low, caplen, origlen = fields
            if caplen > MAX_CAPLEN:
                self._warn(at, f"{name}: caplen {caplen} is absurd (more than {MAX_CAPLEN}); skipped")
                return None
            if caplen > body - fixed:
                self._warn(at, f"{name}: caplen {caplen} runs past the end of the block; skipped")
                return None
            iface = self._lookup(iface_id, name, at)
            if iface is None:
                return None
            ts_ns = iface.ts_ns((ts_high << 32) | ts_low)
            if not TS_MIN_NS <= ts_ns <= TS_MAX_NS:
                # Frame.ts_ns is a signed 64-bit count of ns (years 1677-2262), as every later stage
                # assumes; a corrupt if_tsresol or if_tsoffset gives values far outside it.
                if not self._ts_warned:
                    self._ts_warned = True
                    self._warn(at, f"{name}: timestamp out of range ({ts_ns} ns since 1970: a corrupt "
                                   f"if_tsresol or if_tsoffset?); such timestamps are clamped to the "
                                   f"years 1677-2262")
                ts_ns = min(max(ts_ns, TS_MIN_NS), TS_MAX_NS)
        data_at = pos + 8 + fixed
        comments = None
        if btype != BLOCK_SPB:     # (a Simple Packet Block has no options)
            comments = _comments(buf, data_at + ((caplen + 3) & ~3), pos + length - 4, order)
        return Frame(number, ts_ns, origlen, iface_id, iface.linktype, buf[data_at:data_at + caplen],
                     iface.name or None, comments)


def _comments(buf: bytes, pos: int, end: int, order: str) -> tuple[str, ...] | None:
    """The opt_comment values of a packet block's options between ``pos`` and ``end`` (UTF-8, as tshark
    reads them), None without any; a malformed option list ends the search quietly (the packet stands)."""
    head = _OPT_HEAD[order].unpack_from
    found = None
    while pos + 4 <= end:
        code, size = head(buf, pos)
        if code == OPT_ENDOFOPT or pos + 4 + size > end:
            break
        if code == OPT_COMMENT:
            text = bytes(buf[pos + 4:pos + 4 + size]).decode("utf-8", "replace")
            found = (*found, text) if found else (text,)
        pos += 4 + ((size + 3) & ~3)
    return found
