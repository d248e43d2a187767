"""HTTP/2 frames (RFC 9113 section 4 and 6): the frame header, each type's payload, as tshark's ``http2.*``
fields (sans-IO: bytes in, values out).

Layout of every frame::

    +-----------------------------------------------+
    |                 Length (24)                   |
    +---------------+---------------+---------------+
    |   Type (8)    |   Flags (8)   |
    +-+-------------+---------------+-------------------------------+
    |R|                 Stream Identifier (31)                      |
    +=+=============================================================+
    |                   Frame Payload (0...)                      ...
    +---------------------------------------------------------------+

:func:`parse_header` reads the 9-byte header; :func:`decode_payload` checks the payload once against its
type's layout and returns a :class:`Payload` (padding, priority, header block fragment, settings, error
code, ...) plus the fields tshark shows for it. A payload too short for its type, or padding longer than
the payload, raises :class:`FrameError` (the frame is malformed; the frames around it still decode).
Unknown types are not an error: tshark shows their payload as ``http2.unknown``.

Field values follow tshark 4.0's ``-T fields`` text: ``http2.flags`` and the ``*.r``/``unused`` fields in
hex (``0x25``, ``0x00000000``), everything else decimal or bytes. Some of its quirks are kept on purpose so
the fields compare equal: ``http2.pad_length`` is shown (0) even when a frame is not padded, and a padded
DATA frame's ``http2.data.data`` runs to the end of the payload, padding included (4.0.17 does so).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADER_LENGTH = 9

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
ALTSVC, BLOCKED = 0xA, 0xB

# tshark 4.0's http2_type_vals; other types show as "Unknown type (N)".
TYPE_NAMES = {
    DATA: "DATA", HEADERS: "HEADERS", PRIORITY: "PRIORITY", RST_STREAM: "RST_STREAM", SETTINGS: "SETTINGS",
    PUSH_PROMISE: "PUSH_PROMISE", PING: "PING", GOAWAY: "GOAWAY", WINDOW_UPDATE: "WINDOW_UPDATE",
    CONTINUATION: "CONTINUATION", ALTSVC: "ALTSVC", BLOCKED: "BLOCKED",
}

# Flags (RFC 9113 6.x); ACK shares END_STREAM's bit.
END_STREAM = ACK = 0x01
END_HEADERS = 0x04
PADDED = 0x08
PRIORITY_FLAG = 0x20

# The flags each type defines (the rest must be zero); tshark names the rest "unused" in a per-type field.
_FLAG_FIELDS = {
    DATA: (("http2.flags.end_stream", END_STREAM), ("http2.flags.padded", PADDED),
           ("http2.flags.unused_data", ~(END_STREAM | PADDED) & 0xFF)),
    HEADERS: (("http2.flags.end_stream", END_STREAM), ("http2.flags.eh", END_HEADERS),
              ("http2.flags.padded", PADDED), ("http2.flags.priority", PRIORITY_FLAG),
              ("http2.flags.unused_headers", ~(END_STREAM | END_HEADERS | PADDED | PRIORITY_FLAG) & 0xFF)),
    SETTINGS: (("http2.flags.ack.settings", ACK), ("http2.flags.unused_settings", ~ACK & 0xFF)),
    PUSH_PROMISE: (("http2.flags.eh", END_HEADERS), ("http2.flags.padded", PADDED),
                   ("http2.flags.unused_push_promise", ~(END_HEADERS | PADDED) & 0xFF)),
    # tshark 4.0 reads a PADDED flag on CONTINUATION too (RFC 9113 defines none)
    CONTINUATION: (("http2.flags.eh", END_HEADERS), ("http2.flags.padded", PADDED),
                   ("http2.flags.unused_continuation", ~END_HEADERS & 0xFF)),
    PING: (("http2.flags.ack.ping", ACK), ("http2.flags.unused_ping", ~ACK & 0xFF)),
}
_NO_FLAGS = (("http2.flags.unused", 0xFF),)

# Flag names as tshark lists them after the flags byte in -V ("0x25, Priority, End Headers, End Stream").
_FLAG_NAMES = {
    DATA: ((PADDED, "Padded"), (END_STREAM, "End Stream")),
    HEADERS: ((PRIORITY_FLAG, "Priority"), (PADDED, "Padded"), (END_HEADERS, "End Headers"),
              (END_STREAM, "End Stream")),
    SETTINGS: ((ACK, "ACK"),),
    PUSH_PROMISE: ((PADDED, "Padded"), (END_HEADERS, "End Headers")),
    CONTINUATION: ((END_HEADERS, "End Headers"),),
    PING: ((ACK, "ACK"),),
}

# RFC 9113 section 7.
ERROR_NAMES = {
    0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
    0x4: "SETTINGS_TIMEOUT", 0x5: "STREAM_CLOSED", 0x6: "FRAME_SIZE_ERROR", 0x7: "REFUSED_STREAM",
    0x8: "CANCEL", 0x9: "COMPRESSION_ERROR", 0xA: "CONNECT_ERROR", 0xB: "ENHANCE_YOUR_CALM",
    0xC: "INADEQUATE_SECURITY", 0xD: "HTTP_1_1_REQUIRED",
}

# RFC 9113 6.5.2 (and RFC 8441): identifier -> (tshark field, label).
HEADER_TABLE_SIZE, ENABLE_PUSH, MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE, \
    MAX_HEADER_LIST_SIZE = range(1, 7)
ENABLE_CONNECT_PROTOCOL = 8       # RFC 8441
SETTINGS_FIELDS = {
    HEADER_TABLE_SIZE: ("http2.settings.header_table_size", "Header table size"),
    ENABLE_PUSH: ("http2.settings.enable_push", "Enable PUSH"),
    MAX_CONCURRENT_STREAMS: ("http2.settings.max_concurrent_streams", "Max concurrent streams"),
    INITIAL_WINDOW_SIZE: ("http2.settings.initial_window_size", "Initial Windows size"),
    MAX_FRAME_SIZE: ("http2.settings.max_frame_size", "Max frame size"),
    MAX_HEADER_LIST_SIZE: ("http2.settings.max_header_list_size", "Max header list size"),
    ENABLE_CONNECT_PROTOCOL: ("http2.settings.extended_connect", "Extended CONNECT"),
}

_U32 = struct.Struct("!I")
_U32_U8 = struct.Struct("!IB")
_U16_U32 = struct.Struct("!HI")
_U32_U32 = struct.Struct("!II")


class FrameError(Exception):
    """The payload does not fit its frame type's layout (too short, or padding longer than the payload)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def type_name(ftype: int) -> str:
    """tshark's name of a frame type: ``HEADERS``, or ``Unknown type (42)``."""
    return TYPE_NAMES.get(ftype) or f"Unknown type ({ftype})"


def error_name(code: int) -> str:
    return ERROR_NAMES.get(code) or f"Unknown (0x{code:x})"


def flag_names(ftype: int, flags: int) -> list[str]:
    return [name for bit, name in _FLAG_NAMES.get(ftype, ()) if flags & bit]


@dataclass(frozen=True, slots=True)
class FrameHeader:
    """The 9 bytes before every payload."""

    length: int      # payload length in bytes (24 bits)
    type: int
    flags: int
    stream: int      # 31-bit stream identifier
    reserved: int    # the R bit, as tshark shows it: 0 or 0x80000000


def parse_header(data: bytes | bytearray | memoryview, off: int = 0) -> FrameHeader:
    """The frame header at ``data[off:off+9]`` (the caller checked there are 9 bytes)."""
    word = _U32.unpack_from(data, off + 5)[0]
    return FrameHeader(data[off] << 16 | data[off + 1] << 8 | data[off + 2], data[off + 3], data[off + 4],
                       word & 0x7FFFFFFF, word & 0x80000000)


def header_fields(h: FrameHeader) -> dict:
    """The fields every frame has, in tshark's order, with the type's flag sub-fields."""
    fields = {
        "http2.stream": 1,
        "http2.length": h.length,
        "http2.type": h.type,
        "http2.flags": f"0x{h.flags:02x}",
    }
    for name, mask in _FLAG_FIELDS.get(h.type, _NO_FLAGS):
        if name.startswith("http2.flags.unused"):
            fields[name] = f"0x{h.flags & mask:02x}"
        else:
            fields[name] = 1 if h.flags & mask else 0
    fields["http2.r"] = f"0x{h.reserved:08x}"
    fields["http2.streamid"] = h.stream
    return fields


@dataclass(slots=True)
class Payload:
    """What a payload holds, by type (fields not used by a type keep their defaults)."""

    pad_length: int = 0
    data: bytes = b""                 # DATA: the data without padding
    padding: bytes = b""              # DATA: the padding bytes
    block: bytes = b""                # HEADERS, PUSH_PROMISE, CONTINUATION: the header block fragment
    exclusive: bool = False           # HEADERS with PRIORITY, PRIORITY
    dependency: int | None = None
    weight: int | None = None         # as on the wire (0-255); the real weight is one more
    promised: int = 0                 # PUSH_PROMISE
    error: int | None = None          # RST_STREAM, GOAWAY
    last_stream: int = 0              # GOAWAY
    debug: bytes = b""                # GOAWAY additional debug data
    settings: tuple[tuple[int, int], ...] = ()
    opaque: bytes = b""               # PING
    increment: int = 0                # WINDOW_UPDATE


def _padding(h: FrameHeader, payload: bytes, fields: dict) -> tuple[int, int]:
    """Read the Pad Length octet when PADDED is set; returns (offset after it, pad length)."""
    pad = 0
    off = 0
    if h.flags & PADDED:
        if not payload:
            raise FrameError(f"{type_name(h.type)} frame is PADDED but has no Pad Length octet")
        pad = payload[0]
        fields["http2.padding"] = f"0x{pad:02x}"
        off = 1
    fields["http2.pad_length"] = pad
    return off, pad


def _priority(payload: bytes, off: int, fields: dict, p: Payload) -> int:
    if len(payload) < off + 5:
        raise FrameError("priority fields need 5 bytes")
    dep, weight = _U32_U8.unpack_from(payload, off)
    p.exclusive = bool(dep & 0x80000000)
    p.dependency = dep & 0x7FFFFFFF
    p.weight = weight
    fields["http2.exclusive"] = 1 if p.exclusive else 0
    fields["http2.stream_dependency"] = p.dependency
    fields["http2.headers.weight"] = weight
    fields["http2.headers.weight_real"] = weight + 1
    return off + 5


def decode_payload(h: FrameHeader, payload: bytes, fields: dict) -> Payload:
    """Check ``payload`` against the layout of ``h.type`` and add its fields to ``fields``.

    The header block of HEADERS/PUSH_PROMISE/CONTINUATION is returned in ``Payload.block`` for the HPACK
    decoder; its decoded headers are not added here. Raises :class:`FrameError`.
    """
    p = Payload()
    t = h.type
    n = len(payload)
    if t == DATA:
        off, pad = _padding(h, payload, fields)
        if pad > n - off:
            raise FrameError(f"padding of {pad} bytes is longer than the {n - off} bytes after Pad Length")
        p.pad_length = pad
        p.data = payload[off:n - pad]
        p.padding = payload[n - pad:]
        if p.data:
            fields["http2.data.data"] = p.data
        if pad:
            fields["http2.data.padding"] = p.padding
    elif t == HEADERS:
        off, pad = _padding(h, payload, fields)
        if h.flags & PRIORITY_FLAG:
            off = _priority(payload, off, fields, p)
        if pad > n - off:
            raise FrameError(f"padding of {pad} bytes is longer than the {n - off} bytes of header block")
        p.pad_length = pad
        p.block = payload[off:n - pad]
        if p.block:
            fields["http2.headers"] = p.block
        if pad:
            fields["http2.headers.padding"] = payload[n - pad:]
    elif t == PRIORITY:
        _priority(payload, 0, fields, p)
    elif t == RST_STREAM:
        if n < 4:
            raise FrameError(f"RST_STREAM payload is {n} bytes, not 4")
        p.error = _U32.unpack_from(payload)[0]
        fields["http2.rst_stream.error"] = p.error
    elif t == SETTINGS:
        settings = []
        for off in range(0, n - n % 6, 6):
            ident, value = _U16_U32.unpack_from(payload, off)
            settings.append((ident, value))
            fields.setdefault("http2.settings", []).append(1)
            fields.setdefault("http2.settings.id", []).append(ident)
            name = SETTINGS_FIELDS.get(ident, ("http2.settings.unknown", ""))[0]
            fields.setdefault(name, []).append(value)
        if n % 6:               # tshark shows the cut entry as far as it goes before flagging it
            fields.setdefault("http2.settings", []).append(1)
            if n % 6 >= 2:
                fields.setdefault("http2.settings.id", []).append(payload[n - n % 6] << 8 | payload[n - n % 6 + 1])
        _flatten(fields)
        p.settings = tuple(settings)
        if n % 6:
            raise FrameError(f"SETTINGS payload of {n} bytes is not a multiple of 6")
    elif t == PUSH_PROMISE:
        off, pad = _padding(h, payload, fields)
        if n < off + 4:
            raise FrameError("PUSH_PROMISE payload too short for the promised stream id")
        word = _U32.unpack_from(payload, off)[0]
        p.promised = word & 0x7FFFFFFF
        fields["http2.push_promise.r"] = f"0x{word & 0x80000000:08x}"
        fields["http2.push_promise.promised_stream_id"] = p.promised
        off += 4
        if pad > n - off:
            raise FrameError(f"padding of {pad} bytes is longer than the {n - off} bytes of header block")
        p.pad_length = pad
        p.block = payload[off:n - pad]
        if p.block:
            fields["http2.push_promise.header"] = p.block
        if pad:
            fields["http2.push_promise.padding"] = payload[n - pad:]
    elif t == PING:
        if n < 8:
            raise FrameError(f"PING payload is {n} bytes, not 8")
        p.opaque = payload[:8]
        fields["http2.pong" if h.flags & ACK else "http2.ping"] = p.opaque
    elif t == GOAWAY:
        if n < 8:
            raise FrameError(f"GOAWAY payload is {n} bytes, at least 8 are needed")
        word, p.error = _U32_U32.unpack_from(payload)
        p.last_stream = word & 0x7FFFFFFF
        fields["http2.goway.r"] = f"0x{word & 0x80000000:08x}"     # sic: tshark's field name
        fields["http2.goaway.last_stream_id"] = p.last_stream
        fields["http2.goaway.error"] = p.error
        if n > 8:
            p.debug = payload[8:]
            fields["http2.goaway.addata"] = p.debug
    elif t == WINDOW_UPDATE:
        if n < 4:
            raise FrameError(f"WINDOW_UPDATE payload is {n} bytes, not 4")
        word = _U32.unpack_from(payload)[0]
        p.increment = word & 0x7FFFFFFF
        fields["http2.window_update.r"] = f"0x{word & 0x80000000:08x}"
        fields["http2.window_update.window_size_increment"] = p.increment
    elif t == CONTINUATION:
        off, pad = _padding(h, payload, fields)
        if pad > n - off:
            raise FrameError(f"padding of {pad} bytes is longer than the {n - off} bytes of header block")
        p.block = payload[off:n - pad]
        if p.block:
            fields["http2.continuation.header"] = _ascii_text(p.block)
        if pad:
            fields["http2.continuation.padding"] = payload[n - pad:]
    elif t == ALTSVC:
        if n < 2:
            raise FrameError("ALTSVC payload too short for the origin length")
        olen = payload[0] << 8 | payload[1]
        fields["http2.altsvc.origin.len"] = olen
        if n < 2 + olen:
            raise FrameError(f"ALTSVC origin of {olen} bytes runs past the payload")
        if olen:
            fields["http2.altsvc.origin"] = _ascii_text(payload[2:2 + olen])
        if n > 2 + olen:
            fields["http2.altsvc.field_value"] = _ascii_text(payload[2 + olen:])
    elif t == BLOCKED:
        pass
    elif n:
        fields["http2.unknown"] = payload
    return p


def _flatten(fields: dict) -> None:
    """A SETTINGS field seen once is a plain value (repeated ones stay lists, in order)."""
    for key in ("http2.settings", "http2.settings.id", "http2.settings.unknown",
                *(name for name, _label in SETTINGS_FIELDS.values())):
        value = fields.get(key)
        if type(value) is list and len(value) == 1:
            fields[key] = value[0]


def _ascii_text(data: bytes) -> str:
    """A string field read with ENC_ASCII, as tshark shows it: bytes above 0x7F become U+FFFD, and the
    string ends at the first NUL."""
    nul = data.find(b"\0")
    if nul >= 0:
        data = data[:nul]
    if data.isascii():
        return data.decode("ascii")
    return "".join(chr(b) if b < 0x80 else "\ufffd" for b in data)
